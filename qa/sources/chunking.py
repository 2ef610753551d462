"""Sentence-aware chunks measured in the embedding model's own word pieces."""

from __future__ import annotations

import re
from dataclasses import dataclass

from embeddings import Embedder
from qa.errors import InvalidInput
from qa.language.sentences import split_sentences
from qa.settings import ChunkSettings


@dataclass(frozen=True)
class Span:
    """A stretch of an article's text: ``text[start:end]`` is ``tokens`` word pieces long."""

    start: int
    end: int
    tokens: int
    paragraph: int


def embedded_text(title: str, passage: str, settings: ChunkSettings) -> str:
    """What is embedded for a passage: the headline gives context the passage may lack."""
    return f"{title}\n{passage}" if settings.embed_title and title else passage


def passage_budget(embedder: Embedder, title: str, settings: ChunkSettings) -> int:
    """Word pieces a passage of this article may use so its embedded text is never truncated."""
    room = embedder.max_tokens - embedder.count_tokens([""])[0]
    if settings.embed_title and title:
        title_pieces = embedder.count_tokens([title + "\n"])[0] - embedder.count_tokens([""])[0]
        # A headline longer than half the room is cut from the embedding rather than starving the passage.
        room -= min(title_pieces, room // 2)
    budget = min(settings.chunk_tokens, room)
    if budget < 8:
        raise InvalidInput(
            f"chunk size {settings.chunk_tokens} leaves {budget} word pieces per passage; use 32 or more"
        )
    return budget


def sentence_spans(text: str, embedder: Embedder, budget: int) -> list[Span]:
    """The sentences of ``text`` with their sizes; a sentence over ``budget`` is cut at word boundaries."""
    raw: list[tuple[int, int, int]] = []
    for paragraph, match in enumerate(re.finditer(r"[^\n]+", text)):
        raw.extend((a, b, paragraph) for a, b in split_sentences(text, match.start(), match.end()))
    specials = embedder.count_tokens([""])[0]
    sizes = embedder.count_tokens([text[a:b] for a, b, _ in raw])
    spans: list[Span] = []
    for (start, end, paragraph), size in zip(raw, sizes, strict=True):
        size -= specials
        if size <= budget:
            spans.append(Span(start, end, size, paragraph))
        else:
            spans.extend(_cut_long_sentence(text, start, end, paragraph, embedder, budget))
    return spans


def _cut_long_sentence(text: str, start: int, end: int, paragraph: int, embedder: Embedder, budget: int) -> list[Span]:
    """Split an over-long sentence into pieces of at most ``budget`` word pieces, at word starts."""
    pieces = [(start + a, start + b) for a, b in embedder.token_spans(text[start:end])]
    out: list[Span] = []
    first = 0
    while first < len(pieces):
        last = min(first + budget, len(pieces))
        if last < len(pieces):
            # Back off to a piece that starts a new word, so no word is split across chunks.
            cut = last
            while cut > first + 1 and pieces[cut][0] == pieces[cut - 1][1]:
                cut -= 1
            last = cut if cut > first + 1 else last
        piece_end = pieces[last][0] if last < len(pieces) else end
        piece_start = pieces[first][0]
        while piece_end > piece_start and text[piece_end - 1].isspace():
            piece_end -= 1
        out.append(Span(piece_start, piece_end, last - first, paragraph))
        first = last
    return out


def chunk_spans(text: str, title: str, embedder: Embedder, settings: ChunkSettings) -> list[tuple[int, int]]:
    """Character spans of the chunks of one article, in order (see ``pack``)."""
    budget = passage_budget(embedder, title, settings)
    return pack(sentence_spans(text, embedder, budget), budget, settings)


def pack(spans: list[Span], budget: int, settings: ChunkSettings) -> list[tuple[int, int]]:
    """Pack sentence spans into chunk spans of at most ``budget`` word pieces.

    Sentences are packed greedily up to the passage budget. A chunk closes early at a
    paragraph break once it is at least ``paragraph_fill`` full, so passages follow the
    article's own structure; a chunk closed mid-paragraph hands its last sentences (up to
    ``chunk_overlap`` word pieces) to the next one.
    """
    chunks: list[tuple[int, int]] = []
    current: list[Span] = []
    size = 0
    for span in spans:
        new_paragraph = bool(current) and span.paragraph != current[-1].paragraph
        full = size + span.tokens > budget
        if current and (full or (new_paragraph and size >= settings.paragraph_fill * budget)):
            chunks.append((current[0].start, current[-1].end))
            current = [] if new_paragraph else _overlap(current, settings.chunk_overlap, budget - span.tokens)
            size = sum(s.tokens for s in current)
        current.append(span)
        size += span.tokens
    if current:
        chunks.append((current[0].start, current[-1].end))
    return chunks


def _overlap(previous: list[Span], overlap: int, room: int) -> list[Span]:
    """Trailing sentences of a closed chunk to repeat at the start of the next one."""
    kept: list[Span] = []
    total = 0
    for span in reversed(previous[1:]):
        if total + span.tokens > min(overlap, room):
            break
        kept.insert(0, span)
        total += span.tokens
    return kept
