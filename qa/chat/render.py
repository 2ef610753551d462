"""Answers as HTML for the browser chat: the answer, its highlighted passage, numbered citations, passages.

Article text is untrusted: every piece of it is escaped before it is put into HTML, and the
answer highlight is inserted by offsets between separately escaped pieces, so markup inside an
article shows as text and never runs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.chat.formatting import citation_meta, nearest_title, not_found_line, period_note
from qa.language.dates import iso_day
from qa.types import Answer, Chunk, Hit

if TYPE_CHECKING:
    from qa.index.changes import IngestReport

NOT_FOUND = "Not found in these articles."
STYLESHEET = Path(__file__).parents[1] / "app.css"
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
_REF = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_SPACED_REF = re.compile(r"[ \t]*" + _REF.pattern)  # "shield [1]" shows as "shield¹"


def text_html(text: str) -> str:
    """Escaped text with paragraph breaks kept as line breaks."""
    return html.escape(_BLANK_LINES.sub("\n\n", text)).replace("\n", "<br>")


def highlight(text: str, start: int, end: int, words: tuple[int, int] | None = None) -> str:
    """``text`` escaped, with ``text[start:end]`` wrapped in ``<mark>`` (offsets clamped to the text), and
    ``text[words[0]:words[1]]``, the answering words within it, also in ``<strong>``."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    if start == end:
        return text_html(text)
    before, marked, after = text[:start], text[start:end], text[end:]
    inner = text_html(marked)
    if words is not None and start <= words[0] < words[1] <= end:
        a, b = words[0] - start, words[1] - start
        inner = f"{text_html(marked[:a])}<strong>{text_html(marked[a:b])}</strong>{text_html(marked[b:])}"
    return f"{text_html(before)}<mark>{inner}</mark>{text_html(after)}"


def _link(url: str | None) -> str | None:
    """The URL if it is safe to link to (http or https), else None."""
    return url if url and re.match(r"https?://", url, re.IGNORECASE) else None


def citation_html(chunk: Chunk) -> str:
    """Headline (linked when the article has a web URL), then date and source or URL."""
    title = html.escape(chunk.title)
    url = _link(chunk.url)
    if url:
        title = f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{title}</a>'
    shown = "".join(f'<span class="aqa-meta-part">{html.escape(m)}</span>' for m in citation_meta(chunk))
    return f'<span class="aqa-headline">{title}</span><span class="aqa-meta">{shown}</span>'


def _ref(number: int) -> str:
    return f'<sup class="aqa-ref">[{number}]</sup>'


def cited_numbers(text: str, count: int) -> list[int]:
    """Passage numbers cited as ``[n]`` or ``[n, m]`` in generated text, in order of first use, within 1..count."""
    numbers: list[int] = []
    for match in _REF.finditer(text):
        for part in match.group(1).split(","):
            n = int(part)
            if 1 <= n <= count and n not in numbers:
                numbers.append(n)
    return numbers


def generated_html(text: str, count: int) -> str:
    """Generated answer text, escaped, with valid ``[n]`` markers shown as citation references."""

    def ref(match: re.Match[str]) -> str:
        numbers = [int(p) for p in match.group(1).split(",")]
        if not all(1 <= n <= count for n in numbers):
            return match.group(0)  # not a passage number: leave the text as written
        return "".join(_ref(n) for n in numbers)

    return _SPACED_REF.sub(ref, text_html(text))


def _sources(hits: Sequence[Hit], numbers: Sequence[int]) -> str:
    if not numbers:
        return ""
    label = "Source" if len(numbers) == 1 else "Sources"
    items = "".join(f'<li value="{n}">{citation_html(hits[n - 1].chunk)}</li>' for n in numbers)
    return f'<div class="aqa-sources"><p class="aqa-label">{label}</p><ol class="aqa-citations">{items}</ol></div>'


def _passage(number: int, hit: Hit, body: str | None = None) -> str:
    chunk = hit.chunk
    head = (
        f'<div class="aqa-hit-head"><span class="aqa-num">[{number}]</span>{citation_html(chunk)}'
        f'<span class="aqa-score">score {hit.score:.2f}</span></div>'
    )
    return f'<div class="aqa-hit">{head}<p class="aqa-hit-text">{body or text_html(chunk.text)}</p></div>'


