"""``article-qa check``: a full check of a live collection, beyond what every open checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.errors import CollectionCorrupt
from qa.index.collection import Collection
from qa.index.manifest import BM25_DIR, DATABASE, SENTENCE_VECTORS, VECTORS, rebuild_hint


def check_collection(data_dir: Path, name: str) -> tuple[dict[str, int], list[str]]:
    """A live collection's counts, and what is wrong with it (nothing, when healthy).

    Beyond the checks on every open (files readable, counts agree with the manifest): SQLite's
    integrity check, the ids of both indexes and BM25 against the store's rows, and unit-length vectors.
    """
    collection = Collection.open(data_dir, name)  # CollectionCorrupt, with what to do, if it cannot open
    problems: list[str] = []
    try:
        store = collection.store
        problems += [f"{DATABASE}: {row}" for row in store.integrity_problems()[:10]]
        problems += [f"{DATABASE}: {p}" for p in store.schema_problems()]
        if not problems:  # queries on a broken schema would only repeat it
            problems += [f"{DATABASE}: {p}" for p in store.row_problems()]
            articles, listed = store.count_articles(), collection.manifest["counts"]["articles"]
            if articles != listed:
                problems.append(f"{DATABASE}: {articles} articles, the manifest says {listed}")
        for file, index, table in (
            (f"the {VECTORS} index", collection.vectors, "chunks"),
            (f"the {SENTENCE_VECTORS} index", collection.sentence_vectors, "sentences"),
        ):
            stored, indexed = set(collection.store.owners(table)), index.ids()
            if stored != indexed:
                problems.append(
                    f"{file}: {len(indexed - stored)} vectors without a row in {DATABASE}, "
                    f"{len(stored - indexed)} {table} without a vector"
                )
            norms = index.norms()
            tolerance = 1e-3 if index.kind == "flat" else 0.05  # 8-bit vectors are off by up to ~0.03
            off = int(np.sum(np.abs(norms - 1.0) > tolerance))
            if off:
                problems.append(f"{file}: {off} of {len(norms)} vectors are not unit length")
        if set(collection.lexical.ids.tolist()) != set(collection.store.owners("chunks")):
            problems.append(f"{BM25_DIR}: its passages are not the store's")
        counts = dict(collection.manifest["counts"])
    except CollectionCorrupt as error:  # a statement failed on damage the checks above did not name
        problems.append(str(error))
        counts = dict(collection.manifest["counts"])
    finally:
        collection.close()
    if problems and not problems[-1].endswith(rebuild_hint(name)):
        problems.append(rebuild_hint(name))
    return counts, problems
