"""Ingest into collection folders with the fake embedder: incremental, atomic, checked on load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embeddings import HashingEmbedder, Vectors
from qa.engine import Engine
from qa.errors import CollectionMismatch, CollectionNotFound, InvalidInput
from qa.index.collection import Collection, list_collections, remove_collection
from qa.index.ingest import ingest
from qa.settings import ChunkSettings, Settings
from qa.types import Article

CHUNKING = ChunkSettings(chunk_tokens=40, chunk_overlap=8)


def _articles() -> list[Article]:
    return [
        Article("a", "Barrier opens", "The tidal barrier opened on Monday. It cost 40 million pounds."),
        Article("b", "Rates cut", "The central bank cut rates to 3.5 percent. Economists were split."),
        Article("c", "Final won", "The Mariners won the final by six wickets. The captain scored 81."),
    ]


def test_ingest_writes_a_folder_of_plain_files(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    report = ingest(_articles(), tmp_path, "news", embedder, CHUNKING)
    assert (report.added, report.articles_total) == (3, 3)
    folder = tmp_path / "news"
    manifest = json.loads((folder / "manifest.json").read_text())
    (vectors,), (sentences,) = (manifest["indexes"][i]["segments"] for i in ("vectors", "sentences"))
    assert {p.name for p in folder.iterdir()} == {"manifest.json", "articles.sqlite", vectors, sentences, "bm25"}
    assert vectors.startswith("vectors.") and sentences.startswith("sentences.")
    assert manifest["format"] == 2
    assert manifest["model"] == "hashing" and manifest["dim"] == embedder.dim
    assert manifest["counts"] == {"articles": 3, "chunks": report.chunks_total, "sentences": 6}
    assert manifest["chunking"]["chunk_tokens"] == 40
    assert "faiss-cpu" in manifest["versions"]
    assert not any(p.suffix in {".pkl", ".pickle"} for p in folder.rglob("*"))
    assert list_collections(tmp_path) == ["news"]


def test_reingest_skips_unchanged_updates_changed_and_dedupes(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    ingest(_articles(), tmp_path, "news", embedder, CHUNKING)
    changed = Article("b", "Rates cut", "The central bank cut rates to 3.25 percent instead.")
    twin = Article("d", "Copy", "The tidal barrier opened on Monday.   It cost 40 million pounds.")
    report = ingest([*_articles()[::2], changed, twin], tmp_path, "news", embedder, CHUNKING)
    assert (report.unchanged, report.updated, report.duplicates, report.added) == (2, 1, 1, 0)
    collection = Collection.open(tmp_path, "news")
    texts = [c.text for c in collection.store.chunks()]
    assert any("3.25 percent" in t for t in texts)
    assert not any("3.5 percent" in t for t in texts)
    assert len(collection.vectors) == len(texts) == collection.manifest["counts"]["chunks"]
    replaced = ingest(_articles()[:1], tmp_path, "news", embedder, CHUNKING, replace=True)
    assert replaced.articles_total == 1


def test_recurring_paragraph_becomes_boilerplate_and_old_articles_are_recleaned(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    promo = "The Ledger is funded by readers like you. Become a member today."
    bodies = [
        "Floods closed the coast road on Monday after heavy rain.",
        "The council voted to rebuild the pier by next summer.",
        "A new ferry route to the islands starts in June this year.",
        "Teachers agreed a new pay deal after three months of talks.",
    ]
    first = [Article(f"x{i}", f"Story {i}", f"{b}\n\n{promo}") for i, b in enumerate(bodies[:2])]
    ingest(first, tmp_path, "ledger", embedder, CHUNKING)
    more = [Article(f"x{i}", f"Story {i}", f"{b}\n\n{promo}") for i, b in enumerate(bodies[2:], start=2)]
    report = ingest(more, tmp_path, "ledger", embedder, CHUNKING)
    assert report.recleaned == 2
    chunks = Collection.open(tmp_path, "ledger").store.chunks()
    assert len({c.article_id for c in chunks}) == 4
    assert not any("Become a member" in c.text for c in chunks)


class _Exploding(HashingEmbedder):
    def __init__(self, exception: BaseException) -> None:
        super().__init__()
        self.calls = 0
        self.exception = exception

    def embed_documents(self, texts: list[str]):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == 2:
            raise self.exception
        return super().embed_documents(texts)


@pytest.mark.parametrize("exception", [KeyboardInterrupt(), RuntimeError("disk full")])
def test_interrupted_ingest_leaves_previous_collection_intact(tmp_path: Path, exception: BaseException) -> None:
    ingest(_articles(), tmp_path, "news", HashingEmbedder(), CHUNKING)
    before = (tmp_path / "news" / "manifest.json").read_text()
    many = [Article(f"n{i}", f"New {i}", f"Fresh story number {i} about topic {i}.") for i in range(200)]
    with pytest.raises(type(exception)):
        ingest(many, tmp_path, "news", _Exploding(exception), CHUNKING)
    assert (tmp_path / "news" / "manifest.json").read_text() == before
    collection = Collection.open(tmp_path, "news")
    assert collection.store.count_articles() == 3
    # Only the collection and the (empty) lock file of its ingests: no staging copy left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".news.lock", "news"]


def test_interrupted_swap_is_recovered_on_next_open(tmp_path: Path) -> None:
    ingest(_articles(), tmp_path, "news", HashingEmbedder(), CHUNKING)
    aside = tmp_path / ".news.old-abc"
    aside.mkdir()
    (tmp_path / "news").rename(aside / "news")
    assert Collection.open(tmp_path, "news").store.count_articles() == 3


def test_mismatched_model_or_chunking_is_refused_naming_both(tmp_path: Path) -> None:
    ingest(_articles(), tmp_path, "news", HashingEmbedder(dim=256), CHUNKING)
    other = HashingEmbedder(dim=128, name="other-model")
    with pytest.raises(CollectionMismatch, match=r"'hashing' \(dimension 256\), not 'other-model' \(dimension 128\)"):
        ingest(_articles(), tmp_path, "news", other, CHUNKING)
    with pytest.raises(CollectionMismatch, match="'hashing'"):
        Collection.open(tmp_path, "news").check_embedder(other)
    with pytest.raises(CollectionMismatch, match="chunk_tokens"):
        ingest(_articles(), tmp_path, "news", HashingEmbedder(), ChunkSettings(chunk_tokens=50))


def test_missing_bad_and_removed_collections(tmp_path: Path) -> None:
    with pytest.raises(CollectionNotFound, match="no collection 'nope'"):
        Collection.open(tmp_path, "nope")
    with pytest.raises(InvalidInput, match="not allowed"):
        Collection.open(tmp_path, "../etc")
    ingest(_articles(), tmp_path, "news", HashingEmbedder(), CHUNKING)
    remove_collection(tmp_path, "news")
    assert list_collections(tmp_path) == []
    assert list(tmp_path.iterdir()) == []


class CountingEmbedder(HashingEmbedder):
    """The fake embedder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> Vectors:
        self.embedded += len(texts)
        return super().embed_documents(texts)


