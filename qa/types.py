"""Plain data passed between the stages: articles, chunks, hits and answers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Article:
    """One news article: a headline, its text and where it came from.

    ``id`` is stable across re-ingests of the same file or record (a path relative to the
    ingested folder, or the ``id`` field of an export); ``origin`` names the file (and line)
    for messages.
    """

    id: str
    title: str
    text: str
    date: str | None = None
    url: str | None = None
    source: str | None = None
    origin: str = ""

    def content_hash(self) -> str:
        """Hash of what is indexed: headline and text, so an edited article is re-embedded."""
        digest = hashlib.sha256()
        digest.update(self.title.strip().encode("utf-8"))
        digest.update(b"\x00")
        digest.update(self.text.strip().encode("utf-8"))
        return digest.hexdigest()


@dataclass(frozen=True)
class Skip:
    """A file or record that was not ingested, and why."""

    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


@dataclass(frozen=True)
class Chunk:
    """A passage of an article; ``start``/``end`` are character offsets into the article's text."""

    id: int
    article_id: str
    title: str
    text: str
    start: int
    end: int
    date: str | None = None
    url: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the scores it was fused from."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None


@dataclass(frozen=True)
class Period:
    """A stretch of time a question is about (``start`` to ``end``, both days included), as read from its
    words ("in March 1987", "last week") or given as ``--since``/``--until``.

    News reports a period's facts after it: ``reported_until`` is the last publication day that may
    still be about it (a month's figures come out weeks later), and articles dated after ``end`` count
    only where they name the period. A period from ``--since``/``--until`` (``strict``) is a plain
    filter on the articles' dates.
    """

    start: date
    end: date
    label: str
    """How it is shown: "March 1987", "12 to 18 October 1987"."""
    phrase: str = ""
    """The question's words that named it ("in March 1987"); empty for ``--since``/``--until``."""
    grain: str = "day"
    """day, week, month, quarter or year: how long its facts take to be reported."""
    strict: bool = False
    reported_until: date | None = None

    @property
    def last_report(self) -> date:
        """The last publication day searched: ``reported_until``, else the end for a strict period."""
        if self.strict or self.reported_until is None:
            return self.end
        return self.reported_until


@dataclass(frozen=True)
class Answer:
    """The answer to one question: the best sentence (if found) and the passages behind it.

    ``sentence_start``/``sentence_end`` are offsets into the article text of
    ``passages[passage_index].chunk``; when ``found`` is false the passages are the closest
    ones, offered as such.
    """

    question: str
    query: str
    found: bool
    sentence: str | None
    passage_index: int | None
    sentence_start: int | None
    sentence_end: int | None
    passages: tuple[Hit, ...] = field(default_factory=tuple)
    confidence: float = 0.0
    """How sure the engine is that the passages answer the question (0 to 1); ``found`` is this
    compared with the threshold."""
    reader: str = ""
    """Which reader chose the answer (the answer model's name and version, or "rules")."""
    span_start: int | None = None
    span_end: int | None = None
    """The answering words within the sentence (article offsets, like ``sentence_start``), where the
    reader says which they are."""
    period: Period | None = None
    """The period the question was read as asking about ("About March 1987"); the search kept to it."""
    as_of: date | None = None
    """The date the question's "last week", "now" and "latest" were read against."""
    latest: bool = False
    """The question asked for the latest: the answer is the newest article's that states it."""
    earlier: tuple[Answer, ...] = ()
    """For "the latest": older articles' answers that differ, newest first."""
    nearest: Answer | None = None
    """Not found for the period: the best answer from outside it, offered as such."""
    timeline: tuple[Answer, ...] = ()
    """For a timeline: one answer per dated article on the story, oldest first."""
    conflicts: tuple[Answer, ...] = ()
    """Answers from other articles that give another value (figure, name, date) for the question."""

    @property
    def words(self) -> str | None:
        """The answering words' text, where the reader gave them."""
        if None in (self.sentence, self.sentence_start, self.span_start, self.span_end):
            return None
        offset = self.sentence_start or 0
        return (self.sentence or "")[(self.span_start or 0) - offset : (self.span_end or 0) - offset]

    @property
    def chunk(self) -> Chunk | None:
        """The passage holding the answer sentence (None when not found)."""
        if not self.found or self.passage_index is None:
            return None
        return self.passages[self.passage_index].chunk
