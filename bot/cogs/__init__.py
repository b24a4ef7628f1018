"""One cog per feature: questions, the source list, reindexing."""
