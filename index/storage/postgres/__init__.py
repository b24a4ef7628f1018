"""The PostgreSQL backend (``REVUE_DATABASE_URL``): the index, feeds, answers and votes in one
database with pgvector, shared by any number of processes on any number of machines.

psycopg is imported only in this package.
"""
