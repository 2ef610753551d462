"""Articles in: clean, chunk, embed and index them into a collection, skipping what is already there."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from embeddings import Embedder
from qa.chunking import embedded_text, pack, passage_budget, sentence_spans
from qa.cleaning import paragraph_keys, recurring_keys, strip_boilerplate
from qa.collection import staged
from qa.settings import ChunkSettings
from qa.store import Store, StoredArticle
from qa.types import Article, Skip

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` with counts of texts (passages and sentences) while embedding."""

EMBED_BATCH = 64


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did, for the summary line."""

    collection: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    recleaned: int = 0
    chunks_added: int = 0
    articles_total: int = 0
    chunks_total: int = 0
    skipped: tuple[Skip, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        parts = [
            f"collection '{self.collection}': {self.articles_total} articles, {self.chunks_total} chunks",
            f"added {self.added}",
            f"updated {self.updated}",
            f"unchanged {self.unchanged} (skipped)",
            f"duplicates {self.duplicates} (indexed once)",
            f"skipped files/records {len(self.skipped)}",
        ]
        if self.recleaned:
            parts.append(f"re-cleaned {self.recleaned} (newly recurring boilerplate)")
        return "; ".join(parts)


def raw_hash(article: Article) -> str:
    return article.content_hash()


def body_hash(article: Article) -> str:
    """Hash of the body with whitespace normalised: equal bodies are the same article."""
    return hashlib.sha256(" ".join(article.text.split()).encode("utf-8")).hexdigest()


def unchanged_report(
    articles: Sequence[Article], store: Store, name: str, skipped: Sequence[Skip] = ()
) -> IngestReport | None:
    """The report of an ingest with nothing to do, or None when some article is new or changed.

    Read from the live store's hashes alone, so that re-running an ingest over an unchanged
    folder neither loads the embedding model nor copies the collection.
    """
    known = store.hashes()
    bodies = {body: aid for aid, (_, body) in known.items()}
    unchanged = duplicates = 0
    for article in articles:
        if article.id in known and known[article.id][0] == raw_hash(article):
            unchanged += 1
            continue
        twin = bodies.get(body_hash(article))
        if twin is None or twin == article.id:
            return None
        duplicates += 1
    return IngestReport(
        collection=name,
        unchanged=unchanged,
        duplicates=duplicates,
        articles_total=len(known),
        chunks_total=store.count_chunks(),
        skipped=tuple(skipped),
    )


def ingest(
    articles: Sequence[Article],
    data_dir: Path,
    name: str,
    embedder: Embedder,
    chunking: ChunkSettings,
    *,
    replace: bool = False,
    skipped: Sequence[Skip] = (),
    progress: Progress | None = None,
) -> IngestReport:
    """Add new and changed articles to a collection (created if absent) and save it atomically."""
    with staged(data_dir, name, embedder, chunking, replace) as work:
        store = work.store
        existing = {stored.raw.id: stored for stored in store.articles()}
        known_bodies = {stored.body_hash: stored.raw.id for stored in existing.values()}

        incoming: dict[str, Article] = {}
        unchanged = duplicates = updated = 0
        for article in articles:
            old = existing.get(article.id)
            if old is not None and old.raw_hash == raw_hash(article):
                unchanged += 1
                continue
            body = body_hash(article)
            twin = known_bodies.get(body)
            if twin is not None and twin != article.id:
                logger.info("%s: same text as article %r, indexed once", article.origin or article.id, twin)
                duplicates += 1
                continue
            known_bodies[body] = article.id
            if old is not None:
                updated += 1
            incoming[article.id] = article

        # Paragraphs recurring across the whole set (old and new) are boilerplate; an old article
        # is re-cleaned when what recurs in it has changed.
        keys = {aid: frozenset(paragraph_keys(a.text)) for aid, a in incoming.items()}
        before = Counter(k for s in existing.values() for k in s.paragraph_keys)
        after = Counter(k for aid, s in existing.items() if aid not in incoming for k in s.paragraph_keys)
        for article_keys in keys.values():
            after.update(article_keys)
        n_before = len(existing)
        n_after = len(set(existing) | set(incoming))
        old_recurring = recurring_keys(before, n_before)
        recurring = recurring_keys(after, n_after)
        recleaned = 0
        for aid, stored in existing.items():
            if aid not in incoming and (stored.paragraph_keys & old_recurring) != (stored.paragraph_keys & recurring):
                incoming[aid] = stored.raw
                keys[aid] = stored.paragraph_keys
                recleaned += 1

        texts: list[str] = []
        rows: list[tuple[int, str, int, int]] = []
        sentence_rows: list[tuple[int, str, int, int]] = []
        sentence_texts: list[str] = []
        next_id = store.next_chunk_id()
        next_sentence = store.next_sentence_id()
        removed: list[int] = []
        removed_sentences: list[int] = []
        for aid, article in incoming.items():
            clean = strip_boilerplate(article, recurring)
            removed.extend(store.delete_chunks_of(aid))
            removed_sentences.extend(store.delete_sentences_of(aid))
            store.put_article(StoredArticle(article, clean, raw_hash(article), body_hash(article), keys[aid]))
            budget = passage_budget(embedder, clean.title, chunking)
            sentences = sentence_spans(clean.text, embedder, budget)
            for span in sentences:
                sentence_rows.append((next_sentence, aid, span.start, span.end))
                sentence_texts.append(clean.text[span.start : span.end])
                next_sentence += 1
            for start, end in pack(sentences, budget, chunking):
                rows.append((next_id, aid, start, end))
                texts.append(embedded_text(clean.title, clean.text[start:end], chunking))
                next_id += 1
        work.vectors.remove(removed)
        work.sentence_vectors.remove(removed_sentences)
        store.add_chunks(rows)
        store.add_sentences(sentence_rows)
        total = len(texts) + len(sentence_texts)
        if progress is not None:
            progress(0, total)
        done = 0
        for index, ids, batch_texts in (
            (work.vectors, [r[0] for r in rows], texts),
            (work.sentence_vectors, [r[0] for r in sentence_rows], sentence_texts),
        ):
            for first in range(0, len(batch_texts), EMBED_BATCH):
                batch = batch_texts[first : first + EMBED_BATCH]
                index.add(ids[first : first + EMBED_BATCH], embedder.embed_documents(batch))
                done += len(batch)
                if progress is not None:
                    progress(done, total)
        report = IngestReport(
            collection=name,
            added=len(incoming) - updated - recleaned,
            updated=updated,
            unchanged=unchanged,
            duplicates=duplicates,
            recleaned=recleaned,
            chunks_added=len(rows),
            articles_total=store.count_articles(),
            chunks_total=store.count_chunks(),
            skipped=tuple(skipped),
        )
    return report
