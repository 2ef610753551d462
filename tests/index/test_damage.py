"""Every file of a collection damaged in turn: one line naming the collection, the file and what to do."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from embeddings import FaissIndex, HashingEmbedder
from qa.chat.service import ChatService
from qa.cli import main
from qa.engine import Engine
from qa.errors import CollectionCorrupt
from qa.index.collection import Collection
from qa.index.ingest import ingest
from qa.index.manifest import BM25_DIR, DATABASE, MANIFEST, SENTENCE_VECTORS, VECTORS, index_files, read_manifest
from qa.settings import ChunkSettings, Settings
from qa.types import Article

CHUNKING = ChunkSettings(chunk_tokens=40, chunk_overlap=8)
ARTICLES = [
    Article(f"a{i}", f"Story {i}", f"The council met on day {i}. It voted on the pier plan {i} times.")
    for i in range(6)
]


def truncate(path: Path) -> None:
    target = next(p for p in sorted(path.rglob("*")) if p.is_file()) if path.is_dir() else path
    target.write_bytes(target.read_bytes()[: max(1, target.stat().st_size // 3)])


def garble(path: Path) -> None:
    target = next(p for p in sorted(path.rglob("*")) if p.is_file()) if path.is_dir() else path
    size = target.stat().st_size
    target.write_bytes(bytes((i * 37 + 11) % 256 for i in range(size)))


def delete(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def on_disk(folder: Path, file: str) -> str:
    """The file's name in the folder: a vector index is named by the manifest (its first segment)."""
    if file in (VECTORS, SENTENCE_VECTORS):
        return str(index_files(read_manifest(folder.parent, folder.name), file)["segments"][0])
    return file


DAMAGE: dict[str, Callable[[Path], None]] = {"truncated": truncate, "garbled": garble, "deleted": delete}


@pytest.mark.parametrize("how", sorted(DAMAGE))
@pytest.mark.parametrize("file", [MANIFEST, DATABASE, VECTORS, SENTENCE_VECTORS, BM25_DIR])
def test_damaged_file_is_named_with_what_to_do(
    tmp_path: Path, file: str, how: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(ARTICLES, tmp_path, "news", HashingEmbedder(), CHUNKING)
    DAMAGE[how](tmp_path / "news" / on_disk(tmp_path / "news", file))
    if file == MANIFEST and how == "deleted":
        pytest.skip("without its manifest the folder is not a collection (tested as 'not found' elsewhere)")
    with pytest.raises(CollectionCorrupt) as caught:
        Collection.open(tmp_path, "news")
    message = str(caught.value)
    assert "'news'" in message and "--replace" in message, message
    assert "\n" not in message

    code = main(["--data-dir", str(tmp_path), "ask", "When did the council meet?", "-c", "news"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("error: collection 'news'") and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err

    more = tmp_path / "more.txt"
    more.write_text("Ferry news\n\nThe ferry adds three evening crossings from Monday.")
    monkeypatch.setattr(Engine, "embedder", lambda self, model=None: HashingEmbedder())
    code = main(["--data-dir", str(tmp_path), "ingest", str(more), "-c", "news"])
    out, err = capsys.readouterr()
    assert code == 2 and err.startswith("error: collection 'news'") and len(err.strip().splitlines()) == 1, err

    # The app's chat says the same, as its answer.
    service = ChatService(Engine(Settings(data_dir=tmp_path)))
    try:
        (reply,) = service.reply("When did the council meet?", "news", [])
    finally:
        service.close()
    assert "collection &#x27;news&#x27;" in reply.html and "--replace" in reply.html, reply.html

    code = main(["--data-dir", str(tmp_path), "check", "news"])
    out, err = capsys.readouterr()
    assert code == 2 and err.startswith("error: collection 'news'") and len(err.strip().splitlines()) == 1, err

    code = main(["--data-dir", str(tmp_path), "collections"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    if file == MANIFEST:
        assert "damaged" in out


def test_store_that_disagrees_with_the_manifest_is_refused(tmp_path: Path) -> None:
    ingest(ARTICLES, tmp_path, "news", HashingEmbedder(), CHUNKING)
    other = tmp_path / "other"
    ingest(ARTICLES[:2], other, "news", HashingEmbedder(), CHUNKING)
    shutil.copy2(other / "news" / DATABASE, tmp_path / "news" / DATABASE)
    with pytest.raises(CollectionCorrupt, match="inconsistent"):
        Collection.open(tmp_path, "news")


def test_check_passes_a_sound_collection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest(ARTICLES, tmp_path, "news", HashingEmbedder(), CHUNKING)
    assert main(["--data-dir", str(tmp_path), "check", "news"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("collection 'news' is sound: 6 articles") and "database integrity" in out


def test_check_finds_what_opening_does_not(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Indexes with the right counts but the wrong ids or vectors open fine; the full check names them."""
    ingest(ARTICLES, tmp_path, "news", HashingEmbedder(), CHUNKING)
    collection = Collection.open(tmp_path, "news")
    wrong = FaissIndex(collection.sentence_vectors.dim)
    count = len(collection.sentence_vectors)
    wrong.add(list(range(10_000, 10_000 + count)), np.full((count, wrong.dim), 0.5, dtype=np.float32))
    collection.close()
    wrong.save(tmp_path / "news" / on_disk(tmp_path / "news", SENTENCE_VECTORS))
    Collection.open(tmp_path, "news").close()  # the cheap check on open passes

    assert main(["--data-dir", str(tmp_path), "check", "news"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("collection 'news' is damaged:")
    label = f"the {SENTENCE_VECTORS} index"
    assert f"{label}: {count} vectors without a row in {DATABASE}, {count} sentences without a vector" in err
    assert f"{label}: {count} of {count} vectors are not unit length" in err
    assert f"the {VECTORS} index" not in err
    assert "--replace" in err and "Traceback" not in err
