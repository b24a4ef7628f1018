"""The peer: what a Python developer would assemble by hand with LangChain.

LangChain's FAISS vector store, its sentence-transformers embeddings (``HuggingFaceBgeEmbeddings``,
the LangChain class that takes the query and passage instructions e5 needs) and its
``RecursiveCharacterTextSplitter`` with the documented defaults (1,000 characters, 200 overlap).
The same model folder as Revue, normalized vectors, inner product (cosine), batch size 16, and
the same dtype as Revue on this CPU (bfloat16 where it computes bf16 natively).

Installed by the ``bench`` extra (``make bench`` installs it); Revue itself never imports this.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from langchain_community.vectorstores import FAISS
    from langchain_core.embeddings import Embeddings

    from index.records import Article

warnings.filterwarnings("ignore", category=DeprecationWarning)

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200


def embeddings(bf16: bool | None = None) -> Embeddings:
    """The peer's embedding object over Revue's default model folder."""
    import torch
    from langchain_community.embeddings import HuggingFaceBgeEmbeddings

    from index.model.e5model import materialise
    from index.model.embedder import cpu_has_bf16

    use_bf16 = cpu_has_bf16() if bf16 is None else bf16
    # HuggingFaceBgeEmbeddings hands ``torch_dtype`` on to transformers (the weights load in bf16).
    model_kwargs: dict[str, str | torch.dtype] = {"device": "cpu"}
    if use_bf16:
        model_kwargs["torch_dtype"] = torch.bfloat16
    return HuggingFaceBgeEmbeddings(
        model_name=str(materialise()),
        model_kwargs=model_kwargs,
        encode_kwargs={"normalize_embeddings": True, "batch_size": 16},
        query_instruction="query: ",
        embed_instruction="passage: ",
    )


@dataclass(frozen=True)
class PeerHit:
    article_id: str
    text: str
    score: float


class Peer:
    """A LangChain FAISS store: build from articles, save, load, search."""

    def __init__(self, store: FAISS) -> None:
        self.store = store

    @classmethod
    def build(cls, articles: Sequence[Article], emb: Embeddings | None = None) -> Peer:
        from langchain_community.vectorstores import FAISS
        from langchain_community.vectorstores.utils import DistanceStrategy
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        docs = [
            Document(
                page_content=a.text,
                metadata={"id": a.id, "title": a.title, "source": a.source, "url": a.url},
            )
            for a in articles
        ]
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
        )
        chunks = splitter.split_documents(docs)
        store = FAISS.from_documents(
            chunks, emb or embeddings(), distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT
        )
        return cls(store)

    @classmethod
    def from_vectors(
        cls,
        texts: Sequence[str],
        vectors: np.ndarray,
        article_ids: Sequence[str],
        emb: Embeddings | None = None,
    ) -> Peer:
        """A store over vectors already computed (to compare search alone at scale)."""
        from langchain_community.vectorstores import FAISS
        from langchain_community.vectorstores.utils import DistanceStrategy

        store = FAISS.from_embeddings(
            list(zip(texts, (v.tolist() for v in vectors), strict=True)),
            emb or embeddings(),
            metadatas=[{"id": a} for a in article_ids],
            distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
        )
        return cls(store)

    def save(self, path: Path) -> None:
        self.store.save_local(str(path))

    @classmethod
    def load(cls, path: Path, emb: Embeddings | None = None) -> Peer:
        from langchain_community.vectorstores import FAISS

        store = FAISS.load_local(
            str(path), emb or embeddings(), allow_dangerous_deserialization=True
        )
        return cls(store)

    @property
    def size(self) -> int:
        return int(self.store.index.ntotal)

    def search(self, query: str, k: int = 10) -> list[PeerHit]:
        return [
            PeerHit(doc.metadata["id"], doc.page_content, float(score))
            for doc, score in self.store.similarity_search_with_score(query, k=k)
        ]
