"""Vectors: load an embedding model, encode text, keep a FAISS index. Knows nothing of articles."""

from embeddings.base import Embedder, Neighbor, Scorer, VectorIndex, Vectors
from embeddings.cross_encoder import CrossEncoderScorer
from embeddings.faiss_index import FaissIndex
from embeddings.hashing import HashingEmbedder
from embeddings.pair_classifier import PairClassifier
from embeddings.sentence_transformer import DEFAULT_MODEL, SentenceTransformerEmbedder, resolve_model

__all__ = [
    "DEFAULT_MODEL",
    "CrossEncoderScorer",
    "Embedder",
    "FaissIndex",
    "HashingEmbedder",
    "Neighbor",
    "PairClassifier",
    "Scorer",
    "SentenceTransformerEmbedder",
    "VectorIndex",
    "Vectors",
    "resolve_model",
]