def test_reingesting_an_unchanged_folder_embeds_and_rewrites_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for article in _articles():
        (folder / f"{article.id}.txt").write_text(f"{article.title}\n\n{article.text}\n", encoding="utf-8")
    (folder / "copy.txt").write_text("Barrier opens\n\n" + _articles()[0].text + "\n", encoding="utf-8")
    embedder = CountingEmbedder()
    engine = Engine(Settings(data_dir=tmp_path / "data", model=embedder.name, chunking=CHUNKING), embedder)
    first = engine.ingest_paths([folder], "news", chunking=CHUNKING)
    assert (first.added, first.duplicates) == (3, 1) and embedder.embedded > 0
    live = tmp_path / "data" / "news"
    written = {p.name: p.stat().st_mtime_ns for p in live.iterdir()}
    embedder.embedded = 0

    again = engine.ingest_paths([folder], "news")
    assert (again.unchanged, again.duplicates, again.added, again.updated) == (3, 1, 0, 0)
    assert (again.articles_total, again.chunks_total) == (first.articles_total, first.chunks_total)
    assert embedder.embedded == 0
    assert {p.name: p.stat().st_mtime_ns for p in live.iterdir()} == written
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [".models", ".news.lock", "news"]

    cut = "Rates cut\n\nThe central bank cut rates to 3.25 percent instead.\n"
    (folder / "b.txt").write_text(cut, encoding="utf-8")
    changed = engine.ingest_paths([folder], "news")
    assert (changed.unchanged, changed.updated) == (2, 1) and embedder.embedded > 0
    assert any("3.25 percent" in c.text for c in Collection.open(tmp_path / "data", "news").store.chunks())


def test_a_running_engine_sees_another_process_ingest(tmp_path: Path) -> None:
    """The app keeps its engine for hours; a CLI ingest into its collection shows in the next answer."""
    from qa.answer.rules import RulesReader

    settings = Settings(data_dir=tmp_path, model="hashing", chunking=CHUNKING)
    asking = Engine(settings, HashingEmbedder(), reader=RulesReader())
    ingesting = Engine(settings, HashingEmbedder(), reader=RulesReader())
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("Barrier opens\n\nThe tidal barrier opened on Monday.\n", encoding="utf-8")
    ingesting.ingest_paths([folder], "news", chunking=CHUNKING)
    question = "When does the new ferry to the islands start?"
    assert all("ferry" not in h.chunk.text for h in asking.ask(question, "news").passages)

    (folder / "b.txt").write_text("Ferry route\n\nA new ferry to the islands starts in June.\n", encoding="utf-8")
    ingesting.ingest_paths([folder], "news")
    assert "ferry" in asking.ask(question, "news").passages[0].chunk.text


