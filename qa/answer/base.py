"""The readers' interface: given a question and the retrieved passages, choose the answer sentence or say "not found".

Two readers implement it: ``ModelReader`` (qa/answer/model.py, the default) asks the trained answer
model how likely each candidate sentence is to state the answer; ``RulesReader`` (qa/answer/rules.py)
keeps the earlier word-overlap rules for comparison (``--reader rules``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from embeddings import Vectors
from qa.answer.overlap import Candidate
from qa.index.collection import Collection
from qa.types import Answer, Chunk, Hit


class Reader(Protocol):
    """Chooses the answer among the retrieved passages' sentences, or decides it is not there."""

    @property
    def name(self) -> str: ...

    @property
    def min_score(self) -> float:
        """Below this confidence the answer is "not found"."""
        ...

    def read(self, question: str, query: str, query_vector: Vectors, hits: list[Hit], collection: Collection) -> Answer:
        """The answer, with ``confidence`` in [0, 1]; ``hits`` are the passages, best first."""
        ...

    def with_threshold(self, min_score: float) -> Reader:
        """The same reader with another "not found" threshold."""
        ...

    def preferring(self, prefer: Callable[[str, Chunk], float] | None) -> Reader:
        """The same reader leaning, when it chooses, towards sentences ``prefer`` scores above 0 (a log-odds
        bonus); a reader that cannot weigh sentences so returns itself."""
        ...

    def describe(self) -> dict[str, Any]:
        """What the reader is (for the answer's JSON): name, version, training data, threshold."""
        ...


def refused(question: str, query: str, hits: list[Hit], score: float, reader: str) -> Answer:
    return Answer(question, query, False, None, None, None, None, tuple(hits), score, reader)


def found(
    question: str,
    query: str,
    hits: list[Hit],
    sentence: Candidate,
    score: float,
    reader: str,
    span: tuple[int, int] | None = None,
) -> Answer:
    """``span``: the answering words, as offsets into ``sentence.text``."""
    words = (sentence.start + span[0], sentence.start + span[1]) if span is not None else (None, None)
    return Answer(
        question,
        query,
        True,
        sentence.text,
        sentence.passage,
        sentence.start,
        sentence.end,
        tuple(hits),
        score,
        reader,
        *words,
    )
