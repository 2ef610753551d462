"""Follow-up questions: rewrite the retrieval query from the conversation, without an LLM.

"And what about Iran?" after "What did NATO propose to Russia?" becomes "What did NATO propose
to Iran?"; "Who said that?" is searched together with the previous answer it points at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.language.wordlists import FUNCTION_WORDS

_ABOUT = re.compile(r"^\s*(?:and\s+|but\s+)?(?:what|how)\s+about\s+(?P<subject>.+?)\s*[?.!]*\s*$", re.IGNORECASE)
_AND = re.compile(r"^\s*(?:and|but|also|so)\b[\s,]*", re.IGNORECASE)
_REFERRING = re.compile(
    r"\b(?:he|she|him|her|his|hers|they|them|their|theirs|it|its|that|this|those|these|there|then|"
    r"the same|the (?:man|woman|company|country|group|plan|deal|proposal|offer|decision))\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][\w'-]*")


@dataclass(frozen=True)
class Turn:
    """One finished exchange: what was asked, what was searched and the answer sentence (if any)."""

    question: str
    query: str
    answer: str | None = None


def content_words(text: str) -> list[str]:
    """Words of a text that carry its topic, in order, without repeats."""
    words = [w for w in _WORD.findall(text) if w.casefold() not in FUNCTION_WORDS]
    return list(dict.fromkeys(words))


def _proper_nouns(question: str) -> list[re.Match[str]]:
    """Capitalised words past the first one: the named things a question is about."""
    matches = list(_WORD.finditer(question))
    return [m for m in matches[1:] if m.group()[0].isupper() and m.group().casefold() not in FUNCTION_WORDS]


def rewrite_query(question: str, history: list[Turn]) -> str:
    """The query to search for ``question`` given the earlier turns (the question itself if standalone)."""
    if not history:
        return question.strip()
    previous = history[-1]
    about = _ABOUT.match(question)
    if about:
        subject = about.group("subject")
        names = _proper_nouns(previous.query)
        if names:
            last = names[-1]
            return previous.query[: last.start()] + subject + previous.query[last.end() :]
        return f"{previous.query.rstrip(' ?.!')} {subject}?"
    own = content_words(question)
    if _REFERRING.search(question) or len(own) <= 1:
        context = content_words(previous.query)
        if previous.answer:
            context += [w for w in content_words(previous.answer) if w not in context]
        extra = [w for w in context if w.casefold() not in {o.casefold() for o in own}][:12]
        stripped = _AND.sub("", question).strip()
        return f"{stripped} {' '.join(extra)}".strip()
    return question.strip()
