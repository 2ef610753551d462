"""A collection is a folder: FAISS index, SQLite store, BM25 folder and manifest.json.

Writes go to a staging copy of the folder that replaces the live one only when complete,
so a crash or Ctrl-C mid-ingest leaves the previous collection intact and loadable.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from embeddings import Embedder, FaissIndex
from embeddings.faiss_index import read_ids
from qa.errors import CollectionCorrupt, CollectionMismatch, CollectionNotFound, InvalidInput
from qa.index.lexical import LexicalIndex, Postings
from qa.index.store import Store
from qa.settings import ChunkSettings

logger = logging.getLogger(__name__)

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


class Collection:
    """An opened collection: its manifest, store and both indexes, loaded once."""

    def __init__(
        self,
        path: Path,
        manifest: dict[str, Any],
        store: Store,
        vectors: FaissIndex,
        sentence_vectors: FaissIndex,
        lexical: LexicalIndex,
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.store = store
        self.vectors = vectors
        self.sentence_vectors = sentence_vectors
        self.lexical = lexical

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def model(self) -> str:
        return str(self.manifest["model"])

    @property
    def chunking(self) -> ChunkSettings:
        return ChunkSettings(**self.manifest["chunking"])

    @classmethod
    def open(cls, data_dir: Path, name: str) -> Collection:
        """Load a collection; raises CollectionNotFound or CollectionCorrupt with what to do."""
        path = data_dir / check_name(name)
        _recover(data_dir, name)
        if not (path / MANIFEST).is_file():
            existing = ", ".join(list_collections(data_dir)) or "none yet"
            raise CollectionNotFound(
                f"no collection {name!r} in {data_dir} (existing: {existing}); "
                f"create it with `article-qa ingest PATH --collection {name}`"
            )
        return cls.read(path, name)

    @classmethod
    def read(cls, path: Path, name: str) -> Collection:
        """Load the collection files in folder ``path`` (the live folder or an ingest's copy), checked."""
        rebuild = _rebuild(name)

        def read(file: str, loader: Callable[[Path], Any]) -> Any:
            return _read_file(name, path / file, loader)

        manifest = read(MANIFEST, lambda f: dict(json.loads(f.read_text())))
        if manifest.get("format") not in READABLE_FORMATS:
            raise CollectionCorrupt(
                f"collection {name!r} has format {manifest.get('format')}, this version reads formats "
                f"{', '.join(map(str, READABLE_FORMATS))}; use a newer article-qa, or {rebuild}"
            )
        store = read(DATABASE, _open_store)
        try:
            vectors = _read_index(name, path, manifest, VECTORS)
            sentence_vectors = _read_index(name, path, manifest, SENTENCE_VECTORS)
            lexical = _read_lexical(name, path, manifest, store)
            counts = manifest["counts"]
            stored = read(DATABASE, lambda _: (store.count_chunks(), store.count_sentences()))
            if (
                len(vectors) != counts["chunks"]
                or len(lexical) != len(vectors)
                or len(sentence_vectors) != counts["sentences"]
                or stored != (counts["chunks"], counts["sentences"])
            ):
                raise CollectionCorrupt(
                    f"collection {name!r} is inconsistent: manifest says {counts['chunks']} chunks and "
                    f"{counts['sentences']} sentences, the store has {stored[0]} and {stored[1]}, the vector index "
                    f"{len(vectors)}, BM25 {len(lexical)}, the sentence index {len(sentence_vectors)}; {rebuild}"
                )
        except BaseException:
            store.close()
            raise
        return cls(path, manifest, store, vectors, sentence_vectors, lexical)

    def check_embedder(self, embedder: Embedder) -> None:
        """Refuse an embedder other than the one the collection was built with."""
        model, dim = self.manifest["model"], int(self.manifest["dim"])
        if embedder.name != model or embedder.dim != dim:
            raise CollectionMismatch(
                f"collection {self.name!r} was built with model {model!r} (dimension {dim}), "
                f"not {embedder.name!r} (dimension {embedder.dim}); use --model {model} or rebuild with --replace"
            )

    def close(self) -> None:
        self.store.close()


def check_collection(data_dir: Path, name: str) -> tuple[dict[str, int], list[str]]:
    """A full check of a live collection: its counts, and what is wrong (nothing, when healthy).

    Beyond the checks on every open (files readable, counts agree with the manifest): SQLite's
    integrity check, the ids of both indexes and BM25 against the store's rows, and unit-length vectors.
    """
    collection = Collection.open(data_dir, name)  # CollectionCorrupt, with what to do, if it cannot open
    problems: list[str] = []
    try:
        problems += [f"{DATABASE}: {row}" for row in collection.store.integrity_problems()[:10]]
        for file, index, table in (
            (f"the {VECTORS} index", collection.vectors, "chunks"),
            (f"the {SENTENCE_VECTORS} index", collection.sentence_vectors, "sentences"),
        ):
            stored, indexed = set(collection.store.owners(table)), index.ids()
            if stored != indexed:
                problems.append(
                    f"{file}: {len(indexed - stored)} vectors without a row in {DATABASE}, "
                    f"{len(stored - indexed)} {table} without a vector"
                )
            norms = index.norms()
            tolerance = 1e-3 if index.kind == "flat" else 0.05  # 8-bit vectors are off by up to ~0.03
            off = int(np.sum(np.abs(norms - 1.0) > tolerance))
            if off:
                problems.append(f"{file}: {off} of {len(norms)} vectors are not unit length")
        if set(collection.lexical.ids.tolist()) != set(collection.store.owners("chunks")):
            problems.append(f"{BM25_DIR}: its passages are not the store's")
        counts = dict(collection.manifest["counts"])
    finally:
        collection.close()
    if problems:
        problems.append(_rebuild(name))
    return counts, problems


def list_collections(data_dir: Path) -> list[str]:
    if not data_dir.is_dir():
        return []
    for aside in data_dir.glob(".*.old-*/*"):
        _recover(data_dir, aside.name)
    return sorted(p.name for p in data_dir.iterdir() if not p.name.startswith(".") and (p / MANIFEST).is_file())


def read_manifest(data_dir: Path, name: str) -> dict[str, Any]:
    path = data_dir / check_name(name) / MANIFEST
    if not path.is_file():
        raise CollectionNotFound(f"no collection {name!r} in {data_dir}")
    return _read_file(name, path, lambda f: dict(json.loads(f.read_text())))


def index_files(manifest: dict[str, Any], index: str) -> dict[str, Any]:
    """The files of vector index ``index`` (VECTORS or SENTENCE_VECTORS): ``{"segments": [...], "removed": ...}``."""
    entry = manifest.get("indexes", {}).get(index)
    return dict(entry) if entry else {"segments": [f"{index}.faiss"], "removed": None}


def _read_index(name: str, folder: Path, manifest: dict[str, Any], index: str) -> FaissIndex:
    """Vector index ``index`` of collection ``name``, its segments read from ``folder`` and joined."""
    entry = index_files(manifest, index)
    parts = [_read_file(name, folder / segment, FaissIndex.load) for segment in entry["segments"]]
    removed = None
    if entry["removed"]:
        removed = _read_file(name, folder / entry["removed"], read_ids)
    return _read_file(name, folder / entry["segments"][0], lambda _: FaissIndex.join(parts, removed, entry["segments"]))


def _read_lexical(name: str, folder: Path, manifest: dict[str, Any], store: Store) -> LexicalIndex:
    """The BM25 index of collection ``name`` from ``folder/bm25``: its segments joined, less removals.

    A format-1 collection kept bm25s's precomputed scores, which cannot take new passages: its
    index is built from the store's texts instead, in memory, until an ingest saves it as segments.
    """
    entry = manifest.get("bm25")
    if entry is None:
        chunks = _read_file(name, folder / DATABASE, lambda _: store.chunks())
        return LexicalIndex.build([c.id for c in chunks], [f"{c.title}\n{c.text}" for c in chunks])
    parts = [_read_file(name, folder / BM25_DIR / segment, Postings.load) for segment in entry["segments"]]
    removed = None
    if entry["removed"]:
        removed = _read_file(name, folder / BM25_DIR / entry["removed"], read_ids)
    return LexicalIndex.join(parts, removed, entry["segments"])


def _save_indexes(work: Collection) -> dict[str, dict[str, Any]]:
    """Save what the ingest changed in both vector indexes (new segment files); their entries for the manifest."""
    return {
        VECTORS: work.vectors.save_changes(work.path, VECTORS),
        SENTENCE_VECTORS: work.sentence_vectors.save_changes(work.path, SENTENCE_VECTORS),
    }


def _tidy_indexes(folder: Path, indexes: dict[str, dict[str, Any]]) -> None:
    """After the manifest (or checkpoint) that lists ``indexes`` is written: delete the files it does not list."""
    for index, entry in indexes.items():
        FaissIndex.tidy(folder, index, entry)


def _share(source: Path | str, target: Path | str) -> None:
    """``target`` as a hard link to ``source`` (files here are never changed in place), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _rebuild(name: str) -> str:
    return f"rebuild it with `article-qa ingest PATH --collection {name} --replace`"


def _read_file(name: str, path: Path, loader: Callable[[Path], Any]) -> Any:
    """``loader(path)``, a missing or unreadable file reported as CollectionCorrupt naming both."""
    try:
        return loader(path)
    except FileNotFoundError as error:
        raise CollectionCorrupt(f"collection {name!r}: {path} is missing; {_rebuild(name)}") from error
    except (OSError, ValueError, RuntimeError, KeyError, sqlite3.Error) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[-1][:160]
        raise CollectionCorrupt(f"collection {name!r}: {path} is damaged ({reason}); {_rebuild(name)}") from error


def open_store(data_dir: Path, name: str) -> Store:
    """Only the store of live collection ``name`` (for questions the indexes are not needed for)."""
    return _read_file(name, data_dir / check_name(name) / DATABASE, _open_store)


def _open_store(path: Path) -> Store:
    """The collection's SQLite store, checked to be a readable database of ours (not a full integrity check)."""
    if not path.is_file():
        raise FileNotFoundError(path)
    store = Store(path)
    try:
        store.count_articles()
    except BaseException:
        store.close()
        raise
    return store


def remove_collection(data_dir: Path, name: str) -> None:
    """Delete a collection, with any progress an interrupted ingest kept for it (not while one runs)."""
    path = data_dir / check_name(name)
    if not (path / MANIFEST).is_file():
        raise CollectionNotFound(f"no collection {name!r} in {data_dir}; `article-qa collections` lists them")
    with _ingest_lock(data_dir, name):
        trash = Path(tempfile.mkdtemp(prefix=f".{name}.removed-", dir=data_dir))
        path.rename(trash / name)
        shutil.rmtree(trash)
        for leftover in data_dir.glob(f".{name}.staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)
    (data_dir / f".{name}.lock").unlink(missing_ok=True)


def new_manifest(
    name: str, embedder: Embedder, chunking: ChunkSettings, created_at: str | None = None
) -> dict[str, Any]:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
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
        "created_at": created_at or now,
        "built_at": now,
    }


@dataclass
class Staging:
    """An ingest's writable copy of a collection; ``checkpoint`` saves its progress for a resumed run."""

    collection: Collection
    resumed: bool
    key: dict[str, Any]
    """What a later run must match to resume from this copy: the live build, the inputs, model and chunking."""

    def checkpoint(self) -> None:
        """Commit the store, save both indexes and record the copy as resumable.

        A kill at any point leaves either no checkpoint (the copy is discarded on the next run) or
        one whose store and indexes ``_reconcile`` can bring into line.
        """
        work = self.collection
        work.store.commit()
        work.manifest["indexes"] = _save_indexes(work)
        record = {**self.key, "manifest": work.manifest}
        partial = work.path / (CHECKPOINT + ".partial")
        partial.write_text(json.dumps(record, indent=2) + "\n")
        os.replace(partial, work.path / CHECKPOINT)
        _tidy_indexes(work.path, work.manifest["indexes"])


@contextmanager
def _ingest_lock(data_dir: Path, name: str) -> Iterator[None]:
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


def _resumable(stage: Path, key: dict[str, Any]) -> dict[str, Any] | None:
    """The checkpoint of an interrupted ingest's copy, when a run with this ``key`` may carry on from it."""
    try:
        record = json.loads((stage / CHECKPOINT).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or any(record.get(k) != v for k, v in key.items()):
        return None
    return record


def _reconcile(work: Collection) -> int:
    """After a kill between a store commit and the index saves: drop what the two disagree on.

    Vectors whose rows are gone are removed; articles with a row lacking its vector are deleted
    (the resumed run ingests them again, as its inputs are the same). Returns the articles deleted.
    """
    broken: set[str] = set()
    for table, index in (("chunks", work.vectors), ("sentences", work.sentence_vectors)):
        owners = work.store.owners(table)
        present = index.ids()
        index.remove(sorted(present - owners.keys()))
        broken.update(owners[i] for i in owners.keys() - present)
    for article_id in sorted(broken):
        chunks, sentences = work.store.delete_article(article_id)
        work.vectors.remove(chunks)
        work.sentence_vectors.remove(sentences)
    work.store.commit()
    return len(broken)


@contextmanager
def staged(
    data_dir: Path, name: str, embedder: Embedder, chunking: ChunkSettings, replace: bool, inputs: str = ""
) -> Iterator[Staging]:
    """A writable copy of a collection (new if absent or ``replace``) that goes live on clean exit.

    Any exception, KeyboardInterrupt included, leaves the live collection as it was. The copy is
    discarded, unless it holds a checkpoint: then the next ingest with the same ``inputs`` (a digest
    of the articles given), model and chunking, while the live collection is unchanged, resumes
    from it. Any other leftover copy of this collection is removed when an ingest starts.
    """
    live = data_dir / check_name(name)
    data_dir.mkdir(parents=True, exist_ok=True)
    _recover(data_dir, name)
    with _ingest_lock(data_dir, name):
        _remove_leftovers(data_dir, name)
        has_live = (live / MANIFEST).is_file() and not replace
        key = {
            "base": read_manifest(data_dir, name).get("built_at") if has_live else None,
            "inputs": inputs,
            "model": embedder.name,
            "chunking": asdict(chunking),
        }
        record, stage = None, None
        for leftover in sorted(data_dir.glob(f".{name}.staging-*")):
            found = _resumable(leftover, key) if record is None and inputs else None
            if found is not None:
                record, stage = found, leftover
            else:
                shutil.rmtree(leftover, ignore_errors=True)
        if stage is None:
            stage = Path(tempfile.mkdtemp(prefix=f".{name}.staging-", dir=data_dir))
        if record is not None:
            try:
                work = _open_stage(data_dir, name, stage, embedder, chunking, has_live, record)
            except CollectionCorrupt as unreadable:
                logger.warning("cannot resume from %s (%s); starting over", stage, unreadable)
                shutil.rmtree(stage, ignore_errors=True)
                record, stage = None, Path(tempfile.mkdtemp(prefix=f".{name}.staging-", dir=data_dir))
        try:
            if record is None:
                work = _open_stage(data_dir, name, stage, embedder, chunking, has_live, None)
            staging = Staging(work, record is not None, key)
            if record is not None:
                dropped = _reconcile(work)
                logger.warning(
                    "resuming an interrupted ingest into %r: %d articles already done%s",
                    name,
                    work.store.count_articles(),
                    f" ({dropped} redone)" if dropped else "",
                )
            try:
                yield staging
                _write_indexes(work)
            finally:
                work.store.close()
            (stage / CHECKPOINT).unlink(missing_ok=True)
            _swap(live, stage)
        except BaseException:
            if (stage / CHECKPOINT).is_file():
                logger.warning("kept the ingest's progress in %s; run the same ingest again to resume", stage)
            else:
                shutil.rmtree(stage, ignore_errors=True)
            raise


def _open_stage(
    data_dir: Path,
    name: str,
    stage: Path,
    embedder: Embedder,
    chunking: ChunkSettings,
    has_live: bool,
    record: dict[str, Any] | None,
) -> Collection:
    """The collection inside the staging folder: resumed, copied from the live one, or new."""
    live = data_dir / name
    if record is not None:
        manifest = dict(record["manifest"])
        vectors = _read_index(name, stage, manifest, VECTORS)
        sentence_vectors = _read_index(name, stage, manifest, SENTENCE_VECTORS)
        store = Store(stage / DATABASE)
        try:
            lexical = _read_lexical(name, stage, manifest, store)
        except BaseException:
            store.close()
            raise
        return Collection(stage, manifest, store, vectors, sentence_vectors, lexical)
    elif has_live:
        # The store is copied (the ingest writes into it); every other file is shared by hard link,
        # as nothing changes a file once written: the ingest writes new index segments beside them.
        for item in (MANIFEST, DATABASE):
            _read_file(name, live / item, lambda path: shutil.copy2(path, stage / path.name))
        live_manifest = read_manifest(data_dir, name)
        for index in (VECTORS, SENTENCE_VECTORS):
            entry = index_files(live_manifest, index)
            for file in [*entry["segments"], *([entry["removed"]] if entry["removed"] else [])]:
                _read_file(name, live / file, lambda path: _share(path, stage / path.name))
        _read_file(name, live / BM25_DIR, lambda path: shutil.copytree(path, stage / BM25_DIR, copy_function=_share))
        # Read (and checked) once, from the copy: the live files are not loaded at all.
        copy = Collection.read(stage, name)
        try:
            copy.check_embedder(embedder)
            if copy.chunking != chunking:
                raise CollectionMismatch(
                    f"collection {name!r} was chunked with {asdict(copy.chunking)}, not {asdict(chunking)}; "
                    "drop the chunk options or rebuild with --replace"
                )
        except BaseException:
            copy.close()
            raise
        return Collection(stage, copy.manifest, copy.store, copy.vectors, copy.sentence_vectors, copy.lexical)
    else:
        manifest = new_manifest(name, embedder, chunking)
        vectors = FaissIndex(embedder.dim)
        sentence_vectors = FaissIndex(embedder.dim)
    store = Store(stage / DATABASE)
    return Collection(stage, manifest, store, vectors, sentence_vectors, LexicalIndex.build([], []))


def _write_indexes(work: Collection) -> None:
    """Bring BM25 in line with the store, save what changed in it and in both vector indexes, then the manifest."""
    work.store.commit()
    chunk_ids = set(work.store.owners("chunks"))
    indexed = set(work.lexical.ids.tolist())
    work.lexical.remove(sorted(indexed - chunk_ids))
    added = work.store.chunks(sorted(chunk_ids - indexed))
    work.lexical.add([c.id for c in added], [f"{c.title}\n{c.text}" for c in added])
    work.manifest["bm25"] = work.lexical.save_changes(work.path / BM25_DIR)
    work.manifest["indexes"] = _save_indexes(work)
    sentences = work.store.count_sentences()
    if (
        len(work.vectors) != len(chunk_ids)
        or len(work.lexical) != len(chunk_ids)
        or len(work.sentence_vectors) != sentences
    ):
        raise CollectionCorrupt(
            f"internal error: {len(work.vectors)} vectors and {len(work.lexical)} BM25 rows for {len(chunk_ids)} "
            f"chunks, {len(work.sentence_vectors)} vectors for {sentences} sentences"
        )
    work.manifest["counts"] = {
        "articles": work.store.count_articles(),
        "chunks": len(chunk_ids),
        "sentences": sentences,
    }
    work.manifest["built_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    work.manifest["versions"] = library_versions()
    work.manifest["format"] = FORMAT_VERSION
    (work.path / MANIFEST).write_text(json.dumps(work.manifest, indent=2) + "\n")
    _tidy_indexes(work.path, work.manifest["indexes"])
    LexicalIndex.tidy(work.path / BM25_DIR, work.manifest["bm25"])


def _swap(live: Path, stage: Path) -> None:
    """Put the staging folder live; a reader sees the old collection or the new one, never neither.

    On Linux the two folders trade places in one atomic ``renameat2(RENAME_EXCHANGE)``; elsewhere
    the old one is renamed aside first, and ``_recover`` puts it back if a crash falls in between.
    """
    if live.exists() and _exchange(stage, live):
        shutil.rmtree(stage, ignore_errors=True)  # now the old collection
        return
    old = None
    if live.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{live.name}.old-", dir=live.parent)) / live.name
        live.rename(old)
    stage.rename(live)
    if old is not None:
        shutil.rmtree(old.parent, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
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


def _recover(data_dir: Path, name: str) -> None:
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
        with _ingest_lock(data_dir, name):
            if not live.exists():
                logger.warning("restoring collection %r from %s after an interrupted save", name, asides[-1])
                asides[-1].rename(live)
    except InvalidInput:  # an ingest holds the lock: it will finish its swap
        return


def remove_leftovers(data_dir: Path, name: str) -> None:
    """Delete what killed ingests left of collection ``name``: copies without progress worth
    resuming, and old folders a swap set aside. Skipped while an ingest runs (it may own them)."""
    try:
        with _ingest_lock(data_dir, name):
            _remove_leftovers(data_dir, name)
    except InvalidInput:
        return


def _remove_leftovers(data_dir: Path, name: str) -> None:
    if (data_dir / name).exists():
        for aside in data_dir.glob(f".{name}.old-*"):
            shutil.rmtree(aside, ignore_errors=True)
    for stage in data_dir.glob(f".{name}.staging-*"):
        if not (stage / CHECKPOINT).is_file():
            shutil.rmtree(stage, ignore_errors=True)
