"""Hybrid retrieval: dense (FAISS) and BM25 candidates, fused on normalised scores."""

from __future__ import annotations

import numpy as np

from embeddings import Embedder, Vectors
from qa.collection import Collection
from qa.errors import InvalidInput
from qa.settings import SearchSettings
from qa.types import Hit


def fuse(dense: dict[int, float], lexical: dict[int, float], dense_weight: float) -> dict[int, float]:
    """Weighted sum of per-query normalised scores over the union of candidates.

    Dense cosines are min-max scaled over the candidates; BM25 scores are divided by the best
    one, so a query whose terms match nothing leans on the dense side alone. Either dict may
    lack a candidate that the other has; a missing score counts as that side's minimum.
    """
    ids = set(dense) | set(lexical)
    if not ids:
        return {}
    d_values = list(dense.values())
    d_low, d_high = (min(d_values), max(d_values)) if d_values else (0.0, 0.0)
    d_span = d_high - d_low
    b_high = max(lexical.values(), default=0.0)
    fused = {}
    for i in ids:
        d = (dense.get(i, d_low) - d_low) / d_span if d_span > 0 else 0.0
        b = lexical.get(i, 0.0) / b_high if b_high > 0 else 0.0
        fused[i] = dense_weight * d + (1.0 - dense_weight) * b
    return fused


class Searcher:
    """Finds the passages of one collection that best match a query."""

    def __init__(self, collection: Collection, embedder: Embedder) -> None:
        collection.check_embedder(embedder)
        self.collection = collection
        self.embedder = embedder
        self._row_of = {int(chunk_id): row for row, chunk_id in enumerate(collection.lexical.ids)}

    def search(self, query: str, settings: SearchSettings, query_vector: Vectors | None = None) -> list[Hit]:
        """The best ``settings.k`` passages, best first, each with its fused and component scores."""
        total = len(self.collection.vectors)
        if settings.k < 1:
            raise InvalidInput(f"k={settings.k} must be at least 1")
        if total == 0:
            raise InvalidInput(f"collection {self.collection.name!r} has no passages; ingest some articles first")
        k = min(settings.k, total)
        pool = max(settings.candidates, k)
        vector = self.embedder.embed_query(query) if query_vector is None else query_vector

        dense: dict[int, float] = {}
        if settings.retriever != "bm25":
            dense = {n.id: n.score for n in self.collection.vectors.search(vector, pool)}
        lexical: dict[int, float] = {}
        if settings.retriever != "dense":
            scores = self.collection.lexical.scores(query)
            top = np.argsort(-scores, kind="stable")[:pool]
            ids = self.collection.lexical.ids
            lexical = {int(ids[row]): float(scores[row]) for row in top if scores[row] > 0}

        if settings.retriever == "dense":
            ranked = dense
        elif settings.retriever == "bm25":
            ranked = lexical
        else:
            ranked = fuse(dense, lexical, settings.dense_weight)
        best = sorted(ranked, key=lambda i: (-ranked[i], i))[:k]
        if not best:
            return []
        # Report both component scores for every hit, filling the ones its retriever did not compute.
        missing = [i for i in best if i not in dense]
        dense.update(zip(missing, self.collection.vectors.scores(vector, missing), strict=True))
        if settings.retriever == "dense":
            all_lexical = self.collection.lexical.scores(query)
            lexical = {i: float(all_lexical[self._row_of[i]]) for i in best}
        chunks = self.collection.store.chunks(best)
        return [
            Hit(chunk=c, score=ranked[c.id], dense_score=dense.get(c.id), lexical_score=lexical.get(c.id, 0.0))
            for c in chunks
        ]
