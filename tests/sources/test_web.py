"""Web pages ingested from a local server (no internet): articles extracted, every failure reported per URL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from embeddings import HashingEmbedder
from qa.cli import main
from qa.engine import Engine
from qa.index.collection import Collection
from qa.settings import Settings
from qa.sources.web import USER_AGENT, fetch_articles, urls_in

ARTICLE = """<!doctype html><html><head><title>Harbour council approves night ferries | The Estervik Post</title>
<meta property="og:site_name" content="The Estervik Post">
<link rel="canonical" href="{base}">
<meta name="date" content="2026-03-09"></head>
<body><nav><a href="/">Home</a> <a href="/sport">Sport</a> <a href="/weather">Weather</a></nav>
<article><h1>Harbour council approves night ferries</h1>
<p>The harbour council of Estervik voted on Monday to run three evening ferry crossings to the island
of Holmsund from April, after a two-year campaign by island residents who work late shifts in town.</p>
<p>The extra crossings will cost the council about 400,000 crowns a year, the harbour master said,
and will be reviewed after twelve months. Island residents welcomed the decision.</p>
<p>"People can finally take a job in town without sleeping on a friend's sofa," said Maja Holm,
who led the campaign. The first evening boat leaves Estervik at 21:30 on April 1.</p></article>
<footer>Subscribe to our newsletter. Cookie settings. Privacy policy. All rights reserved.</footer>
</body></html>"""

NOT_AN_ARTICLE = "<html><body><nav><a href='/a'>A</a> <a href='/b'>B</a></nav></body></html>"


class Site(BaseHTTPRequestHandler):
    """/news/ferries (an article), /missing (404), /slow (beyond the timeout), /huge (11 MB),
    /menu (no article), /photo.jpg (not a page), /private/... (robots.txt disallows it)."""

    base = ""
    agents: ClassVar[list[str]] = []
    paths: ClassVar[list[str]] = []
    items: ClassVar[list[str]] = ["ferries", "bridge"]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes, kind: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        Site.agents.append(self.headers.get("User-Agent", ""))
        Site.paths.append(self.path)
        if self.path == "/feed.rss":
            entries = "".join(f"<item><title>{i}</title><link>{self.base}/story/{i}</link></item>" for i in Site.items)
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Post</title>{entries}</channel></rss>'
            self.send(200, body.encode(), "application/rss+xml")
        elif self.path == "/feed.atom":
            entries = "".join(
                f'<entry><title>{i}</title><id>{i}</id><link href="{self.base}/story/{i}"/></entry>' for i in Site.items
            )
            body = f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Post</title>{entries}</feed>'
            self.send(200, body.encode(), "application/atom+xml")
        elif self.path.startswith("/story/"):
            story = self.path.rsplit("/", 1)[1]
            page = ARTICLE.format(base=f"{self.base}/story/{story}").replace("Harbour council", f"{story.title()}:")
            page = page.replace("night ferries", f"the {story} plan").replace("ferry", story)
            self.send(200, page.encode())
        elif self.path == "/robots.txt":
            self.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif self.path in ("/news/ferries", "/private/ferries"):
            self.send(200, ARTICLE.format(base=self.base + self.path).encode())
        elif self.path == "/slow":
            time.sleep(3)
            self.send(200, ARTICLE.format(base=self.base + self.path).encode())
        elif self.path == "/huge":
            self.send(200, b"<html><body><p>" + b"word " * 2_300_000 + b"</p></body></html>")
        elif self.path == "/menu":
            self.send(200, NOT_AN_ARTICLE.encode())
        elif self.path == "/photo.jpg":
            self.send(200, b"\xff\xd8\xff" + b"\0" * 100, "image/jpeg")
        else:
            self.send(404, b"<html><body>Not found</body></html>")


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    Site.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Site.base
    server.shutdown()
    server.server_close()


def test_each_url_is_an_article_or_a_reason(site: str) -> None:
    urls = [f"{site}/{path}" for path in ("news/ferries", "missing", "slow", "huge", "menu", "photo.jpg")]
    urls += [f"{site}/private/ferries", "ftp://example.org/x", "http://no-such-host.invalid/page"]
    result = fetch_articles(urls, timeout=1.0)

    (article,) = result.articles
    assert article.id == f"{site}/news/ferries"
    assert article.title == "Harbour council approves night ferries"
    assert article.url == f"{site}/news/ferries" and article.source == "The Estervik Post"
    assert "three evening ferry crossings" in article.text and "21:30 on April 1" in article.text
    assert "newsletter" not in article.text and "Weather" not in article.text

    reasons = {s.origin.removeprefix(site): s.reason for s in result.skipped}
    assert "HTTP 404" in reasons["/missing"]
    assert "no answer within 1 s" in reasons["/slow"]
    assert "larger than 10 MB" in reasons["/huge"]
    assert "no article found" in reasons["/menu"]
    assert "not a web page (image/jpeg)" in reasons["/photo.jpg"]
    assert "robots.txt" in reasons["/private/ferries"]
    assert "not a web address" in reasons["ftp://example.org/x"]
    assert "cannot connect" in reasons["http://no-such-host.invalid/page"]
    assert set(Site.agents) == {USER_AGENT}


def test_ingest_urls_then_again_only_changes_what_changed(
    site: str, tmp_path: Path, fake_embedder: HashingEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = Engine(Settings(data_dir=tmp_path, model=fake_embedder.name), embedder=fake_embedder)
    first = engine.ingest_paths([f"{site}/news/ferries", f"{site}/missing"], "web")
    assert (first.added, len(first.skipped)) == (1, 1)
    again = engine.ingest_paths([f"{site}/news/ferries"], "web")
    assert (again.added, again.unchanged) == (0, 1)
    collection = Collection.open(tmp_path, "web")
    try:
        (stored,) = collection.store.articles()
        assert stored.clean.url == f"{site}/news/ferries" and stored.clean.source == "The Estervik Post"
    finally:
        collection.close()


def test_cli_takes_urls_and_a_list_of_them(site: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = tmp_path / "urls.txt"
    listed.write_text(f"# reading list\n{site}/news/ferries\n\n{site}/missing  # gone\n")
    assert urls_in(listed.read_text()) == [f"{site}/news/ferries", f"{site}/missing"]
    code = main(["--data-dir", str(tmp_path / "data"), "ingest", "--urls", str(listed), "-c", "web"])
    out, err = capsys.readouterr()
    assert code == 0 and "collection 'web': 1 articles" in out
    assert f"skipped {site}/missing: the site answered HTTP 404" in err


@pytest.mark.parametrize("feed", ["feed.rss", "feed.atom"])
def test_a_feed_read_again_fetches_only_its_new_items(
    feed: str, site: str, tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    Site.items[:] = ["ferries", "bridge"]
    engine = Engine(Settings(data_dir=tmp_path, model=fake_embedder.name), embedder=fake_embedder)
    first = engine.ingest_paths([], "feed", feeds=[f"{site}/{feed}"])
    assert first.added == 2

    Site.items.insert(0, "library")
    Site.paths.clear()
    second = engine.ingest_paths([], "feed", feeds=[f"{site}/{feed}"])
    assert (second.added, second.articles_total) == (1, 3)
    assert [p for p in Site.paths if p.startswith("/story/")] == ["/story/library"], "old items were fetched again"

    Site.paths.clear()
    third = engine.ingest_paths([], "feed", feeds=[f"{site}/{feed}"])
    assert (third.added, third.articles_total) == (0, 3)
    assert not [p for p in Site.paths if p.startswith("/story/")]
    collection = Collection.open(tmp_path, "feed")
    try:
        titles = sorted(a.clean.title for a in collection.store.articles())
    finally:
        collection.close()
    assert titles == [
        "Bridge: approves the bridge plan",
        "Ferries: approves the ferries plan",
        "Library: approves the library plan",
    ]


def test_a_broken_feed_is_reported(site: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--data-dir", str(tmp_path), "ingest", "--feed", f"{site}/news/ferries", f"{site}/news/ferries"])
    out, err = capsys.readouterr()
    assert code == 0 and "1 articles" in out
    assert f"skipped {site}/news/ferries: not an RSS or Atom feed" in err


def test_the_app_adds_typed_pages_and_feeds(site: str, tmp_path: Path, fake_embedder: HashingEmbedder) -> None:
    """The app's "Web pages" and "Feeds" boxes: one address a line, fetched like the CLI's."""
    from qa.chat.service import MAX_UPLOAD_URLS, ChatService
    from qa.errors import InvalidInput

    Site.items[:] = ["ferries", "bridge"]
    service = ChatService(Engine(Settings(data_dir=tmp_path, model=fake_embedder.name), embedder=fake_embedder))
    try:
        report = service.ingest([], "web", pages=f"{site}/news/ferries\n\n{site}/missing\n", feeds=f"{site}/feed.rss")
        assert report.added == 3 and [s.reason for s in report.skipped] == ["the site answered HTTP 404 Not Found"]
        with pytest.raises(InvalidInput, match="more than the app takes at once"):
            service.ingest([], "web", pages="\n".join(f"{site}/p{i}" for i in range(MAX_UPLOAD_URLS + 1)))
        with pytest.raises(InvalidInput, match="type web pages or feeds"):
            service.ingest([], "web", pages="  \n")
    finally:
        service.close()
