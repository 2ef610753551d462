"""Settings: frozen objects built at the edge (CLI or app) and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from embeddings.models import DEFAULT_MODEL

Retriever = Literal["hybrid", "dense", "bm25"]
ReaderName = Literal["model", "rules", "passage"]
DATA_DIR_ENV = "ARTICLE_QA_HOME"
READER_MODEL_ENV = "ARTICLE_QA_READER_MODEL"
RERANKER_ENV = "ARTICLE_QA_RERANKER"


@dataclass(frozen=True)
class ChunkSettings:
    """How articles are cut into passages; stored in a collection's manifest."""

    chunk_tokens: int = 200
    chunk_overlap: int = 64
    paragraph_fill: float = 0.5
    embed_title: bool = True


@dataclass(frozen=True)
class SearchSettings:
    """How a question is answered from a collection."""

    k: int = 5
    retriever: Retriever = "hybrid"
    candidates: int = 50
    dense_weight: float = 0.2
    sentence_weight: float = 0.2
    reader: ReaderName = "model"
    """Who picks the answer sentence and decides "not found": the trained answer model or the older rules."""
    min_score: float | None = None
    """Confidence below which the answer is "not found"; None takes the reader's own calibrated threshold."""
    reranker: str | None = None
    """A cross-encoder (sentence-transformers name or path) that re-orders the fused passages; off by default."""
    reader_model: str | None = None
    """An extractive QA checkpoint (Hugging Face name or folder) read by the passage reader instead of the
    project's own; with it, ``reader`` is "passage"."""
    rerank_depth: int = 20
    since: date | None = None
    until: date | None = None
    """Only articles dated from ``since`` to ``until`` (either may be open)."""
    as_of: date | None = None
    """The day "last week", "now" and "the latest" are read against; None: the collection's newest article."""
    timeline: bool = False
    """Also lay out the story: each article's answering sentence, oldest first."""
    time_words: bool = True
    """Read the question's time words ("in March", "last week", "the latest"); off takes them as plain words."""


@dataclass(frozen=True)
class Settings:
    """Everything a command needs, built once from flags and environment."""

    data_dir: Path
    model: str = DEFAULT_MODEL
    device: str = "auto"
    """Where ingest runs the model: "cpu" (ONNX Runtime, int8), "cuda" (torch) or "auto" (cuda when present)."""
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    question_threads: int | None = None
    """Threads the answer model uses for one question (None: every core). An app answering several
    questions at once gives each fewer, so they run side by side instead of in each other's way."""


def default_data_dir(environ: dict[str, str] | None = None) -> Path:
    """``$ARTICLE_QA_HOME``, else ``$XDG_DATA_HOME/article-qa``, else ``~/.local/share/article-qa``."""
    env = dict(os.environ) if environ is None else environ
    if env.get(DATA_DIR_ENV):
        return Path(env[DATA_DIR_ENV]).expanduser()
    base = Path(env["XDG_DATA_HOME"]).expanduser() if env.get("XDG_DATA_HOME") else Path.home() / ".local" / "share"
    return base / "article-qa"


def model_choices(reader_model: str | None, reranker: str | None, environ: Mapping[str, str]) -> dict[str, Any]:
    """``SearchSettings`` fields for a reader checkpoint and a re-ranker: the flags, else
    ``$ARTICLE_QA_READER_MODEL`` and ``$ARTICLE_QA_RERANKER``."""
    choices: dict[str, Any] = {}
    reader_model = reader_model or environ.get(READER_MODEL_ENV) or None
    if reader_model:
        choices |= {"reader_model": reader_model, "reader": "passage"}
    reranker = reranker or environ.get(RERANKER_ENV) or None
    if reranker:
        choices["reranker"] = reranker
    return choices
