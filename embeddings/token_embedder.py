"""Embedders computed from a BERT's token states (in NumPy or ONNX Runtime): pooling, spans, batching.

They handle the common shape of a sentence-transformers folder (a BERT transformer, mean
pooling, optionally normalisation), which includes the default all-MiniLM-L6-v2; any other
model raises ``UnsupportedModel`` and the caller falls back to ``SentenceTransformerEmbedder``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from embeddings.base import Vectors
from embeddings.models import resolve_model
from embeddings.numpy_bert import Array, BertShape, Ids, batch_arrays, read_config

POOLING = "sentence_transformers.models.Pooling"
TRANSFORMER = "sentence_transformers.models.Transformer"
NORMALIZE = "sentence_transformers.models.Normalize"


class UnsupportedModel(ValueError):
    """The model is not a local BERT + mean pooling folder; use SentenceTransformerEmbedder."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UnsupportedModel(f"{path}: {error}") from error


def _check_modules(folder: Path) -> None:
    modules = _read_json(folder / "modules.json")
    kinds = [m.get("type") for m in modules]
    if kinds not in ([TRANSFORMER, POOLING], [TRANSFORMER, POOLING, NORMALIZE]) or modules[0].get("path", "") != "":
        raise UnsupportedModel(f"{folder}: modules {kinds} are not transformer + pooling (+ normalize)")
    pooling = _read_json(folder / modules[1]["path"] / "config.json")
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        raise UnsupportedModel(f"{folder}: pooling {modes} is not mean pooling")
    if any(m.get("kwargs") for m in modules):
        raise UnsupportedModel(f"{folder}: modules with arguments")


def pool_spans(
    states: Array, mask: npt.NDArray[np.int64], offsets: list[list[tuple[int, int]]], spans: list[list[tuple[int, int]]]
) -> list[list[Array | None]]:
    """Mean of the token states inside each character span of each text (None where no token falls inside).

    ``states`` is ``(texts, tokens, dim)``; ``offsets`` the character span of each token (specials
    have an empty one and are never counted); ``spans`` the spans wanted, per text.
    """
    out: list[list[Array | None]] = []
    for row, (text_offsets, wanted) in enumerate(zip(offsets, spans, strict=True)):
        length = int(mask[row].sum())
        starts = np.array([a for a, _ in text_offsets[:length]])
        ends = np.array([b for _, b in text_offsets[:length]])
        real = ends > starts
        pooled: list[Array | None] = []
        for start, end in wanted:
            inside = real & (starts >= start) & (ends <= end)
            pooled.append(states[row, :length][inside].mean(axis=0) if inside.any() else None)
        out.append(pooled)
    return out


class TokenEmbedder:
    """Mean-pooled, normalised BERT embeddings from token states; subclasses say how the states are computed.

    Besides the ``Embedder`` methods it offers ``embed_with_spans``: passage vectors and, from the same
    forward pass, a vector for each sentence span inside each passage.
    """

    name: str
    dim: int
    max_tokens: int
    _batch_size: int
    pools_spans = True

    def _load_tokenizers(self, folder: Path, config: dict[str, Any]) -> None:
        from tokenizers import Tokenizer

        self._counter: Any = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer: Any = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        pad = config.get("pad_token_id", 0)
        self._tokenizer.enable_padding(pad_id=pad, pad_token=self._tokenizer.id_to_token(pad) or "[PAD]")
        self._specials = len(self._counter.encode("").ids)

    def _states(self, ids: Ids, types: Ids, mask: Ids) -> Array:
        raise NotImplementedError

    def _forward(self, texts: list[str]) -> tuple[Array, Vectors, Ids, list[Any]]:
        """Token states, normalised mean-pooled vectors, attention mask and the encodings of ``texts``."""
        encodings = self._tokenizer.encode_batch(texts)
        ids, types, mask = batch_arrays(encodings)
        states = self._states(ids, types, mask)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return states, normalised(pooled), mask, encodings

    def _batches(self, texts: list[str]) -> list[list[int]]:
        # Batches of similar length waste little on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        return [order[i : i + self._batch_size] for i in range(0, len(order), self._batch_size)]

    def embed_documents(self, texts: list[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for chosen in self._batches(texts):
            out[chosen] = self._forward([texts[i] for i in chosen])[1]
        return out

    def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[Vectors, list[list[Array | None]]]:
        """Vectors of ``texts`` and, unnormalised, the mean token state of each span in ``spans[i]`` of text i."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        pooled: list[list[Array | None]] = [[] for _ in texts]
        for chosen in self._batches(texts):
            states, vectors, mask, encodings = self._forward([texts[i] for i in chosen])
            out[chosen] = vectors
            found = pool_spans(states, mask, [e.offsets for e in encodings], [spans[i] for i in chosen])
            for i, span_vectors in zip(chosen, found, strict=True):
                pooled[i] = span_vectors
        return out, pooled

    def embed_query(self, text: str) -> Vectors:
        return self._forward([text])[1][0]

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self._counter.encode_batch(texts, add_special_tokens=True)] if texts else []

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [(int(a), int(b)) for a, b in self._counter.encode(text, add_special_tokens=False).offsets]

    @property
    def special_tokens(self) -> int:
        return self._specials


def normalised(vectors: Array) -> Vectors:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    out: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


def local_model(name: str) -> tuple[Path, dict[str, Any], BertShape, int]:
    """The folder, config, BERT shape and input limit of a model the token embedders can run, else UnsupportedModel."""
    location, local = resolve_model(name)
    folder = Path(location)
    if not local or not folder.is_dir():
        raise UnsupportedModel(f"{name!r} is not a model folder on this disk")
    _check_modules(folder)
    config = read_config(folder)
    try:
        shape = BertShape.from_config(config)
    except (KeyError, ValueError) as error:
        raise UnsupportedModel(f"{folder}: {error}") from error
    if not (folder / "model.safetensors").is_file() or not (folder / "tokenizer.json").is_file():
        raise UnsupportedModel(f"{folder}: needs model.safetensors and tokenizer.json")
    settings = _read_json(folder / "sentence_bert_config.json")
    max_tokens = int(settings.get("max_seq_length") or config.get("max_position_embeddings", 512))
    return folder, config, shape, max_tokens
