"""The two small interfaces of this package: an embedder and a vector index."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Neighbor(NamedTuple):
    """One search result: the id given to ``add`` and its inner-product score."""

    id: int
    score: float


class Embedder(Protocol):
    """Turns text into normalised vectors, and measures text in the model's own tokens."""

    name: str
    dim: int
    max_tokens: int
    """Longest input in word pieces, special tokens included; longer input would be truncated."""

    def embed_documents(self, texts: list[str]) -> Vectors:
        """Vectors for passages to be indexed, shape ``(len(texts), dim)``, unit length."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """Vector for a search query, shape ``(dim,)``, unit length."""
        ...

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Length of each text in word pieces, special tokens included."""
        ...

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character span of each word piece of ``text`` (special tokens excluded)."""
        ...


class VectorIndex(Protocol):
    """Stores vectors under integer ids and finds the nearest by inner product."""

    dim: int

    def __len__(self) -> int: ...

    def add(self, ids: list[int], vectors: Vectors) -> None: ...

    def remove(self, ids: list[int]) -> int: ...

    def search(self, query: Vectors, k: int, allowed: npt.NDArray[np.int64] | None = None) -> list[Neighbor]:
        """The ``k`` nearest ids, best first; with ``allowed``, among those ids only."""
        ...

    def scores(self, query: Vectors, ids: list[int]) -> list[float]: ...

    def save(self, path: Path) -> None: ...


class Scorer(Protocol):
    """Scores (query, passage) pairs jointly, e.g. a cross-encoder; higher is more relevant."""

    name: str

    def score(self, query: str, passages: list[str]) -> list[float]: ...
