"""Readers side by side: answer sentence, answering words and refusal of each reader on each question set.

Usage: python benchmarks/readers.py [--readers model passage] [--sets BBC "BBC typed" ...] [--shared ../shared]
       python benchmarks/readers.py --readers model --reader-model deepset/roberta-base-squad2   # beside a checkpoint
       python benchmarks/readers.py --readers model --sets all --data-dir build/eval --details build/eval/v4

Each set is asked once per reader with the threshold off; from the answers it prints, at the
reader's own calibrated threshold, the share of answerable questions whose shown sentence holds a
gold answer, the answering words' token F1 (0 where refused or none shown) and the share refused;
then, at the set's false-refusal budget (5 % of the answerable questions for the BBC sets, 10 %
for QuAIL and the held-out SQuAD 2.0 articles), the share of unanswerable questions refused; and
the median and 95th-percentile time of a whole answer.

``--sets all`` asks every set of docs/quality.md (also the typed development set, the Reuters sets
and the seed article). ``--data-dir`` keeps each set's collection there, so the next run (another
answer model in qa/models/answer, say) skips the ingest: all of Reuters-21578 takes about 25
minutes on a 2-core CPU. ``--details DIR`` writes each set's answers, one JSON line per question.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from refusal import question_sets, refused, threshold_for

from qa.engine import Engine
from qa.evaluation import evaluate
from qa.settings import SearchSettings, Settings, default_data_dir

BUDGETS = {"QuAIL news": 0.10, "SQuAD2 out": 0.10}  # the others: 5 %
# With --data-dir: the collection each set is asked of (sets over the same articles share one).
COLLECTIONS = {
    "dev-24": "dev24",
    "BBC": "bbc-business-tech",
    "BBC dev": "bbc-business-tech",
    "BBC dev full": "bbc-business-tech",
    "BBC dev full2": "bbc-business-tech",
    "BBC dev pse": "bbc-politics-sport-entertainment",
    "BBC typed": "bbc-politics-sport-entertainment",
    "QuAIL news": "quail-news",
    "SQuAD2 out": "squad2-held-out",
    "Reuters": "reuters",
    "Reuters time": "reuters",
    "seed": "seed",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[1].parent / "shared"))
    parser.add_argument("--readers", nargs="+", default=["model", "passage"], choices=["model", "rules", "passage"])
    parser.add_argument(
        "--sets", nargs="+", default=["BBC", "BBC typed", "QuAIL news", "SQuAD2 out"], help="names, or: all"
    )
    parser.add_argument("--data-dir", type=Path, help="keep each set's collection here (default: a scratch one)")
    parser.add_argument("--details", type=Path, help="write each set's answers here, SET-READER.jsonl")
    parser.add_argument(
        "--reader-model",
        action="append",
        default=[],
        metavar="NAME_OR_PATH",
        help="also an extractive QA checkpoint (at its `article-qa calibrate` threshold, else the null-score rule)",
    )
    args = parser.parse_args()
    choices = [replace(SearchSettings(), reader=reader) for reader in args.readers]
    choices += [replace(SearchSettings(), reader="passage", reader_model=name) for name in args.reader_model]
    print(f"{'set':<12} {'reader':<36} {'sentence':>8} {'words F1':>8} {'refused':>8} {'unanswerable refused':>26}  ms")
    data_dir = args.data_dir or default_data_dir()
    for name, path, extra in question_sets(Path(args.shared), every=True):
        if name not in args.sets and "all" not in args.sets:
            continue
        missing = next((p for p in [path, *extra.get("articles", [])] if not p.exists()), None)
        if missing:
            print(f"{name:<12} skipped: {missing} not found")
            continue
        if args.data_dir:
            extra = {**extra, "collection": COLLECTIONS[name]}
        for search in choices:
            chosen = Engine(Settings(data_dir=data_dir, search=search)).reader()
            settings = Settings(data_dir=data_dir, search=replace(search, min_score=0.0))
            details: list[dict[str, Any]] = []
            started = time.perf_counter()
            report = evaluate(path, settings, progress=False, details=details, **extra)
            answerable = [d for d in details if d["answerable"]]
            shown = [d for d in answerable if d["confidence"] >= chosen.min_score]
            sentence = sum(d["sentence_correct"] for d in shown) / len(answerable)
            words = sum(d["words_f1"] for d in shown) / len(answerable)
            budget = BUDGETS.get(name, 0.05)
            at = threshold_for(details, budget)
            unanswerable = sum(not d["answerable"] for d in details)
            described = report["reader"]
            label = str(described["name"]) + (f" v{described['version']}" if described.get("version") else "")
            seconds = time.perf_counter() - started
            if args.details:
                args.details.mkdir(parents=True, exist_ok=True)
                target = args.details / re.sub(r"[^\w.-]+", "-", f"{name} {label}.jsonl")
                target.write_text("".join(json.dumps(d) + "\n" for d in details))
            print(
                f"{name:<12} {label:<36} {sentence:>8.3f} {words:>8.3f} {1 - len(shown) / len(answerable):>8.1%} "
                f"{refused(details, at, False):>8.1%} of {unanswerable:<3} at {refused(details, at, True):>5.1%} "
                f"{report['latency_ms_median']:>5.0f}/{report['latency_ms_p95']:<4.0f} ({seconds:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
