"""The app as a user gets it: ``python app.py`` in a subprocess, driven by a real (headless) chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# The first start builds the sample collection with the real model; a slow shared machine needs time.
STARTUP_TIMEOUT = 180.0
ANSWER_TIMEOUT = 60_000  # ms, for playwright waits


@dataclass(frozen=True)
class App:
    url: str
    data_dir: Path
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The app on a free port over an empty data folder (so it builds the sample collection first)."""
    data_dir = tmp_path_factory.mktemp("app-data")
    log = data_dir.parent / "app.log"
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    for name in ("ARTICLE_QA_LLM_BASE_URL", "ARTICLE_QA_LLM_MODEL", "ARTICLE_QA_LLM_API_KEY"):
        env.pop(name, None)  # the extractive answers are what these tests check
    command = [sys.executable, "app.py", "--port", str(port), "--data-dir", str(data_dir)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while not _answers(url + "healthz"):  # 200 once the models and the collection are loaded
            if process.poll() is not None:
                pytest.fail(f"app.py exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not answer on {url} in {STARTUP_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)  # polling a port that is not up yet; nothing else to wait on
        yield App(url, data_dir, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def another_app(app: App, *flags: str) -> Iterator[str]:
    """A further ``python app.py FLAGS`` on a free port over ``app``'s data folder (its sample collection
    built), once its ``/healthz`` says ready; its URL. Its log is beside the first app's."""
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "app.py", "--port", str(port), "--data-dir", str(app.data_dir), *flags]
    log = app.log.with_name(f"app-{port}.log")
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while not _answers(url + "healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"app.py {' '.join(flags)} did not come up:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)  # polling a port that is not up yet
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ANSWER_TIMEOUT)  # every wait, not only the answer's: the machine may be slow
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, app: App) -> Iterator[Any]:
    """A fresh page (its own chat session) at desktop size, with the question box ready."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(ANSWER_TIMEOUT)
    page.goto(app.url)
    page.locator("#aqa-question textarea").wait_for()
    yield page
    context.close()
