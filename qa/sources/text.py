"""What every article reader shares: decoding a file, tidying text, headlines, skips and unique ids."""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from qa.types import Article, Skip

# Skips and decoding are the readers' report: one logger for all of it, whichever module reads.
logger = logging.getLogger("qa.sources.files")

_BINARY_SNIFF_BYTES = 8192
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_DUP_SUFFIX = re.compile(r"#\d+$")
# A news agency's sign-off closing a wire story: "... the sources said.\n\nREUTER", "... <BURM.L> REUTER^M",
# "Reuter..." (Reuters-21578 ends 4,600 of its texts so). "told Reuters." and a Mr Reuter are kept.
_WIRE_SIGNOFF = re.compile(r"(?:(?<=\s)|^)(?:REUTER|(?<=\n)Reuter|Reuter(?=\.\.\.))(?:\.\.\.|\^M)*\s*\Z")
MAX_TITLE_CHARS = 120


@dataclass(frozen=True)
class ReadResult:
    """Articles read from some paths, and what was skipped with the reason."""

    articles: list[Article]
    skipped: list[Skip]


def decode_bytes(data: bytes) -> str | None:
    """Decode file contents as UTF-8 (BOM allowed), else cp1252, else Latin-1; None if binary."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data[:_BINARY_SNIFF_BYTES]:
        return None
    else:
        candidates = ("utf-8-sig", "cp1252", "latin-1")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        logger.debug("decoded %d bytes as %s", len(data), encoding)
        sample = text[:_BINARY_SNIFF_BYTES]
        controls = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
        return None if sample and controls > len(sample) * 0.3 else text
    return None


def load_text(path: Path) -> str | Skip:
    """The decoded contents of a file, or the reason it cannot be read as text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return skip(str(path), f"cannot read: {exc.strerror or exc}")
    if not data.strip():
        return skip(str(path), "empty file")
    text = decode_bytes(data)
    if text is None:
        return skip(str(path), "binary file, not text")
    if not text.strip():
        return skip(str(path), "empty file")
    return text


def normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def clean_text(text: str) -> str:
    """Normalise newlines, drop trailing spaces and a wire sign-off, keep at most one blank line between paragraphs."""
    text = re.sub(r"[ \t]+\n", "\n", normalise(text))
    text = _WIRE_SIGNOFF.sub("", text.rstrip())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def str_or_none(value: object) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def derive_title(text: str, origin: str) -> str:
    """A headline for an article without one: its first sentence or line, cut to 120 chars."""
    first = text.strip().split("\n", 1)[0].strip()
    first = _SENTENCE_END.split(first, maxsplit=1)[0]
    if len(first) > MAX_TITLE_CHARS:
        cut = first[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] or first[:MAX_TITLE_CHARS]
        first = cut.rstrip() + "…"
    logger.debug("%s has no title; using %r", origin, first)
    return first


def skip(origin: str, reason: str) -> Skip:
    skip = Skip(origin=origin, reason=reason)
    logger.info("skipped %s", skip)
    return skip


def collect(items: Iterable[Article | Skip]) -> ReadResult:
    """Split articles from skips, giving a repeated id the next free ``#2``, ``#3``, ... suffix.

    The suffix goes on the id without any ``#n`` it already has, so merging results that were
    made unique per file gives ``x#3``, not ``x#2#2``.
    """
    seen: set[str] = set()
    articles: list[Article] = []
    skipped: list[Skip] = []
    for item in items:
        if isinstance(item, Skip):
            skipped.append(item)
            continue
        article = item
        if item.id in seen:
            base, n = _DUP_SUFFIX.sub("", item.id), 2
            while f"{base}#{n}" in seen:
                n += 1
            article = replace(item, id=f"{base}#{n}")
            logger.warning("duplicate id %r at %s; using %r", item.id, item.origin, article.id)
        seen.add(article.id)
        articles.append(article)
    return ReadResult(articles, skipped)


# A wire-style dateline opening the text: "BRUSSELS, March 3, 2026 (Example Wire) — ...".
_DATELINE = re.compile(
    r"^[A-Z][A-Z .'-]{1,40},\s+(?P<date>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
    r"\s+\d{1,2},?\s+\d{4})(?:\s+\((?P<source>[^()]{2,60})\))?\s*[—–-]"
)


def dateline(text: str) -> tuple[str | None, str | None]:
    """Date and source named in a dateline at the start of an article's text, if there is one."""
    match = _DATELINE.match(text)
    if match is None:
        return None, None
    return match.group("date"), match.group("source")
