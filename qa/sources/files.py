"""Articles from files and folders (text, Markdown, HTML, JSON Lines, JSON, CSV): the ``FileSource``."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.sources.records import read_csv_file, read_json_file, read_jsonl_file, record_article
from qa.sources.text import (
    ReadResult,
    clean_text,
    collect,
    dateline,
    decode_bytes,
    derive_title,
    load_text,
    normalise,
    skip,
    str_or_none,
)
from qa.types import Article, Skip

__all__ = [
    "SUPPORTED_SUFFIXES",
    "FileSource",
    "ReadResult",
    "decode_bytes",
    "html_article",
    "read_csv_file",
    "read_file",
    "read_html_file",
    "read_json_file",
    "read_jsonl_file",
    "read_paths",
    "read_text_file",
]

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".jsonl", ".json", ".csv"})

# A file holding one article (text, Markdown, HTML) larger than this is not one article: a whole
# archive pasted into one file, or not text at all. Record formats (JSONL, JSON, CSV) may be larger.
MAX_ARTICLE_FILE_MB = 10
_ONE_ARTICLE = frozenset({".txt", ".md", ".html", ".htm"})

# Files a folder of articles often carries beside them; read only when named directly.
_NOT_ARTICLES = frozenset({"README", "LICENSE", "LICENCE", "CHANGELOG", "COPYING"})


@dataclass(frozen=True)
class FileSource:
    """Files and folders (folders recursively): a ``Source``."""

    paths: Sequence[Path | str]

    def gather(self) -> ReadResult:
        return read_paths(self.paths)


def read_paths(paths: Sequence[Path | str]) -> ReadResult:
    """Read files or folders (recursively, sorted order, hidden files/dirs ignored) into articles.

    Never raises for bad input: every file or record that cannot be read becomes a ``Skip``
    (also logged). Ids are paths relative to the folder given, prefixed by the folder's name when
    several paths are given; they are unique within the result (``#2``, ``#3`` suffixes).
    """
    items: list[Article | Skip] = []
    for given in paths:
        root = Path(given).expanduser()
        # With several folders, "business/001.txt" and "tech/001.txt" must not collide.
        prefix = f"{root.resolve().name}/" if len(paths) > 1 else ""
        if root.is_dir():
            named = [(f, prefix + f.relative_to(root).as_posix()) for f in _walk(root, items)]
        elif root.exists():
            named = [(root, root.name)]
        else:
            items.append(skip(str(given), "no such file or folder"))
            continue
        for path, name in named:
            if root.is_dir() and path.stem.upper() in _NOT_ARTICLES:
                items.append(
                    skip(str(path), "looks like a README or licence, not an article; name the file to ingest it")
                )
                continue
            result = read_file(path, name)
            items.extend(result.articles)
            items.extend(result.skipped)
    return collect(items)


def read_file(path: Path, name: str | None = None) -> ReadResult:
    """Read one file by its suffix; ``name`` is the id (or record id prefix), else the file name."""
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        shown = suffix or "(no suffix)"
        reason = f"unsupported file type '{shown}'; supported: {supported}"
        return collect([skip(str(path), reason)])
    if not path.is_file():
        return collect([skip(str(path), "not a regular file")])
    size = path.stat().st_size
    if suffix in _ONE_ARTICLE and size > MAX_ARTICLE_FILE_MB * 1_000_000:
        reason = (
            f"{size / 1e6:.0f} MB is too large for one article (limit {MAX_ARTICLE_FILE_MB} MB); "
            "split it into one file per article, or export it as JSON Lines"
        )
        return collect([skip(str(path), reason)])
    return reader(path, name or path.name)


def read_text_file(path: Path, name: str | None = None) -> ReadResult:
    """Read a .txt or .md file: the first non-empty line is the headline, the rest the text."""
    origin, name = str(path), name or path.name
    loaded = load_text(path)
    if isinstance(loaded, Skip):
        return collect([loaded])
    lines = normalise(loaded).split("\n")
    first = next(i for i, line in enumerate(lines) if line.strip())
    title, rest = lines[first].strip(), lines[first + 1 :]
    if path.suffix.lower() == ".md":
        title = title.lstrip("#").strip()
        # A setext heading underlines the headline with === or ---.
        if rest and re.fullmatch(r"\s*(=+|-+)\s*", rest[0]):
            rest = rest[1:]
    text = clean_text("\n".join(rest))
    if not text:
        return collect([skip(origin, "no text after the headline")])
    title = title or derive_title(text, origin)
    date, source = dateline(text)
    return collect([Article(id=name, title=title, text=text, origin=origin, date=date, source=source)])


def read_html_file(path: Path, name: str | None = None) -> ReadResult:
    """Read an HTML page: main text and metadata by trafilatura, else plain text of the body."""
    loaded = load_text(path)
    if isinstance(loaded, Skip):
        return collect([loaded])
    return html_article(loaded, str(path), name or path.name)


def html_article(html: str, origin: str, name: str, url: str | None = None, *, fallback: bool = True) -> ReadResult:
    """The article in an HTML page (a file, or fetched from ``url``): trafilatura's main text and
    metadata, else (with ``fallback``) the body's plain text; ``name`` is its id, ``origin`` what
    messages call it."""
    import trafilatura  # imported here: it takes ~0.2 s and only HTML needs it

    meta: dict[str, Any] = {}
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
        if doc is not None:
            meta = doc if isinstance(doc, dict) else doc.as_dict()
    except Exception as exc:
        logger.debug("%s: trafilatura failed (%s); using plain text", origin, exc)
    text = clean_text(meta.get("text") or "")
    title = str_or_none(meta.get("title"))
    if not text and not fallback:
        return collect([skip(origin, "no article found on the page")])
    if not text:
        logger.debug("%s: trafilatura found no main text; using plain text", origin)
        fallback_title, text = _html_plain_text(html)
        title = title or fallback_title
    if not text:
        return collect([skip(origin, "no text found in the HTML")])
    # trafilatura repeats the headline as the first line of the text.
    head, _, body = text.partition("\n")
    if title and head.strip() == title and body.strip():
        text = body.strip()
    fields = {"title": title, "text": text, "date": meta.get("date"), "url": meta.get("url") or url}
    return collect([record_article({**fields, "source": meta.get("sitename")}, name, origin)])


_READERS: dict[str, Callable[[Path, str], ReadResult]] = {
    ".txt": read_text_file,
    ".md": read_text_file,
    ".html": read_html_file,
    ".htm": read_html_file,
    ".jsonl": read_jsonl_file,
    ".json": read_json_file,
    ".csv": read_csv_file,
}


def _walk(folder: Path, skipped: list[Article | Skip], seen: set[Path] | None = None) -> list[Path]:
    """Files under ``folder`` in sorted order, leaving out hidden names and symlink loops."""
    seen = set() if seen is None else seen
    real = folder.resolve()
    if real in seen:
        return []
    seen.add(real)
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        skipped.append(skip(str(folder), f"cannot read: {exc.strerror or exc}"))
        return []
    files: list[Path] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        files.extend(_walk(entry, skipped, seen) if entry.is_dir() else [entry])
    return files


def _html_plain_text(html: str) -> tuple[str | None, str]:
    """Title (``<title>`` or first ``<h1>``) and ``<p>`` text, for pages trafilatura gives up on."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(html)
    except (etree.LxmlError, ValueError) as exc:
        logger.debug("lxml could not parse the HTML either: %s", exc)
        return None, ""
    for element in root.xpath("//script|//style|//noscript|//template"):
        element.drop_tree()
    titles = (str_or_none(e.text_content()) for e in root.xpath("//title|//h1"))
    title = next((t for t in titles if t), None)
    paragraphs = [" ".join(p.text_content().split()) for p in root.xpath("//p")]
    if not any(paragraphs):
        body = root.find("body")
        text = body.text_content() if body is not None else ""
        paragraphs = [" ".join(line.split()) for line in text.split("\n")]
    return title, "\n".join(p for p in paragraphs if p)
