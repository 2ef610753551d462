"""How the query path holds up as a collection grows: latency, index recall, memory, load time, disk.

Usage: python benchmarks/scale.py --passages N [--json] [--keep DIR] [--questions 200]

1. Builds (once, cached under ``--base``) a real collection of the 2,225 BBC articles
   (``../shared/data/bbc_news``) with the real model: real passages, sentences and vectors.
2. Writes a synthetic collection of N passages in the real collection format: the base articles
   copied over and over, each copy's text perturbed without changing its length (the digits in
   it shifted, the copy number in the headline), so SQLite and BM25 see realistic text and every
   chunk and sentence offset stays valid; each copy's vectors are the real ones plus Gaussian
   noise (cosine about 0.95 to the original), renormalised. No embedding run at size N.
   The index files are written by the collection's own code, as an ingest would.
3. In a fresh process (so the figures are the query path's own): opens the collection through
   ``Engine`` and asks ``--questions`` real questions (benchmarks/data/bbc_questions.json,
   repeated), timing retrieval alone and the whole answer; measures recall@10 of the passage
   index against exact search over the same vectors; peak RSS; open time; disk size.

Prints a table, or with ``--json`` one object with keys passages, p50_ms, p95_ms,
answer_p50_ms, recall_at_10, peak_rss_mb, load_s, disk_mb (and a few more). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.index.collection import Collection  # noqa: E402
from qa.index.manifest import BM25_DIR, DATABASE, MANIFEST, SENTENCE_VECTORS, VECTORS, library_versions  # noqa: E402
from qa.index.store import Store, StoredArticle  # noqa: E402

BBC = ROOT.parent / "shared" / "data" / "bbc_news" / "bbc"
QUESTIONS = ROOT / "benchmarks" / "data" / "bbc_questions.json"
NOISE = 0.012  # per dimension, on 384 dimensions: cosine about 0.95 to the real vector
_DIGIT = re.compile(r"\d")


def base_collection(folder: Path) -> Path:
    """The real BBC collection the synthetic one copies (built with the real model, once)."""
    if not (folder / "bbc" / MANIFEST).is_file():
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        command = [sys.executable, "-m", "qa.cli", "--data-dir", str(folder), "ingest", str(BBC), "-c", "bbc"]
        subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return folder


def perturb(text: str, copy: int) -> str:
    """The same length and shape, other digits: offsets stay valid, BM25 sees new numbers."""
    return _DIGIT.sub(lambda m: str((int(m.group()) + copy) % 10), text) if copy else text


def noisy(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = vectors + rng.normal(0.0, NOISE, size=vectors.shape).astype(np.float32)
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def build(base_dir: Path, target: Path, passages: int) -> dict[str, float]:
    """Write a synthetic collection of about ``passages`` passages into ``target / 'scale'``."""
    from embeddings import FaissIndex
    from qa.index.lexical import BM25Index

    started = time.perf_counter()
    base = Collection.open(base_dir, "bbc")
    articles = list(base.store.articles())
    chunks = base.store._db.execute("SELECT id, article_id, start, end FROM chunks ORDER BY id").fetchall()
    sentences = base.store._db.execute("SELECT id, article_id, start, end FROM sentences ORDER BY id").fetchall()
    chunk_ids = np.asarray([c[0] for c in chunks], dtype=np.int64)
    sentence_ids = np.asarray([s[0] for s in sentences], dtype=np.int64)
    chunk_vectors = base.vectors.vectors(chunk_ids.tolist())
    sentence_vectors = base.sentence_vectors.vectors(sentence_ids.tolist())
    copies = max(1, -(-passages // len(chunks)))

    folder = target / "scale"
    folder.mkdir(parents=True)
    store = Store(folder / DATABASE)
    vectors, sentence_index = FaissIndex(base.vectors.dim), FaissIndex(base.vectors.dim)
    lexical_ids: list[int] = []
    lexical_texts: list[str] = []
    rng = np.random.default_rng(0)
    by_id = {a.clean.id: a for a in articles}
    for copy in range(copies):
        for stored in articles:
            clean, raw = stored.clean, stored.raw
            new_id = f"{clean.id}~{copy}"
            title = clean.title if copy == 0 else f"{clean.title} ({copy})"
            text = perturb(clean.text, copy)
            store.put_article(
                StoredArticle(
                    raw=type(raw)(new_id, title, perturb(raw.text, copy), raw.date, raw.url, raw.source),
                    clean=type(clean)(new_id, title, text, clean.date, clean.url, clean.source),
                    raw_hash=f"{stored.raw_hash}~{copy}",
                    body_hash=f"{stored.body_hash}~{copy}",
                    paragraph_keys=stored.paragraph_keys,
                )
            )
        offset_c, offset_s = copy * (int(chunk_ids.max()) + 1), copy * (int(sentence_ids.max()) + 1)
        store.add_chunks((cid + offset_c, f"{aid}~{copy}", a, b) for cid, aid, a, b in chunks)
        store.add_sentences((sid + offset_s, f"{aid}~{copy}", a, b) for sid, aid, a, b in sentences)
        vectors.add((chunk_ids + offset_c).tolist(), chunk_vectors if copy == 0 else noisy(chunk_vectors, rng))
        sentence_index.add(
            (sentence_ids + offset_s).tolist(), sentence_vectors if copy == 0 else noisy(sentence_vectors, rng)
        )
        # A long ingest saves (checkpoints) about twenty times as it goes: each save writes the new
        # vectors as a segment and lets them go from memory, and the first save past FaissIndex's
        # threshold turns the index approximate (8-bit). Do the same, or a million passages'
        # sentence vectors would sit in memory at full precision.
        if (copy + 1) % max(1, copies // 20) == 0:
            for index, name in ((vectors, VECTORS), (sentence_index, SENTENCE_VECTORS)):
                FaissIndex.tidy(folder, name, index.save_changes(folder, name))
        for cid, aid, a, b in chunks:
            article = by_id[aid]
            title = article.clean.title if copy == 0 else f"{article.clean.title} ({copy})"
            lexical_ids.append(cid + offset_c)
            lexical_texts.append(f"{title}\n{perturb(article.clean.text[a:b], copy)}")
    store.commit()
    written = time.perf_counter()
    lexical = BM25Index.build(lexical_ids, lexical_texts)
    manifest = dict(base.manifest)
    manifest["name"] = "scale"
    manifest["bm25"] = lexical.save_changes(folder / BM25_DIR)
    manifest["indexes"] = {
        VECTORS: vectors.save_changes(folder, VECTORS),
        SENTENCE_VECTORS: sentence_index.save_changes(folder, SENTENCE_VECTORS),
    }
    for name, entry in manifest["indexes"].items():
        FaissIndex.tidy(folder, name, entry)
    manifest["counts"] = {
        "articles": store.count_articles(),
        "chunks": store.count_chunks(),
        "sentences": store.count_sentences(),
    }
    manifest["versions"] = library_versions()
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    store.close()
    base.close()
    return {"build_s": time.perf_counter() - started, "bm25_build_s": time.perf_counter() - written}


EXPORT = """
import sys
from pathlib import Path
from qa.engine import Engine
from qa.settings import Settings
Engine(Settings(data_dir=Path(sys.argv[1]))).prepare_answer_model()
"""

QUERY = """
import json, statistics, sys, time
from pathlib import Path
import numpy as np
from qa.engine import Engine
from qa.settings import Settings
def peak_rss_mb():
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (big) parent that forked us.
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]) / 1024
data_dir, count = Path(sys.argv[1]), int(sys.argv[2])
questions = [q["question"] for q in json.loads(Path(sys.argv[3]).read_text())["questions"]]
questions = (questions * (count // len(questions) + 1))[:count]
engine = Engine(Settings(data_dir=data_dir))
engine.query_embedder()  # the model is not the collection: load it before the clock starts
started = time.perf_counter()
searcher = engine.searcher("scale")
load_s = time.perf_counter() - started
engine.reader()
search, answer, recall = [], [], []
index = searcher.collection.vectors
for question in questions:
    t0 = time.perf_counter()
    vector = searcher.embedder.embed_query(question)
    searcher.search(question, engine.settings.search, query_vector=vector)
    t1 = time.perf_counter()
    engine.ask(question, "scale")
    t2 = time.perf_counter()
    search.append((t1 - t0) * 1000)
    answer.append((t2 - t1) * 1000)
    got = {n.id for n in index.search(vector, 10)}
    exact = {n.id for n in index.exact_search(vector, 10)}
    recall.append(len(got & exact) / 10)
print(json.dumps({
    "p50_ms": statistics.median(search), "p95_ms": float(np.percentile(search, 95)),
    "answer_p50_ms": statistics.median(answer), "answer_p95_ms": float(np.percentile(answer, 95)),
    "recall_at_10": float(np.mean(recall)), "load_s": load_s,
    "peak_rss_mb": peak_rss_mb(),
    "index": searcher.collection.vectors.kind, "sentence_index": searcher.collection.sentence_vectors.kind,
}))
"""


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--base", type=Path, default=Path(tempfile.gettempdir()) / "article-qa-scale-base")
    parser.add_argument("--keep", type=Path, help="build the collection here and keep it (default: a temporary folder)")
    args = parser.parse_args()

    base = base_collection(args.base)
    with tempfile.TemporaryDirectory(prefix="scale-") as scratch:
        target = args.keep or Path(scratch)
        built = build(base, target, args.passages)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
        # The answer model's int8 export, made (with torch) in a process of its own, as an ingest
        # makes it; the synthetic build bypasses ingest, and without it answers run in NumPy.
        subprocess.run([sys.executable, "-c", EXPORT, str(target)], cwd=ROOT, env=env, check=True)
        command = [sys.executable, "-c", QUERY, str(target), str(args.questions), str(QUESTIONS)]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        manifest = json.loads((target / "scale" / MANIFEST).read_text())
        figures = {
            "passages": manifest["counts"]["chunks"],
            "sentences": manifest["counts"]["sentences"],
            **figures,
            "disk_mb": disk_mb(target / "scale"),
            **built,
            "build_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:<20} {value:.3f}" if isinstance(value, float) else f"{key:<20} {value}")


if __name__ == "__main__":
    main()
