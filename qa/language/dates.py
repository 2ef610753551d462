"""Dates in articles and time in questions.

An article's date, in whatever form its source gave it ("1987-02-26T15:01:01", "Thu, 26 Feb 1987
15:01:01 GMT", "March 3, 2026"), becomes a day; a date without a year stays unknown rather than
guessed. A question's time words ("in March 1987", "last week", "between March and April") become a
``Period``, read against an "as of" day by dateparser; what dateparser finds is kept only where it
holds a real time word, since it also reads "may", "Sun" or "at 1500 GMT" as dates. "The latest",
"now" and "how did … develop" are told apart here too.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from qa.types import Period

MONTHS = [m.lower() for m in calendar.month_name[1:]]
_MONTH_WORDS = {m: i + 1 for i, m in enumerate(MONTHS)} | {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_DAY_NAMES = {d.lower() for d in calendar.day_name}
# Words that make a phrase dateparser found a time phrase; short month names count beside a number.
_RELATIVE = {"yesterday", "today", "tonight", "ago"}
# "week", "month", "year" name a time only with a word that places them: "last week", not "for a week".
_UNITS = {"week", "weeks", "month", "months", "year", "years", "day", "days", "weekend", "fortnight", "quarter"}
_PLACING = {"last", "this", "next", "past", "previous", "ago", "coming"}
# A bare year is a time only after one of these ("in 1987"), not as a name's part ("the 1994 agreement").
_BEFORE_YEAR = {"in", "during", "since", "until", "till", "by", "for", "of", "from", "between", "and", "to", "before",
                "after", "through", "throughout", "early", "late", "mid", "on"}  # fmt: skip
# How long after a period news may still report its facts (a month's trade figures come weeks later).
REPORTING_LAG = {"day": 7, "week": 14, "month": 50, "quarter": 75, "year": 120}
RECENT_DAYS = 30

_LATEST = re.compile(
    r"\b(latest|most recent|newest|most up to date|now|nowadays|currently|at present|these days|to date|so far"
    r"|as it stands|right now)\b",
    re.IGNORECASE,
)
_TIMELINE = re.compile(
    r"\b(timeline|chronology|history of|over time|how (?:did|has|have|was) .{3,80}? (?:develop|developed|evolve|"
    r"evolved|unfold|unfolded|change|changed|progress|progressed)|story so far|what happened (?:with|to|in) .{3,60}?"
    r" over)\b",
    re.IGNORECASE,
)
_RECENTLY = re.compile(r"\b(recently|lately|in recent (?:days|weeks))\b", re.IGNORECASE)
_FROM_WORDS = {"since", "after", "from"}
_UNTIL_WORDS = {"until", "till", "before", "by", "through", "to"}
_NTH_WEEK = re.compile(r"\b(first|second|third|fourth|last) week of\s*$", re.IGNORECASE)
_WEEK_ENDED = re.compile(r"\bweeks? (?:ended|ending)\s*$", re.IGNORECASE)
_MONTH_MAY = re.compile(r"\b(in|of|since|until|during|early|late|mid|last|this|next)\s*$", re.IGNORECASE)
_ORDINAL = {"first": 0, "second": 1, "third": 2, "fourth": 3}


_MENTIONS = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b(1[89]|2[01])\d\d\b|\d{1,2}/\d{1,2}"
    r"|\b(yesterday|today|tonight|weeks?|months?|years?|ago|days?|weekend|fortnight|quarter|recently|lately|recent"
    r"|latest|newest|now|nowadays|currently|present|timeline|chronology|history|develop\w*|evolve\w*|unfold\w*"
    r"|chang\w+|progress\w*|so far|to date|(mon|tues|wednes|thurs|fri|satur|sun)day)\b",
    re.IGNORECASE,
)


def mentions_time(question: str) -> bool:
    """A quick look for any word ``read_time`` might take as time; False spares it the parse."""
    return bool(_MENTIONS.search(question))


@dataclass(frozen=True)
class TimeQuestion:
    """What a question asks of time: a period, the latest, or a timeline; and the question with the
    period's words taken out, for the search."""

    period: Period | None = None
    latest: bool = False
    timeline: bool = False
    search_text: str = ""
    reader_text: str = ""
    """The question as the reader reads it: relative words put as the days they stand for ("last month" as
    "in March 1987"), so the sentence that names them can be told apart."""


def article_day(text: str | None) -> date | None:
    """The day an article's date names, or None when there is none or it has no year.

    ISO 8601 (what JSONL exports and feeds mostly give) is read directly; other forms go through
    dateparser, which must find a day, a month and a year.
    """
    if not text or not text.strip():
        return None
    return _article_day(text.strip())


