"""The model reader: the trained answer model reads the question with each shortlisted candidate sentence.

The model (qa/models/answer) is trained by training/train_answer_model.py and calibrated by
training/calibrate_answer_model.py; its input is built by qa/answer/pairs.py for both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from embeddings import Vectors
from embeddings.pair_classifier import PairReading
from qa.answer.base import found, refused
from qa.answer.conflicts import conflicting
from qa.answer.kinds import refers_back, wants_name
from qa.answer.overlap import Candidate, able_to_answer, candidates, confidence, sentence_scores
from qa.answer.pairs import BEFORE, answer_pair
from qa.index.collection import Collection
from qa.types import Answer, Chunk, Hit

ANSWER_MODEL = Path(__file__).parents[1] / "models" / "answer"
# Another article's sentence counts as a rival answer (for conflicting reports) only when the model finds
# it at least this share as likely to answer as the chosen sentence.
OTHERS_SHARE = 0.5
# With a passage reader: how many sentences it points into most are read besides the cheap score's shortlist.
PROPOSALS = 2


class PairScorer(Protocol):
    """Probability that the second text of each pair answers the first, and where the answer's words are
    (embeddings.PairClassifier)."""

    name: str
    card: dict[str, Any]

    def read_pairs(self, pairs: list[tuple[str, str]]) -> list[PairReading]: ...


class RangeScorer(Protocol):
    """How strongly a passage reader, reading each passage whole, points into each of its character ranges
    (embeddings.SpanReader.margins)."""

    def margins(self, question: str, passages: list[str], ranges: list[list[tuple[int, int]]]) -> list[list[float]]: ...


def logit(probability: float) -> float:
    p = min(max(probability, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def calibrated(probability: float, support: float, card: dict[str, Any], passage_margin: float = 0.0) -> float:
    """Probability that the chosen sentence states the answer, as fitted on held-out articles.

    The model's log-odds plus ``support_weight`` times the rules' support for the passage (its
    coverage of the question's rare words and the best sentence cosine), through Platt scaling.
    The support catches a question about something the articles never mention, which the model,
    reading one sentence at a time, can mistake for a paraphrase.
    """
    calibration = card.get("calibration")
    if not calibration:
        return probability
    z = logit(probability) + calibration.get("support_weight", 0.0) * support
    z += calibration.get("passage_weight", 0.0) * passage_margin
    z = calibration["a"] * z + calibration["b"]
    return 1.0 / (1.0 + math.exp(-min(max(z, -50.0), 50.0)))


@dataclass(frozen=True)
class Scored:
    """A shortlisted sentence with the cheap score it was shortlisted by and the model's probability.

    ``span``: where in the sentence the model puts the answer's words (offsets into its text), if it says;
    ``margin``: how much likelier the model finds that span than "no answer here";
    ``passage_margin``: the same for the passage reader's best span inside the sentence, read with its
    whole passage (0 without a passage reader).
    """

    candidate: Candidate
    cheap: float
    probability: float
    span: tuple[int, int] | None = None
    margin: float = 0.0
    passage_margin: float = 0.0
    chunk: Chunk | None = None
    """The passage the sentence was read from."""


def sentence_span(sentence: str, second: str, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """The model's span in ``second`` (the sentence as the model read it) as offsets into ``sentence``.

    None when the model gave no span or put it outside the sentence (in its headline or the sentence before).
    """
    if span is None:
        return None
    after = [at for at in (second.find(" | "), second.find(BEFORE)) if at >= 0]
    if span[1] > min(after, default=len(second)):
        return None
    words = second[span[0] : span[1]].strip()
    if not words:
        return None
    found = sentence.find(words)
    if found >= 0:
        return _paired(sentence, found, found + len(words))
    pattern = r"\s+".join(re.escape(w) for w in words.split())
    match = re.search(pattern, sentence)
    return _paired(sentence, match.start(), match.end()) if match else None


_PAIRS = (('"', '"'), ("“", "”"), ("(", ")"))


def _paired(sentence: str, start: int, end: int) -> tuple[int, int]:
    """``start``, ``end`` moved so that a quote or bracket the span opens is closed ('"security roof"',
    'a "security roof"'), or left out when the sentence does not close it right after the span."""
    for opening, closing in _PAIRS:
        text = sentence[start:end]
        unclosed = text.count(opening) != text.count(closing) if opening != closing else text.count(opening) % 2
        if not unclosed:
            continue
        if sentence[end : end + 1] == closing:
            end += 1  # the span opens a quote or bracket the sentence closes right after it
        elif text.startswith(opening):
            start += 1
        elif text.endswith(closing):
            end -= 1
    return start, end


def previous_in_passage(pool: list[Candidate], index: int) -> Candidate | None:
    """The sentence before ``pool[index]`` in the same passage; None for the passage's first."""
    previous = pool[index - 1] if index > 0 else None
    return previous if previous is not None and previous.passage == pool[index].passage else None


def with_referent(
    query: str, pool: list[Candidate], sentence: Candidate, span: tuple[int, int] | None, hits: list[Hit]
) -> tuple[Candidate, tuple[int, int] | None]:
    """The answer to quote: for a question asking who (or which), a sentence that names its subject only
    as "he", "she", "they" or "it" ("'That threat could manifest itself imminently,' he said.") is quoted
    with the sentence before it in its passage, where the name is. ``span`` (offsets into the sentence's
    text) moves with it. Otherwise the sentence as it is.
    """
    if not (wants_name(query) and refers_back(sentence.text)):
        return sentence, span
    before = previous_in_passage(pool, pool.index(sentence))
    if before is None:
        return sentence, span
    chunk = hits[sentence.passage].chunk
    text = chunk.text[before.start - chunk.start : sentence.end - chunk.start]
    shift = sentence.start - before.start
    moved = (span[0] + shift, span[1] + shift) if span is not None else None
    return replace(sentence, start=before.start, text=text, stems=before.stems | sentence.stems), moved


@dataclass(frozen=True)
class Reading:
    """What the model reader saw for one question: every candidate sentence and the scored shortlist."""

    pool: list[Candidate]
    scored: list[Scored]


class ModelReader:
    """The trained answer model reads the question with each of a short list of candidate sentences.

    The candidates are the sentences of the top ``passages`` passages, shortlisted by the cheap
    score (cosine to the question and its focus words) to ``shortlist``, since the model costs a
    few milliseconds a sentence; a question asking for a number (``wants_number``) shortlists only
    sentences holding one of the kind it asks for, and none means "not found". The answer is the
    sentence with the best model log-odds plus ``cheap_weight`` times its cheap score and
    ``span_weight`` times its span margin (weights and calibration are in the model card, chosen
    on held-out articles); its calibrated probability is the confidence. When ``rerank`` is on,
    the passage holding the answer moves to the front: the sentence that answers is better
    evidence than the passage's overall similarity.
    """

    def __init__(
        self,
        scorer: PairScorer,
        *,
        min_score: float | None = None,
        passages: int = 3,
        shortlist: int = 8,
        rerank: bool = True,
        spans: RangeScorer | None = None,
        prefer: Callable[[str, Chunk], float] | None = None,
    ) -> None:
        self.scorer = scorer
        self.spans = spans
        self.prefer = prefer
        card = scorer.card
        self.name = f"{card.get('name', scorer.name)} v{card.get('version', '?')}"
        self.min_score = float(card.get("calibration", {}).get("threshold", 0.5)) if min_score is None else min_score
        self.passages = passages
        self.shortlist = shortlist
        self.rerank = rerank
        self.cheap_weight = float(card.get("selection", {}).get("cheap_weight", 0.0))
        self.span_weight = float(card.get("selection", {}).get("span_weight", 0.0))
        self.passage_weight = float(card.get("selection", {}).get("passage_weight", 0.0))
        self.background = int(card.get("calibration", {}).get("background_passages", 0))
        self.context = card.get("context") == "previous"

    def with_threshold(self, min_score: float) -> ModelReader:
        return ModelReader(
            self.scorer,
            min_score=min_score,
            passages=self.passages,
            shortlist=self.shortlist,
            rerank=self.rerank,
            spans=self.spans,
            prefer=self.prefer,
        )

    def preferring(self, prefer: Callable[[str, Chunk], float] | None) -> ModelReader:
        """The same reader adding ``prefer(sentence)`` to each candidate's log-odds when choosing."""
        reader = self.with_threshold(self.min_score)
        reader.prefer = prefer
        return reader

    def describe(self) -> dict[str, Any]:
        card = self.scorer.card
        return {
            "name": card.get("name", self.scorer.name),
            "version": card.get("version"),
            "training_data": card.get("training_data"),
            "threshold": self.min_score,
        }

    def score(self, query: str, query_vector: Vectors, hits: list[Hit], collection: Collection) -> Reading:
        """The sentences of the top passages; the shortlist with cheap scores and the model's probabilities."""
        pool = candidates(collection, query_vector, hits, self.passages) if hits else []
        if not pool:
            return Reading([], [])
        cheap = sentence_scores(query, hits, pool, collection)
        # The model, reading one sentence at a time, rates "Jef Raskin ... has died" for "How old was he?".
        able = able_to_answer(query, pool)
        order = sorted(able, key=lambda i: -cheap[i])[: self.shortlist]
        if not order:
            return Reading(pool, [])
        whole = dict(zip(able, self.passage_margins(query, hits, [pool[i] for i in able]), strict=True))
        if self.spans is not None:
            # The sentences the passage reader points into most join the shortlist: the one holding a name
            # or figure often shares no word with the question, and the cheap score passes it over.
            order += sorted((i for i in able if i not in order), key=lambda i: -whole[i])[:PROPOSALS]
        pairs = [
            answer_pair(query, pool[i].text, hits[pool[i].passage].chunk.title, self._before(pool, i)) for i in order
        ]
        readings = self.scorer.read_pairs(pairs)
        read_whole = [whole[i] for i in order]
        return Reading(
            pool,
            [
                Scored(
                    pool[i],
                    cheap[i],
                    r.probability,
                    sentence_span(pool[i].text, pair[1], r.span),
                    r.margin,
                    whole,
                    hits[pool[i].passage].chunk,
                )
                for i, pair, r, whole in zip(order, pairs, readings, read_whole, strict=True)
            ],
        )

    def _before(self, pool: list[Candidate], index: int) -> str | None:
        """The sentence before ``pool[index]`` in its passage ("" for the passage's first) for a model that
        reads it (card ``"context": "previous"``); None for one that does not."""
        if not self.context:
            return None
        previous = previous_in_passage(pool, index)
        return previous.text if previous is not None else ""

    def passage_margins(self, query: str, hits: list[Hit], shortlist: list[Candidate]) -> list[float]:
        """The passage reader's margin inside each of these sentences (each passage read once, whole);
        zeros without a passage reader."""
        if self.spans is None:
            return [0.0] * len(shortlist)
        passages = sorted({c.passage for c in shortlist})
        members = [[c for c in shortlist if c.passage == p] for p in passages]
        ranges = [
            [(c.start - hits[p].chunk.start, c.end - hits[p].chunk.start) for c in m]
            for p, m in zip(passages, members, strict=True)
        ]
        margins = self.spans.margins(query, [hits[p].chunk.text for p in passages], ranges)
        found = {
            (c.passage, c.start): m
            for group, got in zip(members, margins, strict=True)
            for c, m in zip(group, got, strict=True)
        }
        return [found[(c.passage, c.start)] for c in shortlist]

    def support(self, query: str, hits: list[Hit], reading: Reading, best: Scored, collection: Collection) -> float:
        """The rules' support for the answer's passage (coverage of the question, best cosine)."""
        return confidence(query, hits, reading.pool, best.candidate, collection, background=self.background)

    def choose(self, scored: list[Scored]) -> Scored | None:
        """The sentence most likely to state the answer: the model's log-odds, plus shares of the cheap
        score and of the span margin.

        The cheap score carries the embedding model's sense of meaning, which the answer model, trained on
        a few thousand Wikipedia questions, lacks for paraphrases. The span margin says whether the model
        can point to the answer's words in the sentence, which a lead restating the question's words
        cannot offer. Both weights were chosen on held-out articles.
        """
        return max(scored, key=self._key, default=None)

    def _key(self, s: Scored) -> float:
        return (
            logit(s.probability)
            + self.cheap_weight * s.cheap
            + self.span_weight * s.margin
            + self.passage_weight * s.passage_margin
            + (self.prefer(s.candidate.text, s.chunk) if self.prefer is not None and s.chunk is not None else 0.0)
        )

    def read(self, question: str, query: str, query_vector: Vectors, hits: list[Hit], collection: Collection) -> Answer:
        reading = self.score(query, query_vector, hits, collection)
        best = self.choose(reading.scored)
        if best is None:
            return refused(question, query, hits, 0.0, self.name)
        sentence = best.candidate
        support = self.support(query, hits, reading, best, collection)
        score = calibrated(best.probability, support, self.scorer.card, best.passage_margin)
        if score < self.min_score:
            return refused(question, query, hits, score, self.name)
        others = self.others(question, query, hits, reading, best, collection)
        sentence, span = with_referent(query, reading.pool, sentence, best.span, hits)
        if self.rerank and sentence.passage > 0:
            hits = [hits[sentence.passage], *hits[: sentence.passage], *hits[sentence.passage + 1 :]]
            sentence = replace(sentence, passage=0)
        answer = found(question, query, hits, sentence, score, self.name, span)
        return replace(answer, conflicts=conflicting(answer, others)) if others else answer

    def others(
        self, question: str, query: str, hits: list[Hit], reading: Reading, best: Scored, collection: Collection
    ) -> list[Answer]:
        """The best shortlisted sentence of each other article, where it too passes the threshold and the
        model finds it about as likely to answer as the chosen one (``OTHERS_SHARE`` of its probability).
        ``hits`` in the order the candidates were read from."""
        article = hits[best.candidate.passage].chunk.article_id
        ranked = sorted(reading.scored, key=self._key, reverse=True)
        seen = {article}
        answers = []
        for scored in ranked:
            hit = hits[scored.candidate.passage]
            if hit.chunk.article_id in seen or scored.probability < OTHERS_SHARE * best.probability:
                continue
            seen.add(hit.chunk.article_id)
            support = self.support(query, hits, reading, scored, collection)
            score = calibrated(scored.probability, support, self.scorer.card, scored.passage_margin)
            if score >= self.min_score:
                sentence = replace(scored.candidate, passage=0)
                answers.append(found(question, query, [hit], sentence, score, self.name, scored.span))
        return answers
