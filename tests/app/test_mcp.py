"""The app's question answering as an MCP tool (`--mcp`), called through the MCP client library; off unless asked."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.app.conftest import App, another_app

pytest.importorskip("mcp", reason="the MCP extra is not installed: pip install -e '.[mcp]'")

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return 0


@pytest.fixture(scope="module")
def mcp_url(app: App) -> Iterator[str]:
    """A second app with --mcp, over the first one's data folder (its sample collection is built)."""
    with another_app(app, "--mcp") as url:
        yield url


async def call_ask(url: str, arguments: dict[str, str]) -> tuple[list[Any], Any]:
    endpoint = url + "gradio_api/mcp/"
    async with streamable_http_client(endpoint) as (read, write, _), ClientSession(read, write) as session:
        await session.initialize()
        tools = (await session.list_tools()).tools
        ask = next(t for t in tools if t.name.endswith("ask"))
        return tools, await session.call_tool(ask.name, arguments)


def test_an_assistant_can_ask_the_articles(mcp_url: str) -> None:
    arguments = {"question": "What did NATO propose to Russia?", "collection": "samples"}
    # In a thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        tools, result = thread.submit(asyncio.run, call_ask(mcp_url, arguments)).result()
    assert [t.name for t in tools if t.name.endswith("ask")], "no ask tool"
    assert not [t for t in tools if "respond" in t.name or "add_articles" in t.name], "private events leaked as tools"
    assert [t.name for t in tools] == ["ask"], "one tool: the HTTP API's dict endpoint is not offered"
    (ask,) = [t for t in tools if t.name.endswith("ask")]
    assert "news articles" in (ask.description or "") and {"question", "collection"} <= set(
        ask.inputSchema["properties"]
    )
    assert not result.isError, result
    # The tool's text is the JSON object of `ask --json`.
    data = json.loads(result.content[0].text)
    assert data["found"] is True and "missile" in data["answer"]
    assert data["passages"][0]["headline"].startswith("NATO") and data["passages"][0]["source"]
    assert {"since", "until", "as_of", "timeline"} <= set(ask.inputSchema["properties"])
    assert data["date_range"] is None and data["as_of"] is None  # no time words, no range


def test_an_assistant_can_keep_to_a_date_range(mcp_url: str) -> None:
    arguments = {"question": "What did NATO propose to Russia?", "collection": "samples", "since": "2026-03-05"}
    with ThreadPoolExecutor(1) as thread:
        _, result = thread.submit(asyncio.run, call_ask(mcp_url, arguments)).result()
    assert not result.isError, result
    data = json.loads(result.content[0].text)
    assert data["date_range"]["from"] == "2026-03-05" and data["date_range"]["filter"] is True
    assert all(p["date"] >= "2026-03-05" for p in data["passages"])


def test_mcp_is_off_unless_asked(app: App) -> None:
    assert status(app.url + "gradio_api/mcp/schema") == 404
