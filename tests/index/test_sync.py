"""A folder that grows and shrinks: `ingest FOLDER --sync` adds new files, updates changed ones and
removes the articles of deleted ones (saying which), and nothing read from elsewhere."""

from __future__ import annotations

from pathlib import Path

from embeddings import HashingEmbedder
from qa.cli import main
from qa.engine import Engine
from qa.index.collection import Collection
from qa.settings import Settings


def write(folder: Path, name: str, title: str, text: str) -> None:
    (folder / name).write_text(f"{title}\n\n{text}\n")


def article_ids(data: Path) -> list[str]:
    collection = Collection.open(data, "news")
    try:
        assert len(collection.vectors) == collection.store.count_chunks()
        assert len(collection.sentence_vectors) == collection.store.count_sentences()
        return sorted(collection.store.hashes())
    finally:
        collection.close()


def test_sync_follows_the_folder(tmp_path: Path, fake_embedder: HashingEmbedder) -> None:
    folder, data, other = tmp_path / "scrapes", tmp_path / "data", tmp_path / "other"
    folder.mkdir()
    other.mkdir()
    write(folder, "a.txt", "Ferries approved", "The council approved three evening ferries on Monday.")
    write(folder, "b.txt", "Bridge delayed", "The new bridge will open a year late, the city said.")
    write(folder, "c.txt", "Library opens", "A floating library opened on the river on Sunday.")
    write(other, "z.txt", "Elsewhere", "An article that came from another folder stays put.")
    engine = Engine(Settings(data_dir=data, model=fake_embedder.name), embedder=fake_embedder)
    engine.ingest_paths([folder], "news")
    engine.ingest_paths([other / "z.txt"], "news")

    (folder / "b.txt").unlink()
    write(folder, "c.txt", "Library opens", "A floating library opened on the river on Saturday.")
    write(folder, "d.txt", "Market moves", "The Sunday market moves to the harbour square in May.")

    plain = engine.ingest_paths([folder], "news")  # without --sync the deleted file's article stays
    assert (plain.added, plain.updated, plain.removed) == (1, 1, ())
    assert article_ids(data) == ["a.txt", "b.txt", "c.txt", "d.txt", "z.txt"]

    synced = engine.ingest_paths([folder], "news", sync=True)
    assert synced.removed == ("b.txt",) and (synced.added, synced.updated) == (0, 0)
    assert "removed 1 whose files are gone (b.txt)" in synced.summary()
    assert article_ids(data) == ["a.txt", "c.txt", "d.txt", "z.txt"]

    again = engine.ingest_paths([folder], "news", sync=True)  # nothing changed: the fast path
    assert (again.added, again.removed, again.unchanged) == (0, (), 3)


def test_cli_sync(tmp_path: Path, capsys: object) -> None:
    folder = tmp_path / "scrapes"
    folder.mkdir()
    write(folder, "a.txt", "Ferries approved", "The council approved three evening ferries on Monday.")
    write(folder, "b.txt", "Bridge delayed", "The new bridge will open a year late, the city said.")
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "ingest", str(folder), "-c", "news"]) == 0
    (folder / "a.txt").unlink()
    assert main(["--data-dir", data, "ingest", str(folder), "-c", "news", "--sync"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "removed 1 whose files are gone (a.txt)" in out and "collection 'news': 1 articles" in out
