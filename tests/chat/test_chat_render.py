"""Answers as HTML: highlight by offsets, numbered citations, passages, and no markup from articles."""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser

from qa.chat.render import (
    NOT_FOUND,
    cited_numbers,
    generated_html,
    highlight,
    ingest_html,
    render_answer,
    searched_for_html,
    stats_html,
)
from qa.index.changes import IngestReport
from qa.types import Answer, Chunk, Hit, Skip

# Tags the renderer itself writes; anything else in the output came from an article.
OWN_TAGS = {"div", "p", "span", "mark", "sup", "blockquote", "ol", "ul", "li", "details", "summary", "a", "br",
            "strong", "q", "code", "dl", "dt", "dd"}  # fmt: skip

ARTICLE = "ROME — The zoo said on Monday it had a new panda cub. The keepers named her Biscotti. She weighs 120 grams."
NAMED = ARTICLE.index("The keepers")
NAMED_END = ARTICLE.index(" She weighs")


class Markup(HTMLParser):
    """Collects the tags, attributes and visible text of an HTML fragment."""

    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.marked: list[str] = []
        self._in_mark = 0
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_mark += tag == "mark"

    def handle_endtag(self, tag: str) -> None:
        self._in_mark -= tag == "mark"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_mark:
            self.marked.append(data)

    @property
    def visible(self) -> str:
        return "".join(self.text)


def chunk(
    text: str = ARTICLE, start: int = 0, *, n: int = 1, title: str = "Zoo welcomes panda cub", **meta: str
) -> Chunk:
    return Chunk(n, f"article-{n}", title, text, start, start + len(text), **meta)  # type: ignore[arg-type]


def answer(hits: list[Hit], *, found: bool = True, index: int = 0, start: int = NAMED, end: int = NAMED_END) -> Answer:
    if not found:
        return Answer("Who named the cub?", "Who named the cub?", False, None, None, None, None, tuple(hits))
    sentence = hits[index].chunk.text[start - hits[index].chunk.start : end - hits[index].chunk.start]
    return Answer("What is the cub called?", "What is the cub called?", True, sentence, index, start, end, tuple(hits))


def assert_only_own_markup(fragment: str) -> Markup:
    markup = Markup(fragment)
    for tag, attrs in markup.tags:
        assert tag in OWN_TAGS, f"unexpected <{tag}> in {fragment!r}"
        assert not any(name.startswith("on") for name in attrs), f"event handler on <{tag}>"
        assert not (attrs.get("href") or "").lower().startswith("javascript"), "script URL"
    return markup


def test_highlight_marks_exactly_the_span_and_escapes_each_piece() -> None:
    text = "a < b & c. The <b>bold</b> claim. End > start."
    start, end = text.index("The"), text.index(" End")
    out = highlight(text, start, end)
    assert out == "a &lt; b &amp; c. <mark>The &lt;b&gt;bold&lt;/b&gt; claim.</mark> End &gt; start."
    markup = Markup(out)
    assert "".join(markup.marked) == text[start:end]
    assert markup.visible == text


def test_highlight_clamps_offsets_and_keeps_paragraph_breaks() -> None:
    assert highlight("one\n\n\n\ntwo", 7, 99) == "one<br><br><mark>two</mark>"
    assert highlight("abc", -4, 0) == "abc"
    assert highlight("abc", 2, 1) == "abc"


def test_highlight_sets_the_answering_words_apart_within_the_sentence() -> None:
    text = "Intro. The <cub> is Biscotti, keepers said. End."
    start, end = text.index("The"), text.index(" End")
    words = (text.index("Biscotti"), text.index(", keepers"))
    out = highlight(text, start, end, words)
    assert out == "Intro. <mark>The &lt;cub&gt; is <strong>Biscotti</strong>, keepers said.</mark> End."
    assert Markup(out).visible == text
    # Words outside the sentence are not set apart (a stale or foreign span).
    assert "<strong>" not in highlight(text, start, end, (0, 5))


def test_found_answer_sets_its_words_apart_in_the_passage() -> None:
    hits = [Hit(chunk(ARTICLE, 0, n=1), 0.7)]
    found = answer(hits)
    words = ARTICLE.index("Biscotti")
    marked = replace(found, span_start=words, span_end=words + 8)
    assert marked.words == "Biscotti"
    out = render_answer(marked)
    assert "<mark>The keepers named her <strong>Biscotti</strong>.</mark>" in out
    assert "<strong>" not in render_answer(found).split("aqa-notfound")[0].split("<blockquote")[1]


def test_found_answer_highlights_the_sentence_in_its_passage_and_cites_it() -> None:
    hits = [
        Hit(chunk(ARTICLE[:50], 0, n=1), 0.61),
        Hit(chunk(ARTICLE[40:], 40, n=2, date="2026-05-02", source="Daily Zoo", url="https://zoo.test/cub"), 0.74),
        Hit(chunk("Unrelated text about rates.", 0, n=3, title="Bank cuts rates"), 0.21),
    ]
    out = render_answer(answer(hits, index=1))
    markup = assert_only_own_markup(out)
    assert "".join(markup.marked) == "The keepers named her Biscotti."
    # The citation is numbered as the passage's rank (2), with headline, date, source and link.
    assert '<li value="2">' in out
    assert "Zoo welcomes panda cub" in markup.visible
    assert "2026-05-02" in markup.visible and "Daily Zoo" in markup.visible
    assert ("a", {"href": "https://zoo.test/cub", "target": "_blank", "rel": "noopener noreferrer"}) in markup.tags
    # The other passages are behind a <details>, with their scores.
    assert "Other passages (2)" in out
    assert "score 0.61" in out and "score 0.21" in out
    assert out.index("<details") < out.index("Bank cuts rates")
    assert NOT_FOUND not in out
    assert "Searched for" not in out


