"""Calibrate a passage reader on a SQuAD 2.0 file: when is its answer right, and where "not found" starts.

    article-qa calibrate --reader-model deepset/roberta-base-squad2 squad2-dev.json

The file's articles go into a temporary collection and each question is asked through the real
pipeline (hybrid retrieval, the reader over the top passages): its answerable questions, its
unanswerable ones (near misses) and, when only some articles are read (``titles``), every tenth
answerable question of the others (off topic there, so unanswerable by construction). Platt scaling
of the best span's margin over "no answer" is fitted to "the quoted sentence holds a gold answer",
and the threshold is the highest that refuses at most ``budget`` of the answerable questions.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.passage import PassageReader, sentence_holding
from qa.engine import Engine
from qa.evaluation import load_question_file
from qa.index.ingest import ingest
from qa.settings import ChunkSettings, SearchSettings, Settings

BUDGET = 0.05
# Of the articles not read, every Nth answerable question is asked as an off-topic one.
OFF_TOPIC_EVERY = 10
KINDS = ("answerable", "near miss", "off topic")


@dataclass(frozen=True)
class Asked:
    """One question asked: its kind (``KINDS``), the reader's best margin, and whether the quoted sentence
    holds a gold answer."""

    kind: str
    margin: float
    right: bool


def questions_to_ask(file: Path, titles: Sequence[str] = ()) -> tuple[Any, list[tuple[str, tuple[str, ...], str]]]:
    """The question set of ``file`` (only ``titles`` when given) and what to ask: (question, gold answers, kind)."""
    questions = load_question_file(file, titles)
    asked = [(q.text, q.answers, "answerable") for q in questions.answerable]
    asked += [(q.text, (), "near miss") for q in questions.unanswerable]
    if titles:
        others = sorted({str(a["title"]) for a in json.loads(file.read_text(encoding="utf-8"))["data"]} - set(titles))
        if others:
            elsewhere = load_question_file(file, others).answerable[::OFF_TOPIC_EVERY]
            asked += [(q.text, (), "off topic") for q in elsewhere]
    return questions, asked


def ask_all(
    reader: PassageReader,
    file: Path,
    titles: Sequence[str] = (),
    *,
    engine: Engine | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Asked]:
    """Every question of ``file`` asked of its articles through retrieval and ``reader``."""
    questions, asked = questions_to_ask(file, titles)
    out: list[Asked] = []
    with tempfile.TemporaryDirectory(prefix="article-qa-calibrate-") as scratch:
        settings = Settings(data_dir=Path(scratch), search=SearchSettings(min_score=0.0))
        embedder = engine.embedder() if engine is not None else None
        local = Engine(settings, embedder=embedder, reader=reader)
        ingest(questions.articles, settings.data_dir, "calibration", local.embedder(), ChunkSettings())
        searcher = local.searcher("calibration")
        for number, (text, answers, kind) in enumerate(asked, start=1):
            vector = searcher.embedder.embed_query(text)
            hits = searcher.search(text, settings.search, query_vector=vector)
            best = reader.best(text, hits)
            if best is None:
                out.append(Asked(kind, -1e3, False))
            else:
                sentence = sentence_holding(searcher.collection, vector, hits, *best)
                right = sentence is not None and any(a in sentence.text for a in answers)
                out.append(Asked(kind, best[1].margin, right))
            if progress is not None:
                progress(number, len(asked))
    return out


def _log_loss(a: float, b: float, x: np.ndarray, labels: np.ndarray) -> float:
    z = a * x + b
    return float(np.mean(np.logaddexp(0.0, z) - labels * z))


def platt(x: np.ndarray, labels: np.ndarray, steps: int = 200) -> tuple[float, float]:
    """a, b of sigmoid(a * x + b) minimising the log loss against 0/1 ``labels`` (damped Newton steps)."""
    a, b = 1.0, 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(a * x + b, -50, 50)))
        gradient = np.array([np.mean((p - labels) * x), np.mean(p - labels)])
        w = p * (1 - p)
        hessian = np.array([[np.mean(w * x * x), np.mean(w * x)], [np.mean(w * x), np.mean(w)]]) + 1e-6 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        size = 1.0
        while size > 1e-4 and _log_loss(a - size * step[0], b - size * step[1], x, labels) > _log_loss(a, b, x, labels):
            size /= 2
        a, b = a - size * step[0], b - size * step[1]
        if np.abs(size * step).max() < 1e-9:
            break
    return float(a), float(b)


def fit(asked: list[Asked], budget: float = BUDGET) -> dict[str, Any]:
    """Platt scaling of the margin and the "not found" threshold, with the figures they give on ``asked``."""
    kinds = np.array([q.kind for q in asked])
    margins = np.clip(np.array([q.margin for q in asked], dtype=np.float64), -30.0, 30.0)
    answerable = kinds == "answerable"
    if not answerable.any():
        raise ValueError("no answerable questions to calibrate on")
    right = np.array([q.right for q in asked], dtype=np.float64) * answerable
    a, b = platt(margins, right)
    confidence = 1.0 / (1.0 + np.exp(-np.clip(a * margins + b, -50, 50)))
    ordered = np.sort(confidence[answerable])
    threshold = float(ordered[int(np.floor(budget * len(ordered)))])
    figures: dict[str, Any] = {
        "answer_sentence": round(float(right[answerable].mean()), 4),
        "refused_answerable": round(float((confidence[answerable] < threshold).mean()), 4),
    }
    for kind in KINDS[1:]:
        if (kinds == kind).any():
            refused = float((confidence[kinds == kind] < threshold).mean())
            figures["refused_near_misses" if kind == "near miss" else "refused_off_topic"] = round(refused, 4)
    figures["questions"] = {k: int((kinds == k).sum()) for k in KINDS if (kinds == k).any()}
    return {"a": a, "b": b, "threshold": threshold, "budget": budget, "held_out": figures}
