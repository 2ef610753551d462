"""End to end: the scraped seed article (../shared/seeds) ingested beside the samples, real model."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.cli import main
from qa.engine import SAMPLE_ARTICLES
from qa.index.store import Store

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"

pytestmark = [
    pytest.mark.model,
    pytest.mark.shared,
    pytest.mark.usefixtures("embedder"),
    pytest.mark.skipif(not SEEDS.is_dir(), reason=f"{SEEDS} is absent (it exists only beside the project's CI)"),
]

COLLECTION = "mixed"
# The seed's newsletter block, donation appeal and button labels.
BOILERPLATE = (
    "newsletter",
    "Dear readers",
    "support us monthly",
    "Remind me later",
    "paiment methods",
    "Once\nMonthly",
)
FIRST_BODY = "BRUSSELS"
LAST_BODY = '"If Iran were to complete'


def seed_file() -> Path:
    files = sorted(SEEDS.glob("*.txt"))
    assert files, f"no .txt seed in {SEEDS}"
    return files[0]


def seed_id() -> str:
    """The seed's article id: ingested beside the samples, ids carry their folder's name."""
    return f"{SEEDS.name}/{seed_file().name}"


def body_paragraphs(path: Path) -> list[str]:
    """The seed's reporting: the paragraphs from the dateline to the last quote, read from the file."""
    paragraphs = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    first = next(i for i, p in enumerate(paragraphs) if p.startswith(FIRST_BODY))
    last = next(i for i, p in enumerate(paragraphs) if p.startswith(LAST_BODY))
    assert last - first >= 4, "the seed changed: expected several body paragraphs"
    return paragraphs[first : last + 1]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--data-dir", str(data), "ingest", str(SEEDS), str(SAMPLE_ARTICLES), "-c", COLLECTION])
    assert code == 0, err.getvalue()
    assert f"'{COLLECTION}': 11 articles" in out.getvalue()
    return data


@pytest.fixture(scope="module")
def store(data_dir: Path) -> Iterator[Store]:
    opened = Store(data_dir / COLLECTION / "articles.sqlite")
    yield opened
    opened.close()


def test_no_chunk_holds_the_seed_boilerplate(store: Store) -> None:
    chunks = store.chunks()
    seed_chunks = [c for c in chunks if c.article_id == seed_id()]
    assert seed_chunks, "the seed article was not chunked"
    raw = next(stored.raw.text for stored in store.articles() if stored.raw.id == seed_id())
    # Each phrase is in the seed as read, so its absence from the chunks means it was removed.
    assert [phrase for phrase in BOILERPLATE if phrase.lower() not in raw.lower()] == []
    leaks = [(c.article_id, phrase) for c in chunks for phrase in BOILERPLATE if phrase.lower() in c.text.lower()]
    assert leaks == []


def test_seed_body_is_kept_whole(store: Store) -> None:
    article = store.article(seed_id())
    assert article is not None
    missing = [p for p in body_paragraphs(seed_file()) if p not in article.text]
    assert missing == []
    # The scraped headline is an appeal; the real one takes its place.
    assert article.title == "NATO Urges Russia to Join Missile Defense"
    indexed = "\n".join(c.text for c in store.chunks() if c.article_id == article.id)
    assert all(p in indexed for p in body_paragraphs(seed_file()))


def test_question_is_answered_from_the_seed(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    question = "What did NATO's chief want Russia to help create?"
    code = main(["--data-dir", str(data_dir), "ask", question, "-c", COLLECTION, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    answer = json.loads(out)
    assert answer["found"] is True
    top = answer["passages"][0]
    assert top["article_id"] == seed_id()
    assert "security roof" in top["text"]
    assert top["headline"] == "NATO Urges Russia to Join Missile Defense"
