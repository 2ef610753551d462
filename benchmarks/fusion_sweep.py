"""Sweep fusion settings over one eval collection: scores are computed once, fused many ways.

Usage: python benchmarks/fusion_sweep.py SQUAD.json --data-dir DIR --collection NAME [--limit N]
(build the collection first with `article-qa eval SQUAD.json --collection NAME --data-dir DIR`).
Prints top-1/top-5/MRR for each dense weight and fusion method.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from qa.engine import Engine
from qa.evaluation import load_squad
from qa.index.collection import Collection
from qa.settings import Settings


def rrf(dense: dict[int, float], lexical: dict[int, float], weight: float, k: int = 60) -> dict[int, float]:
    out: dict[int, float] = {}
    for side, w in ((dense, weight), (lexical, 1.0 - weight)):
        for rank, i in enumerate(sorted(side, key=lambda j: -side[j]), start=1):
            out[i] = out.get(i, 0.0) + w / (k + rank)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--collection", required=True)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--pool", type=int, default=50)
    args = parser.parse_args()

    from qa.search.retrieval import fuse

    engine = Engine(Settings(data_dir=Path(args.data_dir)))
    searcher = engine.searcher(args.collection)
    collection: Collection = searcher.collection
    _, questions = load_squad(Path(args.file))
    questions = [q for q in questions if q.answers]
    questions = [questions[i * len(questions) // args.limit] for i in range(min(args.limit, len(questions)))]
    texts = {c.id: c.text for c in collection.store.chunks()}
    cases = []
    for q in questions:
        vector = engine.embedder(collection.model).embed_query(q.text)
        dense = {n.id: n.score for n in collection.vectors.search(vector, args.pool)}
        scores = collection.lexical.scores(q.text)
        top = np.argsort(-scores)[: args.pool]
        lexical = {int(collection.lexical.ids[r]): float(scores[r]) for r in top if scores[r] > 0}
        gold = {i for i, t in texts.items() if any(a in t for a in q.answers)}
        cases.append((dense, lexical, gold))

    def measure(fused_of: object) -> tuple[float, float, float]:
        top1 = top5 = mrr = 0.0
        for dense, lexical, gold in cases:
            fused = fused_of(dense, lexical)  # type: ignore[operator]
            ranked = sorted(fused, key=lambda i: -fused[i])[:10]
            rank = next((r for r, i in enumerate(ranked, start=1) if i in gold), None)
            top1 += rank == 1
            top5 += rank is not None and rank <= 5
            mrr += 1.0 / rank if rank else 0.0
        n = len(cases)
        return top1 / n, top5 / n, mrr / n

    print(f"{len(cases)} questions, pool {args.pool}")
    print(f"{'method':<28} {'top1':>6} {'top5':>6} {'mrr':>6}")
    for name, fn in (("dense only", lambda d, b: d), ("bm25 only", lambda d, b: b)):
        print(f"{name:<28} " + " ".join(f"{v:6.3f}" for v in measure(fn)))
    for w in (0.2, 0.3, 0.4, 0.5, 0.6):
        print(f"{'minmax w=' + str(w):<28} " + " ".join(f"{v:6.3f}" for v in measure(lambda d, b, w=w: fuse(d, b, w))))
    for w in (0.3, 0.5):
        print(f"{'rrf w=' + str(w):<28} " + " ".join(f"{v:6.3f}" for v in measure(lambda d, b, w=w: rrf(d, b, w))))


if __name__ == "__main__":
    main()
