"""How far the int8 ONNX Runtime models are from fp32, and how fast, with 8-bit and with 7-bit weights.

Usage: python benchmarks/int8_agreement.py [--passages N] [--pairs N] [--runs N]

Both ways quantise the same ONNX exports (per output channel, activations quantised on the fly):
``8-bit`` is what the exports were before EXPORT_VERSION 3, ``7-bit`` (``reduce_range``) is what
they are now (embeddings/onnx_export.py says why: the same numbers on every x86 CPU). For each way:

- the embedder: mean and lowest cosine of N BBC passages' vectors to the fp32 NumPy vectors, and
  passages per second (median of ``--runs``);
- the answer model: how far its log-odds move from fp32 on (question, sentence | title) pairs from
  the SQuAD 2.0 articles held out of its training, each question against its paragraph's sentences.

Numbers on this CPU only; tests/embeddings/test_int8_across_cpus.py checks the agreement across
CPUs. Asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from calibrate_answer_model import logit  # noqa: E402
from train_answer_model import HELD_OUT, SQUAD2  # noqa: E402

import embeddings.onnx_embedder as onnx_embedder  # noqa: E402
import embeddings.pair_classifier as pair_classifier  # noqa: E402
from embeddings import PairClassifier  # noqa: E402
from embeddings.numpy_embedder import NumpyEmbedder  # noqa: E402
from embeddings.onnx_embedder import OnnxEmbedder  # noqa: E402
from embeddings.onnx_export import quantise_int8  # noqa: E402
from qa.answer.model import ANSWER_MODEL  # noqa: E402
from qa.answer.pairs import answer_pair  # noqa: E402

BBC = ROOT.parent / "shared" / "data" / "bbc_news" / "bbc_news.jsonl"


WAYS: dict[str, Callable[[Path, Path], None]] = {
    "8-bit": partial(quantise_int8, reduce_range=False),
    "7-bit": quantise_int8,
}


def passages(limit: int) -> list[str]:
    with BBC.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in itertools.islice(lines, 0, None, 7)][:limit]
    return [f"{row['title']}\n{row['text']}"[:1500] for row in rows]


def pairs(limit: int) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for article in json.loads(SQUAD2.read_text(encoding="utf-8"))["data"]:
        if article["title"] not in HELD_OUT:
            continue
        for paragraph in article["paragraphs"]:
            sentences = re.split(r"(?<=[.!?])\s+", paragraph["context"])
            for qa in paragraph["qas"][:2]:
                found += [answer_pair(qa["question"], s, article["title"]) for s in sentences[:4]]
    return found[:: max(1, len(found) // limit)][:limit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if not BBC.is_file() or not SQUAD2.is_file():
        print(f"error: needs {BBC} and {SQUAD2} (../shared/data)", file=sys.stderr)
        return 2

    texts, asked = passages(args.passages), pairs(args.pairs)
    exact_vectors = NumpyEmbedder().embed_documents(texts)
    exact_odds = odds(PairClassifier(ANSWER_MODEL).read_pairs(asked))
    print(f"{len(texts)} BBC passages, {len(asked)} answer-model pairs from {', '.join(HELD_OUT)}")
    for way, quantise in WAYS.items():
        onnx_embedder.quantise_int8 = pair_classifier.quantise_int8 = quantise  # type: ignore[attr-defined]
        with tempfile.TemporaryDirectory(prefix="article-qa-int8-") as scratch:
            cache = Path(scratch)
            embedder = OnnxEmbedder(cache=cache)
            seconds = []
            for _ in range(args.runs):
                start = time.perf_counter()
                vectors = embedder.embed_documents(texts)
                seconds.append(time.perf_counter() - start)
            cosines = (vectors * exact_vectors).sum(axis=1)
            pair_classifier.export_answer_model(ANSWER_MODEL, cache)
            moved = np.abs(odds(PairClassifier(ANSWER_MODEL, cache=cache).read_pairs(asked)) - exact_odds)
        print(
            f"{way}: vectors cosine to fp32 mean {cosines.mean():.4f} lowest {cosines.min():.4f}, "
            f"{len(texts) / statistics.median(seconds):.1f} passages/s; answer log-odds moved "
            f"mean {moved.mean():.3f} p95 {np.percentile(moved, 95):.3f} max {moved.max():.3f}"
        )
    return 0


def odds(readings: list[pair_classifier.PairReading]) -> np.ndarray:
    return logit(np.array([r.probability for r in readings]))


if __name__ == "__main__":
    sys.exit(main())
