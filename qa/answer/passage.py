"""The passage reader: the question and each top passage read whole, every span scored, [CLS] as "no answer".

The field's extractive readers work this way (SQuAD 2.0's null-score rule): a passage's lead that
restates the question and the later sentence holding the fact compete in one softmax over the
passage, instead of being scored one sentence at a time. The answer shown is the sentence that
holds the best span, with the span set apart. Trained by training/train_passage_reader.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from embeddings import Vectors
from embeddings.span_reader import Span
from qa.answer.base import found, refused
from qa.answer.overlap import Candidate, candidates
from qa.index.collection import Collection
from qa.types import Answer, Chunk, Hit

PASSAGE_MODEL = Path(__file__).parents[1] / "models" / "passage"


class SpanScorer(Protocol):
    """The best span of each passage for a question (embeddings.SpanReader)."""

    name: str
    card: dict[str, Any]

    def read(self, question: str, passages: list[str]) -> list[Span | None]: ...


class PassageReader:
    """Reads the top ``passages`` passages whole and quotes the sentence holding the best span.

    The confidence is the span's margin over "no answer" (its start + end logits less [CLS]'s),
    through the model card's calibration (Platt scaling fitted on held-out articles), else a plain
    logistic of the margin.
    """

    def __init__(self, spans: SpanScorer, *, min_score: float | None = None, passages: int = 3) -> None:
        self.spans = spans
        card = spans.card
        self.name = f"{card.get('name', spans.name)} v{card.get('version', '?')}"
        calibration = card.get("calibration", {})
        self.min_score = float(calibration.get("threshold", 0.5)) if min_score is None else min_score
        self.passages = passages

    def with_threshold(self, min_score: float) -> PassageReader:
        return PassageReader(self.spans, min_score=min_score, passages=self.passages)

    def preferring(self, prefer: Callable[[str, Chunk], float] | None) -> PassageReader:
        return self

    def describe(self) -> dict[str, Any]:
        card = self.spans.card
        return {
            "name": card.get("name", self.spans.name),
            "version": card.get("version"),
            "training_data": card.get("training_data"),
            "threshold": self.min_score,
        }

    def confidence(self, margin: float) -> float:
        calibration = self.spans.card.get("calibration") or {"a": 1.0, "b": 0.0}
        z = calibration["a"] * margin + calibration["b"]
        return 1.0 / (1.0 + math.exp(-min(max(z, -50.0), 50.0)))

    def best(self, query: str, hits: list[Hit]) -> tuple[int, Span] | None:
        """The passage (its index in ``hits``) and span with the largest margin over "no answer"."""
        read = self.spans.read(query, [hit.chunk.text for hit in hits[: self.passages]])
        scored = [(index, span) for index, span in enumerate(read) if span is not None]
        return max(scored, key=lambda item: item[1].margin, default=None)

    def read(self, question: str, query: str, query_vector: Vectors, hits: list[Hit], collection: Collection) -> Answer:
        best = self.best(query, hits) if hits else None
        if best is None:
            return refused(question, query, hits, 0.0, self.name)
        index, span = best
        score = self.confidence(span.margin)
        sentence = sentence_holding(collection, query_vector, hits, index, span)
        if sentence is None or score < self.min_score:
            return refused(question, query, hits, score, self.name)
        if index > 0:
            hits = [hits[index], *hits[:index], *hits[index + 1 :]]
            sentence = replace(sentence, passage=0)
        chunk = hits[0].chunk
        start = max(chunk.start + span.start, sentence.start) - sentence.start
        end = min(chunk.start + span.end, sentence.end) - sentence.start
        return found(question, query, hits, sentence, score, self.name, (start, end) if end > start else None)


def sentence_holding(
    collection: Collection, query_vector: Vectors, hits: list[Hit], index: int, span: Span
) -> Candidate | None:
    """The sentence of passage ``index`` where the span starts (article offsets), from the store."""
    chunk = hits[index].chunk
    where = chunk.start + span.start
    pool = candidates(collection, query_vector, [hits[index]], 1)
    inside = [c for c in pool if c.start <= where < c.end]
    if not inside:
        inside = sorted(pool, key=lambda c: abs(c.start - where))[:1]
    return replace(inside[0], passage=index) if inside else None
