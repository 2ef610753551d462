"""Inner-product search over normalised vectors with FAISS, ids mapped to the caller's rows, saved as segments.

The vectors live in a ``VectorStore`` (embeddings/vector_stores.py): flat (exact) for small indexes,
IVF with 8-bit vectors for large ones. Saving follows the segment policy of embeddings/segments.py:
a base file plus one file per later save holding only the vectors added since (and a list of the
ids removed from earlier segments), so that adding ten articles to a big collection writes ten
articles' vectors, not all of them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from embeddings import segments
from embeddings.base import Neighbor, Vectors
from embeddings.vector_stores import FlatStore, IvfStore, VectorStore, store_of

_SUFFIXES = (".faiss", ".npy", ".partial")


class FaissIndex:
    """Inner-product search (cosine similarity on unit vectors) keyed by int64 ids."""

    def __init__(self, dim: int, store: VectorStore | None = None) -> None:
        self.dim = dim
        self._store: VectorStore = store if store is not None else FlatStore(dim)
        # What ``save_changes`` has to write: vectors added since the last load or save, and ids
        # removed from the segments on disk; and the segment files this index was read from.
        self._fresh: dict[int, Vectors] = {}
        self._removed: set[int] = set()
        self._segments: list[str] = []

    def __len__(self) -> int:
        return int(self._store.index.ntotal)

    @property
    def kind(self) -> str:
        """``flat`` (exact) or ``ivfN,sq8`` (approximate, N lists), as saved in the manifest's files."""
        return self._store.kind

    def approximate(self) -> None:
        """Move the vectors into an IVF store trained on them: what a save does past ``APPROXIMATE_FROM``,
        and again when an IVF store has grown to four times what it was trained for."""
        self._store = IvfStore.trained_on(self._store, self.dim)

    def exact_search(self, query: Vectors, k: int) -> list[Neighbor]:
        """As ``search``, looking at every stored vector (for measuring an approximate index's recall)."""
        return self._neighbors(query, k, exact=True)

    def _contents(self) -> tuple[Vectors, npt.NDArray[np.int64]]:
        """Every stored vector (decoded, in an IVF index) and its id."""
        inner, keys, ids = self._store.keyed()
        return (inner.reconstruct_batch(keys) if len(ids) else np.zeros((0, self.dim), np.float32)), ids

    def add(self, ids: list[int], vectors: Vectors) -> None:
        """Add vectors under the given ids (which must not be in the index already)."""
        matrix = self._as_matrix(vectors)
        if matrix.shape[0] != len(ids):
            raise ValueError(f"{len(ids)} ids for {matrix.shape[0]} vectors")
        if ids:
            self._store.add(np.asarray(ids, dtype=np.int64), matrix)
            self._fresh.update(zip(ids, matrix, strict=True))
            if self._removed and not self._removed.isdisjoint(ids):
                # An id removed from a segment is back: the list of removals cannot say which
                # copy is gone, so the next save writes the whole index.
                self._segments = []

    def remove(self, ids: list[int]) -> int:
        """Remove the given ids; returns how many were present."""
        if not ids:
            return 0
        removed = self._store.remove(np.asarray(ids, dtype=np.int64))
        for i in ids:
            if self._fresh.pop(i, None) is None:
                self._removed.add(i)
        return removed

    def search(self, query: Vectors, k: int, allowed: npt.NDArray[np.int64] | None = None) -> list[Neighbor]:
        """The ``k`` nearest ids to one query vector, best first (fewer if the index is smaller);
        with ``allowed``, only among those ids."""
        return self._neighbors(query, k, exact=False, allowed=allowed)

    def _neighbors(
        self, query: Vectors, k: int, *, exact: bool, allowed: npt.NDArray[np.int64] | None = None
    ) -> list[Neighbor]:
        k = min(k, len(self) if allowed is None else len(allowed))
        if k <= 0:
            return []
        if allowed is not None:
            scores, ids = self._store.search_among(self._as_matrix(query), k, allowed)
        else:
            search = self._store.exact_search if exact else self._store.search
            scores, ids = search(self._as_matrix(query), k)
        # FAISS pads with id -1 when it finds fewer than k; never let those out.
        return [Neighbor(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    def vectors(self, ids: list[int]) -> Vectors:
        """The stored vectors of ``ids`` (which must be present), shape ``(len(ids), dim)``."""
        if not ids:
            return np.zeros((0, self.dim), np.float32)
        return self._store.vectors(ids)

    def scores(self, query: Vectors, ids: list[int]) -> list[float]:
        """Inner product of the query with the stored vectors of ``ids`` (which must be present)."""
        if not ids:
            return []
        return [float(s) for s in self._store.vectors(ids) @ self._as_matrix(query)[0]]

    def ids(self) -> set[int]:
        """Every id in the index."""
        return self._store.ids()

    def norms(self) -> npt.NDArray[np.float32]:
        """The length of every stored vector (all 1 in a collection of normalised vectors; 8-bit
        vectors of an approximate index a few hundredths off at most)."""
        vectors, _ = self._contents()
        return np.linalg.norm(vectors, axis=1).astype(np.float32)

    def save(self, path: Path) -> None:
        """Write the index to ``path`` whole: to a temporary name beside it, then renamed over it."""
        partial = path.with_name(path.name + ".partial")
        faiss.write_index(self._store.index, str(partial))
        os.replace(partial, path)

    def save_changes(self, folder: Path, name: str) -> dict[str, Any]:
        """Save into ``folder`` what changed since this index was loaded from (or saved to) it.

        Writes one new segment ``NAME.<random>.faiss`` with the added vectors and, after removals,
        a new ``NAME.<random>.removed.npy`` listing every id removed from the older segments; or,
        when the segment policy says so (``segments.must_merge``) or the store has outgrown its
        kind, the whole index as one segment. Every file has a new name, so what an earlier save
        listed is still there until ``tidy``. Returns what ``join`` needs to read it back.
        """
        saved = list(self._segments)
        stored = len(self) - len(self._fresh) + len(self._removed)
        outgrown = self._store.outgrown()
        if outgrown or segments.must_merge(saved, len(self._removed), stored):
            if outgrown:
                self.approximate()
            segment = segments.new_name(name, ".faiss")
            self.save(folder / segment)
            saved, self._removed = [segment], set()
        elif self._fresh:
            # New vectors of an approximate index are stored as it stores them (8 bits, its lists),
            # so reading them back is a merge of lists rather than encoding them again.
            delta = FaissIndex(self.dim, self._store.empty_twin())
            kept = list(self._fresh)
            delta._store.add(np.asarray(kept, dtype=np.int64), np.stack([self._fresh[i] for i in kept]))
            segment = segments.new_name(name, ".faiss")
            delta.save(folder / segment)
            saved.append(segment)
        removed = segments.save_removed(folder, name, self._removed, ".removed.npy")
        self._segments, self._fresh = saved, {}
        return segments.entry(saved, removed)

    @staticmethod
    def tidy(folder: Path, name: str, entry: dict[str, Any]) -> None:
        """Delete index ``name``'s files in ``folder`` that ``entry`` (from ``save_changes``) does not list."""
        segments.tidy((f for f in folder.glob(f"{name}.*") if f.name.endswith(_SUFFIXES)), entry)

    @classmethod
    def join(cls, parts: list[FaissIndex], removed: npt.NDArray[np.int64] | None, files: list[str]) -> FaissIndex:
        """One index from the segments ``parts`` (read from the files ``files``), less the ``removed`` ids."""
        index = parts[0]
        for part in parts[1:]:
            if part.dim != index.dim:
                raise ValueError(f"segments of dimensions {index.dim} and {part.dim}")
            if index._store.absorb(part._store):
                continue
            vectors, ids = part._contents()
            if len(ids):
                index._store.add(ids, vectors)
        if removed is not None and len(removed):
            index._store.remove(np.asarray(removed, dtype=np.int64))
            index._removed = {int(i) for i in removed}
        index._segments, index._fresh = list(files), {}
        return index

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
        return cls(int(index.d), store_of(index))

    def _as_matrix(self, vectors: Vectors) -> Vectors:
        matrix = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        if matrix.shape[1] != self.dim:
            raise ValueError(f"vectors have dimension {matrix.shape[1]}, index has {self.dim}")
        return matrix


def set_search_threads(threads: int) -> None:
    """The OpenMP threads FAISS uses for one search, process-wide."""
    faiss.omp_set_num_threads(threads)