def _passages(summary: str, items: Sequence[tuple[int, Hit, str | None]], *, open_: bool = False) -> str:
    if not items:
        return ""
    body = "".join(_passage(n, hit, text) for n, hit, text in items)
    opened = " open" if open_ else ""
    return f'<details class="aqa-passages"{opened}><summary>{html.escape(summary)}</summary>{body}</details>'


def _answer_passage(answer: Answer) -> str | None:
    """The passage holding the answer sentence, with the sentence highlighted."""
    if answer.passage_index is None or answer.sentence_start is None or answer.sentence_end is None:
        return None
    chunk = answer.passages[answer.passage_index].chunk
    words = None
    if answer.span_start is not None and answer.span_end is not None:
        words = (answer.span_start - chunk.start, answer.span_end - chunk.start)
    return highlight(chunk.text, answer.sentence_start - chunk.start, answer.sentence_end - chunk.start, words)


def searched_for_html(question: str, query: str) -> str:
    """A note naming the query actually searched, when a follow-up was rewritten."""
    if " ".join(query.split()) == " ".join(question.split()):
        return ""
    return f'<p class="aqa-searched">Searched for: <q class="aqa-query">{html.escape(query)}</q></p>'


def note_html(note: str) -> str:
    return f'<p class="aqa-note" role="status">{html.escape(note)}</p>'


def render_answer(answer: Answer, *, generated: str | None = None, streaming: bool = False, note: str = "") -> str:
    """The assistant's chat message for one answer, as HTML.

    Args:
        answer: the retrieved answer; its passages are numbered 1..k in rank order everywhere.
        generated: text written by a language model from the passages (replaces the extractive sentence).
        streaming: the generated text is still arriving.
        note: a visible remark, e.g. that generation failed and the extractive answer is shown.
    """
    parts = [searched_for_html(answer.question, answer.query), period_html(answer)]
    if note:
        parts.append(note_html(note))
    hits = answer.passages
    marked = _answer_passage(answer) if answer.found else None
    if not answer.found or answer.passage_index is None:
        reason = (
            "None of the passages found states the answer; the closest are below."
            if hits
            else "No passage matched the question."
        )
        heading = not_found_line(answer)
        parts.append(f'<p class="aqa-notfound"><strong>{html.escape(heading)}</strong> {reason}</p>')
        parts.append(beside_html(answer))
        items: list[tuple[int, Hit, str | None]] = [(n, hit, None) for n, hit in enumerate(hits, 1)]
        # Without passages the line above already says so.
        parts.append(_passages("Closest passages (they do not state the answer)", items, open_=True))
    elif generated is not None:
        cursor = '<span class="aqa-cursor" aria-hidden="true">▍</span>' if streaming else ""
        parts.append(f'<p class="aqa-generated">{generated_html(generated, len(hits))}{cursor}</p>')
        if not streaming:
            parts.append(_sources(hits, cited_numbers(generated, len(hits))))
        items = [(n, hit, marked if n - 1 == answer.passage_index else None) for n, hit in enumerate(hits, 1)]
        parts.append(_passages(f"Passages given to the model ({len(hits)})", items))
    else:
        number = answer.passage_index + 1
        parts.append(f'<blockquote class="aqa-passage">{marked}{_ref(number)}</blockquote>')
        parts.append(_sources(hits, [number]))
        parts.append(beside_html(answer))
        others = [(n, hit, None) for n, hit in enumerate(hits, 1) if n != number]
        parts.append(_passages(f"Other passages ({len(others)})", others))
    return '<div class="aqa-answer">' + "".join(parts) + "</div>"


def period_html(answer: Answer) -> str:
    """What the question was read as asking about in time: "About March 1987", or "as of" for the latest."""
    notes = []
    if answer.period is not None:
        undo = "" if answer.period.strict else " Untick “Read dates in questions” under Dates to ask without it."
        notes.append(f"<strong>{html.escape(period_note(answer.period))}</strong>.{html.escape(undo)}")
    if answer.latest and answer.found and answer.chunk is not None:
        notes.append(
            f"As of <strong>{html.escape(answer.chunk.date or '?')}</strong>: the newest article that states it."
        )
    return "".join(f'<p class="aqa-period" role="status">{n}</p>' for n in notes)