def test_not_found_offers_the_closest_passages_as_such() -> None:
    hits = [Hit(chunk(n=1), 0.12), Hit(chunk("Rates were cut.", n=2, title="Bank cuts rates"), 0.05)]
    out = render_answer(answer(hits, found=False))
    markup = assert_only_own_markup(out)
    assert NOT_FOUND in markup.visible
    assert "<mark>" not in out
    assert '<details class="aqa-passages" open>' in out
    assert "Closest passages (they do not state the answer)" in out
    # The passages were found: the message must not claim that none is close.
    assert "None of the passages found states the answer" in markup.visible
    assert "score 0.12" in out and "score 0.05" in out
    assert "No passage matched" in render_answer(answer([], found=False))


def test_markup_in_articles_is_shown_as_text_and_never_becomes_markup() -> None:
    payload = 'Hello <script>window.__pwned=1</script> and <img src=x onerror="window.__pwned=2"> there.'
    title = "<b onmouseover=alert(1)>Headline</b>"
    hits = [
        Hit(chunk(payload, n=1, title=title, source="<i>src</i>", date="<u>d</u>", url="javascript:alert(1)"), 0.9),
        Hit(chunk(payload, n=2, title=title, url='https://x.test/"><script>alert(1)</script>'), 0.8),
    ]
    start = payload.index("<img")
    out = render_answer(answer(hits, start=start, end=start + 40))
    markup = assert_only_own_markup(out)
    assert "<script>window.__pwned=1</script>" in markup.visible
    assert '<img src=x onerror="window.__pwned=2">' in markup.visible
    assert title in markup.visible and "<i>src</i>" in markup.visible
    assert not any(attrs.get("href", "").startswith("javascript") for _, attrs in markup.tags)
    generated = render_answer(answer(hits), generated="It says <script>x()</script> [1].")
    assert "<script>x()</script>" in assert_only_own_markup(generated).visible


def test_searched_for_shows_only_a_rewritten_query() -> None:
    assert searched_for_html("Who said that?", "Who said that?") == ""
    assert searched_for_html("Who  said that? ", "Who said that?") == ""
    shown = searched_for_html("And Iran?", "What did <NATO> propose to Iran?")
    assert "Searched for" in shown and "What did &lt;NATO&gt; propose to Iran?" in shown
    hits = [Hit(chunk(), 0.7)]
    rewritten = Answer("Who named it?", "Who named it? panda cub", True, "x", 0, NAMED, NAMED_END, tuple(hits))
    assert "Searched for: <q" in render_answer(rewritten)


def test_generated_answer_links_its_markers_to_the_numbered_passages() -> None:
    assert cited_numbers("Biscotti [2]. Born Monday [1, 2]; see [7] and [0].", count=3) == [2, 1]
    out = generated_html("Named Biscotti [2][1]; see [9].", count=2)
    assert out.count('class="aqa-ref"') == 2
    assert "[9]" in out and '<sup class="aqa-ref">[9]' not in out

    hits = [Hit(chunk(n=1), 0.8), Hit(chunk("Other text.", n=2, title="Second headline"), 0.5)]
    final = render_answer(answer(hits), generated="The cub is called Biscotti [1].")
    markup = assert_only_own_markup(final)
    assert "The cub is called Biscotti" in markup.visible
    assert '<li value="1">' in final and '<li value="2">' not in final  # only cited passages are sources
    assert "Passages given to the model (2)" in final
    assert "".join(markup.marked) == "The keepers named her Biscotti."  # the passages stay, highlight included

    streaming = render_answer(answer(hits), generated="The cub is", streaming=True)
    assert "aqa-cursor" in streaming and "aqa-sources" not in streaming
    noted = render_answer(answer(hits), note="The language model failed (HTTP 500).")
    assert "The language model failed (HTTP 500)." in Markup(noted).visible
    assert "".join(Markup(noted).marked) == "The keepers named her Biscotti."


def test_stats_and_ingest_summary() -> None:
    manifest = {
        "model": "all-MiniLM-L6-v2",
        "counts": {"articles": 1234, "chunks": 5678},
        "built_at": "2026-11-28T02:12:09+00:00",
    }
    visible = Markup(stats_html(manifest)).visible
    for expected in ("1,234", "5,678", "all-MiniLM-L6-v2", "2026-11-28 02:12 UTC"):
        assert expected in visible
    assert "?" in Markup(stats_html({})).visible

    report = IngestReport(
        "news",
        added=1,
        articles_total=3,
        chunks_total=9,
        skipped=(Skip("/tmp/gradio/0af3/notes.pdf", "unsupported file type '.pdf'"), Skip("/tmp/x/a.jsonl:3", "<bad>")),
    )
    markup = assert_only_own_markup(ingest_html(report))
    assert report.summary() in markup.visible
    assert "notes.pdf: unsupported file type '.pdf'" in markup.visible
    assert "a.jsonl:3: <bad>" in markup.visible
    assert "/tmp/gradio" not in markup.visible
