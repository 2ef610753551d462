"""Vectors: load an embedding model, encode text, keep a FAISS index. Knows nothing of articles."""

from embeddings.base import Embedder, Neighbor, VectorIndex, Vectors
from embeddings.faiss_index import FaissIndex
from embeddings.hashing import HashingEmbedder
from embeddings.sentence_transformer import DEFAULT_MODEL, SentenceTransformerEmbedder, resolve_model

__all__ = [
    "DEFAULT_MODEL",
    "Embedder",
    "FaissIndex",
    "HashingEmbedder",
    "Neighbor",
    "SentenceTransformerEmbedder",
    "VectorIndex",
    "Vectors",
    "resolve_model",
]
