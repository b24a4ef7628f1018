"""Reading wire groups: the articles as ``revue sources`` lists them, and each one's copies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from index.records import ArticleInfo, Copy, publication_key

if TYPE_CHECKING:
    import sqlite_utils


BATCH = 500  # ids per ``in (…)`` list (SQLite takes 32,766 parameters at most)


def marks(n: int) -> str:
    """``?, ?, ?``: the placeholders for ``n`` values of an ``in (…)`` list."""
    return ",".join("?" * n)


def _copy(row: Mapping[str, Any]) -> Copy:
    return Copy(row["id"], row["source"], row["date"], row["url"], row["title"])


def _in_order(copies: Iterable[Copy]) -> tuple[Copy, ...]:
    return tuple(sorted(copies, key=lambda c: publication_key(c.date, c.article_id)))


class WireGroups:
    """The store's view of wire groups (a part of ``Store``)."""

    db: sqlite_utils.Database

    def bylines(self, article_ids: Sequence[str]) -> dict[str, Copy]:
        """Each article's outlet, date, link and title, by id (unknown ids left out)."""
        out: dict[str, Copy] = {}
        ids = list(article_ids)
        for at in range(0, len(ids), BATCH):
            batch = ids[at : at + BATCH]
            where = f"id in ({marks(len(batch))})"
            sql = f"select id, title, source, date, url from articles where {where}"
            out |= {r["id"]: _copy(r) for r in self.db.query(sql, batch)}
        return out

    def articles_info(self) -> list[ArticleInfo]:
        """Every article, newest first; wire copies are listed under the first publication."""
        sql = (
            "select a.id, a.title, a.source, a.date, a.url, a.group_id, count(c.id) as chunks "
            "from articles a left join chunks c on c.article_id = a.id "
            "group by a.id order by a.date desc, a.title, a.id"
        )
        rows = list(self.db.query(sql))
        copies: dict[str, list[Copy]] = {}
        for r in rows:
            if r["group_id"] and r["group_id"] != r["id"]:
                copies.setdefault(r["group_id"], []).append(_copy(r))
        return [
            ArticleInfo(
                id=r["id"],
                title=r["title"],
                source=r["source"],
                date=r["date"],
                url=r["url"],
                chunks=r["chunks"],
                copies=_in_order(copies.get(r["id"], ())),
            )
            for r in rows
            if not r["group_id"] or r["group_id"] == r["id"]
        ]

    def group_count(self) -> int:
        """How many groups of wire copies the index holds."""
        row = self.db.execute(
            "select count(distinct group_id) from articles where group_id is not null"
        ).fetchone()
        return int(row[0])

    def groups_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        """Article id -> group for those of ``article_ids`` that have wire copies."""
        ids = list(article_ids)
        if not ids:
            return {}
        rows = self.db.execute(
            "select id, group_id from articles "
            f"where group_id is not null and id in ({marks(len(ids))})",
            ids,
        )
        return {r[0]: r[1] for r in rows}

    def copies_of(self, article_ids: Iterable[str]) -> dict[str, tuple[Copy, ...]]:
        """Article id -> the other articles of its wire group, earliest first."""
        groups = self.groups_of(article_ids)
        if not groups:
            return {}
        names = sorted(set(groups.values()))
        rows = list(
            self.db.query(
                f"select id, title, source, date, url, group_id from articles "
                f"where group_id in ({marks(len(names))}) order by date, id",
                names,
            )
        )
        return {
            a: tuple(_copy(r) for r in rows if r["group_id"] == g and r["id"] != a)
            for a, g in groups.items()
        }
