"""Calibrate the passage reader on the SQuAD 2.0 articles held out of its training.

    python training/calibrate_passage_reader.py

Ingests the held-out articles and asks each of their questions through the real pipeline (hybrid
retrieval, the reader over the top passages): their answerable questions, their near misses (SQuAD
2.0's unanswerable ones) and every tenth question of the other SQuAD 2.0 articles (off topic, so
unanswerable by construction). qa/calibration.py fits Platt scaling of the best span's margin over
"no answer" to "the quoted sentence holds the answer" and takes as the "not found" threshold the
highest that refuses at most BUDGET of the answerable questions (as `article-qa calibrate` does
for a downloaded reader). Both go into the model card, with the figures on these questions. The
BBC and QuAIL sets are test sets and are not looked at here.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from train_passage_reader import HELD_OUT, SQUAD2  # noqa: E402

from embeddings.pair_classifier import CARD  # noqa: E402
from embeddings.span_reader import SpanReader, export_reader  # noqa: E402
from qa.answer.passage import PassageReader  # noqa: E402
from qa.calibration import BUDGET, ask_all, fit  # noqa: E402


def progress(number: int, total: int) -> None:
    if number % 200 == 0:
        print(f"  {number}/{total} questions", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "qa" / "models" / "passage")
    parser.add_argument("--squad2", type=Path, default=SQUAD2)
    parser.add_argument("--budget", type=float, default=BUDGET)
    args = parser.parse_args(argv)
    if not args.squad2.is_file():
        print(f"error: {args.squad2} not found; the calibration data lives in ../shared/data", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="article-qa-export-") as cache:
        # The form questions use: int8 on ONNX Runtime.
        export_reader(args.model, Path(cache))
        spans = SpanReader(args.model, cache=Path(cache))
        spans.card.pop("calibration", None)
        asked = ask_all(PassageReader(spans, min_score=0.0), args.squad2, sorted(HELD_OUT), progress=progress)
    card = json.loads((args.model / CARD).read_text(encoding="utf-8"))
    card["calibration"] = fit(asked, args.budget)
    (args.model / CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(card["calibration"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
