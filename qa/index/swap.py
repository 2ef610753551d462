"""Putting a finished copy of a collection live, and undoing what a crash left half done.

A swap replaces the live folder by the staging copy so that a reader sees the old collection or the
new one, never neither. One ingest runs at a time per collection (a lock file); what killed ingests
leave behind (copies without progress worth resuming, old folders set aside) is removed when the
next one starts.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.errors import InvalidInput
from qa.index.manifest import CHECKPOINT, MANIFEST

logger = logging.getLogger(__name__)


@contextmanager
def ingest_lock(data_dir: Path, name: str) -> Iterator[None]:
    """One ingest at a time per collection: a second one fails at once with a message."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with (data_dir / f".{name}.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as busy:
            raise InvalidInput(f"another ingest into collection {name!r} is running; wait for it to finish") from busy
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def swap(live: Path, stage: Path) -> None:
    """Put the staging folder live; a reader sees the old collection or the new one, never neither.

    On Linux the two folders trade places in one atomic ``renameat2(RENAME_EXCHANGE)``; elsewhere
    the old one is renamed aside first, and ``recover`` puts it back if a crash falls in between.
    """
    if live.exists() and exchange(stage, live):
        shutil.rmtree(stage, ignore_errors=True)  # now the old collection
        return
    old = None
    if live.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{live.name}.old-", dir=live.parent)) / live.name
        live.rename(old)
    stage.rename(live)
    if old is not None:
        shutil.rmtree(old.parent, ignore_errors=True)


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2``); False where the system cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if done == 0:
        return True
    error = ctypes.get_errno()
    if error in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not on this system or file system
        return False
    raise OSError(error, os.strerror(error), str(b))


def recover(data_dir: Path, name: str) -> None:
    """If a crash fell between the two renames of a swap, put the previous collection back.

    Only while no ingest runs: a running one may be between its renames on purpose.
    """
    live = data_dir / name
    if live.exists() or not data_dir.is_dir():
        return
    asides = [a for a in sorted(data_dir.glob(f".{name}.old-*/{name}")) if (a / MANIFEST).is_file()]
    if not asides:
        return
    try:
        with ingest_lock(data_dir, name):
            if not live.exists():
                logger.warning("restoring collection %r from %s after an interrupted save", name, asides[-1])
                asides[-1].rename(live)
    except InvalidInput:  # an ingest holds the lock: it will finish its swap
        return


def remove_leftovers(data_dir: Path, name: str) -> None:
    """Delete what killed ingests left of collection ``name``: copies without progress worth
    resuming, and old folders a swap set aside. Skipped while an ingest runs (it may own them)."""
    try:
        with ingest_lock(data_dir, name):
            remove_leftovers_locked(data_dir, name)
    except InvalidInput:
        return


def remove_leftovers_locked(data_dir: Path, name: str) -> None:
    """``remove_leftovers``, by one who holds the ingest lock."""
    if (data_dir / name).exists():
        for aside in data_dir.glob(f".{name}.old-*"):
            shutil.rmtree(aside, ignore_errors=True)
    for stage in data_dir.glob(f".{name}.staging-*"):
        if not (stage / CHECKPOINT).is_file():
            shutil.rmtree(stage, ignore_errors=True)
