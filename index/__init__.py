"""Revue's engine: index a body of news coverage, answer questions with verbatim citations.

    from index import Revue, Settings

    revue = Revue(Settings(data_dir=Path("data")))
    revue.index([Path("corpus")])
    answer = revue.ask("Why did OpenAI pause advertising?")

``Revue`` (``index/engine.py``) is the front door; the records it returns and the errors it
raises are importable from here too. It is loaded on first use, so that importing a record does
not import FAISS and the model code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.errors import (
    AlreadyInCorpus,
    CorpusPathError,
    FetchFailed,
    IndexBusy,
    IndexDamaged,
    IndexMissing,
    InvalidQuestion,
    ModelUnavailable,
    NotAFeed,
    NotAnArticle,
    RevueError,
    WriterUnavailable,
)
from index.records import (
    Answer,
    Article,
    ArticleInfo,
    Checked,
    Citation,
    Copy,
    Hit,
    IndexSummary,
    Problem,
    SearchMode,
    Stage,
    Written,
)
from index.settings import Settings

if TYPE_CHECKING:
    from index.engine import Revue

__all__ = [
    "AlreadyInCorpus",
    "Answer",
    "Article",
    "ArticleInfo",
    "Checked",
    "Citation",
    "Copy",
    "CorpusPathError",
    "FetchFailed",
    "Hit",
    "IndexBusy",
    "IndexDamaged",
    "IndexMissing",
    "IndexSummary",
    "InvalidQuestion",
    "ModelUnavailable",
    "NotAFeed",
    "NotAnArticle",
    "Problem",
    "Revue",
    "RevueError",
    "SearchMode",
    "Settings",
    "Stage",
    "Written",
    "WriterUnavailable",
]


def __getattr__(name: str) -> object:
    if name == "Revue":
        from index.engine import Revue

        return Revue
    raise AttributeError(f"module 'index' has no attribute {name!r}")
