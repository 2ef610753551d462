"""Dates of articles and time in questions (qa/language/dates.py): periods read against an as-of day."""

from __future__ import annotations

from datetime import date

import pytest

from qa.language.dates import article_day, iso_day, mentions_time, names_period, parse_day, read_time

AS_OF = date(1987, 10, 20)  # a Tuesday: the Reuters archive's newest day


def period(question: str, as_of: date = AS_OF) -> tuple[date, date, str] | None:
    found = read_time(question, as_of).period
    return (found.start, found.end, found.label) if found is not None else None


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1987-02-26T15:01:01", date(1987, 2, 26)),
        ("2026-03-03T09:00:00Z", date(2026, 3, 3)),
        ("Thu, 26 Feb 1987 15:01:01 GMT", date(1987, 2, 26)),
        ("March 3, 2026", date(2026, 3, 3)),
        ("Feb 26", None),  # no year: unknown, not guessed
        ("2026-03", None),
        ("", None),
        (None, None),
        ("sometime", None),
    ],
)
def test_article_dates_are_read_or_left_unknown(text: str | None, day: date | None) -> None:
    assert article_day(text) == day


def test_a_stored_date_is_normalised_where_it_can_be() -> None:
    assert iso_day("Thu, 26 Feb 1987 15:01:01 GMT") == "1987-02-26"
    assert iso_day("Feb 26") == "Feb 26"  # kept as given, for the citation
    assert iso_day("  ") is None


def test_explicit_periods() -> None:
    assert period("What was Japan's trade surplus in March 1987?") == (
        date(1987, 3, 1),
        date(1987, 3, 31),
        "March 1987",
    )
    assert period("what happened on 2 March") == (date(1987, 3, 2), date(1987, 3, 2), "2 March 1987")
    assert period("in 1987 what was inflation")[:2] == (date(1987, 1, 1), date(1987, 12, 31))  # type: ignore[index]
    assert period("what did the fed do between March and April") == (
        date(1987, 3, 1),
        date(1987, 4, 30),
        "March to April 1987",
    )
    assert period("oil prices in the first week of April")[:2] == (date(1987, 4, 1), date(1987, 4, 7))  # type: ignore[index]
    # a weekly figure names the week's last day
    assert period("US money supply in the week ended March 2")[:2] == (date(1987, 2, 24), date(1987, 3, 2))  # type: ignore[index]


def test_relative_periods_are_read_against_the_as_of_day() -> None:
    assert period("What did Baker say about the dollar last week?")[:2] == (date(1987, 10, 12), date(1987, 10, 18))  # type: ignore[index]
    assert period("what happened yesterday")[:2] == (date(1987, 10, 19), date(1987, 10, 19))  # type: ignore[index]
    assert period("gold price this month")[:2] == (date(1987, 10, 1), date(1987, 10, 20))  # type: ignore[index]
    assert period("what did opec say on monday")[:2] == (date(1987, 10, 19), date(1987, 10, 19))  # type: ignore[index]
    assert period("what did opec say recently")[1] == AS_OF  # type: ignore[index]
    assert period("what has opec said since June")[:2] == (date(1987, 6, 1), AS_OF)  # type: ignore[index]
    # another as-of day moves them
    assert period("japan money supply last month", date(1987, 4, 20))[:2] == (date(1987, 3, 1), date(1987, 3, 31))  # type: ignore[index]


@pytest.mark.parametrize(
    "question",
    [
        "What may happen to the dollar?",
        "What did Sun Microsystems say?",
        "what did the fed do at 1500 GMT",
        "what did Mar Stone say",
        "what is the current account deficit",
        "which band is taking over the station for a week",
        "What did the 1994 agreement say?",
        "What did NATO propose to Russia?",
    ],
)
def test_words_that_only_look_like_dates_are_not_periods(question: str) -> None:
    assert read_time(question, AS_OF).period is None


def test_latest_and_timeline_questions() -> None:
    assert read_time("What is the latest US trade deficit figure?", AS_OF).latest
    assert read_time("who is the chairman of Texaco now", AS_OF).latest
    assert not read_time("what is the current account deficit", AS_OF).latest
    assert read_time("how did the Texaco bankruptcy story develop", AS_OF).timeline
    assert not read_time("What did Texaco file?", AS_OF).timeline


def test_the_search_drops_relative_words_and_keeps_months() -> None:
    asked = read_time("What did Baker say about the dollar last week?", AS_OF)
    assert "last week" not in asked.search_text and "Baker" in asked.search_text
    assert "March" in read_time("japan money supply in mar 1987", AS_OF).search_text


def test_a_sentence_names_a_period_by_its_month() -> None:
    march = read_time("surplus in March 1987", AS_OF).period
    assert march is not None
    assert names_period("Japan's March money supply rose 9.0 pct", march)
    assert not names_period("Japan's May money supply rose 10.2 pct", march)


def test_the_quick_look_lets_plain_questions_through() -> None:
    assert not mentions_time("What did NATO propose to Russia?")
    assert mentions_time("japan trade surplus in march")


def test_dates_the_user_types() -> None:
    assert parse_day("1987-03") == date(1987, 3, 1)
    assert parse_day("1987-03", end=True) == date(1987, 3, 31)
    assert parse_day("1987", end=True) == date(1987, 12, 31)
    assert parse_day("15 April 1987") == date(1987, 4, 15)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_day("tuesdayish")
