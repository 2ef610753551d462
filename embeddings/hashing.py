"""A deterministic, model-free embedder: hashed bag of words. For tests and fast demos."""

from __future__ import annotations

import re
import zlib

import numpy as np

from embeddings.base import Vectors

_WORD = re.compile(r"\w+|[^\w\s]")


class HashingEmbedder:
    """Each word adds +-1 to a hashed bucket; vectors are normalised.

    Texts that share words get a positive inner product, so retrieval logic can be tested
    without a neural model. A "word piece" here is a word or a punctuation mark.
    """

    def __init__(self, dim: int = 256, max_tokens: int = 64, name: str = "hashing") -> None:
        self.name = name
        self.dim = dim
        self.max_tokens = max_tokens
        self.special_tokens = 2

    def _vector(self, text: str) -> Vectors:
        vector = np.zeros(self.dim, dtype=np.float32)
        for match in _WORD.finditer(text.casefold()):
            word = match.group()
            if not word.isalnum():
                continue
            code = zlib.crc32(word.encode("utf-8"))
            vector[code % self.dim] += 1.0 if (code >> 16) & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            vector[0] = 1.0
            return vector
        return vector / norm

    def embed_documents(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(text) for text in texts])

    def embed_query(self, text: str) -> Vectors:
        return self._vector(text)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(self.token_spans(text)) + self.special_tokens for text in texts]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [match.span() for match in _WORD.finditer(text)]
