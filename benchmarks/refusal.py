"""Refusal trade-off: how many unanswerable questions are refused for how many answerable ones.

Usage: python benchmarks/refusal.py [--shared ../shared] [--limit N] [--reader model|rules|passage]

Asks each question set (dev-24 with benchmarks/data/dev24_unanswerable.json, the BBC set in
benchmarks/data/bbc_questions.json, the typed questions over the other BBC folders in
benchmarks/data/bbc_typed_questions.json, QuAIL's news questions, and the SQuAD 2.0 articles held out
of the answer model's training) once with the threshold off, then
prints, for the default threshold and for false-refusal budgets of 2, 5 and 10 %, the share of
answerable questions refused and the share of unanswerable ones refused. A question counts as
refused when its confidence is under the threshold or no sentence of the right kind was found.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from qa.engine import Engine
from qa.evaluation import evaluate
from qa.settings import SearchSettings, Settings, default_data_dir

HERE = Path(__file__).parent / "data"
# The SQuAD 2.0 articles the answer model was not trained on (training/train_answer_model.py).
HELD_OUT_OF_TRAINING = ("1973_oil_crisis", "Harvard_University", "Force")


def question_sets(shared: Path, every: bool = False) -> list[tuple[str, Path, dict[str, Any]]]:
    """The sets this benchmark asks; with ``every``, also the four BBC development sets, the Reuters sets
    and the seed article (benchmarks/readers.py; docs/quality.md describes each)."""
    bbc = shared / "data" / "bbc_news" / "bbc"
    reuters = shared / "data" / "reuters21578" / "reuters21578.jsonl"
    more: list[tuple[str, Path, dict[str, Any]]] = [
        ("BBC dev", HERE / "bbc_typed_dev_questions.json", {"articles": [bbc / "business", bbc / "tech"]}),
        ("BBC dev full", HERE / "bbc_wellformed_dev_questions.json", {"articles": [bbc / "business", bbc / "tech"]}),
        ("BBC dev full2", HERE / "bbc_wellformed_dev2_questions.json", {"articles": [bbc / "business", bbc / "tech"]}),
        (
            "BBC dev pse",
            HERE / "bbc_typed_dev_pse_questions.json",
            {"articles": [bbc / "politics", bbc / "sport", bbc / "entertainment"]},
        ),
        ("Reuters", HERE / "reuters_typed_questions.json", {"articles": [reuters]}),
        ("Reuters time", HERE / "reuters_time_questions.json", {"articles": [reuters]}),
        ("seed", HERE / "seed_questions.json", {"articles": [shared / "seeds" / "000_78cd7df64d3b7e3d.txt"]}),
    ]
    return [
        (
            "dev-24",
            shared / "data" / "squad_v1.1" / "dev-24.json",
            {"unanswerable": HERE / "dev24_unanswerable.json"},
        ),
        ("BBC", HERE / "bbc_questions.json", {"articles": [bbc / "business", bbc / "tech"]}),
        (
            "BBC typed",
            HERE / "bbc_typed_questions.json",
            {"articles": [bbc / "politics", bbc / "sport", bbc / "entertainment"]},
        ),
        ("QuAIL news", shared / "data" / "quail_news" / "quail_1.3_dev_news.json", {}),
        (
            "SQuAD2 out",
            shared / "data" / "squad_v2" / "squad2-dev24-articles.json",
            {"titles": HELD_OUT_OF_TRAINING},
        ),
    ] + (more if every else [])


def refused(details: list[dict[str, Any]], threshold: float, answerable: bool) -> float:
    rows = [d for d in details if d["answerable"] == answerable]
    return sum(not d["found"] or d["confidence"] < threshold for d in rows) / max(len(rows), 1)


def threshold_for(details: list[dict[str, Any]], budget: float) -> float:
    """The highest threshold that refuses at most ``budget`` of the answerable questions."""
    scores = sorted(d["confidence"] for d in details if d["answerable"] and d["found"])
    allowed = int(budget * sum(d["answerable"] for d in details)) - sum(
        d["answerable"] and not d["found"] for d in details
    )
    return scores[min(max(allowed, 0), len(scores) - 1)] if scores else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[1].parent / "shared"))
    parser.add_argument("--limit", type=int, help="answerable questions per set, spread evenly")
    parser.add_argument("--reader", choices=["model", "rules", "passage"], default="model")
    args = parser.parse_args()
    search = replace(SearchSettings(), reader=args.reader)
    default = Engine(Settings(data_dir=default_data_dir(), search=search)).reader().min_score
    # evaluate() ingests into a scratch folder of its own; the data folder is never written.
    settings = Settings(data_dir=default_data_dir(), search=replace(search, min_score=0.0))
    print(f"{'set':<11} {'threshold':>9} {'answerable refused':>19} {'unanswerable refused':>21}")
    for name, path, extra in question_sets(Path(args.shared)):
        if not path.exists():
            print(f"{name:<11} skipped: {path} not found")
            continue
        details: list[dict[str, Any]] = []
        evaluate(path, settings, limit=args.limit, progress=False, details=details, **extra)
        unanswerable = sum(not d["answerable"] for d in details)
        rows = [("default", default)] + [
            (f"{budget:.0%} budget", threshold_for(details, budget)) for budget in (0.02, 0.05, 0.10)
        ]
        for label, threshold in rows:
            print(
                f"{name:<11} {threshold:>9.3f} {refused(details, threshold, True):>18.1%} "
                f"{refused(details, threshold, False):>12.1%} of {unanswerable:<3}  ({label})"
            )


if __name__ == "__main__":
    main()
