"""Query embedding latency with torch's default threads and with one, idle and beside a busy process.

Usage: python benchmarks/query_threads.py [--questions N]

The embedder runs each query on one thread (embeddings/sentence_transformer.py). This measures
why: it times N question embeddings with the default thread count and with one, first on an
otherwise idle machine, then while a second process encodes documents flat out (as an ingest
would). Prints medians and 95th percentiles; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time

import torch

from embeddings import SentenceTransformerEmbedder


def _busy(stop: multiprocessing.synchronize.Event) -> None:
    embedder = SentenceTransformerEmbedder()
    texts = ["A passage of a news article about the harbour board and its ferry timetable. " * 8] * 16
    while not stop.is_set():
        embedder.embed_documents(texts)


def _time(embedder: SentenceTransformerEmbedder, threads: int | None, questions: list[str]) -> list[float]:
    model = embedder._model  # the raw model, to encode with a chosen thread count
    if threads is not None:
        torch.set_num_threads(threads)
    times = []
    for question in questions:
        started = time.perf_counter()
        model.encode_query([question], normalize_embeddings=True, show_progress_bar=False)
        times.append(time.perf_counter() - started)
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=60)
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    default = torch.get_num_threads()
    questions = [f"What did the board decide about ferry route {i} this spring?" for i in range(args.questions)]
    _time(embedder, None, questions[:5])  # warm up
    stop = multiprocessing.Event()
    busy = multiprocessing.Process(target=_busy, args=(stop,))
    for load in ("idle", "busy"):
        if load == "busy":
            busy.start()
            time.sleep(8)  # let the other process load its model and start encoding
        for threads in (default, 1):
            times = _time(embedder, threads, questions)
            p95 = times[int(0.95 * (len(times) - 1))]
            print(
                f"{load:<5} threads={threads}: median {1000 * statistics.median(times):6.1f} ms, "
                f"p95 {1000 * p95:6.1f} ms"
            )
    stop.set()
    busy.join()


if __name__ == "__main__":
    main()
