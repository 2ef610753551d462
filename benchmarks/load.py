"""The app under load while its collection changes: concurrent API clients and an ingest at the same time.

Usage: python benchmarks/load.py [--clients 8] [--questions 25] [--articles DIR] [--more DIR]

Builds collection ``load`` from ``--articles`` (default: the bundled samples) in a temporary data
directory, starts ``article-qa serve`` on a free port, then runs ``--clients`` ``gradio_client``
clients, each asking ``--questions`` questions through ``/ask``, while ``article-qa ingest`` adds,
as another process, one new article (and the files of ``--more``, to make the ingest longer) to
the same collection. Every client asks the new article's question among its others.

Prints: errors (should be 0), p50/p95 latency of all answers and of those asked while the ingest
ran, the ingest's wall time, and how often the new article's question was answered from the new
article while the ingest ran and after it ended (every time, if the app reloads). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from startup import _env, free_port

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "qa" / "samples"
NEW_ARTICLE = (
    "Wrenfield approves a floating library\n"
    "WRENFIELD, March 9, 2026 (Valley Post) — Wrenfield's town council on Monday approved a floating "
    "library, a converted barge that will moor at a different village on the River Ost each week. "
    "The barge will carry 4,000 books and a reading room for twenty people, the council said."
)
NEW_QUESTION = "What did Wrenfield's council approve?"
NEW_ANSWER = "floating library"


@dataclass
class Asked:
    started: float
    seconds: float
    question: str
    error: str | None = None
    answer: str = ""


def client_run(url: str, questions: list[str], results: list[Asked], lock: threading.Lock, kind: str) -> None:
    """One client asking its questions in turn: through ``gradio_client`` or as plain HTTP POSTs to the
    app's ``/gradio_api/run/ask`` (what curl or any HTTP library does; no client-side machinery)."""
    import httpx
    from gradio_client import Client

    client = Client(url, verbose=False) if kind == "gradio" else None
    http = httpx.Client(timeout=120)
    for question in questions:
        started = time.perf_counter()
        try:
            if client is not None:
                data = client.predict(question, "load", api_name="/ask")
            else:
                response = http.post(f"{url}/gradio_api/run/ask", json={"data": [question, "load", "", "", "", False]})
                response.raise_for_status()
                data = response.json()["data"][0]
            record = Asked(started, time.perf_counter() - started, question, answer=str(data.get("answer") or ""))
        except Exception as error:  # every failure is counted, none stops the run
            record = Asked(started, time.perf_counter() - started, question, error=f"{type(error).__name__}: {error}")
        with lock:
            results.append(record)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--questions", type=int, default=25, help="questions per client")
    parser.add_argument("--articles", type=Path, default=SAMPLES / "articles", help="what the collection holds")
    parser.add_argument("--more", type=Path, help="a folder of articles added with the new one (a longer ingest)")
    parser.add_argument("--workers", type=int, help="the app's answer workers (default: its own, one a core)")
    parser.add_argument(
        "--client",
        choices=["gradio", "http"],
        default="gradio",
        help="ask through gradio_client (default) or with plain HTTP POSTs (about 125 ms less client work each)",
    )
    args = parser.parse_args()

    known = [q["question"] for q in json.loads((SAMPLES / "questions.json").read_text())]
    cli = [sys.executable, "-m", "qa.cli"]
    with tempfile.TemporaryDirectory() as scratch:
        data_dir, new = Path(scratch) / "data", Path(scratch) / "new"
        new.mkdir()
        (new / "wrenfield-floating-library.txt").write_text(NEW_ARTICLE)
        subprocess.run(
            [*cli, "--data-dir", str(data_dir), "ingest", str(args.articles), "-c", "load"],
            env=_env(),
            check=True,
            capture_output=True,
        )
        port = free_port()
        cpu = question_cpu_seconds(data_dir, known, args.workers)
        serve = [*cli, "--data-dir", str(data_dir), "serve", "-c", "load", "--port", str(port)]
        serve += ["--workers", str(args.workers)] if args.workers else []
        app = subprocess.Popen(serve, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            app_first_answer_running(port)
            url = f"http://127.0.0.1:{port}"
            results: list[Asked] = []
            lock = threading.Lock()
            plans = []
            for c in range(args.clients):
                questions = [known[(c + i) % len(known)] for i in range(args.questions)]
                for i in range(0, args.questions, 4):  # the new article's question, every fourth
                    questions[i] = NEW_QUESTION
                plans.append(questions)
            threads = [threading.Thread(target=client_run, args=(url, q, results, lock, args.client)) for q in plans]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            sources = [str(new)] + ([str(args.more)] if args.more else [])
            ingest_started = time.perf_counter()
            done = subprocess.run(
                [*cli, "--data-dir", str(data_dir), "ingest", *sources, "-c", "load"],
                env=_env(),
                capture_output=True,
                text=True,
            )
            ingest_ended = time.perf_counter()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - began
        finally:
            app.terminate()
            app.wait(timeout=30)

    errors = [r for r in results if r.error]
    during = [r.seconds for r in results if ingest_started <= r.started <= ingest_ended]
    new_before = [r for r in results if r.question == NEW_QUESTION and r.started + r.seconds < ingest_ended]
    new_after = [r for r in results if r.question == NEW_QUESTION and r.started > ingest_ended]
    times = [r.seconds for r in results]
    print(
        f"{args.clients} {args.client} clients x {args.questions} questions = {len(results)} answers in {wall:.1f} s; "
        f"collection from {args.articles}"
    )
    print(f"errors: {len(errors)}" + "".join(f"\n  {e.question!r}: {e.error}" for e in errors[:5]))
    all_p50, all_p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000
    print(f"latency, all:           p50 {all_p50:6.0f} ms  p95 {all_p95:6.0f} ms")
    if during:
        print(
            f"latency, during ingest: p50 {statistics.median(during) * 1000:6.0f} ms  "
            f"p95 {percentile(during, 0.95) * 1000:6.0f} ms  ({len(during)} answers)"
        )
    cores = os.cpu_count() or 1
    print(
        f"throughput: {len(results) / wall:.1f} answers/s; one question alone takes {cpu * 1000:.0f} ms of CPU "
        f"(median, in this process), so {cores} cores top out near {cores / cpu:.1f} answers/s"
    )
    status = "ok" if done.returncode == 0 else f"FAILED ({done.stderr.strip()[-300:]})"
    print(f"ingest of the new article while serving: {ingest_ended - ingest_started:.1f} s, {status}")
    print(
        f"new article's question answered from it: while the ingest ran "
        f"{sum(NEW_ANSWER in r.answer for r in new_before)}/{len(new_before)} (it goes live at the swap, "
        f"just before the ingest exits), after it ended {sum(NEW_ANSWER in r.answer for r in new_after)}"
        f"/{len(new_after)}"
    )


def question_cpu_seconds(data_dir: Path, questions: list[str], workers: int | None) -> float:
    """Median CPU time (all threads of this process) of one whole answer, asked alone, warm, with the
    threads the app gives a question (its cores shared among ``workers``)."""
    from qa.chat.service import default_workers
    from qa.chat.serving import share_cores
    from qa.engine import Engine
    from qa.settings import Settings

    threads = max(1, (os.cpu_count() or 1) // (workers or default_workers()))
    share_cores(threads)
    engine = Engine(Settings(data_dir=data_dir, question_threads=threads))
    engine.ask(questions[0], "load")
    spent = []
    for question in questions * 2:
        started = time.process_time()
        engine.ask(question, "load")
        spent.append(time.process_time() - started)
    return statistics.median(spent)


def app_first_answer_running(port: int, limit: float = 180.0) -> None:
    """Wait until the app on ``port`` answers its /ask API."""
    from gradio_client import Client

    started = time.perf_counter()
    while True:
        try:
            Client(f"http://127.0.0.1:{port}", verbose=False).predict("warm up", "load", api_name="/ask")
            return
        except Exception:
            if time.perf_counter() - started > limit:
                raise
            time.sleep(0.2)


if __name__ == "__main__":
    main()
