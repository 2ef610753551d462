"""Exact inner-product search over normalised vectors with FAISS, ids mapped to the caller's rows.

Saved as segments: a base file plus one file per later save holding only the vectors added since
(and a list of the ids removed from earlier segments), so that adding ten articles to a big
collection writes ten articles' vectors, not all of them. Files are never changed once written
(each is written under a temporary name and renamed), so a copy of a collection can share them
by hard link. Segments are merged back into one base when there are many, or many removals.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from embeddings.base import Neighbor, Vectors

# Merge the segments into one base file when a save would make more than this many ...
MAX_SEGMENTS = 8
# ... or when more than this share of the stored vectors has been removed since the base was written.
MAX_REMOVED_SHARE = 0.25
# From this many vectors an index is saved approximate: IVF (about sqrt(n) lists, each vector in
# 8-bit scalar quantisation, a quarter of the memory), searched in NPROBE lists. Below it search
# stays exact: a flat scan of 50,000 vectors takes about 15 ms here, and dev-24 and BBC stay exact.
APPROXIMATE_FROM = 50_000
NPROBE = 32
_HASHTABLE = faiss.DirectMap.Hashtable  # type: ignore[attr-defined]


class FaissIndex:
    """Inner-product search (cosine similarity on unit vectors) keyed by int64 ids: exact (flat)
    for small indexes, IVF with 8-bit vectors for large ones (see ``APPROXIMATE_FROM``)."""

    def __init__(self, dim: int, index: faiss.Index | None = None) -> None:
        self.dim = dim
        # IndexIDMap2 keeps our ids (chunk rows) and can hand vectors back for re-scoring.
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        # What ``save_changes`` has to write: vectors added since the last load or save, and ids
        # removed from the segments on disk; and the segment files this index was read from.
        self._fresh: dict[int, Vectors] = {}
        self._removed: set[int] = set()
        self._segments: list[str] = []
        self._ivf = _ivf_of(self._index)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def kind(self) -> str:
        """``flat`` (exact) or ``ivfN,sq8`` (approximate, N lists), as saved in the manifest's files."""
        return "flat" if self._ivf is None else f"ivf{self._ivf.nlist},sq8"

    def approximate(self) -> None:
        """Replace the index by an IVF one trained on its vectors: what a save does past
        ``APPROXIMATE_FROM``, and again when an IVF index has grown to four times what it was
        trained for. Vectors move over in batches, so the old and new index are the only copies."""
        inner, keys, ids = self._stored()
        nlist = max(16, int(np.sqrt(len(ids))))
        index = faiss.index_factory(self.dim, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        ivf = _ivf_of(index)
        sample = np.sort(np.random.default_rng(0).choice(len(ids), size=min(len(ids), 40 * nlist), replace=False))
        ivf.train(inner.reconstruct_batch(keys[sample]))
        for start in range(0, len(ids), 100_000):
            ivf.add_with_ids(inner.reconstruct_batch(keys[start : start + 100_000]), ids[start : start + 100_000])
        ivf.nprobe = NPROBE
        self._index, self._ivf = index, ivf  # the factory's object owns the memory; keep both

    def _grown(self) -> bool:
        """Whether the next full save should (re)train an IVF index."""
        if self._ivf is None:
            return len(self) >= APPROXIMATE_FROM
        return len(self) > 4 * self._ivf.nlist**2

    def _stored(self) -> tuple[Any, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The index holding the vectors, the keys it reconstructs them by, and their ids (same order)."""
        if self._ivf is None:
            inner = faiss.downcast_index(self._index.index)  # type: ignore[attr-defined]
            ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)  # type: ignore[attr-defined]
            return inner, np.arange(len(ids), dtype=np.int64), ids
        ids = np.asarray(sorted(self.ids()), dtype=np.int64)
        self._lookup()
        return self._ivf, ids, ids

    def _lookup(self) -> None:
        """An IVF index finds a vector by its id (to re-score or remove it) through a hash table, made on first need."""
        if self._ivf is not None and self._ivf.direct_map.type != _HASHTABLE:
            self._ivf.set_direct_map_type(_HASHTABLE)

    def _empty_twin(self) -> FaissIndex:
        """An empty IVF index trained as this one is (same lists, same 8-bit ranges), for a segment of new vectors."""
        assert self._ivf is not None
        index = faiss.index_factory(self.dim, f"IVF{self._ivf.nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        mine: Any = faiss.downcast_index(self._index)
        twin: Any = faiss.downcast_index(index)
        twin.quantizer.add(mine.quantizer.reconstruct_n(0, mine.nlist))
        faiss.copy_array_to_vector(faiss.vector_to_array(mine.sq.trained), twin.sq.trained)
        twin.is_trained = True
        return FaissIndex(self.dim, index)

    def exact_search(self, query: Vectors, k: int) -> list[Neighbor]:
        """As ``search``, looking at every stored vector (for measuring an approximate index's recall)."""
        if self._ivf is None:
            return self.search(query, k)
        probe = self._ivf.nprobe
        self._ivf.nprobe = self._ivf.nlist
        try:
            return self.search(query, k)
        finally:
            self._ivf.nprobe = probe

    def _contents(self) -> tuple[Vectors, npt.NDArray[np.int64]]:
        """Every stored vector (decoded, in an IVF index) and its id."""
        inner, keys, ids = self._stored()
        return (inner.reconstruct_batch(keys) if len(ids) else np.zeros((0, self.dim), np.float32)), ids

    def add(self, ids: list[int], vectors: Vectors) -> None:
        """Add vectors under the given ids (which must not be in the index already)."""
        matrix = self._as_matrix(vectors)
        if matrix.shape[0] != len(ids):
            raise ValueError(f"{len(ids)} ids for {matrix.shape[0]} vectors")
        if ids:
            self._index.add_with_ids(matrix, np.asarray(ids, dtype=np.int64))
            self._fresh.update(zip(ids, matrix, strict=True))
            if self._removed and not self._removed.isdisjoint(ids):
                # An id removed from a segment is back: the list of removals cannot say which
                # copy is gone, so the next save writes the whole index.
                self._segments = []

    def remove(self, ids: list[int]) -> int:
        """Remove the given ids; returns how many were present."""
        if not ids:
            return 0
        removed = self._remove_ids(np.asarray(ids, dtype=np.int64))
        for i in ids:
            if self._fresh.pop(i, None) is None:
                self._removed.add(i)
        return removed

    def _remove_ids(self, ids: npt.NDArray[np.int64]) -> int:
        # An IVF index's id hashtable takes only a plain array of ids; the flat one a batch (a set).
        if self._ivf is not None:
            self._lookup()
            return int(self._ivf.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))))
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

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
        self._lookup()
        stored = np.stack([self._index.reconstruct(int(i)) for i in ids])
        return [float(s) for s in stored @ self._as_matrix(query)[0]]

    def ids(self) -> set[int]:
        """Every id in the index."""
        if self._ivf is None:
            return {int(i) for i in faiss.vector_to_array(self._index.id_map)}  # type: ignore[attr-defined]
        lists = self._ivf.invlists
        found: set[int] = set()
        for number in range(self._ivf.nlist):
            size = lists.list_size(number)
            if size:
                found.update(faiss.rev_swig_ptr(lists.get_ids(number), size).tolist())
        return found

    def norms(self) -> npt.NDArray[np.float32]:
        """The length of every stored vector (all 1 in a collection of normalised vectors; 8-bit
        vectors of an approximate index a few hundredths off at most)."""
        vectors, _ = self._contents()
        return np.linalg.norm(vectors, axis=1).astype(np.float32)

    def save(self, path: Path) -> None:
        """Write the index to ``path`` whole: to a temporary name beside it, then renamed over it."""
        partial = path.with_name(path.name + ".partial")
        faiss.write_index(self._index, str(partial))
        os.replace(partial, path)

    def save_changes(self, folder: Path, name: str) -> dict[str, Any]:
        """Save into ``folder`` what changed since this index was loaded from (or saved to) it.

        Writes one new segment ``NAME.<random>.faiss`` with the added vectors and, after removals,
        a new ``NAME.<random>.removed.npy`` listing every id removed from the older segments; or,
        for a new index, or when there would be more than ``MAX_SEGMENTS`` segments or a large
        share of removed vectors, the whole index as one segment. Every file has a new name, so
        what an earlier save listed is still there until ``tidy``. Returns what ``join`` needs to
        read it back: ``{"segments": [...], "removed": file or None}``.
        """
        segments = list(self._segments)
        stored = len(self) - len(self._fresh) + len(self._removed)
        grown = self._grown()
        if (
            not segments
            or grown
            or len(segments) >= MAX_SEGMENTS
            or len(self._removed) > MAX_REMOVED_SHARE * max(stored, 1)
        ):
            if grown:
                self.approximate()
            segment = f"{name}.{secrets.token_hex(4)}.faiss"
            self.save(folder / segment)
            segments, self._removed = [segment], set()
        elif self._fresh:
            # New vectors of an approximate index are stored as it stores them (8 bits, its lists),
            # so reading them back is a merge of lists rather than encoding them again.
            delta = FaissIndex(self.dim) if self._ivf is None else self._empty_twin()
            kept = list(self._fresh)
            delta._index.add_with_ids(np.stack([self._fresh[i] for i in kept]), np.asarray(kept, dtype=np.int64))
            segment = f"{name}.{secrets.token_hex(4)}.faiss"
            delta.save(folder / segment)
            segments.append(segment)
        removed = None
        if self._removed:
            removed = f"{name}.{secrets.token_hex(4)}.removed.npy"
            write_ids(folder / removed, self._removed)
        self._segments, self._fresh = segments, {}
        return {"segments": segments, "removed": removed}

    @staticmethod
    def tidy(folder: Path, name: str, entry: dict[str, Any]) -> None:
        """Delete index ``name``'s files in ``folder`` that ``entry`` (from ``save_changes``) does not list."""
        wanted = {*entry["segments"], entry["removed"]}
        for file in folder.glob(f"{name}.*"):
            if file.name not in wanted and file.name.endswith((".faiss", ".npy", ".partial")):
                file.unlink()

    @classmethod
    def join(cls, parts: list[FaissIndex], removed: npt.NDArray[np.int64] | None, segments: list[str]) -> FaissIndex:
        """One index from the segments ``parts`` (read from the files ``segments``), less the ``removed`` ids."""
        index = parts[0]
        for part in parts[1:]:
            if part.dim != index.dim:
                raise ValueError(f"segments of dimensions {index.dim} and {part.dim}")
            if index._ivf is not None and part._ivf is not None and part._ivf.nlist == index._ivf.nlist:
                if index._ivf.direct_map.type != faiss.DirectMap.NoMap:  # type: ignore[attr-defined]
                    index._ivf.set_direct_map_type(faiss.DirectMap.NoMap)  # type: ignore[attr-defined]
                index._ivf.merge_from(part._ivf, 0)
                continue
            vectors, ids = part._contents()
            if len(ids):
                index._index.add_with_ids(vectors, ids)
        if removed is not None and len(removed):
            index._remove_ids(np.asarray(removed, dtype=np.int64))
            index._removed = {int(i) for i in removed}
        index._segments, index._fresh = list(segments), {}
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
        ivf = _ivf_of(index)
        if ivf is not None:
            ivf.nprobe = NPROBE
        return cls(int(index.d), index)

    def _as_matrix(self, vectors: Vectors) -> Vectors:
        matrix = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        if matrix.shape[1] != self.dim:
            raise ValueError(f"vectors have dimension {matrix.shape[1]}, index has {self.dim}")
        return matrix


def _ivf_of(index: faiss.Index) -> Any:
    """``index`` as an IVF index, or None when it is another kind (the flat one in its id map)."""
    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


def write_ids(path: Path, ids: set[int]) -> None:
    """A segment's list of removed ids, as a plain ``.npy``, written whole or not at all."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as handle:
        np.save(handle, np.asarray(sorted(ids), dtype=np.int64))
    os.replace(partial, path)


def read_ids(path: Path) -> npt.NDArray[np.int64]:
    """What ``write_ids`` wrote."""
    return np.asarray(np.load(path, allow_pickle=False), dtype=np.int64)
