"""Questions about time over a small dated collection, end to end with the real models: a period keeps
the search to it (and its reporting lag), "not found for <period>" offers the nearest answer, "the
latest" answers from the newest article, timelines run oldest first, and reports that disagree show."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from embeddings.onnx_embedder import OnnxEmbedder
from qa.answer.dated import answer_day
from qa.chat.formatting import answer_data, answer_text
from qa.engine import Engine
from qa.errors import InvalidInput
from qa.settings import SearchSettings, Settings

# Fictional monthly figures, each reported the month after, as statistics offices do; and two reports
# that disagree on one count.
ARTICLES = [
    ("jobs-jan", "2026-02-12", "Aldmark jobless rate falls to 6.1 pct in January",
     "Aldmark's unemployment rate fell to 6.1 pct in January from 6.4 pct in December, the national "
     "statistics office said on Thursday. Economists had expected the rate to stay at 6.4 pct."),
    ("jobs-feb", "2026-03-12", "Aldmark jobless rate edges down to 5.9 pct in February",
     "Aldmark's unemployment rate edged down to 5.9 pct in February, the national statistics office said. "
     "The office said hiring in construction and retail had picked up after a mild winter."),
    ("jobs-mar", "2026-04-09", "Aldmark March unemployment rises to 6.3 pct",
     "Aldmark's unemployment rate rose to 6.3 pct in March as factories cut shifts, the national statistics "
     "office said. The rise was the first in five months."),
    ("rates-feb", "2026-02-20", "Aldmark central bank holds rates",
     "The Central Bank of Aldmark kept its main policy rate at 3.75 pct on Friday. Governor Ilse Varga said "
     "inflation was still too high to cut."),
    ("rates-mar", "2026-03-12", "Aldmark central bank trims rates",
     "The Central Bank of Aldmark cut its main policy rate to 3.50 pct on Thursday, its first cut in 18 months. "
     "Governor Ilse Varga said inflation was now close to target."),
    ("rates-apr", "2026-04-16", "Aldmark cuts rates again",
     "The Central Bank of Aldmark cut its main policy rate to 3.25 pct on Thursday. Governor Ilse Varga said "
     "further cuts would depend on wages."),
    ("fair-police", "2026-03-30", "Record crowd at Saltmere spring fair",
     "Police said 18,000 people attended the Saltmere spring fair on Sunday, a record for the event. "
     "Traffic was held up on the coast road for two hours."),
    ("fair-organisers", "2026-03-31", "Spring fair organisers count 24,500 visitors",
     "Organisers said 24,500 people attended the Saltmere spring fair on Sunday, well above the police "
     "estimate. They plan to add a second day next year."),
]  # fmt: skip


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedder: OnnxEmbedder) -> Engine:
    folder = tmp_path_factory.mktemp("dated")
    with (folder / "news.jsonl").open("w", encoding="utf-8") as out:
        for key, day, title, text in ARTICLES:
            out.write(json.dumps({"id": key, "date": f"{day}T09:30:00Z", "title": title, "text": text}) + "\n")
    engine = Engine(Settings(data_dir=folder / "data"), embedder)
    engine.ingest_paths([folder / "news.jsonl"], "news")
    return engine


def ask(engine: Engine, question: str, **search: object) -> object:
    return engine.ask(question, "news", SearchSettings(**search))  # type: ignore[arg-type]


def article(answer: object) -> str | None:
    chunk = answer.chunk  # type: ignore[attr-defined]
    return chunk.article_id if chunk is not None else None


def test_dates_are_stored_as_days_and_the_span_is_known(engine: Engine) -> None:
    dates = engine.searcher("news").collection.dates
    assert (dates.first, dates.last) == (date(2026, 2, 12), date(2026, 4, 16))
    assert engine.searcher("news").collection.store.chunks([0])[0].date == "2026-02-12"


def test_a_period_finds_the_figure_reported_after_it(engine: Engine) -> None:
    answer = ask(engine, "What was Aldmark's unemployment rate in February 2026?")
    assert answer.period is not None and answer.period.label == "February 2026"  # type: ignore[attr-defined]
    assert answer.found and article(answer) == "jobs-feb"  # type: ignore[attr-defined]
    # without the time words, the same words may land on another month
    march = ask(engine, "What was Aldmark's unemployment rate in March?")
    assert article(march) == "jobs-mar"


def test_every_passage_searched_is_of_the_period(engine: Engine) -> None:
    answer = ask(engine, "What did the Aldmark central bank do in April 2026?")
    days = [answer_day(answer)] + [date.fromisoformat(h.chunk.date) for h in answer.passages]  # type: ignore[attr-defined]
    assert all(d is not None and date(2026, 4, 1) <= d for d in days)
    assert article(answer) == "rates-apr"


def test_a_relative_period_is_read_against_the_newest_article(engine: Engine) -> None:
    # the newest article is of 16 April: "last month" is March
    question = "What did the Aldmark central bank do with its policy rate last month?"
    answer = ask(engine, question)
    assert answer.period.label == "March 2026"  # type: ignore[attr-defined]
    assert article(answer) == "rates-mar"
    earlier = ask(engine, question, as_of=date(2026, 3, 1))
    assert article(earlier) == "rates-feb"


def test_a_period_without_the_fact_is_not_found_and_offers_the_nearest(engine: Engine) -> None:
    answer = ask(engine, "What was Aldmark's unemployment rate in September 2026?")
    assert not answer.found  # type: ignore[attr-defined]
    assert answer.period.label == "September 2026"  # type: ignore[attr-defined]
    assert answer.nearest is not None and answer.nearest.found  # type: ignore[attr-defined]
    assert "Not found for September 2026." in answer_text(answer)  # type: ignore[arg-type]
    assert "Nearest dated answer" in answer_text(answer)  # type: ignore[arg-type]


def test_the_latest_answers_from_the_newest_article_with_older_answers_beneath(engine: Engine) -> None:
    answer = ask(engine, "What is the latest Aldmark central bank policy rate?")
    assert answer.latest and answer.found and article(answer) == "rates-apr"  # type: ignore[attr-defined]
    assert {article(a) for a in answer.earlier} & {"rates-mar", "rates-feb"}  # type: ignore[attr-defined]
    as_of_march = ask(engine, "What is the latest Aldmark central bank policy rate?", as_of=date(2026, 3, 20))
    assert article(as_of_march) == "rates-mar"


def test_a_timeline_runs_oldest_first(engine: Engine) -> None:
    answer = ask(engine, "Aldmark unemployment rate", timeline=True)
    days = [answer_day(a) for a in answer.timeline]  # type: ignore[attr-defined]
    assert len(days) >= 3 and days == sorted(days)  # type: ignore[type-var]
    assert {"jobs-jan", "jobs-feb", "jobs-mar"} <= {article(a) for a in answer.timeline}  # type: ignore[attr-defined]
    words = ask(engine, "how did the Aldmark unemployment story develop")
    assert len(words.timeline) >= 3  # type: ignore[attr-defined]


def test_reports_that_disagree_are_shown_side_by_side(engine: Engine) -> None:
    answer = ask(engine, "How many people attended the Saltmere spring fair?")
    assert answer.found  # type: ignore[attr-defined]
    sides = {article(answer), *(article(a) for a in answer.conflicts)}  # type: ignore[attr-defined]
    assert sides == {"fair-police", "fair-organisers"}
    data = answer_data(answer)  # type: ignore[arg-type]
    assert data["conflicts"] and data["conflicts"][0]["date"]


def test_a_date_range_filters_and_bad_ranges_are_refused(engine: Engine) -> None:
    answer = ask(engine, "Aldmark central bank policy rate", since=date(2026, 4, 1))
    assert all(h.chunk.date >= "2026-04-01" for h in answer.passages)  # type: ignore[attr-defined]
    assert answer.period is not None and answer.period.strict  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="no article of collection 'news' is dated since 2027-01-01"):
        ask(engine, "rates", since=date(2027, 1, 1))
    with pytest.raises(InvalidInput, match="before"):
        ask(engine, "rates", since=date(2026, 4, 1), until=date(2026, 3, 1))


def test_the_json_says_what_time_was_read(engine: Engine) -> None:
    data = answer_data(ask(engine, "Aldmark unemployment in March 2026"))  # type: ignore[arg-type]
    assert data["date_range"]["from"] == "2026-03-01" and data["date_range"]["until"] == "2026-03-31"
    assert data["date_range"]["label"] == "March 2026" and data["as_of"] == "2026-04-16"
    assert {"timeline", "conflicts", "earlier", "nearest", "latest"} <= set(data)


def test_time_words_off_reads_them_as_words(engine: Engine) -> None:
    answer = ask(engine, "What was Aldmark's unemployment rate in September 2026?", time_words=False)
    assert answer.period is None  # type: ignore[attr-defined]


def test_an_undated_collection_ignores_time_words(tmp_path: Path, embedder: OnnxEmbedder) -> None:
    (tmp_path / "a.txt").write_text("Fair crowd\n\nPolice said 18,000 people attended the fair in March.\n")
    engine = Engine(Settings(data_dir=tmp_path / "data"), embedder)
    engine.ingest_paths([tmp_path / "a.txt"], "plain")
    answer = engine.ask("How many people attended the fair in March 2026?", "plain")
    assert answer.period is None and answer.found
    with pytest.raises(InvalidInput, match="none has a known date"):
        engine.ask("fair", "plain", SearchSettings(since=date(2026, 1, 1)))


def test_the_search_never_leaves_the_window(engine: Engine) -> None:
    searcher = engine.searcher("news")
    vector = searcher.embedder.embed_query("Aldmark rates")
    window = (date(2026, 3, 1), date(2026, 3, 31))
    hits = searcher.search("Aldmark rates", SearchSettings(k=8), vector, window)
    assert hits and all("2026-03-01" <= h.chunk.date <= "2026-03-31" for h in hits)
    ids = searcher.collection.dates.chunk_ids(*window)
    neighbours = searcher.collection.vectors.search(vector, 50, ids)
    assert {n.id for n in neighbours} <= set(np.asarray(ids).tolist())
