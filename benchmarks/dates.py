"""How long questions about time take, against the same questions read without their time words.

Usage: python benchmarks/dates.py [--data-dir DIR] [--collection reuters] [--shared ../shared] [--rounds 3]

Builds the collection from all 19,043 Reuters-21578 articles (../shared/data/reuters21578) when it is
not there, and prints how long that ingest took. Then asks the development questions of
benchmarks/data/reuters_time_questions.json, each ``--rounds`` times, in four ways:

- as written: a period in the question ("in March 1987", "last month") narrows the search;
- with a date filter (``--since``/``--until``: the month each question is about), time words off;
- "the latest" questions as written (they read several articles one by one);
- as a baseline, the same questions with time words off and no filter (the search before dates).

It prints the median and 95th percentile of a whole ``Engine.ask`` for each, the ratio of medians to
the baseline, and the one-off cost of reading the collection's dates (the first timed question).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from qa.engine import Engine
from qa.errors import CollectionNotFound
from qa.language.dates import read_time
from qa.settings import SearchSettings, Settings

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "benchmarks" / "data" / "reuters_time_questions.json"


def timed(engine: Engine, collection: str, asks: list[tuple[str, SearchSettings]], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for question, search in asks:
            started = time.perf_counter()
            engine.ask(question, collection, search)
            times.append(1000 * (time.perf_counter() - started))
    return times


def line(name: str, times: list[float], base: float | None) -> str:
    times = sorted(times)
    median = statistics.median(times)
    p95 = times[int(0.95 * (len(times) - 1))]
    ratio = f"{median / base:.2f}x" if base else "1.00x"
    return f"{name:<44} {len(times):>5} {median:>8.1f} {p95:>8.1f}   {ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/article-qa-dates-bench"))
    parser.add_argument("--collection", default="reuters")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engine = Engine(Settings(data_dir=args.data_dir))
    try:
        engine.searcher(args.collection)
    except CollectionNotFound:
        source = args.shared / "data" / "reuters21578" / "reuters21578.jsonl"
        if not source.exists():
            sys.exit(f"{source} is not here: the benchmark needs the Reuters-21578 articles")
        started = time.perf_counter()
        report = engine.ingest_paths([source], args.collection)
        print(f"ingest: {report.summary()} in {time.perf_counter() - started:.0f} s")

    data = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    questions = [q for q in data["questions"] + data["unanswerable"]]
    plain = SearchSettings()
    words_off = replace(plain, time_words=False)

    def own(q: dict[str, str]) -> SearchSettings:
        return replace(plain, as_of=date.fromisoformat(q["as_of"])) if q.get("as_of") else plain

    started = time.perf_counter()
    engine.searcher(args.collection).collection.dates  # noqa: B018 - read once, as the first dated question does
    print(f"reading the collection's dates (once, on the first question that needs them): "
          f"{1000 * (time.perf_counter() - started):.0f} ms")  # fmt: skip
    engine.ask("warm-up question", args.collection, plain)

    periods = [(q["question"], own(q)) for q in questions if q.get("kind") != "latest"]
    latest = [(q["question"], own(q)) for q in questions if q.get("kind") == "latest"]
    filters = []
    dates = engine.searcher(args.collection).collection.dates
    first, last = dates.first or date.min, dates.last or date.today()
    for q in questions:
        period = read_time(q["question"], date.fromisoformat(q["as_of"]) if q.get("as_of") else last).period
        if period is not None and period.end >= first and period.start <= last:  # a range with articles
            filters.append((q["question"], replace(words_off, since=period.start, until=period.end)))
    baseline = [(q["question"], words_off) for q in questions]

    base = timed(engine, args.collection, baseline, args.rounds)
    base_median = statistics.median(base)
    print(f"{'ask, ms':<44} {'n':>5} {'median':>8} {'p95':>8}   vs baseline")
    print(line("baseline: time words off, no filter", base, None))
    print(line("a period in the question", timed(engine, args.collection, periods, args.rounds), base_median))
    print(line("a date filter (--since/--until)", timed(engine, args.collection, filters, args.rounds), base_median))
    print(
        line("'the latest' (reads up to 8 articles)", timed(engine, args.collection, latest, args.rounds), base_median)
    )


if __name__ == "__main__":
    main()
