"""What kind of answer a question asks for, and whether a sentence can supply it."""

from __future__ import annotations

import re

from qa.language.wordlists import NOT_NAMES

# Questions whose answer is a count, an amount, an age, a year or a percentage.
_WANTS_NUMBER = re.compile(
    r"\b(?:how (?:many|much|old|long|tall|far|big|large|high|heavy|often)"
    r"|what (?:year|percentage|percent|proportion|number|age|amount|price)|(?:in )?which year|in what year)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|dozens?|half|several|few|none|zero"
    r"|once|twice)\b"
    # "a month", "an hour": one of a unit of time answers "how long"; "annual" answers "how often".
    r"|\ban? (?:second|minute|hour|day|week|fortnight|month|year|decade|century)\b"
    r"|\b(?:hourly|daily|weekly|fortnightly|monthly|quarterly|annual(?:ly)?|yearly|biennial(?:ly)?)\b",
    re.IGNORECASE,
)
# "One" that counts nothing: "one of the", "no one", "one another".
_NOT_A_COUNT = re.compile(r"\b(?:one (?:of|another)|no one|the one|one's)\b", re.IGNORECASE)
# A wire dateline ("SALTMERE, February 17, 2026 (The Ledger) —") holds numbers that answer nothing.
_DATELINE = re.compile(r"^[A-Z][A-Z .'-]{1,40},[^—–\n]{0,60}[—–]\s*")

# Some number questions name what the number measures; a sentence answers them only with that
# kind of number: a sum of money, a year, an age, a weight, a share.
_MEASURES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(question, re.IGNORECASE), re.compile(sentence, re.IGNORECASE))
    for question, sentence in (
        (
            r"\bhow much\b.*\b(?:pay|paid|cost|costs|worth|offer|offered|spend|spent|raise|raised|earn|earned"
            r"|charge|charged|sell|sold|bid|fined?)\b|\bwhat (?:was|is|were|are) the (?:price|cost|value|salary"
            r"|(?:net |pre-tax |annual )?(?:profit|loss|revenue|turnover)s?)\b|\bwhat price\b",
            r"[$£€¥]\s?\d|\d\s?(?:bn|m|k)\b|\b(?:dollars?|pounds?|euros?|yen|cents?|pence|francs?|rupees?|yuan"
            # and as the wires abbreviate them: "41 mln dlrs", "42.7 mln stg", "27 cts", "1.2 billion marks"
            r"|billion|million|mln|bln|dlrs?|stg|cts)\b|\d\s(?:(?:mln|bln|billion|million)\s)?(?:marks|lire|guilders|crowns)\b",
        ),
        (
            r"\b(?:what|which) year\b|\bwhen was\b.*\bborn\b",
            r"\b(?:1\d|20)\d\d(?:s|'s)?\b|\bcentury\b",
        ),
        (
            r"\bhow old\b|\bwhat age\b",
            r"\bage[ds]?\b|\d+-(?:year|month)s?-old\b|\b(?:years?|months?|weeks?|days?) old\b"
            # News gives an age beside the name: "Mr Hague, 43, said", "Smith (43)".
            r"|\bin (?:his|her) \w+ies\b|\b(?-i:[A-Z])[\w'’.-]*(?:,\s\d{1,3},|\s\(\d{1,3}\))",
        ),
        (
            r"\bhow heavy\b|\bhow much\b.*\bweigh",
            r"\b(?:kg|kilo\w*|tonnes?|tons?|pounds?|lbs?|grams?|ounces?|g)\b",
        ),
        (
            r"\bwhat (?:percentage|percent|proportion|share)\b",
            r"%|\bper ?cent\b|\bpct\b|\bpercentage\b|\bhalf\b|\b(?:thirds?|quarters?|fourths?|fifths?|tenths?)\b",
        ),
    )
)


# Questions whose answer is usually a name: who, which, "what is the name of", "what company".
_WANTS_NAME = re.compile(
    r"^\W*(?:who|whom|whose)\b|\bwhich\b|\bwhat (?:is|was|are|were) (?:the|its|his|her|their) (?:full )?names?\b"
    r"|\bwhat names?\b|\bwhat (?:company|firm|group|country|city|town|state|team|organi[sz]ation|newspaper"
    r"|university|party|title|game)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\w'’.-]+")


def wants_name(question: str) -> bool:
    """True for questions usually answered by a name: "Who ...?", "Which firm ...?"."""
    return bool(_WANTS_NAME.search(question))


def has_new_name(sentence: str, question: str) -> bool:
    """True when a capitalised word past the sentence's first is not already in the question."""
    asked = {w.casefold() for w in re.findall(r"\w+", question)}
    for word in _WORD.findall(sentence)[1:]:
        bare = word.casefold().strip(".'’")
        if word[0].isupper() and bare not in asked and bare not in NOT_NAMES:
            return True
    return False


def wants_number(question: str) -> bool:
    """True for "how many / how much / how old / what year ..." questions."""
    return bool(_WANTS_NUMBER.search(question)) or any(q.search(question) for q, _ in _MEASURES)


def has_number(sentence: str, question: str) -> bool:
    """True when the sentence holds a number (digits or words) that the question does not already,
    of the kind the question asks for when it names one (money, a year, an age, a weight, a share).
    """
    body = _NOT_A_COUNT.sub(" ", _DATELINE.sub("", sentence))
    asked = set(re.findall(r"\d+", question))
    new = any(n not in asked for n in re.findall(r"\d+", body)) or any(
        w.casefold() not in question.casefold() for w in _NUMBER_WORDS.findall(body)
    )
    if not new:
        return False
    measure = next((unit for q, unit in _MEASURES if q.search(question)), None)
    return measure is None or bool(measure.search(body))


# A sentence that names who it is about only by a pronoun: it opens with one ("She is now seeking ...",
# "They traveled ..." inside a quote, "It employs 50,000 staff"), or a quote is put in the mouth of one
# ('"...," he said.').
_OPENS_WITH_PRONOUN = re.compile(r"^[\W_]*(?:he|she|they|it|his|her|their|its)\b", re.IGNORECASE)
_SAID_BY_PRONOUN = re.compile(
    r"[,\"”’]\s*(?:he|she|they) (?:said|says|added|adds|told|tells|argued|warned|explained|wrote|insisted|noted)\b",
    re.IGNORECASE,
)


def refers_back(sentence: str) -> bool:
    """True when the sentence says who or what it is about (or who is speaking) only as "he", "she",
    "they" or "it": the name is in an earlier sentence."""
    return bool(_OPENS_WITH_PRONOUN.search(sentence) or _SAID_BY_PRONOUN.search(sentence))
