"""Which sources an ingest reads, and everything they hold gathered into one result."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from qa.sources.base import FETCH_TIMEOUT, Source, is_url
from qa.sources.files import FileSource
from qa.sources.text import ReadResult, collect


def sources_for(
    paths: Sequence[Path | str],
    feeds: Sequence[str] = (),
    known: frozenset[str] = frozenset(),
    timeout: float = FETCH_TIMEOUT,
) -> list[Source]:
    """The sources of an ingest: the files and folders among ``paths``, the web pages (``http(s)://``)
    among them, and the pages ``feeds`` link to that are not already ``known`` (article ids) or given."""
    urls = [str(p) for p in paths if is_url(str(p))]
    files = [p for p in paths if not is_url(str(p))]
    sources: list[Source] = [FileSource(files)] if files else []
    if urls or feeds:
        from qa.sources.web import FeedSource, PageSource  # httpx: only web pages need it

        sources += [PageSource(urls, timeout)] if urls else []
        sources += [FeedSource(feeds, known | set(urls), timeout)] if feeds else []
    return sources


def gather(sources: Sequence[Source]) -> ReadResult:
    """What all ``sources`` hold, their articles first (ids kept unique), then everything they skipped."""
    results = [source.gather() for source in sources]
    return collect([*(a for r in results for a in r.articles), *(s for r in results for s in r.skipped)])
