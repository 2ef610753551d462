"""The browser app end to end: answers with highlight and citation, follow-ups, uploads, untrusted text, API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.model, pytest.mark.browser]

ANSWER_TIMEOUT = 60_000  # ms: a slow shared machine, and the first question of a session
NATO_QUESTION = "What did NATO propose to Russia?"
NATO_HEADLINE = "NATO chief invites Russia to join planned missile shield"
PANDA = """Lindenfeld Zoo welcomes its first giant panda cub

LINDENFELD, May 4, 2026 — The Lindenfeld Zoo announced on Sunday that its giant panda Hua Lin had given birth to a \
female cub, the first panda ever born in the country.

Keepers named the cub Tupelo Moonbean after a public vote that drew more than 40,000 entries. The cub weighed 140 \
grams at birth and will go on public view in the autumn, zoo director Ilse Brandauer said.
"""
HOSTILE_HEADLINE = 'Estervik ferry timetable <img src=x onerror="window.__pwned=2"> approved'
HOSTILE = f"""{HOSTILE_HEADLINE}

The harbour council of Estervik approved a new ferry timetable on Friday. <script>window.__pwned=1</script> The \
timetable adds three evening crossings to the island of Holmsund. <img src=x onerror="window.__pwned=2"> Councillors \
said the extra ferries would start running in June.
"""


def ask(page: Any, question: str) -> Any:
    """Ask in the chat and return the new assistant message once it has rendered."""
    answers = page.locator("#aqa-chat .aqa-answer")
    before = answers.count()
    page.locator("#aqa-question textarea").fill(question)
    page.locator("#aqa-ask").click()
    expect(answers).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)
    return answers.nth(before)


def upload(page: Any, files: list[Path], into: str) -> Any:
    """Add files to an article set through the sidebar; returns the ingest report element."""
    page.locator("#aqa-files input[type=file]").set_input_files([str(f) for f in files])
    for f in files:  # uploaded: the server's copy is linked
        expect(page.locator(f"#aqa-files a[href$='/{f.name}']")).to_have_count(1)
    page.locator("#aqa-target input, #aqa-target textarea").first.fill(into)
    page.locator("#aqa-add").click()
    report = page.locator("#aqa-report .aqa-ingest")
    expect(report).to_be_visible(timeout=ANSWER_TIMEOUT)
    return report


def test_answer_is_highlighted_in_its_passage_and_cited(page: Any) -> None:
    answer = ask(page, NATO_QUESTION)
    expect(answer.locator("mark")).to_contain_text("urged Russia to join")
    expect(answer.locator(".aqa-citations li").first).to_contain_text(NATO_HEADLINE)
    # The other passages are there, folded, with their scores.
    others = answer.locator("details.aqa-passages")
    expect(others.locator("summary")).to_contain_text("Other passages")
    others.locator("summary").click()
    expect(others.locator(".aqa-score").first).to_contain_text("score ")
    expect(page.locator("#aqa-stats")).to_contain_text("all-MiniLM-L6-v2")


def test_follow_ups_are_answered_in_context_until_a_new_chat(page: Any) -> None:
    ask(page, NATO_QUESTION)
    iran = ask(page, "And what about Iran?")
    expect(iran.locator(".aqa-searched")).to_contain_text("What did NATO propose to Iran?")
    expect(iran.locator(".aqa-passage, .aqa-notfound").first).to_be_visible()

    who = ask(page, "Who said that?")
    expect(who.locator(".aqa-searched")).to_contain_text("NATO")
    expect(who.locator("mark")).to_contain_text("Lindqvist")

    page.locator("#aqa-new").click()
    expect(page.locator("#aqa-chat .aqa-answer")).to_have_count(0)
    fresh = ask(page, "Who said that?")
    expect(fresh).to_be_visible()
    expect(fresh.locator(".aqa-searched")).to_have_count(0)  # no earlier context any more


def test_uploaded_article_is_answerable_at_once(page: Any, tmp_path: Path) -> None:
    article, empty = tmp_path / "lindenfeld-panda.txt", tmp_path / "empty.txt"
    article.write_text(PANDA, encoding="utf-8")
    empty.write_text("", encoding="utf-8")
    report = upload(page, [article, empty], "samples")
    expect(report).to_contain_text("added 1")
    expect(report.locator(".aqa-skipped")).to_contain_text("empty.txt")  # skipped, and why
    expect(page.locator("#aqa-stats")).to_contain_text("11")

    answer = ask(page, "What did the keepers name the panda cub?")
    # Answered from the new article: the sentence giving the name is highlighted, its article cited.
    expect(answer.locator(".aqa-passage mark")).to_contain_text("Tupelo Moonbean")
    # Within it, the words that answer are set apart.
    expect(answer.locator(".aqa-passage mark strong")).to_contain_text("Tupelo Moonbean")
    expect(answer.locator(".aqa-passage")).to_contain_text("Lindenfeld Zoo")
    expect(answer.locator(".aqa-citations li").first).to_contain_text(
        "Lindenfeld Zoo welcomes its first giant panda cub"
    )


def test_markup_in_an_article_shows_as_text_and_never_runs(page: Any, tmp_path: Path) -> None:
    article = tmp_path / "estervik-ferry.txt"
    article.write_text(HOSTILE, encoding="utf-8")
    report = upload(page, [article], "untrusted")
    expect(report).to_contain_text("collection 'untrusted'")
    expect(page.locator("#aqa-stats")).to_contain_text("Articles")

    answer = ask(page, "How many evening crossings does the new Estervik ferry timetable add?")
    expect(answer.locator("mark")).to_contain_text("three evening crossings")
    expect(answer).to_contain_text("<script>window.__pwned=1</script>")
    expect(answer).to_contain_text('<img src=x onerror="window.__pwned=2">')
    expect(answer.locator(".aqa-citations li").first).to_contain_text(HOSTILE_HEADLINE)
    assert answer.locator("script, img").count() == 0

    # The user's own text is shown as typed, too.
    typed = '<img src=x onerror="window.__pwned=3"> When do the extra Estervik ferries start?'
    ask(page, typed)
    expect(page.locator("#aqa-chat")).to_contain_text(typed)
    assert page.locator("#aqa-chat img[src=x]").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_phone_layout_puts_the_chat_first_without_sideways_scrolling(browser: Any, app: Any, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(ANSWER_TIMEOUT)
    try:
        page.goto(app.url)
        page.locator("#aqa-question textarea").wait_for()
        answer = ask(page, NATO_QUESTION)
        expect(answer.locator("mark")).to_contain_text("urged Russia to join")
        page.screenshot(path=str(tmp_path / "phone.png"))
        chat, side = page.locator("#aqa-main").bounding_box(), page.locator("#aqa-side").bounding_box()
        assert chat is not None and side is not None and chat["y"] < side["y"]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


def test_api_endpoint_returns_the_answer_as_data(app: Any) -> None:
    from gradio_client import Client

    client = Client(app.url, verbose=False)
    data = client.predict(NATO_QUESTION, "samples", api_name="/ask")
    assert data["found"] is True
    assert data["question"] == NATO_QUESTION
    passage = data["passages"][data["passage"]]
    assert passage["headline"] == NATO_HEADLINE
    assert "urged Russia to join" in data["answer"]
    assert passage["text"][data["answer_start"] - passage["start"] :].startswith(data["answer"])


def test_dates_keep_the_chat_to_a_range_and_the_timeline_lays_a_story_out(page: Any) -> None:
    page.locator("#aqa-dates").get_by_text("Dates").first.click()
    page.locator("#aqa-since textarea, #aqa-since input").first.fill("2026-03-05")
    answer = ask(page, NATO_QUESTION)  # the NATO article is of 3 March: outside the range
    expect(answer.locator(".aqa-period")).to_contain_text("Only articles dated since 5 March 2026")
    expect(answer.locator(".aqa-notfound")).to_contain_text("Not found in the articles dated since 5 March 2026")
    expect(answer.locator(".aqa-passages")).not_to_contain_text(NATO_HEADLINE)
    # the answer outside the range is offered as such
    expect(answer.locator(".aqa-nearest")).to_contain_text("Nearest answer, outside the dates asked")
    expect(answer.locator(".aqa-nearest")).to_contain_text(NATO_HEADLINE)
    page.locator("#aqa-since textarea, #aqa-since input").first.fill("2026-99")
    expect(ask(page, NATO_QUESTION).locator(".aqa-error")).to_contain_text("From '2026-99'")
    page.locator("#aqa-since textarea, #aqa-since input").first.fill("")

    page.locator("#aqa-timeline-tab-button").click()
    page.locator("#aqa-story textarea").fill("Saltmere")
    page.locator("#aqa-lay-out").click()
    story = page.locator("#aqa-story-html .aqa-story")
    expect(story).to_be_visible(timeout=ANSWER_TIMEOUT)
    days = story.locator(".aqa-when").all_inner_texts()
    assert len(days) >= 2 and days == sorted(days)
    expect(page.locator("#aqa-chart canvas, #aqa-chart svg").first).to_be_visible(timeout=ANSWER_TIMEOUT)
