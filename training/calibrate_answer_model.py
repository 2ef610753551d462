"""Calibrate the answer model on the SQuAD 2.0 articles held out of its training.

    python training/calibrate_answer_model.py      # or: make train (runs after training)

Asks every question of the held-out articles through the real pipeline (ingest, hybrid retrieval,
the model reader), then fits Platt scaling of the best sentence's probability to "the shown
sentence states the answer", and chooses the "not found" threshold: the highest one that refuses
at most BUDGET of the answerable questions. Both go into qa/models/answer/model.json. The BBC and
QuAIL sets are test sets and are not looked at here.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from train_answer_model import HELD_OUT, SQUAD2  # noqa: E402

from embeddings import PairClassifier  # noqa: E402
from embeddings.pair_classifier import CARD  # noqa: E402
from qa.evaluation import evaluate  # noqa: E402
from qa.reading import ModelReader  # noqa: E402
from qa.settings import Settings  # noqa: E402

# Share of answerable held-out questions the threshold may refuse.
BUDGET = 0.08


def platt(scores: np.ndarray, labels: np.ndarray, steps: int = 100) -> tuple[float, float]:
    """a, b of sigmoid(a * logit(p) + b) fitted by Newton's method on the log loss."""
    x = np.log(np.clip(scores, 1e-6, 1 - 1e-6) / np.clip(1 - scores, 1e-6, 1))
    a, b = 1.0, 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(a * x + b)))
        gradient = np.array([np.sum((p - labels) * x), np.sum(p - labels)])
        w = p * (1 - p) + 1e-9
        hessian = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]])
        step = np.linalg.solve(hessian + 1e-6 * np.eye(2), gradient)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return float(a), float(b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "qa" / "models" / "answer")
    parser.add_argument("--squad2", type=Path, default=SQUAD2)
    parser.add_argument("--budget", type=float, default=BUDGET)
    args = parser.parse_args(argv)
    if not args.squad2.is_file():
        print(f"error: {args.squad2} not found; the calibration data lives in ../shared/data", file=sys.stderr)
        return 2

    scorer = PairClassifier(args.model)
    scorer.card.pop("calibration", None)
    details: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="article-qa-calibrate-") as scratch:
        report = evaluate(
            args.squad2,
            Settings(data_dir=Path(scratch)),
            titles=HELD_OUT,
            reader=ModelReader(scorer, min_score=0.0),
            details=details,
            progress=True,
        )
    raw = np.array([d["confidence"] for d in details])
    answerable = np.array([d["answerable"] for d in details])
    correct = np.array([d["sentence_correct"] for d in details], dtype=float)
    a, b = platt(raw, correct)
    calibrated = 1.0 / (1.0 + np.exp(-(a * np.log(np.clip(raw, 1e-6, 1 - 1e-6) / np.clip(1 - raw, 1e-6, 1)) + b)))
    # The highest threshold that refuses at most the budget of answerable questions.
    threshold = float(np.quantile(calibrated[answerable], args.budget))
    refused = float((calibrated[~answerable] < threshold).mean())
    false_refusals = float((calibrated[answerable] < threshold).mean())
    shown = calibrated >= threshold
    card_path = args.model / CARD
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["calibration"] = {
        "a": round(a, 6),
        "b": round(b, 6),
        "threshold": round(math.floor(threshold * 1e4) / 1e4, 4),
        "fitted_on": f"{args.squad2.name}: {', '.join(HELD_OUT)} (held out of training)",
        "budget_false_refusals": args.budget,
        "questions": len(details),
        "unanswerable": int((~answerable).sum()),
        "refused_unanswerable": round(refused, 4),
        "refused_answerable": round(false_refusals, 4),
        "answer_sentence": round(float(correct[answerable].mean()), 4),
        "shown_and_correct": round(float(correct[shown].mean()) if shown.any() else 0.0, 4),
        "top1": round(report["top1"], 4),
        "top5": round(report["top5"], 4),
    }
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(card["calibration"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
