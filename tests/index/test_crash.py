"""An ingest SIGKILLed at each stage (reading, embedding, writing, the swap), through the CLI's path and
the app's upload path: the collection still opens and answers, holds the old articles or the new ones
(never a mix), `collections` shows only it, and the next ingest completes and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.engine import Engine
from qa.index.collection import Collection, list_collections
from qa.index.ingest import ingest
from qa.search.retrieval import Searcher
from qa.settings import SearchSettings, Settings
from tests.index.test_resume import CHUNKING, SpanHashing, old_articles

ROOT = Path(__file__).resolve().parents[2]
NEW = 40

# The child ingests folder argv[2] into collection "news" of argv[1] and SIGKILLs itself at point
# argv[3], through the CLI's engine or the app's upload service (argv[4]). Each point wraps the
# function that does that stage, so the kill lands exactly there.
CHILD = """
import os, signal, sys
from pathlib import Path
import embeddings, qa.index.ingest, qa.index.lexical, qa.index.swap, qa.sources.files
from qa.chat.service import ChatService
from qa.engine import Engine
from qa.settings import Settings
from tests.index.test_resume import SpanHashing

data, folder, point, via = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
qa.index.ingest.CHECKPOINT_PASSAGES = 5
qa.index.ingest.EMBED_GROUP = 5

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def wrap(owner, attribute, before=None, after=None):
    original = getattr(owner, attribute)
    def wrapped(*args, **kwargs):
        if before is not None and before(*args):
            die()
        result = original(*args, **kwargs)
        if after is not None and after(*args):
            die()
        return result
    setattr(owner, attribute, wrapped)

class Dying(SpanHashing):
    def embed_with_spans(self, texts, spans):
        if point == "embedding" and self.passages >= 30:
            die()
        return super().embed_with_spans(texts, spans)

files = iter(range(10**6))
if point == "reading":
    read_text_file = qa.sources.files._READERS[".txt"]
    qa.sources.files._READERS[".txt"] = lambda *a: die() if next(files) == 20 else read_text_file(*a)
elif point == "bm25":
    wrap(qa.index.lexical.BM25Index, "save_changes", after=lambda *a: True)
elif point == "index":
    # The final write: BM25 is saved first, then the passage index's changes, which die once written.
    final = []
    wrap(qa.index.lexical.BM25Index, "save_changes", after=lambda *a: final.append(1) and False)
    wrap(embeddings.FaissIndex, "save_changes", after=lambda i, folder, name: bool(final) and name == "vectors")
elif point == "manifest":
    write_text = Path.write_text
    def half(self, text, *args, **kwargs):
        if self.name == "manifest.json" and ".staging-" in str(self.parent):
            write_text(self, text[: len(text) // 2])
            die()
        return write_text(self, text, *args, **kwargs)
    Path.write_text = half
elif point == "swap":
    wrap(qa.index.swap, "exchange", before=lambda *a: True)
elif point == "swapped":
    wrap(qa.index.swap, "exchange", after=lambda *a: True)
elif point == "between-renames":
    qa.index.swap.exchange = lambda a, b: False
    wrap(Path, "rename", after=lambda source, target: ".old-" in str(target))

engine = Engine(Settings(data_dir=data))
engine.embedder = lambda model=None: Dying()
engine.prepare_answer_model = lambda: None
paths = sorted(folder.iterdir())
if via == "app":
    ChatService(engine).ingest(paths, "news")
else:
    engine.ingest_paths([folder], "news")
"""

# Where each kill leaves the live collection: before the swap, the old one; after it, the new one.
POINTS = {
    "reading": 3,
    "embedding": 3,
    "bm25": 3,
    "index": 3,
    "manifest": 3,
    "swap": 3,
    "swapped": 3 + NEW,
    "between-renames": 3,
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    ingest(old_articles(), tmp_path / "data", "news", SpanHashing(), CHUNKING)
    return tmp_path / "data"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "new"
    folder.mkdir()
    for i in range(NEW):
        text = f"Story {i}\nFresh story number {i} says the council met. It voted on item {i} late on Tuesday."
        (folder / f"story-{i:02}.txt").write_text(text)
    return folder


@pytest.fixture
def engine(data: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    engine = Engine(Settings(data_dir=data))
    monkeypatch.setattr(engine, "embedder", lambda model=None: SpanHashing())
    monkeypatch.setattr(engine, "prepare_answer_model", lambda: None)
    return engine


def kill_at(point: str, data: Path, folder: Path, via: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", CHILD, str(data), str(folder), point, via]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert done.returncode == -9, f"the ingest was not killed at {point}: {done.stderr.decode()[-2000:]}"


def assert_whole_and_answering(data: Path, articles: int) -> None:
    assert list_collections(data) == ["news"]
    collection = Collection.open(data, "news")
    try:
        assert collection.store.count_articles() == articles
        counts = collection.manifest["counts"]
        assert counts["articles"] == articles
        assert len(collection.vectors) == collection.store.count_chunks() == counts["chunks"]
        assert len(collection.sentence_vectors) == collection.store.count_sentences() == counts["sentences"]
        hits = Searcher(collection, SpanHashing()).search("What did the council vote on?", SearchSettings())
        assert hits, "the collection did not answer"
    finally:
        collection.close()


# Every point through the CLI's path; the app's uploads share its stages, so two points show it is the same.
CASES = [(point, "cli") for point in POINTS] + [("embedding", "app"), ("swapped", "app")]


@pytest.mark.parametrize(("point", "via"), CASES)
def test_kill_at_any_point_leaves_a_whole_collection(
    point: str, via: str, data: Path, folder: Path, engine: Engine
) -> None:
    kill_at(point, data, folder, via)
    assert_whole_and_answering(data, POINTS[point])

    report = engine.ingest_paths([folder], "news")
    assert report.articles_total == 3 + NEW
    assert_whole_and_answering(data, 3 + NEW)
    left = sorted(p.name for p in data.iterdir() if p.name.startswith(".news.") and not p.name.endswith(".lock"))
    assert not left, f"left behind after the next ingest: {left}"
