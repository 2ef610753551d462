"""Two app processes over one data directory, as behind a proxy: an ingest by a third process is
answered by both on their next question."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.conftest import ROOT, App, another_app

NEW = (
    "Wrenfield approves a floating library\n\n"
    "WRENFIELD, March 9, 2026 (Valley Post) — Wrenfield's town council on Monday approved a floating library, a "
    "converted barge that will moor at a different village on the River Ost each week.\n"
)


@pytest.fixture(scope="module")
def second(app: App) -> Iterator[str]:
    """Another `python app.py` on another port over the first one's data directory."""
    with another_app(app, "--workers", "2") as url:
        yield url


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
