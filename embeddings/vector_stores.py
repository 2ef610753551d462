"""Where a ``FaissIndex`` keeps its vectors: exactly (``FlatStore``) or approximately (``IvfStore``).

Small collections are searched exactly: a flat scan of 50,000 vectors takes about 15 ms here. From
``APPROXIMATE_FROM`` vectors a save trains an IVF index (about sqrt(n) lists, each vector in 8-bit
scalar quantisation, a quarter of the memory) that searches ``NPROBE`` of its lists.
"""

from __future__ import annotations

from typing import Any, Protocol

import faiss
import numpy as np
import numpy.typing as npt

from embeddings.base import Vectors

APPROXIMATE_FROM = 50_000
NPROBE = 32
_HASHTABLE = faiss.DirectMap.Hashtable  # type: ignore[attr-defined]
Ids = npt.NDArray[np.int64]


class VectorStore(Protocol):
    """The FAISS index holding the vectors under int64 ids, and what differs between its two kinds."""

    index: faiss.Index
    """What is searched and written to disk."""

    @property
    def kind(self) -> str:
        """As saved in the manifest's files: ``flat`` or ``ivfN,sq8``."""
        ...

    def add(self, ids: Ids, vectors: Vectors) -> None: ...

    def remove(self, ids: Ids) -> int:
        """Remove these ids; how many were present."""
        ...

    def search(self, queries: Vectors, k: int) -> tuple[npt.NDArray[np.float32], Ids]:
        """FAISS's search: scores and ids, padded with id -1."""
        ...

    def exact_search(self, queries: Vectors, k: int) -> tuple[npt.NDArray[np.float32], Ids]:
        """As ``search``, looking at every vector."""
        ...

    def search_among(self, queries: Vectors, k: int, allowed: Ids) -> tuple[npt.NDArray[np.float32], Ids]:
        """As ``search``, among the ``allowed`` ids only (FAISS's id selector)."""
        ...

    def vectors(self, ids: list[int]) -> Vectors:
        """The stored vectors of ``ids`` (which must be present), decoded."""
        ...

    def ids(self) -> set[int]: ...

    def keyed(self) -> tuple[Any, Ids, Ids]:
        """An index that decodes vectors by key, the keys, and the ids they stand for (same order)."""
        ...

    def outgrown(self) -> bool:
        """Whether the next full save should (re)train an IVF store."""
        ...

    def empty_twin(self) -> VectorStore:
        """An empty store of the same layout, for a segment of new vectors."""
        ...

    def absorb(self, other: VectorStore) -> bool:
        """Take ``other``'s vectors by merging its layout into this one's; False where the layouts differ."""
        ...


class FlatStore:
    """Exact search: every vector compared with the query."""

    kind = "flat"

    def __init__(self, dim: int, index: faiss.Index | None = None) -> None:
        # IndexIDMap2 keeps our ids (chunk rows) and can hand vectors back for re-scoring.
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def add(self, ids: Ids, vectors: Vectors) -> None:
        self.index.add_with_ids(vectors, ids)

    def remove(self, ids: Ids) -> int:
        return int(self.index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(self, queries: Vectors, k: int) -> tuple[npt.NDArray[np.float32], Ids]:
        scores, ids = self.index.search(queries, k)
        return scores, ids

    exact_search = search

    def search_among(self, queries: Vectors, k: int, allowed: Ids) -> tuple[npt.NDArray[np.float32], Ids]:
        scores, ids = self.index.search(queries, k, params=faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed)))  # type: ignore[call-arg]
        return scores, ids

    def vectors(self, ids: list[int]) -> Vectors:
        return np.stack([self.index.reconstruct(int(i)) for i in ids])

    def ids(self) -> set[int]:
        return {int(i) for i in faiss.vector_to_array(self.index.id_map)}  # type: ignore[attr-defined]

    def keyed(self) -> tuple[Any, Ids, Ids]:
        inner = faiss.downcast_index(self.index.index)  # type: ignore[attr-defined]
        ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)  # type: ignore[attr-defined]
        return inner, np.arange(len(ids), dtype=np.int64), ids

    def outgrown(self) -> bool:
        return int(self.index.ntotal) >= APPROXIMATE_FROM

    def empty_twin(self) -> FlatStore:
        return FlatStore(int(self.index.d))

    def absorb(self, other: VectorStore) -> bool:
        return False


