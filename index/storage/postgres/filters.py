"""Filters in PostgreSQL: which chunks an outlet and date range allow, and the outlets the
index holds; the same rules as the SQLite store's (``index/storage/filtering.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import psycopg

from index.records import NO_FILTERS, Filters
from index.storage.protocols import Keep


def _next_day(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


class Filtering:
    """Filters over one connection's transaction (a part of ``Library``)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def article_where(self, filters: Filters) -> tuple[str, list[Any]]:
        """A condition on ``articles a`` and its parameters ("true" for none): dates compare
        as text (an undated article is outside any range); an outlet matches any part of a
        source's name, case ignored."""
        conditions: list[str] = []
        params: list[Any] = []
        if filters.outlet:
            conditions.append("a.source = any(%s)")
            params.append(self.outlet_names(filters.outlet))
        if filters.since:
            conditions.append("a.date >= %s")
            params.append(filters.since)
        if filters.until:
            conditions.append("a.date < %s")
            params.append(_next_day(filters.until))
        return (" and ".join(conditions) or "true"), params

    def outlet_names(self, part: str) -> list[str]:
        wanted = part.casefold()
        rows = self.conn.execute("select distinct source from articles where source is not null")
        return [r[0] for r in rows if wanted in r[0].casefold()]

    def chunk_ids(self, filters: Filters) -> np.ndarray:
        where, params = self.article_where(filters)
        row = self.conn.execute(
            "select array_agg(c.id order by c.id) from articles a "
            f"join chunks c on c.article_id = a.id where {where}",
            params,
        ).fetchone()
        if not row or not row[0]:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(row[0], dtype=np.int64)

    def checker(self, filters: Filters) -> Keep:
        where, params = self.article_where(filters)

        def allowed_among(chunk_ids: Sequence[int]) -> set[int]:
            if not len(chunk_ids):
                return set()
            rows = self.conn.execute(
                "select c.id from chunks c join articles a on a.id = c.article_id "
                f"where c.id = any(%s) and {where}",
                [list(map(int, chunk_ids)), *params],
            )
            return {int(r[0]) for r in rows}

        return allowed_among

    def article_share(self, filters: Filters) -> float:
        where, params = self.article_where(filters)
        allowed = self.conn.execute(f"select count(*) from articles a where {where}", params)
        total = self.conn.execute("select count(*) from articles").fetchone()
        n = allowed.fetchone()
        return (n[0] / total[0]) if n and total and total[0] else 0.0

    def outlets(self, filters: Filters = NO_FILTERS) -> list[tuple[str, int]]:
        where, params = self.article_where(filters)
        rows = self.conn.execute(
            "select a.source, count(*) as n from articles a where a.source is not null "
            f"and a.source != '' and {where} group by a.source "
            'order by n desc, a.source collate "C"',
            params,
        )
        return [(str(r[0]), int(r[1])) for r in rows]
