"""End to end: ingesting a folder of broken files, a missing path, and a Ctrl-C mid-ingest, real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embeddings.onnx_embedder import OnnxEmbedder
from qa.cli import main
from qa.engine import SAMPLE_ARTICLES
from qa.index.collection import Collection
from qa.index.store import Store

pytestmark = [pytest.mark.model, pytest.mark.usefixtures("embedder")]

GOOD = "01-nato-missile-defence.txt"
LATIN1_TEXT = (
    "Harbour caf\xe9 wins award\n\n"
    "The harbour caf\xe9 on Quay Street was named the best small business in Saltmere on Friday.\n\n"
    "Its owner said the \xa3500 prize would pay for new tables on the waterfront terrace.\n"
)
MALFORMED_HTML = (
    "<html><head><title>Harbour ferry delayed</title><body><div><p>The harbour ferry was delayed for two hours"
    " on Friday because of fog, the operator said.<p>Passengers <b>waited <i>on the quay <<<>>> &&& </div></span>"
)
GOOD_RECORD = {
    "id": "rail-1",
    "title": "Westland trams return after storm",
    "text": "Trams in Westland ran again on Sunday after storm damage to the overhead lines was repaired.",
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    folder = tmp_path / "messy"
    folder.mkdir()
    (folder / GOOD).write_bytes((SAMPLE_ARTICLES / GOOD).read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20)
    (folder / "latin1.txt").write_bytes(LATIN1_TEXT.encode("latin-1"))
    (folder / "malformed.html").write_text(MALFORMED_HTML, encoding="utf-8")
    (folder / "no-text.html").write_text("<html><body><div><span></span></div><script>var x = 1;</script>", "utf-8")
    (folder / "records.jsonl").write_text(json.dumps(GOOD_RECORD) + '\n{"title": "Broken", "text": "no end\n', "utf-8")
    (folder / "no-text-column.csv").write_text("title,author\nBridge reopens,A. Writer\n", encoding="utf-8")
    (folder / "report.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    return folder


def test_bad_files_are_skipped_by_name_and_good_ones_ingested(
    capsys: pytest.CaptureFixture[str], messy: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    code, out, err = run(capsys, "--data-dir", str(data), "ingest", str(messy), "-c", "messy")
    assert code == 0, err

    skip_lines = [line for line in (err + out).splitlines() if line.startswith("warning: skipped ")]
    expected = {
        "empty.txt": "empty",
        "binary.txt": "binary",
        "no-text.html": "no text",
        "records.jsonl:2": "invalid JSON",
        "no-text-column.csv": "text column",
        "report.pdf": "unsupported file type '.pdf'",
    }
    for name, reason in expected.items():
        lines = [line for line in skip_lines if f"{messy / name}: " in line]
        assert len(lines) == 1, f"no single 'skipped' line for {name}: {skip_lines}"
        assert reason in lines[0]
    assert len(skip_lines) == len(expected), skip_lines

    # The good .txt, the Latin-1 .txt, the malformed HTML (it has text) and the good JSONL record.
    assert "'messy': 4 articles" in out
    assert "added 4;" in out
    assert f"skipped files/records {len(expected)}" in out

    store = Store(data / "messy" / "articles.sqlite")
    try:
        articles = {a.clean.id: a.clean for a in store.articles()}
    finally:
        store.close()
    assert set(articles) == {GOOD, "latin1.txt", "malformed.html", "rail-1"}
    latin1 = articles["latin1.txt"]
    assert latin1.title == "Harbour café wins award"
    assert "harbour café on Quay Street" in latin1.text
    assert "£500 prize" in latin1.text
    assert "delayed for two hours on Friday" in articles["malformed.html"].text
    assert articles["rail-1"].text == GOOD_RECORD["text"]


def test_missing_path_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    code, out, err = run(capsys, "--data-dir", str(tmp_path / "data"), "ingest", str(missing), "-c", "x")
    assert code == 2
    assert out == ""
    error = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(error) == 1
    assert str(missing) in error[0]
    assert "no such file or folder" in error[0]
    assert "Traceback" not in err
    assert not (tmp_path / "data" / "x").exists()


def test_interrupted_ingest_keeps_the_previous_collection(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    embedder: OnnxEmbedder,
) -> None:
    data = tmp_path / "data"
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / GOOD).write_bytes((SAMPLE_ARTICLES / GOOD).read_bytes())
    (second / "latin1.txt").write_bytes(LATIN1_TEXT.encode("latin-1"))
    code, _, err = run(capsys, "--data-dir", str(data), "ingest", str(first), "-c", "kept")
    assert code == 0, err
    before = json.loads((data / "kept" / "manifest.json").read_text())["counts"]
    assert before["articles"] == 1

    calls = []

    def interrupted(texts: list[str], spans: list[list[tuple[int, int]]]) -> None:
        calls.append(len(texts))
        raise KeyboardInterrupt

    # Ctrl-C while the model runs: the new article is already in the staging copy's store.
    monkeypatch.setattr(embedder, "embed_with_spans", interrupted)
    code, _, err = run(capsys, "--data-dir", str(data), "ingest", str(second), "-c", "kept")
    assert len(calls) == 1, "the ingest never reached the model"
    assert code == 130
    assert "interrupted" in err
    monkeypatch.undo()

    left = sorted(p.name for p in data.iterdir())
    assert left == [".kept.lock", ".models", "kept"], f"a staging folder was left: {left}"
    collection = Collection.open(data, "kept")
    try:
        assert collection.manifest["counts"] == before
        assert collection.store.count_articles() == 1
        assert collection.store.article("latin1.txt") is None
        assert len(collection.vectors) == before["chunks"]
    finally:
        collection.close()
    code, out, err = run(capsys, "--data-dir", str(data), "ask", "What did NATO propose to Russia?", "-c", "kept")
    assert code == 0, err
    assert "urged Russia to join" in " ".join(out.split())