def _statement(answer: Answer, lead: str = "") -> str:
    """One article's answer in a list: ``lead`` (HTML), the sentence with its words set apart, its citation."""
    chunk = answer.chunk
    if chunk is None or answer.sentence is None or answer.sentence_start is None:
        return ""
    words = None
    if answer.span_start is not None and answer.span_end is not None:
        words = (answer.span_start - answer.sentence_start, answer.span_end - answer.sentence_start)
    text = answer.sentence
    sentence = text_html(text)
    if words is not None and 0 <= words[0] < words[1] <= len(text):
        a, b = words
        sentence = f"{text_html(text[:a])}<strong>{text_html(text[a:b])}</strong>{text_html(text[b:])}"
    return f'<li>{lead}<span class="aqa-statement">{sentence}</span> {citation_html(chunk)}</li>'


def beside_html(answer: Answer) -> str:
    """The lists under an answer: the nearest answer outside the period, older answers that differ,
    reports that give another value, and the timeline (oldest first)."""
    parts = []
    if answer.nearest is not None and answer.period is not None:
        parts.append(_statements(nearest_title(answer.period), [answer.nearest], "aqa-nearest"))
    parts.append(_statements("Earlier, and different", answer.earlier, "aqa-earlier"))
    parts.append(_statements("Other reports give another answer", answer.conflicts, "aqa-conflicts"))
    parts.append(_statements("Timeline, oldest first", answer.timeline, "aqa-timeline"))
    return "".join(parts)


def _statements(title: str, answers: Sequence[Answer], kind: str) -> str:
    items = "".join(_statement(a) for a in answers)
    if not items:
        return ""
    return f'<div class="aqa-beside {kind}"><p class="aqa-label">{html.escape(title)}</p><ul>{items}</ul></div>'


def timeline_html(answer: Answer) -> str:
    """The Timeline tab: each dated article's answering sentence, oldest first, each cited."""
    if not answer.timeline:
        return problem_html("No dated article on this story was found; try other words, or widen the dates.")
    items = "".join(_statement(a, f'<span class="aqa-when">{_day(a)}</span> ') for a in answer.timeline)
    count = f'<p class="aqa-label">{len(answer.timeline)} articles, oldest first</p>'
    return f'<div class="aqa-answer aqa-story">{period_html(answer)}{count}<ol class="aqa-timeline">{items}</ol></div>'


def _day(answer: Answer) -> str:
    chunk = answer.chunk
    return html.escape(iso_day(chunk.date) or "") if chunk is not None else ""


def question_html(question: str) -> str:
    """The user's message, escaped."""
    return text_html(question)


def problem_html(message: str) -> str:
    """A one-line error for the user, escaped."""
    return f'<p class="aqa-error" role="alert">{html.escape(message)}</p>'


def error_html(message: str) -> str:
    """An assistant message saying what went wrong."""
    return f'<div class="aqa-answer">{problem_html(message)}</div>'


def _when(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M %Z").strip()
    except ValueError:
        return stamp


def stats_html(manifest: Mapping[str, Any]) -> str:
    """Articles, passages, model and build time of a collection."""
    counts = manifest.get("counts", {})

    def count(key: str) -> str:
        value = counts.get(key)
        return f"{value:,}" if isinstance(value, int) else "?"

    dates = manifest.get("dates") or {}
    rows = [
        ("Articles", count("articles")),
        ("Passages", count("chunks")),
        *([("Dated", f"{dates['first']} to {dates['last']}")] if dates.get("first") else []),
        ("Model", str(manifest.get("model", "?"))),
        ("Built", _when(str(manifest.get("built_at", "?")))),
    ]
    cells = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    return f'<dl class="aqa-stats">{cells}</dl>'


def ingest_html(report: IngestReport) -> str:
    """The ingest summary, and each skipped file or record with the reason."""
    parts = [f'<p class="aqa-ingest-summary">{html.escape(report.summary())}</p>']
    if report.skipped:
        items = "".join(
            f"<li><code>{html.escape(_shown_origin(s.origin))}</code>: {html.escape(s.reason)}</li>"
            for s in report.skipped
        )
        parts.append(f'<p class="aqa-label">Skipped</p><ul class="aqa-skipped">{items}</ul>')
    return '<div class="aqa-ingest">' + "".join(parts) + "</div>"


def _shown_origin(origin: str) -> str:
    """An uploaded file's name without the server's temporary folder."""
    return origin.replace("\\", "/").rsplit("/", 1)[-1]
