"""An embedder that runs a BERT sentence-transformers model in NumPy: fast to load, no torch.

Used for questions (qa/engine.py): one short input, so loading fast matters more than batch speed.
"""

from __future__ import annotations

from safetensors.numpy import load_file

from embeddings.models import DEFAULT_MODEL
from embeddings.numpy_bert import Array, Ids, NumpyBert
from embeddings.token_embedder import TokenEmbedder, local_model


class NumpyEmbedder(TokenEmbedder):
    """Normalised mean-pooled BERT embeddings, computed in NumPy; the same vectors as sentence-transformers."""

    def __init__(self, name: str = DEFAULT_MODEL, *, batch_size: int = 32) -> None:
        folder, config, shape, self.max_tokens = local_model(name)
        self.name = name
        self.dim = shape.hidden
        self._batch_size = batch_size
        self._bert = NumpyBert(load_file(str(folder / "model.safetensors")), shape)
        self._load_tokenizers(folder, config)

    def _states(self, ids: Ids, types: Ids, mask: Ids) -> Array:
        return self._bert.hidden_states(ids, types, mask)
