"""Reports that disagree: two articles' answers to one question that give different values.

The values are the answer's words as the reader set them apart: its figures, else its other words.
Two answers differ when both give figures and the figures are not the same, or, without figures,
when their words have nothing in common ("Baker" and "James Baker" agree).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.types import Answer

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_UNITS = {"the", "and", "dlrs", "dollars", "pct", "percent", "mln", "million", "billion", "bln", "per", "cent"}


def values(answer: Answer) -> tuple[frozenset[str], frozenset[str]]:
    """The figures and the other words of an answer's words; without words (the reader did not set
    them apart), the sentence's figures and no words."""
    words = (answer.words or "").lower()
    numbers = frozenset(n.replace(",", "") for n in _NUMBER.findall(words or (answer.sentence or "")))
    other = frozenset(w for w in re.findall(r"[a-z]{3,}", words) if w not in _UNITS)
    return numbers, other


def differ(one: Answer, other: Answer) -> bool:
    """Whether two found answers give different values: other figures, or words with nothing in common."""
    if not one.found or not other.found or one.sentence == other.sentence:
        return False
    (numbers_a, words_a), (numbers_b, words_b) = values(one), values(other)
    if numbers_a or numbers_b:
        return bool(numbers_a and numbers_b) and numbers_a != numbers_b
    return bool(words_a and words_b) and not (words_a & words_b)


def conflicting(answer: Answer, others: Sequence[Answer]) -> tuple[Answer, ...]:
    """Answers from other articles that give a different value than ``answer``, one per article."""
    seen = {answer.chunk.article_id} if answer.chunk is not None else set()
    found: list[Answer] = []
    for other in others:
        chunk = other.chunk
        if chunk is None or chunk.article_id in seen or not differ(answer, other):
            continue
        seen.add(chunk.article_id)
        found.append(other)
    return tuple(found)
