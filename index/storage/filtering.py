"""Filters inside the store: which chunks an outlet and date range allow, and the outlets the
index holds (for autocomplete and ``revue compare``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from index.records import NO_FILTERS, Filters

if TYPE_CHECKING:
    import sqlite_utils


def article_where(filters: Filters, alias: str = "a") -> tuple[str, list[str]]:
    """An SQL condition on the articles table (as ``alias``) and its parameters; "1" for none.

    Dates compare on their first ten characters, so "2025-06-30T18:00" is in June; an undated
    article is outside any date range. An outlet matches any part of the source's name.
    """
    conditions, params = [], []
    if filters.outlet:
        escaped = filters.outlet.lower().replace("\\", "\\\\").replace("%", "\\%")
        conditions.append(f"lower({alias}.source) like ? escape '\\'")
        params.append("%" + escaped.replace("_", "\\_") + "%")
    if filters.since:
        conditions.append(f"substr({alias}.date, 1, 10) >= ?")
        params.append(filters.since)
    if filters.until:
        conditions.append(f"substr({alias}.date, 1, 10) <= ?")
        params.append(filters.until)
    return (" and ".join(conditions) or "1"), params


class Filtering:
    """The store's filters (a part of ``Store``)."""

    db: sqlite_utils.Database

    def chunk_ids(self, filters: Filters) -> np.ndarray:
        """The ids of every chunk of the articles ``filters`` allow (the FAISS selection)."""
        where, params = article_where(filters)
        rows = self.db.execute(
            f"select c.id from chunks c join articles a on a.id = c.article_id where {where}",
            params,
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def outlets(self, filters: Filters = NO_FILTERS) -> list[tuple[str, int]]:
        """Every outlet (source) of the articles ``filters`` allow, with its article count,
        largest first; articles without a source are left out."""
        where, params = article_where(filters)
        rows = self.db.execute(
            f"select a.source, count(*) as n from articles a where a.source is not null "
            f"and a.source != '' and {where} group by a.source order by n desc, a.source",
            params,
        )
        return [(str(r[0]), int(r[1])) for r in rows]
