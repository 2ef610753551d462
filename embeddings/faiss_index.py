"""Exact inner-product search over normalised vectors with FAISS, ids mapped to the caller's rows."""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from embeddings.base import Neighbor, Vectors


class FaissIndex:
    """A flat inner-product index (cosine similarity on unit vectors) keyed by int64 ids."""

    def __init__(self, dim: int, index: faiss.Index | None = None) -> None:
        self.dim = dim
        # IndexIDMap2 keeps our ids (chunk rows) and can hand vectors back for re-scoring.
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: list[int], vectors: Vectors) -> None:
        """Add vectors under the given ids (which must not be in the index already)."""
        matrix = self._as_matrix(vectors)
        if matrix.shape[0] != len(ids):
            raise ValueError(f"{len(ids)} ids for {matrix.shape[0]} vectors")
        if ids:
            self._index.add_with_ids(matrix, np.asarray(ids, dtype=np.int64))

    def remove(self, ids: list[int]) -> int:
        """Remove the given ids; returns how many were present."""
        if not ids:
            return 0
        selector = faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64))
        return int(self._index.remove_ids(selector))

    def search(self, query: Vectors, k: int) -> list[Neighbor]:
        """The ``k`` nearest ids to one query vector, best first (fewer if the index is smaller)."""
        k = min(k, len(self))
        if k <= 0:
            return []
        scores, ids = self._index.search(self._as_matrix(query), k)
        # FAISS pads with id -1 when it finds fewer than k; never let those out.
        return [Neighbor(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    def scores(self, query: Vectors, ids: list[int]) -> list[float]:
        """Inner product of the query with the stored vectors of ``ids`` (which must be present)."""
        if not ids:
            return []
        stored = np.stack([self._index.reconstruct(int(i)) for i in ids])
        return [float(s) for s in stored @ self._as_matrix(query)[0]]

    def ids(self) -> set[int]:
        """Every id in the index."""
        return {int(i) for i in faiss.vector_to_array(self._index.id_map)}  # type: ignore[attr-defined]

    def norms(self) -> npt.NDArray[np.float32]:
        """The length of every stored vector (all 1 in a collection of normalised vectors)."""
        inner = faiss.downcast_index(self._index.index)  # type: ignore[attr-defined]
        if not inner.ntotal:
            return np.zeros(0, dtype=np.float32)
        return np.linalg.norm(inner.reconstruct_n(0, inner.ntotal), axis=1).astype(np.float32)

    def save(self, path: Path) -> None:
        """Write the index to ``path`` whole: to a temporary name beside it, then renamed over it."""
        partial = path.with_name(path.name + ".partial")
        faiss.write_index(self._index, str(partial))
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> FaissIndex:
        """Read an index; FileNotFoundError when absent, ValueError (not FAISS's C++ text) when unreadable."""
        if not path.is_file():
            raise FileNotFoundError(path)
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as error:
            size = path.stat().st_size
            raise ValueError(f"not a readable FAISS index, {size} bytes: truncated or damaged") from error
        return cls(int(index.d), index)

    def _as_matrix(self, vectors: Vectors) -> Vectors:
        matrix = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        if matrix.shape[1] != self.dim:
            raise ValueError(f"vectors have dimension {matrix.shape[1]}, index has {self.dim}")
        return matrix
