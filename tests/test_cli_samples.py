"""End to end: the CLI over the bundled sample articles, with the real bundled model."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

import embeddings
import qa.cli
import qa.engine
from qa.cli import main
from qa.engine import SAMPLE_ARTICLES, SAMPLE_COLLECTION
from qa.index.store import Store

pytestmark = [pytest.mark.model, pytest.mark.usefixtures("embedder")]

SAMPLES = Path(qa.engine.__file__).parent / "samples"
NATO = "01-nato-missile-defence.txt"
COLLECTION = "news"
# Boilerplate of the sample set (qa/samples/README.md): none of it may reach the index.
BOILERPLATE = (
    "morning briefing",
    "Dear reader",
    "Give now",
    "Maybe later",
    "Share this article",
    "We use cookies",
    "cookie",
    "independent newsroom funded by its readers",
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data dir holding collection ``news`` of the samples, and the ingest's stdout."""
    data = tmp_path_factory.mktemp("data")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--data-dir", str(data), "ingest", str(SAMPLE_ARTICLES), "--collection", COLLECTION])
    assert code == 0, err.getvalue()
    return data, out.getvalue()


@pytest.fixture(scope="module")
def data_dir(built: tuple[Path, str]) -> Path:
    return built[0]


def ask_json(capsys: pytest.CaptureFixture[str], data_dir: Path, question: str) -> dict:
    code, out, err = run(capsys, "--data-dir", str(data_dir), "ask", question, "--collection", COLLECTION, "--json")
    assert code == 0, err
    return json.loads(out)


def test_ingest_summary_counts_ten_articles(built: tuple[Path, str]) -> None:
    _, out = built
    assert f"collection '{COLLECTION}': 10 articles" in out
    assert "added 10" in out
    assert "skipped files/records 0" in out


