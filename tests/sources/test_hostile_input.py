"""A folder of hostile files (generated here): each is read or skipped with a message naming it, the rest
of the run completes, and what the collection already held stays."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from embeddings import HashingEmbedder
from qa.answer.rules import RulesReader
from qa.engine import Engine
from qa.index.collection import Collection
from qa.settings import Settings
from qa.sources.files import MAX_ARTICLE_FILE_MB, read_paths

GOOD = "Bridge reopens\n\nThe old bridge reopened on Friday after two years of repairs.\n"


def hostile_folder(folder: Path) -> dict[str, str]:
    """Writes the files; returns, for each one that must be skipped, a word its message must contain."""
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "utf16.txt").write_bytes("Ferry returns\n\nThe island ferry returned to service.\n".encode("utf-16"))
    (folder / "name with spaces é 東京.txt").write_text("Odd name\n\nA story in an oddly named file.\n")
    if os.name == "posix":
        (folder / "new\nline.txt").write_text("Newline name\n\nA story whose file name holds a newline.\n")
        (folder / "loop").symlink_to(folder)  # a folder that contains itself
    # Sparse files: their size is checked before anything is read, so they cost no time here.
    with (folder / "archive.txt").open("wb") as handle:
        handle.truncate(100_000_000)
    with (folder / "page.html").open("wb") as handle:
        handle.truncate((MAX_ARTICLE_FILE_MB + 1) * 1_000_000)
    (folder / "one-line.txt").write_text("word " * 200_000, encoding="utf-8")
    (folder / "script.html").write_text(
        "<html><head><title>Pier vote</title><script>alert('x')</script></head><body><article>"
        "<p>The council voted to rebuild the pier by next summer, after a long debate.</p>"
        "<p>Work starts in March and will take a year, the council said.</p></article></body></html>",
        encoding="utf-8",
    )
    return {"archive.txt": "too large", "page.html": "too large", "one-line.txt": "no text"}


def test_each_hostile_file_is_read_or_skipped_by_name(tmp_path: Path) -> None:
    must_skip = hostile_folder(tmp_path / "in")
    result = read_paths([tmp_path / "in"])
    ids = {a.id for a in result.articles}
    assert {"good.txt", "utf16.txt", "name with spaces é 東京.txt", "script.html"} <= ids
    assert "Ferry returns" in {a.title for a in result.articles}
    assert all("alert(" not in a.text for a in result.articles)
    for name, word in must_skip.items():
        reasons = [str(s) for s in result.skipped if Path(s.origin).name == name]
        assert len(reasons) == 1 and word in reasons[0], (name, [str(s) for s in result.skipped])
    assert not ids & set(must_skip)


def test_a_hostile_folder_does_not_lose_what_was_ingested(tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    (first / "kept.txt").write_text("Harbour board\n\nThe harbour board approved the new ferry timetable.\n")
    embedder = HashingEmbedder()
    engine = Engine(Settings(data_dir=tmp_path / "data", model=embedder.name), embedder, reader=RulesReader())
    engine.ingest_paths([first], "news")
    hostile_folder(tmp_path / "in")
    report = engine.ingest_paths([tmp_path / "in"], "news")
    assert len(report.skipped) == 3
    collection = Collection.open(tmp_path / "data", "news")
    try:
        assert collection.store.article("kept.txt") is not None
        assert collection.store.article("good.txt") is not None
    finally:
        collection.close()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not stop root")
def test_unreadable_file_is_skipped_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD)
    secret = folder / "secret.txt"
    secret.write_text("Secret\n\nNot for you.\n")
    secret.chmod(0)
    result = read_paths([folder])
    assert [a.id for a in result.articles] == ["good.txt"]
    assert any(Path(s.origin).name == "secret.txt" for s in result.skipped)
