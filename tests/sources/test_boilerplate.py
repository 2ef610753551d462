"""Tests for qa.sources.boilerplate: paragraph keys, recurrence and boilerplate removal."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from qa.errors import InvalidInput
from qa.sources.boilerplate import (
    paragraph_key,
    paragraph_keys,
    recurring_keys,
    split_paragraphs,
    strip_boilerplate,
)
from qa.types import Article

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SEED = SHARED / "seeds" / "000_78cd7df64d3b7e3d.txt"
BBC_BUSINESS = SHARED / "data" / "bbc_news" / "bbc" / "business"

BODY = [
    "The city council approved a new budget for the harbour district on Tuesday.",
    "Officials said the plan would pay for dredging and two new ferry piers next year.",
    "Opposition members said the cost estimates were optimistic and asked for a review.",
    "The mayor said building would begin in spring if the region releases its share.",
]


def _article(text: str, title: str = "Council Approves Harbour Budget", article_id: str = "a") -> Article:
    return Article(id=article_id, title=title, text=text)


def _paragraphs(text: str) -> list[str]:
    return [text[start:end] for start, end in split_paragraphs(text)]


def _read_txt(path: Path) -> Article:
    """An Article built the way a .txt reader does: first line the title, the rest the text."""
    title, _, text = path.read_text(encoding="utf-8", errors="replace").partition("\n")
    return Article(id=path.name, title=title.strip(), text=text)


def test_split_paragraphs_spans_index_into_text() -> None:
    text = "  First line here.  \n\n\n\tSecond one\r\nThird\n   \nLast paragraph."
    spans = split_paragraphs(text)
    assert [text[start:end] for start, end in spans] == [
        "First line here.",
        "Second one",
        "Third",
        "Last paragraph.",
    ]
    assert spans[0] == (2, 18)
    assert split_paragraphs(" \n\n \t\n") == []


def test_paragraph_key_ignores_case_spacing_and_punctuation() -> None:
    key = paragraph_key("Sign up for our newsletter!")
    assert key == paragraph_key("  sign UP for our   newsletter ")
    assert key == paragraph_key("Sign up -- for our newsletter.")
    assert key != paragraph_key("Sign up for our podcast!")
    assert len(key) == 40


def test_paragraph_keys_are_one_per_distinct_paragraph() -> None:
    keys = paragraph_keys("One line.\n\nAnother line.\n\none LINE")
    assert keys == {paragraph_key("One line."), paragraph_key("Another line.")}


def test_recurring_keys_thresholds() -> None:
    counts = {"three": 3, "two": 2, "ten": 10}
    assert recurring_keys(counts, n_articles=50) == frozenset({"three", "ten"})
    assert recurring_keys(counts, n_articles=50, min_articles=4) == frozenset({"ten"})
    # In a small set a key must also be in more than half of the articles.
    assert recurring_keys({"three": 3, "four": 4}, n_articles=6) == frozenset({"four"})
    assert recurring_keys({"two": 2}, n_articles=2) == frozenset()


def test_recurring_keys_rejects_min_articles_below_two() -> None:
    with pytest.raises(InvalidInput, match="min_articles>=2"):
        recurring_keys({"a": 1}, n_articles=5, min_articles=1)


def test_seed_article_keeps_body_and_drops_appeal() -> None:
    if not SEED.exists():
        pytest.skip(f"seed article not found at {SEED}")
    article = _read_txt(SEED)
    cleaned = strip_boilerplate(article)
    assert cleaned.title == "NATO Urges Russia to Join Missile Defense"
    kept = _paragraphs(cleaned.text)
    original = _paragraphs(article.text)
    body_start = original.index(next(p for p in original if p.startswith("BRUSSELS")))
    body_end = original.index(next(p for p in original if p.startswith('"If Iran were to complete')))
    assert kept == original[body_start : body_end + 1]
    assert len(kept) == 7
    for noise in (
        "newsletter",
        "Dear readers",
        "support us monthly",
        "Remind me later",
        "Once\n",
        "Monthly",
        "paiment methods",
        "Read more",
    ):
        assert noise not in cleaned.text
    assert cleaned.title not in cleaned.text


def test_cookie_notice_and_share_buttons_at_end_are_removed() -> None:
    tail = [
        "Share this article",
        "Facebook",
        "Email",
        "We use cookies to improve your experience. By continuing you accept our cookie policy.",
        "Accept",
        "Manage settings",
        "© 2024 Harbour Gazette. All rights reserved.",
    ]
    article = _article("\n\n".join(BODY + tail))
    cleaned = strip_boilerplate(article)
    assert cleaned.text == "\n\n".join(BODY)
    assert cleaned.title == article.title


def test_leading_boilerplate_is_removed() -> None:
    head = [
        "Advertisement",
        "Follow us on social media for the latest updates",
        "Subscribe",
    ]
    cleaned = strip_boilerplate(_article("\n".join(head + BODY)))
    assert _paragraphs(cleaned.text) == BODY


def test_isolated_strong_paragraph_in_body_is_removed_weak_one_kept() -> None:
    weak = "Donations to the harbour trust fell last year."
    paragraphs = [BODY[0], "Advertisement", BODY[1], weak, BODY[2], BODY[3]]
    cleaned = strip_boilerplate(_article("\n\n".join(paragraphs)))
    assert _paragraphs(cleaned.text) == [BODY[0], BODY[1], weak, BODY[2], BODY[3]]


def test_ordinary_reporting_about_support_and_subscribers_is_unchanged() -> None:
    paragraphs = [
        (
            "Subscribers to the utility's service saw bills rise by nine percent this "
            "winter, according to figures released on Monday by the regional energy "
            "regulator, which blamed higher gas prices."
        ),
        (
            "Lawmakers voted to support the bill on Thursday, and several members said "
            "they would push for further help for households that cannot afford to "
            "subscribe to the new tariff next year."
        ),
        "The regulator said it would publish a newsletter for customers explaining the changes.",
        "Consumer groups said they support the plan but want donations to hardship funds matched.",
        "Sign-up for the rebate scheme opens in March.",
    ]
    article = _article("\n\n".join(paragraphs), title="Energy Bills Rise for Utility Subscribers")
    assert strip_boilerplate(article) is article


def test_recurring_paragraph_removed_in_three_articles_not_in_two() -> None:
    footer = "The Harbour Gazette is published by Coastal Media Group in Portsmouth"
    filler = [
        _article(
            f"Story number {i} describes a local event in some detail for readers.",
            article_id=f"f{i}",
        )
        for i in range(17)
    ]

    def body(i: int) -> list[str]:
        return [f"Edition {i}: {paragraph}" for paragraph in BODY]

    def collection(n_with_footer: int) -> list[Article]:
        with_footer = [_article("\n\n".join([*body(i), footer]), article_id=f"s{i}") for i in range(n_with_footer)]
        return with_footer + filler

    for n_with_footer, removed in ((3, True), (2, False)):
        articles = collection(n_with_footer)
        assert len(articles) >= 19
        counts = Counter(key for a in articles for key in paragraph_keys(a.text))
        recurring = recurring_keys(counts, n_articles=len(articles))
        cleaned = strip_boilerplate(articles[0], recurring)
        assert (footer not in cleaned.text) is removed
        assert _paragraphs(cleaned.text)[: len(BODY)] == body(0)


def test_identical_articles_are_not_emptied_by_recurrence() -> None:
    articles = [_article("\n\n".join(BODY), article_id=f"d{i}") for i in range(3)]
    counts = Counter(key for a in articles for key in paragraph_keys(a.text))
    recurring = recurring_keys(counts, n_articles=len(articles))
    assert recurring == frozenset(paragraph_keys(articles[0].text))
    assert strip_boilerplate(articles[0], recurring) is articles[0]


def test_boilerplate_headline_replaced_by_first_heading() -> None:
    text = "\n\n".join(["Harbour Budget Wins Council Approval", *BODY])
    cleaned = strip_boilerplate(_article(text, title="Support Our Newsroom!"))
    assert cleaned.title == "Harbour Budget Wins Council Approval"
    assert _paragraphs(cleaned.text) == BODY


def test_boilerplate_headline_kept_when_text_has_no_heading() -> None:
    article = _article("\n\n".join(BODY), title="Subscribe")
    assert strip_boilerplate(article) is article


def test_real_headline_starting_with_support_is_kept() -> None:
    text = "\n\n".join(["A Second Heading Line Here", *BODY])
    article = _article(text, title="Support for harbour plan grows among residents")
    assert strip_boilerplate(article) is article


def test_all_boilerplate_article_is_returned_unchanged() -> None:
    paragraphs = [
        "Sign up for our free daily newsletter",
        "Your support keeps our reporting free for everyone. Please donate today.",
        "Once",
        "Monthly",
        "Continue",
        "Remind me later.",
    ]
    article = _article("\n\n".join(paragraphs), title="Support Us")
    assert strip_boilerplate(article) is article


def test_bbc_business_articles_keep_nearly_all_text() -> None:
    paths = sorted(BBC_BUSINESS.glob("*.txt"))[:200]
    if len(paths) < 200:
        pytest.skip(f"fewer than 200 BBC business articles in {BBC_BUSINESS}")
    total = kept = 0
    for path in paths:
        article = _read_txt(path)
        cleaned = strip_boilerplate(article)
        total += sum(len(p) for p in _paragraphs(article.text)) + len(article.title)
        kept += sum(len(p) for p in _paragraphs(cleaned.text)) + len(cleaned.title)
    assert kept >= 0.99 * total
