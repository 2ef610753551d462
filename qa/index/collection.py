"""An opened collection: its manifest, SQLite store, both vector indexes and BM25, read and checked once.

Writes never happen here: an ingest works on a staging copy (qa/index/staging.py) that replaces the
live folder only when complete (qa/index/swap.py).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from embeddings import Embedder, FaissIndex
from embeddings.segments import read_ids
from qa.errors import CollectionCorrupt, CollectionMismatch, CollectionNotFound
from qa.index.dates import DateIndex
from qa.index.lexical import BM25Index, LexicalIndex
from qa.index.manifest import (
    BM25_DIR,
    DATABASE,
    MANIFEST,
    READABLE_FORMATS,
    SENTENCE_VECTORS,
    VECTORS,
    check_name,
    index_files,
    load_manifest,
    read_file,
    rebuild_hint,
)
from qa.index.postings import Postings
from qa.index.store import Store
from qa.index.swap import ingest_lock, recover
from qa.settings import ChunkSettings


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
        self._dates: DateIndex | None = None
        self._dates_lock = threading.Lock()

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
        recover(data_dir, name)
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
        manifest = read_file(name, path / MANIFEST, load_manifest)
        if manifest.get("format") not in READABLE_FORMATS:
            raise CollectionCorrupt(
                f"collection {name!r} has format {manifest.get('format')}, this version reads formats "
                f"{', '.join(map(str, READABLE_FORMATS))}; use a newer article-qa, or {rebuild_hint(name)}"
            )
        store = read_file(name, path / DATABASE, open_store_file)
        try:
            vectors = read_index(name, path, manifest, VECTORS)
            sentence_vectors = read_index(name, path, manifest, SENTENCE_VECTORS)
            lexical = read_lexical(name, path, manifest, store)
            counts = manifest["counts"]
            stored = read_file(name, path / DATABASE, lambda _: (store.count_chunks(), store.count_sentences()))
            if (
                len(vectors) != counts["chunks"]
                or len(lexical) != len(vectors)
                or len(sentence_vectors) != counts["sentences"]
                or stored != (counts["chunks"], counts["sentences"])
            ):
                raise CollectionCorrupt(
                    f"collection {name!r} is inconsistent: manifest says {counts['chunks']} chunks and "
                    f"{counts['sentences']} sentences, the store has {stored[0]} and {stored[1]}, the vector index "
                    f"{len(vectors)}, BM25 {len(lexical)}, the sentence index {len(sentence_vectors)}; "
                    f"{rebuild_hint(name)}"
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

    @property
    def dates(self) -> DateIndex:
        """The day of every passage and sentence, read from the articles on first use."""
        with self._dates_lock:
            if self._dates is None:
                self._dates = DateIndex(self.store)
            return self._dates

    def close(self) -> None:
        self.store.close()


def list_collections(data_dir: Path) -> list[str]:
    if not data_dir.is_dir():
        return []
    for aside in data_dir.glob(".*.old-*/*"):
        recover(data_dir, aside.name)
    return sorted(p.name for p in data_dir.iterdir() if not p.name.startswith(".") and (p / MANIFEST).is_file())


def read_index(name: str, folder: Path, manifest: dict[str, Any], index: str) -> FaissIndex:
    """Vector index ``index`` of collection ``name``, its segments read from ``folder`` and joined."""
    entry = index_files(manifest, index)
    parts = [read_file(name, folder / segment, FaissIndex.load) for segment in entry["segments"]]
    removed = None
    if entry["removed"]:
        removed = read_file(name, folder / entry["removed"], read_ids)
    return read_file(name, folder / entry["segments"][0], lambda _: FaissIndex.join(parts, removed, entry["segments"]))


def read_lexical(name: str, folder: Path, manifest: dict[str, Any], store: Store) -> LexicalIndex:
    """The BM25 index of collection ``name`` from ``folder/bm25``: its segments joined, less removals.

    A format-1 collection kept bm25s's precomputed scores, which cannot take new passages: its
    index is built from the store's texts instead, in memory, until an ingest saves it as segments.
    """
    entry = manifest.get("bm25")
    if entry is None:
        chunks = read_file(name, folder / DATABASE, lambda _: store.chunks())
        return BM25Index.build([c.id for c in chunks], [f"{c.title}\n{c.text}" for c in chunks])
    parts = [read_file(name, folder / BM25_DIR / segment, Postings.load) for segment in entry["segments"]]
    removed = None
    if entry["removed"]:
        removed = read_file(name, folder / BM25_DIR / entry["removed"], read_ids)
    return BM25Index.join(parts, removed, entry["segments"])


def open_store(data_dir: Path, name: str) -> Store:
    """Only the store of live collection ``name`` (for questions the indexes are not needed for)."""
    return read_file(name, data_dir / check_name(name) / DATABASE, open_store_file)


def open_store_file(path: Path) -> Store:
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
    with ingest_lock(data_dir, name):
        trash = Path(tempfile.mkdtemp(prefix=f".{name}.removed-", dir=data_dir))
        path.rename(trash / name)
        shutil.rmtree(trash)
        for leftover in data_dir.glob(f".{name}.staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)
    (data_dir / f".{name}.lock").unlink(missing_ok=True)
