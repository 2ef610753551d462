"""An embedder that runs a BERT sentence-transformers model in NumPy: fast to load, no torch.

It handles the common shape of a sentence-transformers folder (a BERT transformer, mean
pooling, optionally normalisation), which includes the default all-MiniLM-L6-v2; any other
model raises ``UnsupportedModel`` and the caller falls back to ``SentenceTransformerEmbedder``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file

from embeddings.base import Vectors
from embeddings.numpy_bert import BertShape, NumpyBert, batch_arrays, read_config
from embeddings.sentence_transformer import DEFAULT_MODEL, resolve_model

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


class NumpyEmbedder:
    """Normalised mean-pooled BERT embeddings, computed in NumPy; the same vectors as sentence-transformers."""

    def __init__(self, name: str = DEFAULT_MODEL, *, batch_size: int = 32) -> None:
        from tokenizers import Tokenizer

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
        self.name = name
        self.dim = shape.hidden
        self.max_tokens = int(settings.get("max_seq_length") or config.get("max_position_embeddings", 512))
        self._batch_size = batch_size
        self._bert = NumpyBert(load_file(str(folder / "model.safetensors")), shape)
        self._counter: Any = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer: Any = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        pad = config.get("pad_token_id", 0)
        self._tokenizer.enable_padding(pad_id=pad, pad_token=self._tokenizer.id_to_token(pad) or "[PAD]")
        self._specials = len(self._counter.encode("").ids)

    def _embed(self, texts: list[str]) -> Vectors:
        ids, types, mask = batch_arrays(self._tokenizer.encode_batch(texts))
        states = self._bert.hidden_states(ids, types, mask)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        out: Vectors = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return out

    def embed_documents(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Batches of similar length waste little on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            chosen = order[start : start + self._batch_size]
            out[chosen] = self._embed([texts[i] for i in chosen])
        return out

    def embed_query(self, text: str) -> Vectors:
        return self._embed([text])[0]

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self._counter.encode_batch(texts, add_special_tokens=True)] if texts else []

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [(int(a), int(b)) for a, b in self._counter.encode(text, add_special_tokens=False).offsets]

    @property
    def special_tokens(self) -> int:
        return self._specials