class IvfStore:
    """Approximate search: vectors in 8-bit scalar quantisation, in lists, of which ``NPROBE`` are searched."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index  # the factory's object owns the memory; keep it beside its IVF view
        self.ivf: Any = faiss.extract_index_ivf(index)
        self.ivf.nprobe = NPROBE

    @classmethod
    def trained_on(cls, source: VectorStore, dim: int) -> IvfStore:
        """A store trained on ``source``'s vectors and holding them; they move over in batches, so the
        old and new store are the only copies."""
        inner, keys, ids = source.keyed()
        nlist = max(16, int(np.sqrt(len(ids))))
        store = cls(faiss.index_factory(dim, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT))
        sample = np.sort(np.random.default_rng(0).choice(len(ids), size=min(len(ids), 40 * nlist), replace=False))
        store.ivf.train(inner.reconstruct_batch(keys[sample]))
        for start in range(0, len(ids), 100_000):
            store.ivf.add_with_ids(inner.reconstruct_batch(keys[start : start + 100_000]), ids[start : start + 100_000])
        return store

    @property
    def kind(self) -> str:
        return f"ivf{self.ivf.nlist},sq8"

    def _lookup(self) -> None:
        """An IVF index finds a vector by its id (to re-score or remove it) through a hash table, made on first need."""
        if self.ivf.direct_map.type != _HASHTABLE:
            self.ivf.set_direct_map_type(_HASHTABLE)

    def add(self, ids: Ids, vectors: Vectors) -> None:
        self.index.add_with_ids(vectors, ids)

    def remove(self, ids: Ids) -> int:
        # The id hash table takes only a plain array of ids (not a batch selector).
        self._lookup()
        return int(self.ivf.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))))

    def search(self, queries: Vectors, k: int) -> tuple[npt.NDArray[np.float32], Ids]:
        scores, ids = self.index.search(queries, k)
        return scores, ids

    def search_among(self, queries: Vectors, k: int, allowed: Ids) -> tuple[npt.NDArray[np.float32], Ids]:
        # A few allowed ids may sit in lists the usual probes miss: look in every list then (FAISS
        # computes distances only for the allowed ids, so that stays cheap).
        probe = self.ivf.nlist if len(allowed) < self.index.ntotal // 10 else self.ivf.nprobe
        params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBatch(allowed), nprobe=probe)  # type: ignore[call-arg]
        scores, ids = self.index.search(queries, k, params=params)
        return scores, ids

    def exact_search(self, queries: Vectors, k: int) -> tuple[npt.NDArray[np.float32], Ids]:
        probe = self.ivf.nprobe
        self.ivf.nprobe = self.ivf.nlist
        try:
            return self.search(queries, k)
        finally:
            self.ivf.nprobe = probe

    def vectors(self, ids: list[int]) -> Vectors:
        self._lookup()
        return np.stack([self.index.reconstruct(int(i)) for i in ids])

    def ids(self) -> set[int]:
        lists = self.ivf.invlists
        found: set[int] = set()
        for number in range(self.ivf.nlist):
            size = lists.list_size(number)
            if size:
                found.update(faiss.rev_swig_ptr(lists.get_ids(number), size).tolist())
        return found

    def keyed(self) -> tuple[Any, Ids, Ids]:
        ids = np.asarray(sorted(self.ids()), dtype=np.int64)
        self._lookup()
        return self.ivf, ids, ids

    def outgrown(self) -> bool:
        return int(self.index.ntotal) > 4 * self.ivf.nlist**2

    def empty_twin(self) -> IvfStore:
        """Empty, trained as this one is (same lists, same 8-bit ranges)."""
        index = faiss.index_factory(int(self.index.d), f"IVF{self.ivf.nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        mine: Any = faiss.downcast_index(self.index)
        twin: Any = faiss.downcast_index(index)
        twin.quantizer.add(mine.quantizer.reconstruct_n(0, mine.nlist))
        faiss.copy_array_to_vector(faiss.vector_to_array(mine.sq.trained), twin.sq.trained)
        twin.is_trained = True
        return IvfStore(index)

    def absorb(self, other: VectorStore) -> bool:
        if not isinstance(other, IvfStore) or other.ivf.nlist != self.ivf.nlist:
            return False
        if self.ivf.direct_map.type != faiss.DirectMap.NoMap:  # type: ignore[attr-defined]
            self.ivf.set_direct_map_type(faiss.DirectMap.NoMap)  # type: ignore[attr-defined]
        self.ivf.merge_from(other.ivf, 0)
        return True


def store_of(index: faiss.Index) -> VectorStore:
    """The store for an index read from disk: IVF when it is one, else flat."""
    try:
        faiss.extract_index_ivf(index)
    except RuntimeError:
        return FlatStore(int(index.d), index)
    return IvfStore(index)
