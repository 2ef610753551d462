"""Articles from the web: pages fetched politely, the article in each extracted by trafilatura
(``PageSource``); and the pages an RSS or Atom feed links to, parsed by feedparser (``FeedSource``).

Politely means: one request at a time (so never two at once to a host), a timeout, a user agent
that names this project, each site's robots.txt respected, and a size limit. Every failure (no
such host, refused, an HTTP error, no answer in time, not a web page, too large, not an article,
robots.txt) becomes a per-URL message; the other URLs are still fetched. An article's id is the
URL as given, so fetching the same URL again updates the article only when its text changed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from qa.sources.base import FETCH_TIMEOUT, is_url
from qa.sources.files import MAX_ARTICLE_FILE_MB, html_article
from qa.sources.text import ReadResult, collect, skip
from qa.types import Article, Skip

logger = logging.getLogger(__name__)

USER_AGENT = "article-qa/1 (question answering over news articles, run by a person on their own machine)"
# Less main text than this on a fetched page is not an article (a menu, a login wall, a notice).
MIN_ARTICLE_WORDS = 25


@dataclass(frozen=True)
class PageSource:
    """Web pages, fetched one at a time: a ``Source``."""

    urls: Sequence[str]
    timeout: float = FETCH_TIMEOUT

    def gather(self) -> ReadResult:
        return fetch_articles(self.urls, self.timeout)


@dataclass(frozen=True)
class FeedSource:
    """The pages RSS or Atom feeds link to, less those ``known`` (already held or given): a ``Source``."""

    feeds: Sequence[str]
    known: frozenset[str] = frozenset()
    timeout: float = FETCH_TIMEOUT

    def gather(self) -> ReadResult:
        links, skipped = feed_links(self.feeds, set(self.known), self.timeout)
        fetched = fetch_articles(links, self.timeout) if links else ReadResult([], [])
        return ReadResult(fetched.articles, [*fetched.skipped, *skipped])


def urls_in(text: str) -> list[str]:
    """The URLs of a ``--urls`` file: one per line; blank lines and ``#`` comments are skipped."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def fetch_articles(urls: Sequence[str], timeout: float = FETCH_TIMEOUT) -> ReadResult:
    """Fetch each URL in turn and extract its article; what fails is a ``Skip`` saying why."""
    items: list[Article | Skip] = []
    robots: dict[str, RobotFileParser | None] = {}
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"}
    with httpx.Client(timeout=timeout, follow_redirects=True, headers=headers) as client:
        for url in urls:
            refused = _refused(client, url, robots)
            items.extend([refused] if refused is not None else _fetch(client, url, timeout))
    return collect(items)


def _refused(client: httpx.Client, url: str, robots: dict[str, RobotFileParser | None]) -> Skip | None:
    """Why ``url`` is not fetched (not a web address, or its site's robots.txt), else None."""
    if not is_url(url) or not urlsplit(url).netloc:
        return skip(url, "not a web address (http:// or https://)")
    if not _allowed(client, url, robots):
        return skip(url, f"the site's robots.txt asks robots not to fetch it ({urlsplit(url).netloc})")
    return None


def _allowed(client: httpx.Client, url: str, robots: dict[str, RobotFileParser | None]) -> bool:
    """Whether the site's robots.txt lets us fetch ``url`` (no robots.txt, or none readable: yes)."""
    parts = urlsplit(url)
    site = f"{parts.scheme}://{parts.netloc}"
    if site not in robots:
        rules: RobotFileParser | None = None
        try:
            response = client.get(f"{site}/robots.txt")
            if response.status_code < 400:
                rules = RobotFileParser()
                rules.parse(response.text.splitlines())
        except httpx.HTTPError as error:
            logger.debug("%s/robots.txt: %s", site, error)
        robots[site] = rules
    rules = robots[site]
    return rules is None or rules.can_fetch(USER_AGENT, url)


def _fetch(client: httpx.Client, url: str, timeout: float) -> list[Article | Skip]:
    limit = MAX_ARTICLE_FILE_MB * 1_000_000
    try:
        with client.stream("GET", url) as response:
            if response.status_code >= 400:
                return [skip(url, f"the site answered HTTP {response.status_code} {response.reason_phrase}")]
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind and "html" not in kind and "xml" not in kind:
                return [skip(url, f"not a web page ({kind})")]
            body = bytearray()
            for part in response.iter_bytes():
                body += part
                if len(body) > limit:
                    return [skip(url, f"larger than {MAX_ARTICLE_FILE_MB} MB: not one article")]
            html = body.decode(response.encoding or "utf-8", errors="replace")
            final = str(response.url)
    except httpx.TimeoutException:
        return [skip(url, f"no answer within {timeout:g} s")]
    except httpx.ConnectError as error:
        return [skip(url, f"cannot connect: {error}")]
    except httpx.HTTPError as error:
        return [skip(url, f"fetch failed: {error}")]
    found = html_article(html, url, url, final, fallback=False)
    out: list[Article | Skip] = list(found.skipped)
    for article in found.articles:
        words = len(article.text.split())
        if words < MIN_ARTICLE_WORDS:  # a menu, a login wall, a cookie notice: not an article
            out.append(skip(url, f"no article found on the page (only {words} words of text)"))
        else:
            out.append(article)
    return out


def feed_links(feeds: Sequence[str], known: set[str], timeout: float = FETCH_TIMEOUT) -> tuple[list[str], list[Skip]]:
    """The article links of RSS or Atom ``feeds`` not in ``known`` (what the collection already
    holds: a feed read again gives only its new items), in feed order; a feed that fails is a ``Skip``."""
    import feedparser

    links: list[str] = []
    skipped: list[Skip] = []
    robots: dict[str, RobotFileParser | None] = {}
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml,application/atom+xml,application/xml;q=0.9"}
    with httpx.Client(timeout=timeout, follow_redirects=True, headers=headers) as client:
        for feed in feeds:
            refused = _refused(client, feed, robots)
            if refused is not None:
                skipped.append(refused)
                continue
            try:
                response = client.get(feed)
            except httpx.TimeoutException:
                skipped.append(skip(feed, f"no answer within {timeout:g} s"))
                continue
            except httpx.HTTPError as error:
                skipped.append(skip(feed, f"cannot fetch the feed: {error}"))
                continue
            if response.status_code >= 400:
                skipped.append(skip(feed, f"the site answered HTTP {response.status_code} {response.reason_phrase}"))
                continue
            parsed = feedparser.parse(response.content)
            entries = [entry.get("link") for entry in parsed.entries]
            if not parsed.entries and (parsed.bozo or not parsed.get("version")):
                skipped.append(skip(feed, "not an RSS or Atom feed"))
                continue
            new = [str(link) for link in entries if link and str(link) not in known and str(link) not in links]
            logger.info("%s: %d items, %d new", feed, len(entries), len(new))
            links.extend(new)
    return links, skipped
