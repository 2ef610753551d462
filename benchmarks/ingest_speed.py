"""Ingest speed against a plain encode loop over the same passages, and what each way of ingesting costs in quality.

Usage: python benchmarks/ingest_speed.py [--articles PATH...] [--limit N] [--questions N] [--variants V...]

1. Ingests the articles (default: 300 BBC articles, 100 each of business, politics and sport
   from ../shared/data/bbc_news) once per variant into a scratch data directory, timing the
   whole ``ingest`` call; then times the plain loop ``SentenceTransformer.encode(passages,
   batch_size=32)`` over the passages the first ingest made (headline + text, read back).
2. Asks dev-24 (``../shared/data/squad_v1.1/dev-24.json``, ``--questions`` of them) of a
   collection built each way and prints top-5 and answer-sentence accuracy.

Variants: ``torch-2pass`` (sentence-transformers, passages then sentences: the ingest before this
benchmark), ``torch-1pass`` is not offered (sentence-transformers gives no token offsets), ``numpy-1pass``
(NumPy fp32, sentence vectors from the passage pass), ``onnx-2pass`` and ``onnx-1pass`` (ONNX
Runtime int8). Prints passages/s and the ratio to the plain loop; asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings import Embedder, SentenceTransformerEmbedder  # noqa: E402
from embeddings.numpy_embedder import NumpyEmbedder  # noqa: E402
from embeddings.onnx_embedder import OnnxEmbedder  # noqa: E402
from qa.evaluation import evaluate  # noqa: E402
from qa.index.collection import Collection  # noqa: E402
from qa.index.ingest import ingest  # noqa: E402
from qa.settings import ChunkSettings, Settings  # noqa: E402
from qa.sources.files import read_paths  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
BBC = SHARED / "bbc_news" / "bbc"
DEV24 = SHARED / "squad_v1.1" / "dev-24.json"


def variants(cache: Path) -> dict[str, tuple[Callable[[], Embedder], bool]]:
    return {
        "torch-2pass": (SentenceTransformerEmbedder, False),
        "numpy-1pass": (NumpyEmbedder, True),
        "onnx-2pass": (lambda: OnnxEmbedder(cache=cache), False),
        "onnx-1pass": (lambda: OnnxEmbedder(cache=cache), True),
    }


def bbc_articles(per_topic: int) -> list[Path]:
    files: list[Path] = []
    for topic in ("business", "politics", "sport"):
        files += sorted((BBC / topic).glob("*.txt"))[:per_topic]
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", nargs="*", type=Path, help="files or folders (default: 300 BBC articles)")
    parser.add_argument("--per-topic", type=int, default=100, help="BBC articles per topic (default 100)")
    parser.add_argument("--questions", type=int, default=500, help="dev-24 questions per variant (0: skip quality)")
    parser.add_argument("--variants", nargs="*", default=["torch-2pass", "onnx-1pass"])
    args = parser.parse_args()

    paths = args.articles or bbc_articles(args.per_topic)
    articles = read_paths(paths).articles
    chunking = ChunkSettings()
    with tempfile.TemporaryDirectory(prefix="ingest-speed-") as scratch:
        data = Path(scratch)
        chosen = {k: v for k, v in variants(data / ".models").items() if k in args.variants}
        timings: dict[str, tuple[float, int]] = {}
        for name, (make, one_pass) in chosen.items():
            embedder = make()
            embedder.embed_documents(["warm up"])
            started = time.perf_counter()
            report = ingest(articles, data, name, embedder, chunking, sentences_from_passages=one_pass)
            timings[name] = (time.perf_counter() - started, report.chunks_total)
            print(f"{name}: {report.summary()}", file=sys.stderr)
            del embedder
            gc.collect()
        first = Collection.open(data, next(iter(chosen)))
        passages = [f"{c.title}\n{c.text}" for c in first.store.chunks()]
        first.close()
        plain = SentenceTransformerEmbedder()
        plain.embed_documents(passages[:32])
        started = time.perf_counter()
        plain._model.encode(passages, batch_size=32)  # the plain loop, as a user would write it
        loop = len(passages) / (time.perf_counter() - started)

        print(f"{len(articles)} articles, {len(passages)} passages")
        print(f"{'plain loop SentenceTransformer.encode':<40} {loop:7.1f} passages/s")
        for name, (seconds, chunks) in timings.items():
            rate = chunks / seconds
            print(f"{'ingest ' + name:<40} {rate:7.1f} passages/s  {rate / loop:5.2f}x the loop  ({seconds:.1f} s)")

        if args.questions and DEV24.is_file():
            print(f"dev-24, {args.questions} questions:")
            for name, (make, one_pass) in chosen.items():
                settings = Settings(data_dir=data / "eval" / name)
                embedder = make()
                if not one_pass:
                    # evaluate() ingests with its engine's defaults; keep the variant's way by hiding spans.
                    embedder = _TwoPass(embedder)
                result = evaluate(DEV24, settings, limit=args.questions, embedder=embedder, progress=False)
                print(
                    f"  {name:<14} top-1 {result['top1']:.3f}  top-5 {result['top5']:.3f}  "
                    f"answer sentence {result['answer_sentence']:.3f}  refused {result['refused']:.3f}"
                )


class _TwoPass:
    """An embedder seen without ``embed_with_spans``, so ingest embeds sentences on their own."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens

    def embed_documents(self, texts: list[str]):  # type: ignore[no-untyped-def]
        return self._inner.embed_documents(texts)

    def embed_query(self, text: str):  # type: ignore[no-untyped-def]
        return self._inner.embed_query(text)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self._inner.count_tokens(texts)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self._inner.token_spans(text)


if __name__ == "__main__":
    main()
