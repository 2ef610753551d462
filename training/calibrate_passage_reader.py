"""Calibrate the passage reader on the SQuAD 2.0 articles held out of its training.

    python training/calibrate_passage_reader.py

Ingests the held-out articles and asks each of their questions through the real pipeline (hybrid
retrieval, the reader over the top passages): their answerable questions, their near misses (SQuAD
2.0's unanswerable ones) and every tenth question of the other SQuAD 2.0 articles (off topic, so
unanswerable by construction). Fits Platt scaling of the best span's margin over "no answer" to
"the quoted sentence holds the answer", and takes as the "not found" threshold the highest that
refuses at most BUDGET of the answerable questions. Both go into the model card, with the figures
on these questions. The BBC and QuAIL sets are test sets and are not looked at here.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from calibrate_answer_model import platt, questions_to_ask  # noqa: E402
from train_passage_reader import HELD_OUT, SQUAD2  # noqa: E402

from embeddings.pair_classifier import CARD  # noqa: E402
from embeddings.span_reader import SpanReader, export_reader  # noqa: E402
from qa.answer.passage import PassageReader, sentence_holding  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.index.ingest import ingest  # noqa: E402
from qa.settings import ChunkSettings, SearchSettings, Settings  # noqa: E402

BUDGET = 0.05


def held_out(squad2: Path, reader: PassageReader) -> list[tuple[str, float, bool]]:
    """(kind, margin of the best span, whether its sentence holds a gold answer) per question asked."""
    questions, asked = questions_to_ask(squad2, sorted(HELD_OUT))
    out = []
    with tempfile.TemporaryDirectory(prefix="article-qa-calibrate-") as scratch:
        settings = Settings(data_dir=Path(scratch), search=SearchSettings(min_score=0.0))
        engine = Engine(settings, reader=reader)
        ingest(questions.articles, settings.data_dir, "held-out", engine.embedder(), ChunkSettings())
        searcher = engine.searcher("held-out")
        for number, (text, answers, kind) in enumerate(asked, start=1):
            vector = searcher.embedder.embed_query(text)
            hits = searcher.search(text, settings.search, query_vector=vector)
            best = reader.best(text, hits)
            if best is None:
                out.append((kind, -1e3, False))
                continue
            sentence = sentence_holding(searcher.collection, vector, hits, *best)
            right = sentence is not None and any(a in sentence.text for a in answers)
            out.append((kind, best[1].margin, right))
            if number % 200 == 0:
                print(f"  {number}/{len(asked)} questions", file=sys.stderr, flush=True)
    return out


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
        asked = held_out(args.squad2, PassageReader(spans, min_score=0.0))
    kinds = np.array([k for k, _, _ in asked])
    margins = np.array([m for _, m, _ in asked], dtype=np.float64)
    right = np.array([r for _, _, r in asked], dtype=np.float64)
    answerable = kinds == "answerable"
    # Platt scaling of the margin itself (``platt`` takes probabilities: give it the logistic of the margin).
    a, b = platt(1.0 / (1.0 + np.exp(-np.clip(margins, -30, 30))), right * answerable)
    confidence = 1.0 / (1.0 + np.exp(-np.clip(a * margins + b, -50, 50)))
    ordered = np.sort(confidence[answerable])
    threshold = float(ordered[int(np.floor(args.budget * len(ordered)))]) if len(ordered) else 0.5
    figures = {
        "answer_sentence": float(right[answerable].mean()),
        "refused_answerable": float((confidence[answerable] < threshold).mean()),
        "refused_near_misses": float((confidence[kinds == "near miss"] < threshold).mean()),
        "refused_off_topic": float((confidence[kinds == "off topic"] < threshold).mean()),
        "questions": {k: int((kinds == k).sum()) for k in ("answerable", "near miss", "off topic")},
    }
    card = json.loads((args.model / CARD).read_text(encoding="utf-8"))
    card["calibration"] = {"a": a, "b": b, "threshold": threshold, "budget": args.budget, "held_out": figures}
    (args.model / CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(card["calibration"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