@lru_cache(maxsize=65536)
def _article_day(text: str) -> date | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return None  # a month without a day: no day to file it under
    import dateparser

    parsed = dateparser.parse(
        text, languages=["en"], settings={"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DAY_OF_MONTH": "first"}
    )
    return parsed.date() if parsed is not None else None


def iso_day(text: str | None) -> str | None:
    """An article's date as ``YYYY-MM-DD`` where one can be read, else the text as it was given."""
    day = article_day(text)
    return day.isoformat() if day is not None else (text.strip() or None if text else None)


def parse_day(text: str, *, end: bool = False) -> date:
    """A date the user typed (``--since 1987-03``, ``--until "15 April 1987"``); a month or a year means
    its first day, or its last with ``end``. Raises ValueError with what was not understood."""
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        year = int(text)
        return date(year, 12, 31) if end else date(year, 1, 1)
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r} has no month {month}; write it as YYYY-MM-DD (or YYYY-MM, or YYYY)")
        return _month_end(year, month) if end else date(year, month, 1)
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        try:
            return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
        except ValueError as error:
            raise ValueError(f"{text!r} is not a date ({error}); write it as YYYY-MM-DD") from error
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    import dateparser

    parsed = dateparser.parse(text, languages=["en"], settings={"RETURN_TIME_AS_PERIOD": True})
    data = _date_data(text, None)
    if parsed is None or data is None:
        raise ValueError(f"cannot read {text!r} as a date; write it as YYYY-MM-DD (or YYYY-MM, or YYYY)")
    start, finish = _span(parsed.date(), data)
    return finish if end else start


def read_range(
    since: str | None,
    until: str | None,
    as_of: str | None,
    names: tuple[str, str, str] = ("--since", "--until", "--as-of"),
) -> tuple[date | None, date | None, date | None]:
    """The days a user typed for a date range and an as-of day (empty: none), read by ``parse_day``;
    ValueError naming the field (``names``) that cannot be read, or an end before the start."""
    days: list[date | None] = []
    for name, text, end in zip(names, (since, until, as_of), (False, True, True), strict=True):
        try:
            days.append(parse_day(text, end=end) if text and text.strip() else None)
        except ValueError as error:
            raise ValueError(f"{name} {text!r}: {error}") from error
    if days[0] is not None and days[1] is not None and days[1] < days[0]:
        raise ValueError(f"{names[1]} {until} is before {names[0]} {since}; swap them")
    return days[0], days[1], days[2]


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _span(day: date, grain: str) -> tuple[date, date]:
    if grain == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if grain == "month":
        return day.replace(day=1), _month_end(day.year, day.month)
    if grain == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    return day, day


def _date_data(phrase: str, as_of: date | None) -> str | None:
    """The grain dateparser gives a phrase (day, week, month, year), or None where it reads no date."""
    parsed = _parser(as_of).get_date_data(phrase)
    if parsed is None or parsed.date_obj is None:
        return None
    return str(parsed.period)


@lru_cache(maxsize=64)
def _parser(as_of: date | None) -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en"], settings=_settings(as_of))


def _settings(as_of: date | None) -> dict[str, Any]:
    settings: dict[str, Any] = {"PREFER_DATES_FROM": "past", "RETURN_TIME_AS_PERIOD": True}
    if as_of is not None:
        settings["RELATIVE_BASE"] = datetime.combine(as_of, datetime.min.time())
    return settings


def _is_time_phrase(phrase: str, before: str) -> bool:
    """Whether a phrase dateparser read as a date holds a real time word (not "may", "Sun", "1500 GMT")."""
    words = re.findall(r"[a-z]+|\d+", phrase.lower())
    has_number = any(w.isdigit() for w in words)
    if not any(w in _MONTH_WORDS or w in _RELATIVE or w in _UNITS or w in _DAY_NAMES for w in words):
        year = re.search(r"\b\d{4}\b", phrase)
        if year is not None and not re.search(
            r"\d{1,2}/\d{1,2}", phrase
        ):  # a bare year: "in 1987", not "the 1994 pact"
            previous = re.findall(r"[a-z]+", f"{before} {phrase[: year.start()]}".lower())[-1:]
            return bool(previous) and previous[0] in _BEFORE_YEAR
    if any(len(w) == 4 and w.isdigit() and 1800 <= int(w) <= 2200 for w in words):
        return True
    if re.search(r"\d{1,2}/\d{1,2}", phrase):
        return True
    for word in words:
        if word in _RELATIVE or word in _DAY_NAMES:
            return True
        if word in _UNITS and set(words) & _PLACING:
            return True
        if word in MONTHS and word != "may":
            return True
        if word in _MONTH_WORDS and has_number:  # "Mar 3", "dec 1986", "May 12"
            return True
        if word == "may" and _MONTH_MAY.search(f"{before} {phrase[: phrase.lower().find('may')]}"):
            return True
    return False


