"""Which sources an ingest reads, and one result gathered from them; and the engine reading the live
store once per ingest, before anything is read or fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

import qa.engine
from embeddings import HashingEmbedder
from qa.engine import Engine
from qa.settings import Settings
from qa.sources.files import FileSource
from qa.sources.gather import gather, sources_for
from qa.sources.text import ReadResult
from qa.sources.web import FeedSource, PageSource
from qa.types import Article, Skip


def test_paths_pages_and_feeds_each_get_their_source() -> None:
    files, page = [Path("news"), "notes.txt"], "https://example.org/a"
    sources = sources_for([*files, page], ["https://example.org/rss"], frozenset({"https://example.org/old"}), 3.0)
    assert [type(s) for s in sources] == [FileSource, PageSource, FeedSource]
    assert sources[0] == FileSource(files)
    assert sources[1] == PageSource([page], 3.0)
    # A feed's item already held, or given as a page in the same run, is not fetched twice.
    assert isinstance(sources[2], FeedSource)
    assert sources[2].known == {"https://example.org/old", page}
    assert sources_for(["notes.txt"]) == [FileSource(["notes.txt"])]
    assert sources_for([]) == []


class Fixed:
    """A source holding fixed articles and skips."""

    def __init__(self, *items: Article | Skip) -> None:
        self.items = items

    def gather(self) -> ReadResult:
        articles = [i for i in self.items if isinstance(i, Article)]
        return ReadResult(articles, [i for i in self.items if isinstance(i, Skip)])


def test_gather_keeps_articles_in_order_and_ids_unique_then_lists_every_skip() -> None:
    first = Fixed(Article("a", "A", "One."), Skip("bad.bin", "binary"), Article("b", "B", "Two."))
    second = Fixed(Skip("https://x.test/", "HTTP 404"), Article("a", "A again", "Three."))
    result = gather([first, second])
    assert [a.id for a in result.articles] == ["a", "b", "a#2"]
    assert [s.origin for s in result.skipped] == ["bad.bin", "https://x.test/"]


def test_an_ingest_reads_the_live_store_once(
    tmp_path: Path, fake_embedder: HashingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "scrapes"
    folder.mkdir()
    (folder / "a.txt").write_text("Ferries approved\n\nThe council approved three evening ferries on Monday.\n")
    (folder / "b.txt").write_text("Bridge delayed\n\nThe new bridge will open a year late, the city said.\n")
    engine = Engine(Settings(data_dir=tmp_path / "data", model=fake_embedder.name), embedder=fake_embedder)
    engine.ingest_paths([folder], "news")

    opened: list[str] = []
    open_store = qa.engine.open_store
    monkeypatch.setattr(qa.engine, "open_store", lambda data, name: opened.append(name) or open_store(data, name))
    # Unchanged, with --sync: the hash check and the deleted-files check both come from that one read.
    unchanged = engine.ingest_paths([folder], "news", sync=True)
    assert (unchanged.unchanged, unchanged.added) == (2, 0) and opened == ["news"]

    (folder / "b.txt").unlink()
    synced = engine.ingest_paths([folder], "news", sync=True)
    assert synced.removed == ("b.txt",) and opened == ["news", "news"]

    engine.ingest_paths([folder], "fresh")  # a new collection: nothing to read
    assert opened == ["news", "news"]
