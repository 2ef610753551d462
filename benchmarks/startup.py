"""How long a user waits for the first answer: a CLI question from a cold shell, and the app after start.

Usage: python benchmarks/startup.py [--data-dir DIR -c NAME] [--runs N] [--question Q] [--no-app]

Without ``--data-dir`` it builds the bundled sample articles into a temporary data directory.
Then, each N times and as separate processes:

- ``article-qa ask`` as a user runs it (the NumPy query path: no torch imported);
- the same question through the same Engine with the sentence-transformers embedder forced
  (the query path before the NumPy port, which imported torch and transformers): the baseline;
- ``article-qa serve``, timed from launch until the app's ``/ask`` API returns an answer.

Prints medians (and min/max) in seconds, and the ratio baseline / ours. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "qa" / "samples" / "articles"

BASELINE = """
import sys
from pathlib import Path
from embeddings import SentenceTransformerEmbedder
from qa.engine import Engine
from qa.settings import Settings
data_dir, name, question = sys.argv[1:4]
engine = Engine(Settings(data_dir=Path(data_dir)), embedder=SentenceTransformerEmbedder())
print(engine.ask(question, name).found)
"""


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=_env(), check=True, capture_output=True)
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def app_first_answer(data_dir: Path, name: str, question: str, limit: float = 180.0) -> float:
    """Seconds from starting ``article-qa serve`` until its /ask API answers ``question``."""
    from gradio_client import Client

    port = free_port()
    command = [sys.executable, "-m", "qa.cli", "--data-dir", str(data_dir), "serve", "-c", name, "--port", str(port)]
    started = time.perf_counter()
    app = subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < limit:
            if app.poll() is not None:
                raise RuntimeError(f"the app exited with status {app.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            client = Client(f"http://127.0.0.1:{port}", verbose=False)
            client.predict(question, name, api_name="/ask")
            return time.perf_counter() - started
        raise RuntimeError(f"the app did not answer within {limit:.0f} s")
    finally:
        app.terminate()
        app.wait(timeout=30)


def summary(label: str, times: list[float]) -> str:
    return f"{label:<52} median {statistics.median(times):6.2f} s  (min {min(times):.2f}, max {max(times):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="data directory holding collection -c (default: the samples)")
    parser.add_argument("-c", "--collection", default="samples")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--question", default="What did NATO propose to Russia?")
    parser.add_argument("--no-app", action="store_true", help="skip timing the app")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(scratch)
            cli = [sys.executable, "-m", "qa.cli", "--data-dir", str(data_dir)]
            subprocess.run([*cli, "ingest", str(SAMPLES), "-c", args.collection], env=_env(), check=True)
        ask = [sys.executable, "-m", "qa.cli", "--data-dir", str(data_dir), "ask", args.question, "-c", args.collection]
        baseline = [sys.executable, "-c", BASELINE, str(data_dir), args.collection, args.question]
        ours, theirs = [], []
        for _ in range(args.runs):  # interleaved, so both see the same machine
            ours.append(timed(ask))
            theirs.append(timed(baseline))
        print(f"collection {args.collection!r} in {data_dir}; question {args.question!r}; {args.runs} runs each")
        print(summary("article-qa ask, cold (NumPy query path)", ours))
        print(summary("same question, sentence-transformers query path", theirs))
        ratio = statistics.median(theirs) / statistics.median(ours)
        print(f"{'ratio (sentence-transformers / NumPy)':<52} {ratio:6.1f}x")
        if not args.no_app:
            app = [app_first_answer(data_dir, args.collection, args.question) for _ in range(max(1, args.runs // 2))]
            print(summary("article-qa serve, start to first /ask answer", app))


if __name__ == "__main__":
    main()