def test_ask_json_cites_the_nato_article(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    answer = ask_json(capsys, data_dir, "What did NATO propose to Russia?")
    assert answer["found"] is True
    assert "urged Russia to join" in answer["answer"]

    first = answer["passages"][0]
    source = (SAMPLE_ARTICLES / NATO).read_text(encoding="utf-8")
    assert first["article_id"] == NATO
    assert first["headline"] == source.split("\n", 1)[0].strip()
    assert first["text"] in source
    assert first["end"] - first["start"] == len(first["text"])

    store = Store(data_dir / COLLECTION / "articles.sqlite")
    try:
        article = store.article(NATO)
    finally:
        store.close()
    assert article is not None
    assert article.text[first["start"] : first["end"]] == first["text"]
    cited = answer["passages"][answer["passage"]]
    assert cited["article_id"] == NATO
    assert article.text[answer["answer_start"] : answer["answer_end"]] == answer["answer"]
    words = answer["answer_words"]
    if words is not None:  # the answer model points to the words that answer, within the sentence
        assert answer["answer_start"] <= words["start"] < words["end"] <= answer["answer_end"]
        assert article.text[words["start"] : words["end"]] == words["text"]

    scores = [p["score"] for p in answer["passages"]]
    assert len(scores) > 1
    assert scores == sorted(scores, reverse=True)


def test_ask_text_shows_answer_and_citation(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    answer = ask_json(capsys, data_dir, "What did NATO propose to Russia?")
    code, out, err = run(
        capsys, "--data-dir", str(data_dir), "ask", "What did NATO propose to Russia?", "-c", COLLECTION
    )
    assert code == 0, err
    assert flat(answer["answer"]) in flat(out)
    headline = (SAMPLE_ARTICLES / NATO).read_text(encoding="utf-8").split("\n", 1)[0].strip()
    assert f'[{answer["passage"] + 1}] "{headline}"' in out
    assert f'[1] "{headline}"' in out


def test_no_indexed_chunk_holds_boilerplate(data_dir: Path) -> None:
    store = Store(data_dir / COLLECTION / "articles.sqlite")
    try:
        chunks = store.chunks()
        raw = "\n".join(stored.raw.text for stored in store.articles())
    finally:
        store.close()
    assert chunks
    # Each phrase is in the articles as read, so its absence from the chunks means it was removed.
    assert [phrase for phrase in BOILERPLATE if phrase.lower() not in raw.lower()] == []
    leaks = [(c.article_id, phrase) for c in chunks for phrase in BOILERPLATE if phrase.lower() in c.text.lower()]
    assert leaks == []
    indexed = "\n".join(c.text for c in chunks)
    for sentence in (
        "Leaders are expected to take a final decision on the shield at the alliance's summit in July.",
        "Efficacy against hospital admission was 78 percent in the first winter",
        "There was no immediate response from the Russian foreign ministry.",
    ):
        assert sentence in indexed
    assert {c.article_id for c in chunks} >= {NATO, "05-rsv-vaccine-study.txt", "09-aldmark-voting-age"}


@pytest.fixture(scope="module")
def sample_answers(data_dir: Path) -> list[tuple[dict, dict]]:
    """Each question of qa/samples/questions.json with the CLI's JSON answer to it."""
    questions = json.loads((SAMPLES / "questions.json").read_text(encoding="utf-8"))
    answers = []
    for q in questions:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--data-dir", str(data_dir), "ask", q["question"], "-c", COLLECTION, "--json"])
        assert code == 0, err.getvalue()
        answers.append((q, json.loads(out.getvalue())))
    assert sum(q["answer"] is not None for q, _ in answers) == 12
    assert sum(q["answer"] is None for q, _ in answers) == 5
    return answers


def test_answerable_questions_retrieve_their_article(sample_answers: list[tuple[dict, dict]]) -> None:
    misses = []
    for q, answer in sample_answers:
        if q["answer"] is None:
            continue
        top = answer["passages"][:3]
        if not answer["found"] or not any(q["answer"] in p["text"] and p["article_id"] == q["article"] for p in top):
            misses.append((q["question"], answer["found"], [p["article_id"] for p in top]))
    assert misses == [], "answer not found, or not in the top 3 passages"


def test_answer_sentences_hold_the_answer(sample_answers: list[tuple[dict, dict]]) -> None:
    misses = [
        (q["question"], q["answer"], answer["answer"])
        for q, answer in sample_answers
        if q["answer"] is not None and q["answer"] not in (answer["answer"] or "")
    ]
    for miss in misses:
        print("answer sentence miss:", miss)
    assert len(misses) <= 3, f"only {12 - len(misses)} of 12 answer sentences hold the answer: {misses}"


def test_unanswerable_questions_are_not_found(sample_answers: list[tuple[dict, dict]]) -> None:
    wrongly_found = []
    for q, answer in sample_answers:
        if q["answer"] is not None:
            continue
        top = answer["passages"][0]
        print(f"unanswerable: found={answer['found']} dense_score={top['dense_score']} {q['question']!r}")
        if answer["found"]:
            wrongly_found.append((q["question"], top["dense_score"], answer["answer"]))
    assert len(wrongly_found) <= 2, f"unanswerable questions answered: {wrongly_found}"


def test_reingest_skips_unchanged_and_replace_rebuilds(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    argv = ["--data-dir", str(data_dir), "ingest", str(SAMPLE_ARTICLES), "--collection", COLLECTION]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "added 0;" in out
    assert "unchanged 10" in out
    assert f"'{COLLECTION}': 10 articles" in out

    code, out, err = run(capsys, *argv, "--replace")
    assert code == 0, err
    assert "added 10;" in out
    assert "unchanged 0" in out
    assert f"'{COLLECTION}': 10 articles" in out


def test_collections_list_and_remove(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path, embedder: embeddings.Embedder
) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / NATO).write_bytes((SAMPLE_ARTICLES / NATO).read_bytes())
    base = ["--data-dir", str(data_dir)]
    code, _, err = run(capsys, *base, "ingest", str(folder), "--collection", "doomed")
    assert code == 0, err

    code, out, err = run(capsys, *base, "collections")
    assert code == 0, err
    header, *lines = out.splitlines()
    assert header.split()[:4] == ["name", "articles", "chunks", "model"]
    rows = {line.split()[0]: line.split() for line in lines}
    _name, articles, chunks, model, _built_at, *dated = rows[COLLECTION]
    assert (articles, model) == ("10", embedder.name)
    # every sample article has a dateline: the span of their days
    assert re.fullmatch(r"2026-\d\d-\d\d to 2026-\d\d-\d\d", " ".join(dated)), dated
    assert int(chunks) > 10
    assert rows["doomed"][1] == "1"

    code, out, err = run(capsys, *base, "collections", "--json")
    assert code == 0, err
    manifests = {m["name"]: m for m in json.loads(out)}
    assert set(manifests) == {COLLECTION, "doomed"}
    assert manifests[COLLECTION]["counts"]["articles"] == 10
    assert manifests[COLLECTION]["model"] == embedder.name
    assert manifests[COLLECTION]["dim"] == embedder.dim

    code, out, err = run(capsys, *base, "remove", "doomed")
    assert code == 0, err
    assert "doomed" in out
    assert not (data_dir / "doomed").exists()

    code, out, err = run(capsys, *base, "ask", "What did NATO propose to Russia?", "--collection", "doomed")
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert "'doomed'" in lines[0]
    assert "Traceback" not in err

    code, out, err = run(capsys, *base, "collections", "--json")
    assert [m["name"] for m in json.loads(out)] == [COLLECTION]


def test_demo_builds_the_sample_collection(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(qa.cli, "_run_app", lambda argv: started.append(argv) or 0)
    code, out, err = run(capsys, "--data-dir", str(tmp_path), "demo")
    assert code == 0, err
    assert f"building the sample collection '{SAMPLE_COLLECTION}'" in out
    assert f"'{SAMPLE_COLLECTION}': 10 articles" in out
    assert "urged Russia to join" in flat(out)
    assert (tmp_path / SAMPLE_COLLECTION / "manifest.json").is_file()
    # Then it opens the app on the sample collection (tests/app runs the app itself).
    assert "Open http://127.0.0.1:7860 in your browser" in out
    assert started == [["--data-dir", str(tmp_path), "--collection", SAMPLE_COLLECTION]]

    code, out, err = run(capsys, "--data-dir", str(tmp_path), "demo", "--no-serve")
    assert code == 0, err
    assert "building" not in out
    assert "urged Russia to join" in flat(out)
    assert "Open http" not in out and len(started) == 1


def test_serve_runs_the_app_with_its_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(qa.cli, "_run_app", lambda argv: started.append(argv) or 0)
    assert main(["--data-dir", str(tmp_path), "serve", "--port", "8123", "-c", "news", "--llm-model", "m"]) == 0
    expected = ["--host", "127.0.0.1", "--port", "8123", "--data-dir", str(tmp_path), "--collection", "news"]
    assert started == [[*expected, "--llm-model", "m"]]


def test_k_zero_is_a_clear_error(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, out, err = run(
        capsys, "--data-dir", str(data_dir), "ask", "What did NATO propose?", "-c", COLLECTION, "-k", "0"
    )
    assert code == 2
    assert out == ""
    assert err.startswith("error: ")
    assert "k=0" in err
    assert "Traceback" not in err


def test_dates_on_the_command_line(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    """--since/--until/--as-of/--timeline over the samples (their datelines give each a day); a bad date
    range is one line and exit 2, and the collection is unchanged."""
    base = ["--data-dir", str(data_dir), "ask", "--collection", COLLECTION]
    code, out, err = run(capsys, *base, "What did NATO propose to Russia?", "--since", "2026-03-01", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["date_range"]["from"] == "2026-03-01" and data["date_range"]["filter"] is True
    assert all(p["date"] >= "2026-03-01" for p in data["passages"])
    code, out, err = run(capsys, *base, "Saltmere", "--timeline")
    assert code == 0, err
    assert "Timeline (oldest first):" in out
    stamps = re.findall(r"^  (\d{4}-\d\d-\d\d)  ", out, re.MULTILINE)
    assert stamps and stamps == sorted(stamps)
    stamp = (data_dir / COLLECTION / "manifest.json").stat().st_mtime_ns
    for flags, message in (
        (["--since", "2026-13"], "--since '2026-13': '2026-13' has no month 13"),
        (["--since", "last tuesdayish"], "--since 'last tuesdayish': cannot read"),
        (["--since", "2026-04", "--until", "2026-03"], "--until 2026-03 is before --since 2026-04; swap them"),
        (["--since", "2031"], f"no article of collection '{COLLECTION}' is dated since 2031-01-01"),
        (["--as-of", "soonish"], "--as-of 'soonish': cannot read"),
    ):
        code, out, err = run(capsys, *base, "What did NATO propose?", *flags)
        assert code == 2 and out == "", (flags, out)
        assert err.startswith(f"error: {message}") and err.count("\n") == 1, err
    assert (data_dir / COLLECTION / "manifest.json").stat().st_mtime_ns == stamp