def _index_files(folder: Path) -> dict[str, tuple[int, int]]:
    """Each vector index file of a collection folder: (inode, size)."""
    return {p.name: (p.stat().st_ino, p.stat().st_size) for p in folder.iterdir() if p.suffix in (".faiss", ".npy")}


def test_adding_articles_writes_only_their_vectors(tmp_path: Path) -> None:
    """An ingest that adds to a collection shares the existing index files (hard links) and writes a segment."""
    embedder = HashingEmbedder()
    many = [
        Article(f"n{i}", f"Story {i}", f"Item {i}: the council met on day {i}. It voted {i} times.") for i in range(40)
    ]
    ingest(many, tmp_path, "news", embedder, CHUNKING)
    before = _index_files(tmp_path / "news")
    ingest(_articles(), tmp_path, "news", embedder, CHUNKING)
    after = _index_files(tmp_path / "news")
    assert set(before) < set(after), "the earlier segments should stay, with new ones beside them"
    assert all(after[name][0] == before[name][0] for name in before), "an earlier segment was rewritten"
    new = [after[name][1] for name in set(after) - set(before)]
    assert len(new) == 2 and sum(new) < sum(size for _, size in before.values()) / 4

    collection = Collection.open(tmp_path, "news")
    try:
        assert collection.store.count_articles() == 43
        assert len(collection.vectors) == collection.store.count_chunks()
        hit = collection.vectors.search(embedder.embed_query("The central bank cut rates to 3.5 percent."), 1)[0]
        assert collection.store.chunks([hit.id])[0].article_id == "b"
    finally:
        collection.close()


def test_updates_and_removals_survive_segments_and_compaction(tmp_path: Path) -> None:
    """Changed articles drop their old vectors from earlier segments; many saves merge into one segment."""
    embedder = HashingEmbedder()
    ingest(_articles(), tmp_path, "news", embedder, CHUNKING)
    for round_ in range(10):
        changed = Article("b", "Rates cut", f"The central bank cut rates to {round_}.5 percent. Economists were split.")
        extra = Article(f"x{round_}", f"Extra {round_}", f"An extra story number {round_} about the ferry.")
        ingest([*_articles()[:1], changed, *_articles()[2:], extra], tmp_path, "news", embedder, CHUNKING)
        collection = Collection.open(tmp_path, "news")
        try:
            assert len(collection.vectors) == collection.store.count_chunks()
            assert len(collection.sentence_vectors) == collection.store.count_sentences()
            assert collection.vectors.ids() == set(collection.store.owners("chunks"))
            assert collection.sentence_vectors.ids() == set(collection.store.owners("sentences"))
            query = embedder.embed_query(f"The central bank cut rates to {round_}.5 percent.")
            best = collection.sentence_vectors.search(query, 1)[0]
            assert best.score > 0.99
        finally:
            collection.close()
        entry = json.loads((tmp_path / "news" / "manifest.json").read_text())["indexes"]["vectors"]
        assert len(entry["segments"]) <= 8
        listed = {*entry["segments"], entry["removed"]}
        assert {p.name for p in (tmp_path / "news").glob("vectors.*")} == listed - {None}


def test_a_format_1_collection_is_read_and_added_to(tmp_path: Path) -> None:
    """Collections written before segments (one vectors.faiss, one sentences.faiss) open and take new articles."""
    embedder = HashingEmbedder()
    ingest(_articles()[:2], tmp_path, "news", embedder, CHUNKING)
    folder = tmp_path / "news"
    manifest = json.loads((folder / "manifest.json").read_text())
    for index in ("vectors", "sentences"):
        (segment,) = manifest["indexes"][index]["segments"]
        (folder / segment).rename(folder / f"{index}.faiss")
    del manifest["indexes"]
    manifest["format"] = 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    Collection.open(tmp_path, "news").close()

    ingest(_articles(), tmp_path, "news", embedder, CHUNKING)
    collection = Collection.open(tmp_path, "news")
    try:
        assert collection.manifest["format"] == 2 and collection.store.count_articles() == 3
        assert len(collection.vectors) == collection.store.count_chunks()
    finally:
        collection.close()
    assert (folder / "vectors.faiss").is_file(), "the format-1 file is the first segment"
