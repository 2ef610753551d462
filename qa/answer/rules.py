"""The word-overlap reader: sentence cosine plus the query's rare words, and a number check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from embeddings import Vectors
from qa.answer.base import found, refused
from qa.answer.overlap import able_to_answer, candidates, choose_sentence, confidence
from qa.index.collection import Collection
from qa.types import Answer, Chunk, Hit

# The rules' confidence threshold, fitted on dev-24 at 5 % false refusals.
RULES_MIN_SCORE = 0.49


@dataclass(frozen=True)
class RulesReader:
    """The word-overlap rules: sentence cosine + the query's rare words, and a number check."""

    min_score: float = RULES_MIN_SCORE
    name: str = "rules"

    def with_threshold(self, min_score: float) -> RulesReader:
        return replace(self, min_score=min_score)

    def preferring(self, prefer: Callable[[str, Chunk], float] | None) -> RulesReader:
        return self

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "threshold": self.min_score}

    def read(self, question: str, query: str, query_vector: Vectors, hits: list[Hit], collection: Collection) -> Answer:
        # The query is the question made standalone (follow-ups rewritten), so it is what sentences are matched on.
        pool = candidates(collection, query_vector, hits, 3) if hits else []
        # "How many ...?" is answered only by a sentence with a number in it; none means not found.
        answers = [pool[i] for i in able_to_answer(query, pool)]
        sentence = choose_sentence(query, hits, answers, collection)
        score = confidence(query, hits, pool, sentence, collection)
        if sentence is None or score < self.min_score:
            return refused(question, query, hits, score, self.name)
        return found(question, query, hits, sentence, score, self.name)
