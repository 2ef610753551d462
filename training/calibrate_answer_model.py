"""Calibrate the answer model on the SQuAD 2.0 articles held out of its training.

    python training/calibrate_answer_model.py      # or: make train (runs after training)

Ingests the held-out articles and asks each of their questions through the real pipeline (hybrid
retrieval, the model reader's shortlist), then chooses on them, and only on them:

- the weights of the cheap score and of the span margin (for a model with a span head) beside the
  model's log-odds when choosing the sentence (those that find the most answer sentences);
- the weight of the rules' support (coverage of the question's rare words) beside the model's
  log-odds in the refusal score, and Platt scaling of that score to "the shown sentence states the
  answer". Besides the held-out articles' own questions, OFF_TOPIC questions of other SQuAD 2.0
  articles are asked of them: unanswerable there by construction, they stand for questions on
  things a collection never mentions, which SQuAD 2.0's near misses do not cover;
- the "not found" threshold: the highest that refuses at most BUDGET of the answerable questions.

With ``--news FILE... --news-articles DIR...`` the selection weights are chosen on the mean of the
held-out articles' answer sentences and each news development set's (questions over other BBC
articles than the test sets use: benchmarks/data/bbc_typed_dev_questions.json, typed, and
bbc_wellformed_dev_questions.json, written out in full): Wikipedia questions copy their answer
sentence's words, news questions do not, and a lead restates them.

All of it goes into qa/models/answer/model.json. The BBC test sets and QuAIL are not looked at here.
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
from embeddings.pair_classifier import CARD, export_answer_model  # noqa: E402
from embeddings.span_reader import SpanReader, export_reader  # noqa: E402
from qa.answer.model import ModelReader, Scored  # noqa: E402
from qa.calibration import OFF_TOPIC_EVERY, questions_to_ask  # noqa: E402
from qa.calibration import platt as fit_platt  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.evaluation import load_question_file  # noqa: E402
from qa.index.ingest import ingest  # noqa: E402
from qa.index.lexical import BACKGROUND_PASSAGES  # noqa: E402
from qa.settings import ChunkSettings, SearchSettings, Settings  # noqa: E402
from qa.sources.files import read_paths  # noqa: E402
from qa.types import Article  # noqa: E402

# Share of answerable held-out questions the threshold may refuse.
BUDGET = 0.05
CHEAP_WEIGHTS = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)
# Weights of the span margin beside the model's log-odds, for a model with a span head.
SPAN_WEIGHTS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5, 2.0, 4.0)
SUPPORT_WEIGHTS = (0.0, 2.0, 4.0, 8.0, 12.0, 16.0, 24.0, 32.0, 48.0)
# With a passage reader (--passage-model): weights of its margin inside a sentence, in the choice and in refusal.
PASSAGE_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2)
PASSAGE_REFUSAL_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.4)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)))


def platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """a, b of sigmoid(a * logit(p) + b) minimising the log loss."""
    return fit_platt(logit(scores), labels)


Asked = tuple[str, tuple[str, ...], list[Scored], list[float]]


def news_questions(
    files: list[Path], articles: list[Path], scorer: PairClassifier, spans: SpanReader | None = None
) -> list[list[Asked]]:
    """The answerable questions of each news development set (this project's question-file shape) asked of
    their articles (one collection for all), as ``held_out_questions`` asks the SQuAD ones."""
    sets = [[(q.text, q.answers, "answerable") for q in load_question_file(file).answerable] for file in files]
    if not sets:
        return []
    answered = iter(ask_all(read_paths(articles).articles, [a for one in sets for a in one], scorer, spans))
    return [[next(answered) for _ in one] for one in sets]


def held_out_questions(squad2: Path, scorer: PairClassifier, spans: SpanReader | None = None) -> list[Asked]:
    """(kind, gold answers, scored shortlist, support of each shortlisted sentence) per question asked.

    The kind is "answerable", "near miss" (SQuAD 2.0's unanswerable) or "off topic" (another article's).
    """
    questions, asked = questions_to_ask(squad2, HELD_OUT)
    return ask_all(questions.articles, asked, scorer, spans)


def ask_all(
    articles: list[Article],
    asked: list[tuple[str, tuple[str, ...], str]],
    scorer: PairClassifier,
    spans: SpanReader | None = None,
) -> list[Asked]:
    """Each (question, gold answers, kind) asked of ``articles`` in a temporary collection, through hybrid
    retrieval and the model reader's shortlist, the threshold off."""
    reader = ModelReader(scorer, min_score=0.0, spans=spans)
    out = []
    with tempfile.TemporaryDirectory(prefix="article-qa-calibrate-") as scratch:
        settings = Settings(data_dir=Path(scratch), search=SearchSettings(min_score=0.0))
        engine = Engine(settings, reader=reader)
        ingest(articles, settings.data_dir, "calibration", engine.embedder(), ChunkSettings())
        searcher = engine.searcher("calibration")
        for number, (text, answers, kind) in enumerate(asked, start=1):
            vector = searcher.embedder.embed_query(text)
            hits = searcher.search(text, settings.search, query_vector=vector)
            reading = reader.score(text, vector, hits, searcher.collection)
            supports = [reader.support(text, hits, reading, s, searcher.collection) for s in reading.scored]
            out.append((kind, answers, reading.scored, supports))
            if number % 200 == 0:
                print(f"  {number}/{len(asked)} questions", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "qa" / "models" / "answer")
    parser.add_argument("--squad2", type=Path, default=SQUAD2)
    parser.add_argument("--budget", type=float, default=BUDGET)
    parser.add_argument("--support-weight", type=float, help="use this support weight instead of the best on held-out")
    parser.add_argument(
        "--passage-model",
        type=Path,
        help="also weigh the margin of this passage reader (qa/models/passage) inside each sentence",
    )
    parser.add_argument(
        "--background-passages",
        type=int,
        default=BACKGROUND_PASSAGES,
        help=f"passages of English at large blended into the support's word weights (default {BACKGROUND_PASSAGES})",
    )
    parser.add_argument(
        "--news",
        type=Path,
        nargs="+",
        default=[],
        help="also choose the selection weights on these news development sets' answerable questions "
        "(e.g. benchmarks/data/bbc_typed_dev_questions.json), asked of --news-articles",
    )
    parser.add_argument("--news-articles", type=Path, nargs="*", default=[], help="the articles --news asks of")
    args = parser.parse_args(argv)
    if args.news and not args.news_articles:
        print("error: --news needs --news-articles (the folders its questions are asked of)", file=sys.stderr)
        return 2
    if not args.squad2.is_file():
        print(f"error: {args.squad2} not found; the calibration data lives in ../shared/data", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="article-qa-export-") as cache:
        # The form questions use: int8 on ONNX Runtime.
        export_answer_model(args.model, Path(cache))
        scorer = PairClassifier(args.model, cache=Path(cache))
        for key in ("calibration", "selection"):
            scorer.card.pop(key, None)
        scorer.card["calibration"] = {"background_passages": args.background_passages}
        spans = None
        if args.passage_model:
            export_reader(args.passage_model, Path(cache))
            spans = SpanReader(args.passage_model, cache=Path(cache))
        return calibrate(args, scorer, spans)


def calibrate(args: argparse.Namespace, scorer: PairClassifier, spans: SpanReader | None = None) -> int:
    asked = held_out_questions(args.squad2, scorer, spans)
    news = news_questions(args.news, args.news_articles, scorer, spans)
    kinds = np.array([kind for kind, _, _, _ in asked])
    answerable = kinds == "answerable"

    def chosen(weights: tuple[float, float, float], questions: list[Asked] = asked) -> list[Scored | None]:
        reader = ModelReader(scorer, min_score=0.0)
        reader.cheap_weight, reader.span_weight, reader.passage_weight = weights
        return [reader.choose(scored) for _, _, scored, _ in questions]

    def correct(choices: list[Scored | None], questions: list[Asked] = asked) -> np.ndarray:
        return np.array(
            [
                c is not None and any(a in c.candidate.text for a in answers)
                for c, (_, answers, _, _) in zip(choices, questions, strict=True)
            ],
            dtype=float,
        )

    def found(weights: tuple[float, float, float]) -> float:
        """Answer sentences found: on the held-out articles, or the mean of those and each news set's."""
        squad = float(correct(chosen(weights))[answerable].mean())
        return float(np.mean([squad, *(correct(chosen(weights, one), one).mean() for one in news)]))

    has_spans = any(s.span is not None for _, _, scored, _ in asked for s in scored)
    grid = [
        (c, s, p)
        for c in CHEAP_WEIGHTS
        for s in (SPAN_WEIGHTS if has_spans else (0.0,))
        for p in (PASSAGE_WEIGHTS if spans is not None else (0.0,))
    ]
    by_weight = {w: found(w) for w in grid}
    # The most answer sentences found; of equals, the smallest weights.
    weight = max(grid, key=lambda w: (round(by_weight[w], 3), -sum(w)))
    choices = chosen(weight)
    right = correct(choices)
    raw = logit(np.array([c.probability if c is not None else 0.0 for c in choices]))
    support = np.array(
        [
            supports[scored.index(c)] if c is not None else 0.0
            for c, (_, _, scored, supports) in zip(choices, asked, strict=True)
        ]
    )

    whole = np.array([c.passage_margin if c is not None else 0.0 for c in choices])

    def refused_at_budget(z: np.ndarray) -> float:
        """Refusals at the budget, near misses and off-topic questions counting alike (users ask both)."""
        threshold = np.quantile(z[answerable], args.budget)
        return float(np.mean([(z[kinds == kind] < threshold).mean() for kind in ("near miss", "off topic")]))

    by_support = {w: refused_at_budget(raw + w * support) for w in SUPPORT_WEIGHTS}
    support_weight = max(SUPPORT_WEIGHTS, key=lambda w: (round(by_support[w], 3), -w))
    if args.support_weight is not None:
        support_weight = args.support_weight
    refusal_weights = PASSAGE_REFUSAL_WEIGHTS if spans is not None else (0.0,)
    by_passage = {w: refused_at_budget(raw + support_weight * support + w * whole) for w in refusal_weights}
    passage_refusal = max(refusal_weights, key=lambda w: (round(by_passage[w], 3), -w))
    z = raw + support_weight * support + passage_refusal * whole
    a, b = platt(1.0 / (1.0 + np.exp(-z)), right)
    calibrated = 1.0 / (1.0 + np.exp(-(a * z + b)))
    # The highest threshold that refuses at most the budget of answerable questions.
    threshold = math.floor(float(np.quantile(calibrated[answerable], args.budget)) * 1e4) / 1e4
    shown = calibrated >= threshold
    card_path = args.model / CARD
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["selection"] = {
        "cheap_weight": weight[0],
        "span_weight": weight[1],
        "answer_sentence_by_weights": {" ".join(map(str, w)): round(v, 4) for w, v in by_weight.items()},
        "chosen_on": f"{args.squad2.name} held-out articles"
        + "".join(f", {file.name} ({len(one)} questions)" for file, one in zip(args.news, news, strict=True))
        + (", the mean of each" if news else ""),
        "answer_sentence_by_set": {
            f"{args.squad2.name} held-out articles": round(float(right[answerable].mean()), 4),
            **{
                file.name: round(float(correct(chosen(weight, one), one).mean()), 4)
                for file, one in zip(args.news, news, strict=True)
            },
        },
    }
    if spans is not None:
        card["selection"] |= {"passage_weight": weight[2], "passage_model": spans.name}
    card["calibration"] = {
        "support_weight": support_weight,
        "passage_weight": passage_refusal,
        "refused_unanswerable_by_passage_weight": {str(w): round(v, 4) for w, v in by_passage.items()},
        "background_passages": args.background_passages,
        "refused_unanswerable_by_support_weight": {str(w): round(v, 4) for w, v in by_support.items()},
        "a": round(a, 6),
        "b": round(b, 6),
        "threshold": threshold,
        "fitted_on": f"{args.squad2.name}: {', '.join(HELD_OUT)} (held out of training)",
        "budget_false_refusals": args.budget,
        "questions": len(asked),
        "unanswerable": int((~answerable).sum()),
        "off_topic": f"every {OFF_TOPIC_EVERY}th answerable question of the other SQuAD 2.0 articles, as unanswerable",
        "refused_unanswerable": round(float((calibrated[~answerable] < threshold).mean()), 4),
        "refused_near_misses": round(float((calibrated[kinds == "near miss"] < threshold).mean()), 4),
        "refused_off_topic": round(float((calibrated[kinds == "off topic"] < threshold).mean()), 4),
        "refused_answerable": round(float((calibrated[answerable] < threshold).mean()), 4),
        "answer_sentence": round(float(right[answerable].mean()), 4),
        "shown_and_correct": round(float(right[shown].mean()) if shown.any() else 0.0, 4),
    }
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"selection": card["selection"], "calibration": card["calibration"]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