def read_time(question: str, as_of: date) -> TimeQuestion:
    """The period, "latest" or timeline a question asks about, read against ``as_of``."""
    latest = bool(_LATEST.search(question)) and not re.search(r"\bcurrent account\b", question, re.IGNORECASE)
    timeline = bool(_TIMELINE.search(question))
    found = _periods(question, as_of)
    recently = _RECENTLY.search(question)
    if not found and recently:
        start = as_of - timedelta(days=RECENT_DAYS)
        label = f"the {RECENT_DAYS} days to {day_label(as_of)}"
        found = [(recently.group(0), Period(start, as_of, label, recently.group(0), "week"), "")]
    if not found:
        return TimeQuestion(None, latest, timeline, question, question)
    search_text, reader_text = question, question
    for phrase, one, _ in found:
        search_text = search_text.replace(phrase, " ")
        if _relative(phrase):
            reader_text = reader_text.replace(phrase, _spelled(one))
    period = _combine(found, as_of)
    # The period's month and year words go to the search: sentences that name the period rank higher.
    words = re.findall(r"[A-Za-z]+|\d{4}", " ".join(_spelled(p) if _relative(w) else w for w, p, _ in found))
    keep = " ".join(
        calendar.month_name[_MONTH_WORDS[w.lower()]] if w.lower() in _MONTH_WORDS else w
        for w in words
        if w.lower() in _MONTH_WORDS or (w.isdigit() and len(w) == 4)
    )
    search_text = re.sub(r"\s+", " ", f"{search_text} {keep}").strip()
    return TimeQuestion(period, latest and period is None, timeline, search_text, reader_text)


def _spelled(period: Period) -> str:
    """A relative period in words the articles use: "in March 1987", "on 19 October 1987", "in the week to …"."""
    if period.grain == "month" and period.start.day == 1:
        return f"in {calendar.month_name[period.start.month]} {period.start.year}"
    if period.start == period.end:
        return f"on {day_label(period.start)}"
    if period.grain == "week":
        return f"in the week to {day_label(period.end)}"
    return f"from {day_label(period.start)} to {day_label(period.end)}"


def _periods(question: str, as_of: date) -> list[tuple[str, Period, str]]:
    """Each time phrase of the question with its period and the word before it (since, until, …)."""
    from dateparser.search import search_dates

    found = search_dates(question, languages=["en"], settings=_settings(as_of)) or []
    periods: list[tuple[str, Period, str]] = []
    for phrase, moment in found:
        at = question.find(phrase)
        before = question[:at] if at >= 0 else ""
        if not _is_time_phrase(phrase, before):
            continue
        grain = _date_data(phrase, as_of)
        if grain is None or grain == "time" or moment.year < 1800:
            continue
        start, end = _span(moment.date(), grain)
        if grain == "day" and (_WEEK_ENDED.search(before) or re.search(r"\bweeks? (ended|ending)\b", phrase, re.I)):
            start, grain = end - timedelta(days=6), "week"
        if grain == "month" and (nth := _NTH_WEEK.search(before)):
            first = start + timedelta(days=7 * _ORDINAL.get(nth[1].lower(), 0))
            if nth[1].lower() == "last":
                first = end - timedelta(days=6)
            start, end, grain = first, min(end, first + timedelta(days=6)), "week"
            phrase = question[nth.start() : at + len(phrase)] if at >= 0 else phrase
        if _relative(phrase):
            end = min(end, as_of)
        word = before.split()[-1].lower() if before.split() else ""
        for prefix in ("since", "after", "from", "until", "till", "before", "by", "through"):
            if phrase.lower().startswith(prefix + " "):
                word = prefix
        label = _label(start, end, grain)
        periods.append((phrase, Period(start, end, label, phrase, grain), word))
    return periods


def _shifted(period: Period, years: int) -> Period:
    start = period.start.replace(year=period.start.year + years)
    return replace(period, start=start, end=_month_end(start.year, start.month))


