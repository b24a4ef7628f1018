"""Filters inside the store: which chunks an outlet and date range allow, and the outlets the
index holds (for autocomplete and ``revue compare``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from index.records import NO_FILTERS, Filters

if TYPE_CHECKING:
    import sqlite_utils


def _phrase(term: str) -> str:
    """``term`` as an FTS5 phrase (quoted, so that no word of it is read as an operator)."""
    return '"' + term.replace('"', '""') + '"'


def _next_day(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


class Filtering:
    """The store's filters (a part of ``Store``)."""

    db: sqlite_utils.Database

    def article_where(self, filters: Filters, alias: str = "a") -> tuple[str, list[str]]:
        """An SQL condition on the articles table (as ``alias``) and its parameters; "1" for
        none. Both parts can use an index (migration 004):

        - dates compare as text, so "2025-06-30T18:00" is on June 30, and an undated article
          is outside any date range;
        - an outlet matches any part of a source's name, case ignored: the matching names are
          found among the distinct sources first, then selected by equality.
        """
        conditions, params = [], []
        if filters.outlet:
            names = self.outlet_names(filters.outlet)
            conditions.append(f"{alias}.source in ({','.join('?' * len(names))})")
            params += names
        if filters.since:
            conditions.append(f"{alias}.date >= ?")
            params.append(filters.since)
        if filters.until:
            conditions.append(f"{alias}.date < ?")
            params.append(_next_day(filters.until))
        return (" and ".join(conditions) or "1"), params

    def outlet_names(self, part: str) -> list[str]:
        """Every source whose name holds ``part``, case ignored."""
        wanted = part.casefold()
        rows = self.db.execute("select distinct source from articles where source is not null")
        return [r[0] for r in rows if wanted in r[0].casefold()]

    def chunk_ids(self, filters: Filters) -> np.ndarray:
        """The ids of every chunk of the articles ``filters`` allow (the FAISS selection)."""
        where, params = self.article_where(filters)
        # Articles first, then their chunks by the article_id index: the other way round
        # reads every chunk row, vectors and all (0.26 s against 0.06 s at 36,000 articles).
        # The ids come back as one string: 62,806 of them in 40 ms, against 96 ms row by row.
        row = self.db.execute(
            "select group_concat(c.id) from articles a cross join chunks c "
            f"on c.article_id = a.id where {where}",
            params,
        ).fetchone()
        if not row or not row[0]:
            return np.zeros(0, dtype=np.int64)
        return np.fromstring(row[0], dtype=np.int64, sep=",")

    def matching(
        self, stems: Sequence[Sequence[str]], words: Sequence[str], filters: Filters
    ) -> set[int]:
        """Every chunk (of the articles ``filters`` allow) holding, for each group of ``stems``,
        one of its stems, and every one of ``words`` as written; unranked."""
        found: set[int] | None = None
        stemmed = " AND ".join("(" + " OR ".join(map(_phrase, g)) + ")" for g in stems if g)
        for table, query in (
            ("chunks_stem", stemmed),
            ("chunks_fts", " AND ".join(map(_phrase, words))),
        ):
            if query:
                rows = {
                    r[0]
                    for r in self.db.execute(
                        f"select rowid from {table} where {table} match ?", [query]
                    )
                }
                found = rows if found is None else found & rows
        ids = sorted(found or ())
        if not filters:
            return set(ids)
        check, batch = self.checker(filters), 10_000  # SQLite takes 32,766 parameters at most
        return {cid for i in range(0, len(ids), batch) for cid in check(ids[i : i + batch])}

    def checker(self, filters: Filters) -> Callable[[Sequence[int]], set[int]]:
        """A function from chunk ids to those of them whose articles ``filters`` allow (the
        condition is built once: finding an outlet's names reads the distinct sources)."""
        where, params = self.article_where(filters)

        def allowed_among(chunk_ids: Sequence[int]) -> set[int]:
            if not chunk_ids:
                return set()
            # Chunks first (by rowid), then their articles: left to itself, SQLite went
            # through the outlet's articles first, 2.2 s for 450 ids of a third of the index.
            rows = self.db.execute(
                "select c.id from chunks c cross join articles a on a.id = c.article_id "
                f"where c.id in ({','.join('?' * len(chunk_ids))}) and {where}",
                [*chunk_ids, *params],
            )
            return {r[0] for r in rows}

        return allowed_among

    def article_share(self, filters: Filters) -> float:
        """The share of the articles ``filters`` allow (counted on the indexes of migration
        004: a few milliseconds at 36,000 articles)."""
        where, params = self.article_where(filters)
        allowed = self.db.execute(f"select count(*) from articles a where {where}", params)
        total = self.db.execute("select count(*) from articles").fetchone()[0]
        return allowed.fetchone()[0] / total if total else 0.0

    def outlets(self, filters: Filters = NO_FILTERS) -> list[tuple[str, int]]:
        """Every outlet (source) of the articles ``filters`` allow, with its article count,
        largest first; articles without a source are left out."""
        where, params = self.article_where(filters)
        rows = self.db.execute(
            f"select a.source, count(*) as n from articles a where a.source is not null "
            f"and a.source != '' and {where} group by a.source order by n desc, a.source",
            params,
        )
        return [(str(r[0]), int(r[1])) for r in rows]
