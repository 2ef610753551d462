"""What adding a few articles to a big collection costs, and re-ingesting it unchanged.

Usage: python benchmarks/append.py [--articles 20000] [--add 10]

Builds a collection of N articles from the BBC set (../shared/data/bbc_news, 2,225 articles,
repeated with a numbered line added so every copy is a distinct article) with the fake hashing
embedder at the real model's dimension, so that the files have their real sizes but no model
time is spent; then times, through the real ingest path:

- re-ingesting all N unchanged (the engine's check against the live store's hashes);
- adding ``--add`` new articles (staging copy of the store, index files shared by hard link, a new
  segment per index, BM25 rebuild, swap), with the time of each part and the bytes the ingest
  wrote (files of the new folder that are not the previous version's files).

Prints figures; asserts nothing. Model time is not included: add it from benchmarks/ingest_speed.py.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings import HashingEmbedder  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.index.ingest import ingest, unchanged_report  # noqa: E402
from qa.settings import ChunkSettings, Settings  # noqa: E402
from qa.sources.files import read_paths  # noqa: E402
from qa.types import Article  # noqa: E402

BBC = ROOT.parent / "shared" / "data" / "bbc_news" / "bbc"


def corpus(count: int) -> list[Article]:
    base = read_paths([BBC]).articles
    out = []
    for i in range(count):
        a = base[i % len(base)]
        copy = i // len(base)
        out.append(Article(f"{a.id}#{copy}", a.title, f"{a.text}\n\nArchive copy {copy} of this report.", a.date))
    return out


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def inodes(path: Path) -> set[int]:
    return {p.stat().st_ino for p in path.rglob("*") if p.is_file()}


def written_bytes(path: Path, before: set[int]) -> int:
    """Bytes of the files in ``path`` that are not the same files (inodes) as before: what was written."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and p.stat().st_ino not in before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--add", type=int, default=10)
    args = parser.parse_args()

    embedder = HashingEmbedder(dim=384, max_tokens=256)
    chunking = ChunkSettings()
    articles = corpus(args.articles)
    with tempfile.TemporaryDirectory(prefix="append-") as scratch:
        data = Path(scratch)
        started = time.perf_counter()
        report = ingest(articles, data, "big", embedder, chunking)
        seconds = time.perf_counter() - started
        print(f"built {report.articles_total} articles, {report.chunks_total} passages in {seconds:.0f} s")
        print(f"collection folder: {folder_bytes(data / 'big') / 1e6:.0f} MB")

        engine = Engine(Settings(data_dir=data, model=embedder.name, chunking=chunking), embedder)
        started = time.perf_counter()
        unchanged_report(articles, engine._present("big"), "big")  # the check `article-qa ingest` makes first
        print(f"re-ingest of all {len(articles)} unchanged: {time.perf_counter() - started:.2f} s (hash check)")

        new = [
            Article(f"new{i}", f"New story {i}", f"A new report number {i} about the harbour.") for i in range(args.add)
        ]
        existing = inodes(data / "big")
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        ingest(new, data, "big", embedder, chunking)
        profile.disable()
        print(
            f"adding {args.add} articles: {time.perf_counter() - started:.2f} s; the new folder holds "
            f"{folder_bytes(data / 'big') / 1e6:.0f} MB, of which this ingest wrote "
            f"{written_bytes(data / 'big', existing) / 1e6:.1f} MB (the rest is shared with the previous "
            "version by hard link)"
        )
        stats = pstats.Stats(profile)
        wanted = (
            "copy2",
            "copytree",
            "build",
            "save",
            "save_changes",
            "join",
            "articles",
            "_swap",
            "rmtree",
            "commit",
            "load",
            "chunks",
        )
        rows = [
            (name, cumulative)
            for (file, _, name), (_, _, _, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
            if name in wanted and ("qa/" in file or "embeddings/" in file or "shutil" in file)
        ]
        for name, seconds in sorted(rows, key=lambda r: -r[1])[:10]:
            print(f"  {name:<12} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
