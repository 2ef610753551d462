"""Sentence boundaries with character offsets, for chunking and for picking the answer sentence."""

from __future__ import annotations

import re

# Words that end with a full stop without ending the sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sen",
        "rep",
        "gov",
        "gen",
        "col",
        "lt",
        "capt",
        "sgt",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "corp",
        "plc",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "al",
        "fig",
        "no",
        "nos",
        "vol",
        "approx",
        "dept",
        "est",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mt",
        "ft",
        "pp",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
        "a.m",
        "p.m",
    ]
)
# A candidate boundary: end punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]*[A-Z0-9])")
_LAST_WORD = re.compile(r"(\S+)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the full stop at ``dot`` closes an abbreviation or an initial ("J. Smith")."""
    match = _LAST_WORD.search(text, 0, dot)
    if match is None:
        return False
    word = match.group(1).lstrip("\"'“‘([").casefold()
    if len(word) == 1 and word.isalpha():
        return True
    return word.rstrip(".") in _ABBREVIATIONS


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text[start:end]``, stripped of surrounding space.

    Newlines always end a sentence: a paragraph never shares a sentence with the next.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start = start + line.start()
        line_end = start + line.end()
        cursor = line_start
        for match in _BOUNDARY.finditer(text, line_start, line_end):
            if (
                text[match.start()] == "."
                and match.end() - match.start() == 1
                and _is_abbreviation(text, match.start())
            ):
                continue
            spans.append((cursor, match.end()))
            cursor = match.end()
        spans.append((cursor, line_end))
    return [stripped for span in spans if (stripped := _strip(text, *span))]


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
