"""BERT inference in NumPy, so that asking a question needs neither torch nor transformers.

Importing sentence-transformers costs about ten seconds on a small machine; a question costs
milliseconds. The query path (one question, a handful of sentence pairs) runs this instead:
the same weights read from safetensors, the same tokenizer through ``tokenizers``, the same
arithmetic in float32. Tests check it against the torch models (cosine and probabilities).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BertShape:
    """What the forward pass needs from a BERT config.json."""

    layers: int
    heads: int
    hidden: int
    eps: float

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> BertShape:
        if config.get("model_type", "bert") != "bert" or config.get("hidden_act", "gelu") != "gelu":
            raise ValueError("only BERT models with the exact GELU activation run in NumPy")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings run in NumPy")
        return cls(
            int(config["num_hidden_layers"]),
            int(config["num_attention_heads"]),
            int(config["hidden_size"]),
            float(config.get("layer_norm_eps", 1e-12)),
        )


def read_config(folder: Path) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    return config


def _layer_norm(x: Array, weight: Array, bias: Array, eps: float) -> Array:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    out: Array = centred / np.sqrt(variance + eps) * weight + bias
    return out


# Abramowitz and Stegun's formula 7.1.26 for erf: absolute error below 1.5e-7, float32's own
# resolution near 1, in a few vectorised operations (scipy's erf is ten times slower here).
_ERF_P = np.float32(0.3275911)
_ERF_A = [np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)]


def _erf(x: Array) -> Array:
    # In place where possible: on arrays of a million values allocation costs more than arithmetic.
    z = np.abs(x)
    t = z * _ERF_P
    t += 1.0
    np.reciprocal(t, out=t)
    poly = _ERF_A[0] * t
    for a in _ERF_A[1:-1]:
        poly += a
        poly *= t
    poly += _ERF_A[-1]
    poly *= t
    np.multiply(z, z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z
    np.subtract(1.0, poly, out=poly)
    out: Array = np.copysign(poly, x, out=poly)
    return out


def _gelu(x: Array) -> Array:
    """BERT's exact GELU, x * Phi(x)."""
    out: Array = 0.5 * x * (1.0 + _erf(x * np.float32(1.0 / np.sqrt(2.0))))
    return out


class NumpyBert:
    """A BERT encoder (and its pooler, when the weights have one) over float32 NumPy arrays.

    ``tensors`` are named as in a ``BertModel`` state dict (``embeddings.word_embeddings.weight``,
    ``encoder.layer.0...``); linear weights are kept transposed, ready for ``x @ w``.
    """

    def __init__(self, tensors: dict[str, npt.NDArray[Any]], shape: BertShape) -> None:
        self.shape = shape
        self._t: dict[str, Array] = {}
        for name, value in tensors.items():
            if not np.issubdtype(value.dtype, np.floating):
                continue  # e.g. position_ids, a buffer rather than a weight
            array = np.asarray(value, dtype=np.float32)
            if name.endswith(".weight") and array.ndim == 2 and "embeddings" not in name:
                array = np.ascontiguousarray(array.T)
            self._t[name] = array

    def _linear(self, x: Array, name: str) -> Array:
        # One matrix product over every token of the batch, not one per input.
        out: Array = x.reshape(-1, x.shape[-1]) @ self._t[f"{name}.weight"]
        out += self._t[f"{name}.bias"]
        return out.reshape(*x.shape[:-1], out.shape[-1])

    def _norm(self, x: Array, name: str) -> Array:
        return _layer_norm(x, self._t[f"{name}.weight"], self._t[f"{name}.bias"], self.shape.eps)

    def hidden_states(self, ids: Ids, type_ids: Ids, mask: Ids) -> Array:
        """The last layer's token states, shape ``(batch, tokens, hidden)``."""
        t = self._t
        batch, length = ids.shape
        x = (
            t["embeddings.word_embeddings.weight"][ids]
            + t["embeddings.position_embeddings.weight"][np.arange(length)][None, :, :]
            + t["embeddings.token_type_embeddings.weight"][type_ids]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        heads, size = self.shape.heads, self.shape.hidden // self.shape.heads
        # Padding gets the most negative float, as transformers does, so it takes no attention.
        bias = ((1.0 - mask[:, None, None, :].astype(np.float32)) * np.finfo(np.float32).min).astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(size))

        def split(y: Array) -> Array:
            """(batch, tokens, hidden) to (batch, heads, tokens, head size)."""
            return y.reshape(batch, length, heads, size).transpose(0, 2, 1, 3)

        for i in range(self.shape.layers):
            layer = f"encoder.layer.{i}"
            q = split(self._linear(x, f"{layer}.attention.self.query"))
            k = split(self._linear(x, f"{layer}.attention.self.key"))
            v = split(self._linear(x, f"{layer}.attention.self.value"))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.shape.hidden)
            attended = self._linear(context, f"{layer}.attention.output.dense") + x
            x = self._norm(attended, f"{layer}.attention.output.LayerNorm")
            inner = _gelu(self._linear(x, f"{layer}.intermediate.dense"))
            x = self._norm(self._linear(inner, f"{layer}.output.dense") + x, f"{layer}.output.LayerNorm")
        return x

    def pooled(self, states: Array) -> Array:
        """BERT's pooler: tanh of a dense layer over the first ([CLS]) token."""
        out: Array = np.tanh(self._linear(states[:, 0], "pooler.dense"))
        return out


def batch_arrays(encodings: list[Any]) -> tuple[Ids, Ids, Ids]:
    """Token ids, token type ids and attention mask of padded ``tokenizers`` encodings."""
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    types = np.array([e.type_ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    return ids, types, mask
