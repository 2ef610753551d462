"""An ingest's writable copy of a collection: made, checkpointed, resumed after a kill, and put live.

Writes go to a staging copy of the folder that replaces the live one only when complete, so a crash
or Ctrl-C mid-ingest leaves the previous collection intact and loadable. A long ingest checkpoints
its copy; run again with the same inputs, it resumes from there.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from embeddings import Embedder, FaissIndex
from qa.errors import CollectionCorrupt, CollectionMismatch
from qa.index.collection import Collection, read_index, read_lexical
from qa.index.lexical import BM25Index
from qa.index.manifest import (
    BM25_DIR,
    CHECKPOINT,
    DATABASE,
    FORMAT_VERSION,
    MANIFEST,
    SENTENCE_VECTORS,
    VECTORS,
    check_name,
    index_files,
    library_versions,
    new_manifest,
    now,
    read_file,
    read_manifest,
)
from qa.index.store import Store
from qa.index.swap import ingest_lock, recover, remove_leftovers_locked, swap
from qa.settings import ChunkSettings

logger = logging.getLogger(__name__)


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
    recover(data_dir, name)
    with ingest_lock(data_dir, name):
        remove_leftovers_locked(data_dir, name)
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
            swap(live, stage)
        except BaseException:
            if (stage / CHECKPOINT).is_file():
                logger.warning("kept the ingest's progress in %s; run the same ingest again to resume", stage)
            else:
                shutil.rmtree(stage, ignore_errors=True)
            raise


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
        vectors = read_index(name, stage, manifest, VECTORS)
        sentence_vectors = read_index(name, stage, manifest, SENTENCE_VECTORS)
        store = Store(stage / DATABASE)
        try:
            lexical = read_lexical(name, stage, manifest, store)
        except BaseException:
            store.close()
            raise
        return Collection(stage, manifest, store, vectors, sentence_vectors, lexical)
    elif has_live:
        # The store is copied (the ingest writes into it); every other file is shared by hard link,
        # as nothing changes a file once written: the ingest writes new index segments beside them.
        for item in (MANIFEST, DATABASE):
            read_file(name, live / item, lambda path: shutil.copy2(path, stage / path.name))
        live_manifest = read_manifest(data_dir, name)
        for index in (VECTORS, SENTENCE_VECTORS):
            entry = index_files(live_manifest, index)
            for file in [*entry["segments"], *([entry["removed"]] if entry["removed"] else [])]:
                read_file(name, live / file, lambda path: _share(path, stage / path.name))
        read_file(name, live / BM25_DIR, lambda path: shutil.copytree(path, stage / BM25_DIR, copy_function=_share))
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
    return Collection(stage, manifest, store, vectors, sentence_vectors, BM25Index.build([], []))


def _share(source: Path | str, target: Path | str) -> None:
    """``target`` as a hard link to ``source`` (files here are never changed in place), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


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
    work.manifest["dates"] = work.store.date_span()
    work.manifest["built_at"] = now()
    work.manifest["versions"] = library_versions()
    work.manifest["format"] = FORMAT_VERSION
    (work.path / MANIFEST).write_text(json.dumps(work.manifest, indent=2) + "\n")
    _tidy_indexes(work.path, work.manifest["indexes"])
    BM25Index.tidy(work.path / BM25_DIR, work.manifest["bm25"])
