"""Answers as text for the terminal and as plain data for JSON and the HTTP API."""

from __future__ import annotations

import textwrap
from typing import Any

from qa.language.dates import iso_day
from qa.types import Answer, Chunk, Hit, Period


def citation_meta(chunk: Chunk) -> list[str]:
    """What a citation says after the headline: the date (if known) and the source, URL or article id."""
    return [m for m in (iso_day(chunk.date), chunk.source or chunk.url or chunk.article_id) if m]


def citation(chunk: Chunk) -> str:
    """Headline, date and source (or URL) of a passage's article, for a citation line."""
    parts = [f'"{chunk.title}"', *citation_meta(chunk)]
    if chunk.url and chunk.source:
        parts.append(chunk.url)
    return ", ".join(parts)


def hit_data(hit: Hit) -> dict[str, Any]:
    chunk = hit.chunk
    return {
        "text": chunk.text,
        "score": round(hit.score, 4),
        "dense_score": None if hit.dense_score is None else round(hit.dense_score, 4),
        "lexical_score": None if hit.lexical_score is None else round(hit.lexical_score, 4),
        "article_id": chunk.article_id,
        "headline": chunk.title,
        "date": chunk.date,
        "source": chunk.source,
        "url": chunk.url,
        "start": chunk.start,
        "end": chunk.end,
        "chunk_id": chunk.id,
    }


def answer_data(answer: Answer, reader: dict[str, Any] | None = None) -> dict[str, Any]:
    """The answer as one JSON-ready object; ``reader`` describes what chose it (model, version, data)."""
    return {
        "question": answer.question,
        "query": answer.query,
        "found": answer.found,
        "confidence": round(answer.confidence, 4),
        "answer": answer.sentence,
        "passage": answer.passage_index,
        "answer_start": answer.sentence_start,
        "answer_end": answer.sentence_end,
        "answer_words": _words(answer),
        "passages": [hit_data(h) for h in answer.passages],
        "reader": reader if reader is not None else {"name": answer.reader},
        "date_range": period_data(answer.period),
        "as_of": answer.as_of.isoformat() if answer.as_of else None,
        "latest": answer.latest,
        "earlier": [statement_data(a) for a in answer.earlier],
        "nearest": statement_data(answer.nearest) if answer.nearest is not None else None,
        "timeline": [statement_data(a) for a in answer.timeline],
        "conflicts": [statement_data(a) for a in answer.conflicts],
    }


def period_note(period: Period) -> str:
    """How the period an answer kept to is named: "About March 1987", "Only articles dated since 1 May 2026"."""
    return f"Only articles dated {period.label}" if period.strict else f"About {period.label}"


def not_found_line(answer: Answer) -> str:
    """The first line of an answer that was not found, naming the period it was looked for in."""
    if answer.period is None:
        return "Not found in these articles."
    if answer.period.strict:
        return f"Not found in the articles dated {answer.period.label}."
    return f"Not found for {answer.period.label}."


def nearest_title(period: Period) -> str:
    """The heading of the nearest answer offered when none was found in the period."""
    return (
        "Nearest answer, outside the dates asked" if period.strict else f"Nearest dated answer, outside {period.label}"
    )


def period_data(period: Period | None) -> dict[str, Any] | None:
    """The period a question was read as asking about: its days, the days searched and how it is shown."""
    if period is None:
        return None
    return {
        "from": period.start.isoformat() if period.start.year > 1 else None,
        "until": period.end.isoformat() if period.end.year < 9999 else None,
        "reported_until": period.last_report.isoformat() if period.last_report.year < 9999 else None,
        "label": period.label,
        "words": period.phrase or None,
        "filter": period.strict,
    }


def statement_data(answer: Answer) -> dict[str, Any]:
    """One article's answer, for the lists beside the main answer (earlier, nearest, timeline, conflicts)."""
    chunk = answer.chunk
    return {
        "answer": answer.sentence,
        "answer_words": _words(answer),
        "confidence": round(answer.confidence, 4),
        "date": chunk.date if chunk else None,
        "headline": chunk.title if chunk else None,
        "source": chunk.source if chunk else None,
        "url": chunk.url if chunk else None,
        "article_id": chunk.article_id if chunk else None,
        "answer_start": answer.sentence_start,
        "answer_end": answer.sentence_end,
    }


def statement_line(answer: Answer) -> str:
    """One article's answer on a line: the sentence, then its citation."""
    chunk = answer.chunk
    return f"{answer.sentence}  [{citation(chunk)}]" if chunk is not None else ""


def _words(answer: Answer) -> dict[str, Any] | None:
    """The answering words within the sentence (text and article offsets), where the reader says."""
    if answer.words is None:
        return None
    return {"text": answer.words, "start": answer.span_start, "end": answer.span_end}


def _beside(answer: Answer, width: int) -> list[str]:
    """What the terminal shows under the answer: the nearest answer outside the period, older answers
    that differ, reports that disagree, and the timeline."""
    lines: list[str] = []

    def item(text: str) -> list[str]:
        return textwrap.wrap(text, width, initial_indent="  - ", subsequent_indent="    ")

    if answer.nearest is not None and answer.period is not None:
        chunk = answer.nearest.chunk
        day = iso_day(chunk.date) if chunk else "?"
        lines += ["", f"{nearest_title(answer.period)} ({day}):"]
        lines += item(statement_line(answer.nearest))
    for title, items in (
        ("Earlier, and different:", answer.earlier),
        ("Other reports give another answer:", answer.conflicts),
    ):
        if items:
            lines += ["", title]
            for one in items:
                lines += item(statement_line(one))
    if answer.timeline:
        lines += ["", "Timeline (oldest first):"]
        for entry in answer.timeline:
            chunk = entry.chunk
            lines += textwrap.wrap(
                f"{iso_day(chunk.date) if chunk else '?'}  {entry.sentence}  [{chunk.title if chunk else ''}]",
                width,
                initial_indent="  ",
                subsequent_indent="              ",
            )
    return lines


def answer_text(answer: Answer, width: int = 100) -> str:
    """The answer as the terminal shows it: sentence, citation, then the passages with scores."""
    lines: list[str] = []
    if answer.period is not None:
        undo = "" if answer.period.strict else " (--no-time-words to ask without it)"
        lines.append(f"{period_note(answer.period)}{undo}")
    if answer.latest and answer.found and answer.chunk is not None:
        lines.append(f"As of {iso_day(answer.chunk.date)} (the newest article that states it):")
    if answer.found and answer.sentence is not None and answer.passage_index is not None:
        lines += textwrap.wrap(answer.sentence, width) or [answer.sentence]
        if answer.words:
            lines.append(f"  answer: {answer.words}")
        lines.append(f"  [{answer.passage_index + 1}] {citation(answer.passages[answer.passage_index].chunk)}")
        heading = "Passages:"
    else:
        lines.append(not_found_line(answer))
        heading = "Closest passages (they do not state the answer):" if answer.passages else "No passage matched."
    lines += _beside(answer, width)
    lines += ["", heading]
    for number, hit in enumerate(answer.passages, start=1):
        lines.append(f"[{number}] score {hit.score:.3f}  {citation(hit.chunk)}")
        lines += textwrap.wrap(hit.chunk.text, width, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(lines)
