"""Read article files and folders (text, Markdown, HTML, JSON Lines, JSON, CSV) into articles."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qa.types import Article, Skip

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".jsonl", ".json", ".csv"})
TEXT_FIELDS = ("text", "body", "content")
TITLE_FIELDS = ("title", "headline")
MAX_TITLE_CHARS = 120
_BINARY_SNIFF_BYTES = 8192
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_DUP_SUFFIX = re.compile(r"#\d+$")


@dataclass(frozen=True)
class ReadResult:
    """Articles read from some paths, and what was skipped with the reason."""

    articles: list[Article]
    skipped: list[Skip]


# Files a folder of articles often carries beside them; read only when named directly.
_NOT_ARTICLES = frozenset({"README", "LICENSE", "LICENCE", "CHANGELOG", "COPYING"})


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
            items.append(_skip(str(given), "no such file or folder"))
            continue
        for path, name in named:
            if root.is_dir() and path.stem.upper() in _NOT_ARTICLES:
                items.append(
                    _skip(str(path), "looks like a README or licence, not an article; name the file to ingest it")
                )
                continue
            result = read_file(path, name)
            items.extend(result.articles)
            items.extend(result.skipped)
    return _result(items)


def read_file(path: Path, name: str | None = None) -> ReadResult:
    """Read one file by its suffix; ``name`` is the id (or record id prefix), else the file name."""
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        shown = suffix or "(no suffix)"
        reason = f"unsupported file type '{shown}'; supported: {supported}"
        return _result([_skip(str(path), reason)])
    if not path.is_file():
        return _result([_skip(str(path), "not a regular file")])
    return reader(path, name or path.name)


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


def read_text_file(path: Path, name: str | None = None) -> ReadResult:
    """Read a .txt or .md file: the first non-empty line is the headline, the rest the text."""
    origin, name = str(path), name or path.name
    loaded = _load(path)
    if isinstance(loaded, Skip):
        return _result([loaded])
    lines = _normalise(loaded).split("\n")
    first = next(i for i, line in enumerate(lines) if line.strip())
    title, rest = lines[first].strip(), lines[first + 1 :]
    if path.suffix.lower() == ".md":
        title = title.lstrip("#").strip()
        # A setext heading underlines the headline with === or ---.
        if rest and re.fullmatch(r"\s*(=+|-+)\s*", rest[0]):
            rest = rest[1:]
    text = _clean_text("\n".join(rest))
    if not text:
        return _result([_skip(origin, "no text after the headline")])
    title = title or _derive_title(text, origin)
    date, source = _dateline(text)
    return _result([Article(id=name, title=title, text=text, origin=origin, date=date, source=source)])


# A wire-style dateline opening the text: "BRUSSELS, March 3, 2026 (Example Wire) — ...".
_DATELINE = re.compile(
    r"^[A-Z][A-Z .'-]{1,40},\s+(?P<date>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
    r"\s+\d{1,2},?\s+\d{4})(?:\s+\((?P<source>[^()]{2,60})\))?\s*[—–-]"
)


def _dateline(text: str) -> tuple[str | None, str | None]:
    """Date and source named in a dateline at the start of a plain-text article, if there is one."""
    match = _DATELINE.match(text)
    if match is None:
        return None, None
    return match.group("date"), match.group("source")


def read_html_file(path: Path, name: str | None = None) -> ReadResult:
    """Read an HTML page: main text and metadata by trafilatura, else plain text of the body."""
    import trafilatura  # imported here: it takes ~0.2 s and only HTML needs it

    origin, name = str(path), name or path.name
    loaded = _load(path)
    if isinstance(loaded, Skip):
        return _result([loaded])
    meta: dict[str, Any] = {}
    try:
        doc = trafilatura.bare_extraction(loaded, with_metadata=True, include_comments=False)
        if doc is not None:
            meta = doc if isinstance(doc, dict) else doc.as_dict()
    except Exception as exc:
        logger.debug("%s: trafilatura failed (%s); using plain text", origin, exc)
    text = _clean_text(meta.get("text") or "")
    title = _str_or_none(meta.get("title"))
    if not text:
        logger.debug("%s: trafilatura found no main text; using plain text", origin)
        fallback_title, text = _html_plain_text(loaded)
        title = title or fallback_title
    if not text:
        return _result([_skip(origin, "no text found in the HTML")])
    # trafilatura repeats the headline as the first line of the text.
    head, _, body = text.partition("\n")
    if title and head.strip() == title and body.strip():
        text = body.strip()
    article = Article(
        id=name,
        title=title or _derive_title(text, origin),
        text=text,
        date=_str_or_none(meta.get("date")),
        url=_str_or_none(meta.get("url")),
        source=_str_or_none(meta.get("sitename")),
        origin=origin,
    )
    return _result([article])


def read_jsonl_file(path: Path, name: str | None = None) -> ReadResult:
    """Read JSON Lines: one record (title, text, optional date/url/source/id) per line."""
    origin, name = str(path), name or path.name
    loaded = _load(path)
    if isinstance(loaded, Skip):
        return _result([loaded])
    items: list[Article | Skip] = []
    for number, line in enumerate(_normalise(loaded).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            items.append(_skip(f"{origin}:{number}", f"invalid JSON: {exc.msg}"))
            continue
        items.append(_record(record, f"{name}:{number}", f"{origin}:{number}"))
    return _result(items)


def read_json_file(path: Path, name: str | None = None) -> ReadResult:
    """Read JSON: a list of records, ``{"articles"|"data"|"records": [...]}``, or SQuAD."""
    origin, name = str(path), name or path.name
    loaded = _load(path)
    if isinstance(loaded, Skip):
        return _result([loaded])
    try:
        data = json.loads(loaded)
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        return _result([_skip(origin, reason)])
    records: Any = data
    if isinstance(data, dict):
        keys = {str(k).lower(): v for k, v in data.items()}
        lists = (keys[k] for k in ("articles", "data", "records") if isinstance(keys.get(k), list))
        records = next(lists, None)
    if not isinstance(records, list):
        reason = (
            f"unexpected JSON shape ({type(data).__name__}); expected a list of records, "
            "an object with a list under 'articles', 'data' or 'records', or SQuAD"
        )
        return _result([_skip(origin, reason)])
    squad = [_squad_record(r) if _is_squad(r) else r for r in records]
    return _result(_record(r, f"{name}:{i}", f"{origin}:{i}") for i, r in enumerate(squad))


def read_csv_file(path: Path, name: str | None = None) -> ReadResult:
    """Read CSV with a header row (``,``, ``;``, tab or ``|`` separated); column names any case."""
    origin, name = str(path), name or path.name
    loaded = _load(path)
    if isinstance(loaded, Skip):
        return _result([loaded])
    header = loaded.lstrip().split("\n", 1)[0]
    delimiter = max(",;\t|", key=header.count) if any(d in header for d in ",;\t|") else ","
    reader = csv.reader(io.StringIO(loaded.lstrip(), newline=""), delimiter=delimiter)
    try:
        columns = [c.strip().lower() for c in next(reader)]
    except csv.Error as exc:
        return _result([_skip(origin, f"malformed CSV header: {exc}")])
    if not any(f in columns for f in TEXT_FIELDS):
        shown = ", ".join(repr(c) for c in columns)
        reason = f"no text column: columns are {shown}; a 'text' column is needed"
        return _result([_skip(origin, reason)])
    items: list[Article | Skip] = []
    for row_number in itertools.count(2):  # the header is row 1, as in a spreadsheet
        where = f"{origin}:{row_number}"
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            items.append(_skip(where, f"malformed CSV row: {exc}"))
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            reason = f"row has {len(row)} fields but the header has {len(columns)}"
            items.append(_skip(where, reason))
            continue
        record = dict(zip(columns, row, strict=False))  # short rows: missing cells
        items.append(_record(record, f"{name}:{row_number}", where))
    return _result(items)


_READERS: dict[str, Callable[[Path, str], ReadResult]] = {
    ".txt": read_text_file,
    ".md": read_text_file,
    ".html": read_html_file,
    ".htm": read_html_file,
    ".jsonl": read_jsonl_file,
    ".json": read_json_file,
    ".csv": read_csv_file,
}


def _skip(origin: str, reason: str) -> Skip:
    skip = Skip(origin=origin, reason=reason)
    logger.info("skipped %s", skip)
    return skip


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
        skipped.append(_skip(str(folder), f"cannot read: {exc.strerror or exc}"))
        return []
    files: list[Path] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        files.extend(_walk(entry, skipped, seen) if entry.is_dir() else [entry])
    return files


def _load(path: Path) -> str | Skip:
    """The decoded contents of a file, or the reason it cannot be read as text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _skip(str(path), f"cannot read: {exc.strerror or exc}")
    if not data.strip():
        return _skip(str(path), "empty file")
    text = decode_bytes(data)
    if text is None:
        return _skip(str(path), "binary file, not text")
    if not text.strip():
        return _skip(str(path), "empty file")
    return text


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _clean_text(text: str) -> str:
    """Normalise newlines, drop trailing spaces, keep at most one blank line between paragraphs."""
    text = re.sub(r"[ \t]+\n", "\n", _normalise(text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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
    titles = (_str_or_none(e.text_content()) for e in root.xpath("//title|//h1"))
    title = next((t for t in titles if t), None)
    paragraphs = [" ".join(p.text_content().split()) for p in root.xpath("//p")]
    if not any(paragraphs):
        body = root.find("body")
        text = body.text_content() if body is not None else ""
        paragraphs = [" ".join(line.split()) for line in text.split("\n")]
    return title, "\n".join(p for p in paragraphs if p)


def _str_or_none(value: object) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _derive_title(text: str, origin: str) -> str:
    """A headline for an article without one: its first sentence or line, cut to 120 chars."""
    first = text.strip().split("\n", 1)[0].strip()
    first = _SENTENCE_END.split(first, maxsplit=1)[0]
    if len(first) > MAX_TITLE_CHARS:
        cut = first[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] or first[:MAX_TITLE_CHARS]
        first = cut.rstrip() + "…"
    logger.debug("%s has no title; using %r", origin, first)
    return first


def _is_squad(record: object) -> bool:
    return isinstance(record, dict) and isinstance(record.get("paragraphs"), list)


def _squad_record(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A SQuAD article (title + paragraphs of contexts) as a plain record."""
    contexts = [p.get("context", "") for p in entry["paragraphs"] if isinstance(p, dict)]
    title = str(entry.get("title", "")).strip()
    return {
        "id": title or None,
        "title": title.replace("_", " "),
        "text": "\n\n".join(c.strip() for c in contexts if isinstance(c, str) and c.strip()),
    }


def _record(record: object, key: str, origin: str) -> Article | Skip:
    """The record as an article, or a skip saying what is wrong with it."""
    if not isinstance(record, dict):
        return _skip(origin, f"expected a JSON object, got {type(record).__name__}")
    fields = {str(k).strip().lower(): v for k, v in record.items()}
    raw_text = next((fields[f] for f in TEXT_FIELDS if fields.get(f) not in (None, "")), None)
    if raw_text is not None and not isinstance(raw_text, str):
        return _skip(origin, f"text is a {type(raw_text).__name__}, not a string")
    text = _clean_text(raw_text or "")
    if not text:
        return _skip(origin, "no text: expected a non-empty 'text', 'body' or 'content' field")
    title = next((t for f in TITLE_FIELDS if (t := _str_or_none(fields.get(f)))), None)
    return Article(
        id=_str_or_none(fields.get("id")) or key,
        title=title or _derive_title(text, origin),
        text=text,
        date=_str_or_none(fields.get("date")),
        url=_str_or_none(fields.get("url")),
        source=_str_or_none(fields.get("source")),
        origin=origin,
    )


def _result(items: Iterable[Article | Skip]) -> ReadResult:
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
