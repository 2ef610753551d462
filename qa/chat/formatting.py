"""Answers as text for the terminal and as plain data for JSON and the HTTP API."""

from __future__ import annotations

import textwrap
from typing import Any

from qa.types import Answer, Chunk, Hit


def citation_meta(chunk: Chunk) -> list[str]:
    """What a citation says after the headline: the date (if known) and the source, URL or article id."""
    return [m for m in (chunk.date, chunk.source or chunk.url or chunk.article_id) if m]


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
    }


def _words(answer: Answer) -> dict[str, Any] | None:
    """The answering words within the sentence (text and article offsets), where the reader says."""
    if answer.words is None:
        return None
    return {"text": answer.words, "start": answer.span_start, "end": answer.span_end}


def answer_text(answer: Answer, width: int = 100) -> str:
    """The answer as the terminal shows it: sentence, citation, then the passages with scores."""
    lines: list[str] = []
    if answer.found and answer.sentence is not None and answer.passage_index is not None:
        lines += textwrap.wrap(answer.sentence, width) or [answer.sentence]
        if answer.words:
            lines.append(f"  answer: {answer.words}")
        lines.append(f"  [{answer.passage_index + 1}] {citation(answer.passages[answer.passage_index].chunk)}")
        heading = "Passages:"
    else:
        lines.append("Not found in these articles.")
        heading = "Closest passages (they do not state the answer):" if answer.passages else "No passage matched."
    lines += ["", heading]
    for number, hit in enumerate(answer.passages, start=1):
        lines.append(f"[{number}] score {hit.score:.3f}  {citation(hit.chunk)}")
        lines += textwrap.wrap(hit.chunk.text, width, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(lines)
