"""Two app processes over one data directory, as behind a proxy: an ingest by a third process is
answered by both on their next question."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.conftest import ROOT, STARTUP_TIMEOUT, App, _answers, free_port

NEW = (
    "Wrenfield approves a floating library\n\n"
    "WRENFIELD, March 9, 2026 (Valley Post) — Wrenfield's town council on Monday approved a floating library, a "
    "converted barge that will moor at a different village on the River Ost each week.\n"
)


@pytest.fixture(scope="module")
def second(app: App) -> Iterator[str]:
    """Another `python app.py` on another port over the first one's data directory."""
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "app.py", "--port", str(port), "--data-dir", str(app.data_dir), "--workers", "2"]
    log = app.log.with_name("app-second.log")
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while not _answers(url + "healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the second app did not come up:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)  # polling a port that is not up yet
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_two_processes_answer_from_an_ingest_by_a_third(app: App, second: str, tmp_path: Path) -> None:
    from gradio_client import Client

    question = "What did Wrenfield's council approve?"
    clients = [Client(url, verbose=False) for url in (app.url, second)]
    for client in clients:
        assert "floating library" not in (client.predict(question, "samples", api_name="/ask")["answer"] or "")
    (tmp_path / "wrenfield.txt").write_text(NEW, encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [
        sys.executable,
        "-m",
        "qa.cli",
        "--data-dir",
        str(app.data_dir),
        "ingest",
        str(tmp_path),
        "-c",
        "samples",
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for client in clients:
        data = client.predict(question, "samples", api_name="/ask")
        assert data["found"] and "floating library" in data["answer"]
