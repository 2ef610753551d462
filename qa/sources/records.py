"""Articles from record files: JSON Lines, JSON (lists, wrapped lists, SQuAD) and CSV."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qa.sources.text import (
    ReadResult,
    clean_text,
    collect,
    dateline,
    derive_title,
    load_text,
    normalise,
    skip,
    str_or_none,
)
from qa.types import Article, Skip

TEXT_FIELDS = ("text", "body", "content")
TITLE_FIELDS = ("title", "headline")


def read_jsonl_file(path: Path, name: str | None = None) -> ReadResult:
    """Read JSON Lines: one record (title, text, optional date/url/source/id) per line."""
    origin, name = str(path), name or path.name
    loaded = load_text(path)
    if isinstance(loaded, Skip):
        return collect([loaded])
    items: list[Article | Skip] = []
    for number, line in enumerate(normalise(loaded).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            items.append(skip(f"{origin}:{number}", f"invalid JSON: {exc.msg}"))
            continue
        items.append(record_article(record, f"{name}:{number}", f"{origin}:{number}"))
    return collect(items)


def read_json_file(path: Path, name: str | None = None) -> ReadResult:
    """Read JSON: a list of records, ``{"articles"|"data"|"records": [...]}``, or SQuAD."""
    origin, name = str(path), name or path.name
    loaded = load_text(path)
    if isinstance(loaded, Skip):
        return collect([loaded])
    try:
        data = json.loads(loaded)
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        return collect([skip(origin, reason)])
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
        return collect([skip(origin, reason)])
    squad = [squad_record(r) if _is_squad(r) else r for r in records]
    return collect(record_article(r, f"{name}:{i}", f"{origin}:{i}") for i, r in enumerate(squad))


def read_csv_file(path: Path, name: str | None = None) -> ReadResult:
    """Read CSV with a header row (``,``, ``;``, tab or ``|`` separated); column names any case."""
    origin, name = str(path), name or path.name
    loaded = load_text(path)
    if isinstance(loaded, Skip):
        return collect([loaded])
    header = loaded.lstrip().split("\n", 1)[0]
    delimiter = max(",;\t|", key=header.count) if any(d in header for d in ",;\t|") else ","
    reader = csv.reader(io.StringIO(loaded.lstrip(), newline=""), delimiter=delimiter)
    try:
        columns = [c.strip().lower() for c in next(reader)]
    except csv.Error as exc:
        return collect([skip(origin, f"malformed CSV header: {exc}")])
    if not any(f in columns for f in TEXT_FIELDS):
        shown = ", ".join(repr(c) for c in columns)
        reason = f"no text column: columns are {shown}; a 'text' column is needed"
        return collect([skip(origin, reason)])
    items: list[Article | Skip] = []
    for row_number in itertools.count(2):  # the header is row 1, as in a spreadsheet
        where = f"{origin}:{row_number}"
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            items.append(skip(where, f"malformed CSV row: {exc}"))
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            reason = f"row has {len(row)} fields but the header has {len(columns)}"
            items.append(skip(where, reason))
            continue
        record = dict(zip(columns, row, strict=False))  # short rows: missing cells
        items.append(record_article(record, f"{name}:{row_number}", where))
    return collect(items or [skip(origin, "no rows after the header")])


def _is_squad(record: object) -> bool:
    return isinstance(record, dict) and isinstance(record.get("paragraphs"), list)


def squad_record(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A SQuAD article (title + paragraphs of contexts) as a plain record."""
    contexts = [p.get("context", "") for p in entry["paragraphs"] if isinstance(p, dict)]
    title = str(entry.get("title", "")).strip()
    return {
        "id": title or None,
        "title": title.replace("_", " "),
        "text": "\n\n".join(c.strip() for c in contexts if isinstance(c, str) and c.strip()),
    }


def record_article(record: object, key: str, origin: str) -> Article | Skip:
    """The record as an article, or a skip saying what is wrong with it."""
    if not isinstance(record, dict):
        return skip(origin, f"expected a JSON object, got {type(record).__name__}")
    fields = {str(k).strip().lower(): v for k, v in record.items()}
    raw_text = next((fields[f] for f in TEXT_FIELDS if fields.get(f) not in (None, "")), None)
    if raw_text is not None and not isinstance(raw_text, str):
        return skip(origin, f"text is a {type(raw_text).__name__}, not a string")
    text = clean_text(raw_text or "")
    if not text:
        return skip(origin, "no text: expected a non-empty 'text', 'body' or 'content' field")
    title = next((t for f in TITLE_FIELDS if (t := str_or_none(fields.get(f)))), None)
    named_date, named_source = dateline(text)  # a wire dateline stands in for missing fields
    return Article(
        id=str_or_none(fields.get("id")) or key,
        title=title or derive_title(text, origin),
        text=text,
        date=str_or_none(fields.get("date")) or named_date,
        url=str_or_none(fields.get("url")),
        source=str_or_none(fields.get("source")) or named_source,
        origin=origin,
    )
