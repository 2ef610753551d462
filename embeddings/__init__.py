"""Vectors: load an embedding model, encode text, keep a FAISS index. Knows nothing of articles."""

from embeddings.base import Embedder, Neighbor, Scorer, VectorIndex, Vectors
from embeddings.cross_encoder import CrossEncoderScorer
from embeddings.faiss_index import FaissIndex
from embeddings.hashing import HashingEmbedder
from embeddings.models import DEFAULT_MODEL, resolve_model
from embeddings.pair_classifier import PairClassifier
from embeddings.sentence_transformer import SentenceTransformerEmbedder

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
