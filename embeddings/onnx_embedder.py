"""Passages through ONNX Runtime with int8 weights: about twice torch's speed for ingest on a CPU.

The model is exported from its folder with torch once, its matrix weights quantised to int8 per
output channel (dynamic quantisation: activations stay float), and the result cached under
``cache``. Vectors stay within about 0.99 cosine of fp32 (benchmarks/ingest_speed.py measures
what that does to retrieval); questions keep the fp32 NumPy path, so they match any model.
"""

from __future__ import annotations

import logging
from pathlib import Path

from embeddings.models import DEFAULT_MODEL
from embeddings.numpy_bert import Array, Ids
from embeddings.onnx_export import EXPORT_VERSION, export_module, quantise_int8, session
from embeddings.pair_classifier import file_sha256
from embeddings.token_embedder import TokenEmbedder, local_model

logger = logging.getLogger(__name__)


def export_int8(folder: Path, target: Path) -> None:
    """Export the BERT in ``folder`` to ONNX (last hidden state out) and write its int8 form to ``target``."""
    from transformers import AutoModel

    try:  # transformers draws a progress bar while loading weights; an export is an implementation detail
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    except ImportError:
        pass
    export_module(AutoModel.from_pretrained(str(folder)), target, "last_hidden_state", quantise_int8)


class OnnxEmbedder(TokenEmbedder):
    """Mean-pooled BERT embeddings from an int8 ONNX Runtime session, exported on first use and cached."""

    def __init__(self, name: str = DEFAULT_MODEL, *, cache: Path, batch_size: int = 32, threads: int | None = None):
        import onnxruntime  # noqa: F401  (fails here, before any export, when it is not installed)

        folder, config, shape, self.max_tokens = local_model(name)
        self.name = name
        self.dim = shape.hidden
        self._batch_size = batch_size
        digest = file_sha256(folder / "model.safetensors")[:16]
        slug = "".join(c if c.isalnum() else "-" for c in name)[-48:]
        self.path = cache / f"{slug}-{digest}.v{EXPORT_VERSION}.int8.onnx"
        if not self.path.is_file():
            logger.info("exporting %s to %s (once)", name, self.path)
            export_int8(folder, self.path)
        self._session = session(self.path, threads)
        self._load_tokenizers(folder, config)

    def _states(self, ids: Ids, types: Ids, mask: Ids) -> Array:
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        states: Array = self._session.run(None, feed)[0]
        return states
