"""How a saved index grows: the segment policy the vector indexes and the BM25 index share.

An index is saved as a list of segment files: a base, then one file per later save holding only
what was added since, and one file listing the ids removed from the older segments. Files are never
changed once written (each is written under a temporary name and renamed), so a copy of a
collection can share them by hard link; every save writes new names, and ``tidy`` deletes what the
manifest no longer lists once the manifest is written. The segments are merged back into one when
there would be too many, or when too much of what they hold has been removed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

# Merge the segments into one when a save would make more than this many ...
MAX_SEGMENTS = 8
# ... or when more than this share of what the saved segments hold has been removed since.
MAX_REMOVED_SHARE = 0.25


def must_merge(segments: Sequence[str], removed: int, stored: int) -> bool:
    """Whether the next save writes the whole index as one segment: a new index (no ``segments`` yet),
    ``MAX_SEGMENTS`` of them already, or more than ``MAX_REMOVED_SHARE`` of the ``stored`` rows removed."""
    return not segments or len(segments) >= MAX_SEGMENTS or removed > MAX_REMOVED_SHARE * max(stored, 1)


def new_name(prefix: str, suffix: str) -> str:
    """A segment file name no earlier save has used: ``PREFIX.<random>SUFFIX``."""
    return f"{prefix}.{secrets.token_hex(4)}{suffix}"


def save_removed(folder: Path, prefix: str, ids: set[int], suffix: str = ".npy") -> str | None:
    """Write the ids removed from saved segments (``PREFIX.<random>SUFFIX``); the file's name, None when none."""
    if not ids:
        return None
    name = new_name(prefix, suffix)
    write_ids(folder / name, ids)
    return name


def entry(segments: Sequence[str], removed: str | None) -> dict[str, Any]:
    """What the manifest records of a saved index, and what reading it back needs."""
    return {"segments": list(segments), "removed": removed}


def tidy(files: Iterable[Path], saved: dict[str, Any]) -> None:
    """Delete those of ``files`` that ``saved`` (an ``entry``) does not list: earlier saves' files."""
    wanted = {*saved["segments"], saved["removed"]}
    for file in files:
        if file.name not in wanted and file.is_file():
            file.unlink()


def write_ids(path: Path, ids: set[int]) -> None:
    """A list of removed ids, as a plain ``.npy``, written whole or not at all."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as handle:
        np.save(handle, np.asarray(sorted(ids), dtype=np.int64))
    os.replace(partial, path)


def read_ids(path: Path) -> npt.NDArray[np.int64]:
    """What ``write_ids`` wrote."""
    return np.asarray(np.load(path, allow_pickle=False), dtype=np.int64)
