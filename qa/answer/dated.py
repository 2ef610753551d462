"""Answers in time: a question about a period, "the latest", a story's timeline, and reports that disagree.

A period narrows the search to the articles dated in it or soon after (news reports a month's
figures weeks later); an article dated after the period counts only where the passage names it
("Japan's March trade surplus"). Nothing stated for the period: "not found for March 1987", with
the best answer from outside it offered as the nearest. "The latest" reads the best few articles
one by one and answers from the newest that states it, listing older answers that differ. A
timeline is each article's answering sentence, oldest first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from embeddings import Vectors
from qa.answer.base import Reader, refused
from qa.answer.conflicts import differ
from qa.errors import InvalidInput
from qa.language.dates import TimeQuestion, article_day, day_label, months_named, names_period
from qa.search.retrieval import Searcher
from qa.settings import SearchSettings
from qa.types import Answer, Chunk, Hit, Period

DAWN = date(1, 1, 1)
# Periods reported within days, often without naming them ("said on Sunday"): their late reports count.
SHORT = ("day", "week")
# How many articles "the latest" and a timeline read (each costs one reader pass).
LATEST_ARTICLES = 8
TIMELINE_ARTICLES = 12
EARLIER_SHOWN = 3
# "The latest" answers only from articles about as sure as the surest (a share of its confidence).
LATEST_SHARE = 0.5
# Log-odds added, when the reader chooses, to a sentence that names the period asked about.
PERIOD_BONUS = 2.0


@dataclass(frozen=True)
class TimeAsk:
    """A question's reading in time with what the user set: ``--since``/``--until`` (``limits``),
    ``--as-of`` (or the collection's newest article) and ``--timeline``."""

    time: TimeQuestion
    as_of: date
    limits: Period | None = None
    timeline: bool = False

    @property
    def period(self) -> Period | None:
        return self.time.period or self.limits


def date_limits(search: SearchSettings, collection: str, first: date | None, last: date | None) -> Period | None:
    """``--since``/``--until`` as a strict period; InvalidInput where they cannot hold any article."""
    since, until = search.since, search.until
    if since is None and until is None:
        return None
    if since is not None and until is not None and until < since:
        raise InvalidInput(f"--until {until.isoformat()} is before --since {since.isoformat()}; swap them")
    start, end = since or DAWN, until or date.max
    if since and until:
        asked, label = f"from {since} to {until}", f"from {day_label(start)} to {day_label(end)}"
    elif since:
        asked, label = f"since {since}", f"since {day_label(start)}"
    else:
        asked, label = f"until {until}", f"up to {day_label(end)}"
    if first is None or last is None or start > last or end < first:
        span = f"they run from {first} to {last}" if first and last else "none has a known date"
        raise InvalidInput(f"no article of collection {collection!r} is dated {asked} ({span})")
    return Period(start, end, label, grain="day", strict=True)


def window(ask: TimeAsk) -> tuple[date, date] | None:
    """The publication days searched: the period and its reporting lag, within ``--since``/``--until``
    and never after the as-of day."""
    period = ask.time.period
    start, end = (period.start, period.last_report) if period is not None else (DAWN, ask.as_of)
    if period is not None and period.end <= ask.as_of:
        end = min(end, ask.as_of)
    if ask.limits is not None:
        start, end = max(start, ask.limits.start), min(end, ask.limits.end)
    if period is None and ask.limits is None and not ask.time.latest and not ask.timeline:
        return None
    return start, end


def day_of(hit: Hit) -> date | None:
    return article_day(hit.chunk.date)


def reported_in(hits: list[Hit], period: Period | None) -> list[Hit]:
    """The passages that may state a fact of ``period``: dated in it, or after it and naming it (for a
    month or longer: a later month's news is full of later facts; a day's or week's is reported days
    after, often without naming it)."""
    if period is None or period.strict or period.grain in SHORT:
        return hits
    kept = []
    for hit in hits:
        day = day_of(hit)
        if day is not None and (day <= period.end or names_period(f"{hit.chunk.title} {hit.chunk.text}", period)):
            kept.append(hit)
    return kept


def by_article(hits: list[Hit], limit: int) -> list[list[Hit]]:
    """The passages grouped by article, articles in the order of their best passage, at most ``limit``."""
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        if hit.chunk.article_id in groups or len(groups) < limit:
            groups.setdefault(hit.chunk.article_id, []).append(hit)
    return list(groups.values())


@dataclass(frozen=True)
class _Reading:
    """One question's search text and vector, and who searches and reads for it."""

    question: str
    query: str
    vector: Vectors
    reader: Reader
    searcher: Searcher

    def search(self, search: SearchSettings, within: tuple[date, date] | None) -> list[Hit]:
        return self.searcher.search(self.query, search, self.vector, within)

    def read(self, hits: list[Hit], reader: Reader | None = None) -> Answer:
        reader = reader or self.reader
        if not hits:
            return refused(self.question, self.query, [], 0.0, reader.name)
        return reader.read(self.question, self.query, self.vector, hits, self.searcher.collection)

    def read_each(self, groups: list[list[Hit]], reader: Reader | None = None) -> list[Answer]:
        """One answer per article (group of its passages), those found."""
        return [a for a in (self.read(group, reader) for group in groups) if a.found]


def answer_in_time(question: str, ask: TimeAsk, reader: Reader, searcher: Searcher, search: SearchSettings) -> Answer:
    """The answer to a question that asks about time (see the module's summary)."""
    query = ask.time.search_text or question
    it = _Reading(ask.time.reader_text or question, query, searcher.embedder.embed_query(query), reader, searcher)
    within = window(ask)
    if ask.timeline:
        return replace(_timeline(it, ask, search, within), question=question)
    if ask.time.latest:
        return replace(_latest(it, ask, search, within), question=question)
    period = ask.period
    if ask.time.period is not None:
        it = replace(it, reader=reader.preferring(naming(ask.time.period)))
    hits = reported_in(it.search(replace(search, k=search.k * 3), within), ask.time.period)
    if ask.time.period is not None and ask.time.period.grain == "year":
        hits = _with_year_named(it, hits, ask.time.period, search, ask.as_of)
    hits = hits[: search.k]
    answer = replace(it.read(hits), question=question, period=period, as_of=ask.as_of)
    if answer.found and not states_for(answer, ask.time.period):
        answer = replace(refused(question, answer.query, list(answer.passages), answer.confidence, answer.reader),
                         period=period, as_of=ask.as_of)  # fmt: skip
    if answer.found or period is None:
        return answer
    nearest = _nearest(it, period, search, ask.as_of)
    return replace(answer, nearest=replace(nearest, question=question)) if nearest is not None else answer


def _with_year_named(it: _Reading, hits: list[Hit], period: Period, search: SearchSettings, as_of: date) -> list[Hit]:
    """``hits`` and, from any date, passages that name the year ("lost contact in 2024", reported in 2026):
    a year is named in so many words, unlike "last week"; best fused score first."""
    years = {str(y) for y in range(period.start.year, period.end.year + 1)}
    named = [h for h in it.search(search, (DAWN, as_of)) if any(y in h.chunk.text for y in years)]
    merged = {h.chunk.id: h for h in [*hits, *named]}
    return sorted(merged.values(), key=lambda h: -h.score)


def _nearest(it: _Reading, period: Period, search: SearchSettings, as_of: date) -> Answer | None:
    """The answer from outside ``period`` nearest to it in time: the best answer found without the
    period, or another article's rival answer of that same reading (one reader pass) if nearer."""
    best = it.read(it.search(search, (DAWN, as_of)))
    if not best.found:
        return None

    def distance(answer: Answer) -> int:
        day = answer_day(answer)
        if day is None:
            return 10**9
        if period.start <= day <= period.end:
            return 0
        return min(abs((day - period.start).days), abs((day - period.end).days))

    return min([best, *best.conflicts], key=lambda a: (distance(a), -a.confidence))


def naming(period: Period) -> Callable[[str, Chunk], float]:
    """The reader's lean towards sentences that name the period ("rose 9.0 pct in March") or, naming no
    month, belong to an article dated in it; and away from sentences that name only other months."""

    def bonus(sentence: str, chunk: Chunk) -> float:
        if names_period(sentence, period):
            return PERIOD_BONUS
        if months_named(sentence):  # it names other months only: about another time
            return -PERIOD_BONUS
        day = article_day(chunk.date)
        return PERIOD_BONUS if day is not None and period.start <= day <= period.end else 0.0

    return bonus


def states_for(answer: Answer, period: Period | None) -> bool:
    """Whether an answer may state a fact of ``period``: its article is dated in the period, or after it
    with the sentence or the headline naming it (a report dated later about something else does not)."""
    chunk, day = answer.chunk, answer_day(answer)
    if period is None or period.strict or period.grain in SHORT or chunk is None or day is None:
        return True
    if day <= period.end:
        return True
    return names_period(f"{chunk.title}. {answer.sentence or ''}", period)


def _latest(it: _Reading, ask: TimeAsk, search: SearchSettings, within: tuple[date, date] | None) -> Answer:
    """The newest article's answer among the best few articles that state one; older differing ones beneath."""
    hits = it.search(replace(search, k=max(4 * LATEST_ARTICLES, search.k)), within)
    answers = it.read_each(by_article(hits, LATEST_ARTICLES))
    if not answers:
        return replace(it.read([]), passages=tuple(hits[: search.k]), latest=True, as_of=ask.as_of, period=ask.limits)
    surest = max(a.confidence for a in answers)
    sure = [a for a in answers if a.confidence >= LATEST_SHARE * surest]
    newest_first = sorted(sure, key=lambda a: (answer_day(a) or DAWN, a.confidence), reverse=True)
    best = newest_first[0]
    earlier: list[Answer] = []
    for older in newest_first[1:]:
        if len(earlier) < EARLIER_SHOWN and differ(best, older) and all(differ(e, older) for e in earlier):
            earlier.append(older)
    return replace(best, latest=True, as_of=ask.as_of, earlier=tuple(earlier), period=ask.limits)


def _timeline(it: _Reading, ask: TimeAsk, search: SearchSettings, within: tuple[date, date] | None) -> Answer:
    """Each of the best articles' answering sentence (or, where none states it, the one closest to the
    question), oldest first; the answer itself is the usual one."""
    hits = reported_in(it.search(replace(search, k=max(3 * TIMELINE_ARTICLES, search.k)), within), ask.time.period)
    entries = it.read_each(by_article(hits, TIMELINE_ARTICLES), it.reader.with_threshold(0.0))
    seen: set[str] = set()
    unique = []
    for entry in entries:  # wire stories are often filed twice, nearly word for word
        key = re.sub(r"\W+", " ", (entry.sentence or "").lower()).strip()
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    dated = sorted((a for a in unique if answer_day(a) is not None), key=lambda a: answer_day(a) or DAWN)
    return replace(it.read(hits[: search.k]), timeline=tuple(dated), period=ask.period, as_of=ask.as_of)


def answer_day(answer: Answer) -> date | None:
    """The day of the article an answer quotes."""
    chunk = answer.chunk
    return article_day(chunk.date) if chunk is not None else None
