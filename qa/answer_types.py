"""What kind of answer a question asks for, and whether a sentence can supply it."""

from __future__ import annotations

import re

# Questions whose answer is a count, an amount, an age, a year or a percentage.
_WANTS_NUMBER = re.compile(
    r"\b(?:how (?:many|much|old|long|tall|far|big|large|high|heavy|often)"
    r"|what (?:year|percentage|percent|number|age|amount)|(?:in )?which year|in what year)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen|half|several|few)\b",
    re.IGNORECASE,
)
# A wire dateline ("SALTMERE, February 17, 2026 (The Ledger) —") holds numbers that answer nothing.
_DATELINE = re.compile(r"^[A-Z][A-Z .'-]{1,40},[^—–\n]{0,60}[—–]\s*")


def wants_number(question: str) -> bool:
    """True for "how many / how much / how old / what year ..." questions."""
    return bool(_WANTS_NUMBER.search(question))


def has_number(sentence: str, question: str) -> bool:
    """True when the sentence holds a number (digits or words) that the question does not already."""
    body = _DATELINE.sub("", sentence)
    asked = set(re.findall(r"\d+", question))
    if any(n not in asked for n in re.findall(r"\d+", body)):
        return True
    return any(w.casefold() not in question.casefold() for w in _NUMBER_WORDS.findall(body))
