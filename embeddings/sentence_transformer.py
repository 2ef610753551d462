"""Embedder backed by a sentence-transformers model, by default the bundled all-MiniLM-L6-v2."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np

from embeddings.base import Vectors
from embeddings.models import DEFAULT_MODEL, resolve_model
from embeddings.token_embedder import normalised, pool_spans

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def _torch_threads(count: int) -> Iterator[None]:
    """Run the block with ``count`` torch intra-op threads, then restore the previous number."""
    import torch

    before = torch.get_num_threads()
    if before == count:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class SentenceTransformerEmbedder:
    """Normalised sentence-transformers embeddings on the CPU (or ``device``)."""

    def __init__(self, name: str = DEFAULT_MODEL, *, device: str = "cpu", batch_size: int = 32) -> None:
        location, local = resolve_model(name)
        from sentence_transformers import SentenceTransformer

        self.name = name
        # A bundled or local model must not try the hub: the machine may have no network.
        self._model: Any = SentenceTransformer(location, device=device, local_files_only=local)
        self._batch_size = batch_size
        self._tokenizer: Any = self._model.tokenizer
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise ValueError(f"model {name!r} does not report an embedding dimension")
        self.dim = int(dim)
        self.max_tokens = int(self._model.max_seq_length or self._tokenizer.model_max_length)
        self._specials = len(self._tokenizer("")["input_ids"])
        # The Rust tokenizer counts without warning about over-long input, which is what we measure.
        pooling = [m for m in self._model if type(m).__name__ == "Pooling"]
        self._mean_pooling = (
            bool(pooling)
            and getattr(pooling[0], "pooling_mode_mean_tokens", False)
            and not any(
                getattr(pooling[0], mode, False) for mode in ("pooling_mode_cls_token", "pooling_mode_max_tokens")
            )
        )
        self._fast: Any = None
        backend = getattr(self._tokenizer, "backend_tokenizer", None)
        if backend is not None:
            from tokenizers import Tokenizer

            self._fast = Tokenizer.from_str(backend.to_str())
            self._fast.no_truncation()
            self._fast.no_padding()

    def embed_documents(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode_document(
            texts, batch_size=self._batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[Vectors, list[list[Vectors | None]]]:
        """Vectors of ``texts`` and the mean token state of each span of each text, from one forward pass.

        Only for mean-pooling models (the text's vector is then the mean of all its token states).
        """

        if not self.pools_spans:
            raise ValueError(f"model {self.name!r} has no token offsets or does not mean-pool")
        states = self._model.encode(
            texts, batch_size=self._batch_size, output_value="token_embeddings", show_progress_bar=False
        )
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        pooled: list[list[Vectors | None]] = []
        for i, (tokens, wanted) in enumerate(zip(states, spans, strict=True)):
            array = tokens.float().cpu().numpy()
            vectors[i] = normalised(array.mean(axis=0))
            offsets = self._fast.encode(texts[i], add_special_tokens=True).offsets[: len(array)]
            mask = np.ones((1, len(array)), dtype=np.int64)
            pooled.append(pool_spans(array[None], mask, [offsets], [wanted])[0])
        return vectors, pooled

    @property
    def pools_spans(self) -> bool:
        """Whether ``embed_with_spans`` works for this model (a mean-pooling model with a fast tokenizer)."""
        return self._fast is not None and self._mean_pooling

    def embed_query(self, text: str) -> Vectors:
        # One short input gains nothing from more threads, and on a busy machine spinning
        # threads wait on each other: benchmarks/query_threads.py measures both.
        with _torch_threads(1):
            vectors = self._model.encode_query([text], normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)[0]

    def count_tokens(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        if self._fast is not None:
            return [len(e.ids) for e in self._fast.encode_batch(texts, add_special_tokens=True)]
        encoded = self._tokenizer(texts, add_special_tokens=True, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        if self._fast is not None:
            return [(int(a), int(b)) for a, b in self._fast.encode(text, add_special_tokens=False).offsets]
        encoded = self._tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False)
        return [(int(a), int(b)) for a, b in encoded["offset_mapping"]]

    @property
    def special_tokens(self) -> int:
        """Word pieces the model adds around every input (e.g. [CLS] and [SEP])."""
        return self._specials
