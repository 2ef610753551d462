"""``GET /healthz``: 200 with what is loaded once the app is ready, 503 while it loads."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from embeddings import HashingEmbedder
from qa.chat.service import ChatService
from qa.engine import Engine
from qa.settings import Settings
from tests.app.conftest import App


def test_a_ready_app_says_what_it_has_loaded(app: App) -> None:
    with urllib.request.urlopen(app.url + "healthz", timeout=10) as response:
        assert response.status == 200
        body: dict[str, Any] = json.loads(response.read())
    assert body["status"] == "ready" and "samples" in body["collections"]
    assert body["answer_model"]["name"] and body["answer_model"]["version"]
    assert body["workers"] >= 1


def test_a_loading_app_answers_503(tmp_path: Path) -> None:
    from app import Health

    embedder = HashingEmbedder(dim=64)
    health = Health(ChatService(Engine(Settings(data_dir=tmp_path, model=embedder.name), embedder), workers=2))
    # In a thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        response = thread.submit(asyncio.run, health.endpoint(None)).result()  # type: ignore[arg-type]
    assert response.status_code == 503
    assert json.loads(bytes(response.body)) == {
        "status": "loading",
        "collections": [],
        "answer_model": None,
        "workers": 2,
    }
