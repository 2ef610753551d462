"""The collection folder's format: its file names, the manifest, and how an unreadable file is reported.

A collection is a folder: ``manifest.json`` (model, dimension, chunking, library versions, counts and
the list of each index's segment files), the SQLite store ``articles.sqlite``, the passage and
sentence vector indexes (``vectors.*.faiss``, ``sentences.*.faiss``) and the BM25 folder ``bm25/``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from embeddings import Embedder
from qa.errors import CollectionCorrupt, CollectionNotFound, InvalidInput
from qa.settings import ChunkSettings

# 2: each vector index is a list of segment files (manifest "indexes"); 1: one file each, still read.
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
MANIFEST = "manifest.json"
CHECKPOINT = "checkpoint.json"
# The two vector indexes, by the name their files start with (in format 1, the whole file name + ".faiss").
VECTORS = "vectors"
SENTENCE_VECTORS = "sentences"
DATABASE = "articles.sqlite"
BM25_DIR = "bm25"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_LIBRARIES = ("sentence-transformers", "torch", "transformers", "faiss-cpu", "bm25s", "trafilatura", "numpy")


def check_name(name: str) -> str:
    """A collection name is a folder name: letters, digits, '.', '_' and '-'."""
    if not _NAME.match(name):
        raise InvalidInput(
            f"collection name {name!r} is not allowed; "
            "use letters, digits, '.', '_' or '-' (up to 64, not starting with '.')"
        )
    return name


def library_versions() -> dict[str, str]:
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_manifest(
    name: str, embedder: Embedder, chunking: ChunkSettings, created_at: str | None = None
) -> dict[str, Any]:
    built = now()
    return {
        "format": FORMAT_VERSION,
        "name": name,
        "model": embedder.name,
        "dim": embedder.dim,
        "max_tokens": embedder.max_tokens,
        "normalized": True,
        "metric": "inner_product",
        "chunking": asdict(chunking),
        "versions": library_versions(),
        "counts": {"articles": 0, "chunks": 0, "sentences": 0},
        "created_at": created_at or built,
        "built_at": built,
    }


def read_manifest(data_dir: Path, name: str) -> dict[str, Any]:
    path = data_dir / check_name(name) / MANIFEST
    if not path.is_file():
        raise CollectionNotFound(f"no collection {name!r} in {data_dir}")
    return read_file(name, path, load_manifest)


# What every reader of a manifest relies on, with its type: a manifest without one is damaged.
_REQUIRED = {"format": int, "name": str, "model": str, "dim": int, "chunking": dict, "counts": dict}
_COUNTS = ("articles", "chunks", "sentences")


def load_manifest(path: Path) -> dict[str, Any]:
    manifest = json.loads(path.read_text())
    if not isinstance(manifest, dict):
        raise ValueError(f"expected a JSON object, found {type(manifest).__name__}")
    for key, kind in _REQUIRED.items():
        if not isinstance(manifest.get(key), kind) or isinstance(manifest.get(key), bool):
            raise ValueError(f"its {key!r} is missing or not a {kind.__name__}")
    if not all(isinstance(manifest["counts"].get(k), int) for k in _COUNTS):
        raise ValueError(f"its counts lack one of {', '.join(_COUNTS)}")
    return dict(manifest)


def index_files(manifest: dict[str, Any], index: str) -> dict[str, Any]:
    """The files of vector index ``index`` (VECTORS or SENTENCE_VECTORS): ``{"segments": [...], "removed": ...}``."""
    entry = manifest.get("indexes", {}).get(index)
    return dict(entry) if entry else {"segments": [f"{index}.faiss"], "removed": None}


def rebuild_hint(name: str) -> str:
    return f"rebuild it with `article-qa ingest PATH --collection {name} --replace`"


def damaged(name: str, path: Path, error: BaseException) -> CollectionCorrupt:
    """The one line for a collection file that cannot be read: what failed, and how to rebuild."""
    reason = (str(error).strip().splitlines() or [type(error).__name__])[-1][:160]
    return CollectionCorrupt(f"collection {name!r}: {path} is damaged ({reason}); {rebuild_hint(name)}")


def read_file(name: str, path: Path, loader: Callable[[Path], Any]) -> Any:
    """``loader(path)``, a missing or unreadable file reported as CollectionCorrupt naming both."""
    try:
        return loader(path)
    except FileNotFoundError as error:
        raise CollectionCorrupt(f"collection {name!r}: {path} is missing; {rebuild_hint(name)}") from error
    except (OSError, ValueError, RuntimeError, KeyError, sqlite3.Error) as error:
        raise damaged(name, path, error) from error
