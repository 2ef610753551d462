"""A long ingest killed with SIGKILL: the live collection stays whole, and the same ingest run again resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from embeddings import HashingEmbedder, Vectors
from qa.index.collection import Collection
from qa.index.ingest import ingest
from qa.settings import ChunkSettings
from qa.types import Article

ROOT = Path(__file__).resolve().parents[2]
CHUNKING = ChunkSettings(chunk_tokens=40, chunk_overlap=8)

# Run in a child process: ingest ARTICLES new articles into collection "news" of DATA, slowly,
# checkpointing every five passages, so that the test can kill it part-way.
CHILD = """
import sys, time
import qa.index.ingest
from tests.index.test_resume import SpanHashing, CHUNKING, old_articles, new_articles
from qa.index.ingest import ingest
qa.index.ingest.CHECKPOINT_PASSAGES = 5
qa.index.ingest.EMBED_GROUP = 5
embedder = SpanHashing(delay=float(sys.argv[2]))
ingest(new_articles(), __import__("pathlib").Path(sys.argv[1]), "news", embedder, CHUNKING)
"""


class SpanHashing(HashingEmbedder):
    """The fake embedder with the one-pass interface; counts passages, optionally slow."""

    pools_spans = True

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay
        self.passages = 0

    def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[Vectors, list[list[Vectors | None]]]:
        time.sleep(self.delay)
        self.passages += len(texts)
        pooled: list[list[Vectors | None]] = [
            [self.embed_documents([text[a:b]])[0] for a, b in wanted] for text, wanted in zip(texts, spans, strict=True)
        ]
        return self.embed_documents(texts), pooled


def old_articles() -> list[Article]:
    return [Article(f"old{i}", f"Old {i}", f"An older story number {i} about the harbour.") for i in range(3)]


def new_articles() -> list[Article]:
    return [
        Article(f"new{i}", f"Story {i}", f"Fresh story number {i} says the council met. It voted on item {i}.")
        for i in range(40)
    ]


def start_child(data: Path, delay: float) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", CHILD, str(data), str(delay)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(condition: object, child: subprocess.Popen[bytes], limit: float = 60.0) -> None:
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if child.poll() is not None:
            raise AssertionError(f"the ingest ended first: {child.stderr.read().decode() if child.stderr else ''}")
        if time.monotonic() - started > limit:
            raise AssertionError("timed out")
        time.sleep(0.02)


def checkpoints(data: Path) -> list[Path]:
    return list(data.glob(".news.staging-*/checkpoint.json"))


def assert_whole(data: Path, articles: int) -> None:
    collection = Collection.open(data, "news")
    try:
        assert collection.store.count_articles() == articles
        assert len(collection.vectors) == collection.store.count_chunks() == collection.manifest["counts"]["chunks"]
        assert len(collection.sentence_vectors) == collection.store.count_sentences()
    finally:
        collection.close()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    ingest(old_articles(), tmp_path, "news", SpanHashing(), CHUNKING)
    return tmp_path


def test_killed_ingest_resumes_where_it_was(data: Path) -> None:
    child = start_child(data, delay=0.2)
    wait_for(lambda: checkpoints(data), child)
    time.sleep(0.3)
    child.send_signal(signal.SIGKILL)
    child.wait()
    # The live collection is the old one, whole.
    assert_whole(data, 3)
    assert len(checkpoints(data)) == 1

    embedder = SpanHashing()
    report = ingest(new_articles(), data, "news", embedder, CHUNKING)
    assert report.resumed and report.unchanged > 0, "nothing was resumed"
    assert "resumed" in report.summary()
    full = SpanHashing()
    fresh = ingest(new_articles(), data.parent / "fresh", "news", full, CHUNKING)
    assert 0 < embedder.passages < full.passages
    assert report.articles_total == 43 and fresh.articles_total == 40
    assert_whole(data, 43)
    assert not list(data.glob(".news.staging-*")), "the resumed copy was left behind"


def test_kill_before_any_checkpoint_leaves_nothing_to_resume(data: Path) -> None:
    child = start_child(data, delay=5.0)
    wait_for(lambda: list(data.glob(".news.staging-*/articles.sqlite")), child)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert_whole(data, 3)
    embedder = SpanHashing()
    report = ingest(new_articles(), data, "news", embedder, CHUNKING)
    assert (report.added, report.unchanged, report.resumed) == (40, 0, False)
    assert_whole(data, 43)
    assert not list(data.glob(".news.staging-*")), "the killed ingest's copy was not removed"


def test_other_articles_do_not_resume_a_killed_ingest(data: Path) -> None:
    child = start_child(data, delay=0.2)
    wait_for(lambda: checkpoints(data), child)
    child.send_signal(signal.SIGKILL)
    child.wait()
    others = [Article("other", "Other", "A different story about the ferry timetable.")]
    report = ingest(others, data, "news", SpanHashing(), CHUNKING)
    assert (report.added, report.articles_total) == (1, 4)
    assert_whole(data, 4)
    assert not list(data.glob(".news.staging-*"))