def _has_year(phrase: str) -> bool:
    return bool(re.search(r"\b\d{4}\b", phrase))


def _relative(phrase: str) -> bool:
    """Whether a phrase names no month or year ("last week", "yesterday"), so it is read from the as-of day."""
    words = re.findall(r"[a-z]+|\d+", phrase.lower())
    return not any(w in _MONTH_WORDS or (w.isdigit() and len(w) == 4) for w in words)


def _combine(found: list[tuple[str, Period, str]], as_of: date) -> Period:
    """One period from the question's phrases: "between March and April", "since March", "in March"."""
    phrases = " ".join(p for p, _, _ in found)
    if len(found) >= 2:
        first, second = found[0][1], found[1][1]
        if first.grain == second.grain == "month" and first.start > second.start:
            # "between March and January", read from the past: March of the year before (or January after)
            if not _has_year(found[0][0]):
                found[0] = (found[0][0], _shifted(first, -1), found[0][2])
            else:
                found[1] = (found[1][0], _shifted(second, 1), found[1][2])
        start = min(p.start for _, p, _ in found)
        end = max(p.end for _, p, _ in found)
        grain = max((p.grain for _, p, _ in found), key=list(REPORTING_LAG).index)
        period = Period(start, end, _range_label(start, end), phrases, grain)
    else:
        _, period, word = found[0]
        if word in _FROM_WORDS:
            period = Period(period.start, as_of, f"{day_label(period.start)} to {day_label(as_of)}", phrases, "day")
        elif word in _UNTIL_WORDS:
            period = Period(date(1800, 1, 1), period.end, f"up to {day_label(period.end)}", phrases, period.grain)
    lag = timedelta(days=REPORTING_LAG.get(period.grain, 7))
    return replace(period, reported_until=max(period.end, min(period.end + lag, as_of)))


def day_label(day: date) -> str:
    """2 March 1987."""
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def _label(start: date, end: date, grain: str) -> str:
    if grain == "year" and start.month == 1 and start.day == 1 and end.month == 12:
        return str(start.year)
    if grain == "month" and start.day == 1:
        return f"{calendar.month_name[start.month]} {start.year}"
    if start == end:
        return day_label(start)
    return _range_label(start, end)


def _range_label(start: date, end: date) -> str:
    if start.day == 1 and end == _month_end(end.year, end.month):
        if start.year == end.year:
            return f"{calendar.month_name[start.month]} to {calendar.month_name[end.month]} {end.year}"
        return f"{calendar.month_name[start.month]} {start.year} to {calendar.month_name[end.month]} {end.year}"
    if start.year == end.year and start.month == end.month:
        return f"{start.day} to {end.day} {calendar.month_name[end.month]} {end.year}"
    return f"{day_label(start)} to {day_label(end)}"


def months_named(text: str) -> set[int]:
    """The months a text names ("March", "Feb.", "MAY" in a headline; not "may" the verb)."""
    shouting = text.isupper()
    return {
        _MONTH_WORDS[m[1].lower()]
        for m in _MONTH_NAMED.finditer(text)
        if m[1].lower() != "may" or m[1] == "May" or shouting
    }


def names_period(text: str, period: Period) -> bool:
    """Whether a sentence or headline names the period: one of its months by name ("March", "Mar";
    not when another year follows: "February 1986" is not February 1987), for a year the year, and
    for a day or week "week", "today" or "yesterday"."""
    years = set(range(period.start.year, period.end.year + 1))
    if period.grain == "year" and any(str(y) in text for y in years):
        return True
    months: set[int] = set()
    day = period.start.replace(day=1)
    while day <= period.end and len(months) < 12:
        months.add(day.month)
        day = (day + timedelta(days=32)).replace(day=1)
    shouting = text.isupper()  # a wire headline: "JAPAN MAY MONEY SUPPLY UP"
    for match in _MONTH_NAMED.finditer(text):
        word, year = match[1], match[2]
        if _MONTH_WORDS[word.lower()] not in months or (year and int(year) not in years):
            continue
        if word.lower() == "may" and not (word == "May" or shouting):
            continue  # "unemployment may rise"
        return True
    words = set(re.findall(r"[a-z]+", text.lower()))
    return period.grain in ("day", "week") and bool(words & {"week", "weekly", "today", "yesterday"})


_MONTH_NAMED = re.compile(
    r"\b(" + "|".join(sorted(_MONTH_WORDS, key=len, reverse=True)) + r")\.?\b(?:,?\s+(?:\d{1,2},?\s+)?(\d{4}))?",
    re.IGNORECASE,
)
