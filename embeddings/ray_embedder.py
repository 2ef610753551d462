"""Ingest's model passes on a Ray cluster: Ray Data sends passages to a pool of actors, each holding the model.

Optional (``pip install -e .[ray]``). Only the forward passes leave this process: the caller keeps
a local embedder for measuring text in tokens, for questions and for the collection's model name,
and writes what comes back into the collection itself, as a local ingest would. Each actor builds
its embedder from an ``EmbedderSpec`` (a name and a cache folder travel, not a model), so on a
cluster every worker loads (or exports, once per machine) the model on its own disk.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import Embedder, Vectors


@dataclass(frozen=True)
class EmbedderSpec:
    """How a worker builds the embedder: the model name (or path) and, for ONNX Runtime, its cache folder."""

    name: str
    cache: str | None = None
    device: str = "cpu"

    def make(self) -> Embedder:
        if self.device == "cpu" and self.cache is not None:
            from embeddings.onnx_embedder import OnnxEmbedder

            return OnnxEmbedder(self.name, cache=Path(self.cache), threads=1)
        from embeddings.sentence_transformer import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(self.name, device=self.device)


class _Passes:
    """A Ray Data actor: the embedder, loaded once, over batches of passages and their sentence spans."""

    def __init__(self, spec: EmbedderSpec) -> None:
        self.embedder: Any = spec.make()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        spans = [[(int(a), int(b)) for a, b in json.loads(str(s))] for s in batch["spans"]]
        vectors, pooled = self.embedder.embed_with_spans(texts, spans)
        dim = vectors.shape[1]
        # A sentence the model could not pool (cut off by truncation) travels as a row of NaN.
        packed = [
            np.stack([v if v is not None else np.full(dim, np.nan) for v in found]).astype(np.float32).tobytes()
            if found
            else b""
            for found in pooled
        ]
        return {"row": batch["row"], "vector": vectors.astype(np.float32), "sentences": np.array(packed, dtype=object)}


class RayEmbedder:
    """An embedder whose passages go through ``actors`` copies of the model on Ray (``address``,
    or a local Ray started here when it is None or "local"); ``local`` does everything else.

    ``batch_size`` passages go to an actor at a time: 256, as a local ingest groups them, because
    int8 ONNX Runtime scales each batch's activations as a whole, so a passage's vector depends
    slightly on its batch (cosine about 0.994 between batches of 8 and of 256); with the same
    batches the vectors are the local ones.
    """

    pools_spans = True
    group = 1 << 30
    """Passages per call the ingest should send: all of a checkpoint's at once (a Ray Data job each)."""

    def __init__(
        self,
        local: Embedder,
        spec: EmbedderSpec,
        address: str | None = None,
        *,
        actors: int | None = None,
        batch_size: int = 256,
    ) -> None:
        import ray

        if not ray.is_initialized():
            target = None if address in (None, "", "local") else address
            ray.init(address=target, ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
        self._local = local
        self.name, self.dim, self.max_tokens = local.name, local.dim, local.max_tokens
        self._spec = spec
        cpus = int(ray.cluster_resources().get("CPU", os.cpu_count() or 1))
        self._actors = actors or max(1, cpus)
        self._batch_size = batch_size

    def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[Vectors, list[list[Vectors | None]]]:
        import ray

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        items = [
            {"row": i, "text": t, "spans": json.dumps(s)} for i, (t, s) in enumerate(zip(texts, spans, strict=True))
        ]
        passes = ray.data.from_items(items).map_batches(
            _Passes,
            fn_constructor_kwargs={"spec": self._spec},
            batch_size=self._batch_size,
            batch_format="numpy",
            concurrency=self._actors,
            num_cpus=1 if self._spec.device == "cpu" else 0,
            num_gpus=1 if self._spec.device == "cuda" else 0,
        )
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        pooled: list[list[Vectors | None]] = [[] for _ in texts]
        for batch in passes.iter_batches(batch_format="numpy", batch_size=None):
            for row, vector, packed in zip(batch["row"], batch["vector"], batch["sentences"], strict=True):
                vectors[int(row)] = vector
                found = np.frombuffer(packed, dtype=np.float32).reshape(-1, self.dim) if packed else None
                pooled[int(row)] = [] if found is None else [None if np.isnan(v).any() else v for v in found]
        return vectors, pooled

    def embed_documents(self, texts: list[str]) -> Vectors:
        return self.embed_with_spans(texts, [[] for _ in texts])[0]

    def embed_query(self, text: str) -> Vectors:
        return self._local.embed_query(text)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self._local.count_tokens(texts)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self._local.token_spans(text)
