"""Articles in: clean, chunk, embed and index them into a collection, skipping what is already there."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from embeddings import Embedder, Vectors
from qa.errors import CollectionMismatch
from qa.index.changes import IngestReport, body_hash, gone_articles, raw_hash
from qa.index.collection import Collection
from qa.index.staging import staged
from qa.index.store import StoredArticle
from qa.language.dates import iso_day
from qa.settings import ChunkSettings
from qa.sources.boilerplate import paragraph_keys, recurring_keys, strip_boilerplate
from qa.sources.chunking import embedded_text, pack, passage_budget, sentence_spans
from qa.types import Article, Skip

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` with counts of texts (passages, and sentences embedded alone) while embedding."""

EMBED_BATCH = 64
# Passages handed to the embedder at a time: it sorts them by length, so bigger groups pad less.
EMBED_GROUP = 256
# Passages between checkpoints of a long ingest (about a minute on a 2-core CPU).
CHECKPOINT_PASSAGES = 2048
IN_PASSAGE = "in-passage"
SEPARATE = "separate"


class SpanEmbedder(Embedder, Protocol):
    """An embedder that also gives the mean token state of spans of its inputs (embeddings.TokenEmbedder)."""

    pools_spans: bool

    def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[Vectors, list[list[Vectors | None]]]: ...


@dataclass
class _Plan:
    """What an ingest embeds: passages with their rows, sentences with theirs, and which sentence lies where."""

    rows: list[tuple[int, str, int, int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    sentence_rows: list[tuple[int, str, int, int]] = field(default_factory=list)
    sentence_texts: list[str] = field(default_factory=list)
    sentences_of: list[list[int]] = field(default_factory=list)
    """The ids of the sentences wholly inside each passage."""
    spans: list[list[tuple[int, int]]] = field(default_factory=list)
    """Their character spans in the passage's embedded text."""

    @classmethod
    def join(cls, plans: list[_Plan]) -> _Plan:
        joined = cls()
        for plan in plans:
            joined.rows += plan.rows
            joined.texts += plan.texts
            joined.sentence_rows += plan.sentence_rows
            joined.sentence_texts += plan.sentence_texts
            joined.sentences_of += plan.sentences_of
            joined.spans += plan.spans
        return joined


def _plan_article(
    clean: Article, embedder: Embedder, chunking: ChunkSettings, next_id: int, next_sentence: int
) -> _Plan:
    """An article's passages and sentences, numbered from the given ids, with where each sentence lies."""
    plan = _Plan()
    budget = passage_budget(embedder, clean.title, chunking)
    sentences = sentence_spans(clean.text, embedder, budget)
    for i, span in enumerate(sentences):
        plan.sentence_rows.append((next_sentence + i, clean.id, span.start, span.end))
        plan.sentence_texts.append(clean.text[span.start : span.end])
    # Where the passage starts in its embedded text (after the headline, when that is embedded).
    shift = len(embedded_text(clean.title, "", chunking))
    for number, (start, end) in enumerate(pack(sentences, budget, chunking)):
        plan.rows.append((next_id + number, clean.id, start, end))
        plan.texts.append(embedded_text(clean.title, clean.text[start:end], chunking))
        inside = [(next_sentence + i, s) for i, s in enumerate(sentences) if s.start >= start and s.end <= end]
        plan.sentences_of.append([sid for sid, _ in inside])
        plan.spans.append([(shift + s.start - start, shift + s.end - start) for _, s in inside])
    return plan


def _batches(plans: list[tuple[StoredArticle, _Plan]], passages: int) -> Iterator[list[tuple[StoredArticle, _Plan]]]:
    """Whole articles, in order, in groups of at least ``passages`` passages (the last may hold fewer)."""
    batch: list[tuple[StoredArticle, _Plan]] = []
    size = 0
    for item in plans:
        batch.append(item)
        size += len(item[1].rows)
        if size >= passages:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class _Counter:
    """Counts embedded texts for the progress callback across batches."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def add(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)


def inputs_digest(articles: Sequence[Article]) -> str:
    """Identifies the articles an ingest was given (ids and content), so a resumed run knows it is the same one."""
    digest = hashlib.sha256()
    for article_id, content in sorted((a.id, raw_hash(a)) for a in articles):
        digest.update(f"{article_id}\0{content}\n".encode())
    return digest.hexdigest()


def _one_pass(manifest: dict[str, Any], embedder: Embedder, wanted: bool) -> bool:
    """Whether sentence vectors come from the passages' pass: as the collection was built, else as asked."""
    built = manifest.get("sentence_vectors", SEPARATE if manifest["counts"]["sentences"] else None)
    if built is not None:
        wanted = built == IN_PASSAGE
    if wanted and not getattr(embedder, "pools_spans", False):
        if built == IN_PASSAGE:
            raise CollectionMismatch(
                f"collection {manifest['name']!r} takes sentence vectors from passages, which {embedder.name!r} "
                "cannot give here; rebuild it with --replace"
            )
        return False
    return wanted


def _embed_separately(work: Collection, embedder: Embedder, plan: _Plan, counter: _Counter) -> None:
    """Passages, then sentences, each embedded on its own."""
    for index, ids, texts in (
        (work.vectors, [r[0] for r in plan.rows], plan.texts),
        (work.sentence_vectors, [r[0] for r in plan.sentence_rows], plan.sentence_texts),
    ):
        for first in range(0, len(texts), EMBED_BATCH):
            batch = texts[first : first + EMBED_BATCH]
            index.add(ids[first : first + EMBED_BATCH], embedder.embed_documents(batch))
            counter.add(len(batch))


def _embed_in_one_pass(work: Collection, embedder: SpanEmbedder, plan: _Plan, counter: _Counter) -> None:
    """Passages through the model once; each sentence's vector pooled from its tokens in the passages holding it."""
    sums: dict[int, Vectors] = {}
    # An embedder that farms passages out (Ray) takes the whole batch in one call.
    group = int(getattr(embedder, "group", EMBED_GROUP))
    for first in range(0, len(plan.texts), group):
        last = first + group
        vectors, pooled = embedder.embed_with_spans(plan.texts[first:last], plan.spans[first:last])
        work.vectors.add([r[0] for r in plan.rows[first:last]], vectors)
        for sentence_ids, found in zip(plan.sentences_of[first:last], pooled, strict=True):
            for sentence_id, vector in zip(sentence_ids, found, strict=True):
                if vector is not None:
                    sums[sentence_id] = sums[sentence_id] + vector if sentence_id in sums else vector
        counter.add(len(vectors))
    # A sentence no passage holds whole (none, as chunks are packed from whole sentences) is embedded alone.
    alone = [
        (row[0], text) for row, text in zip(plan.sentence_rows, plan.sentence_texts, strict=True) if row[0] not in sums
    ]
    if alone:
        work.sentence_vectors.add([i for i, _ in alone], embedder.embed_documents([t for _, t in alone]))
    if sums:
        ids = list(sums)
        stacked = np.stack([sums[i] for i in ids])
        norms = np.maximum(np.linalg.norm(stacked, axis=1, keepdims=True), 1e-12)
        work.sentence_vectors.add(ids, (stacked / norms).astype(np.float32))


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
    sentences_from_passages: bool = True,
    sync: Sequence[Path] = (),
) -> IngestReport:
    """Add new and changed articles to a collection (created if absent) and save it atomically.

    With ``sync`` (folders), the collection's articles that were read from those folders and are
    not among ``articles`` (their files deleted) are removed.

    With ``sentences_from_passages`` (and an embedder that can), each sentence's vector is the mean
    of its tokens' states in the passage's forward pass, so every text goes through the model once;
    a collection keeps the way it was built (``manifest["sentence_vectors"]``).
    """
    with staged(data_dir, name, embedder, chunking, replace, inputs_digest(articles)) as staging:
        work = staging.collection
        store = work.store
        existing = {stored.raw.id: stored for stored in store.articles()}
        removed = gone_articles({a: s.raw.origin for a, s in existing.items()}, articles, sync)
        for article_id in removed:
            removed_chunks, removed_sentences = store.delete_article(article_id)
            work.vectors.remove(removed_chunks)
            work.sentence_vectors.remove(removed_sentences)
            del existing[article_id]
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

        one_pass = _one_pass(work.manifest, embedder, sentences_from_passages)
        work.manifest["sentence_vectors"] = IN_PASSAGE if one_pass else SEPARATE
        plans: list[tuple[StoredArticle, _Plan]] = []
        next_id = store.next_chunk_id()
        next_sentence = store.next_sentence_id()
        for aid, article in incoming.items():
            clean = dataclasses.replace(strip_boilerplate(article, recurring), date=iso_day(article.date))
            stored = StoredArticle(article, clean, raw_hash(article), body_hash(article), keys[aid])
            plan = _plan_article(clean, embedder, chunking, next_id, next_sentence)
            plans.append((stored, plan))
            next_id += len(plan.rows)
            next_sentence += len(plan.sentence_rows)

        total = sum(len(plan.texts) for _, plan in plans)
        if not one_pass:
            total += sum(len(plan.sentence_texts) for _, plan in plans)
        counter = _Counter(progress, total)
        counter.add(0)
        # Written and embedded a batch of articles at a time, each batch checkpointed: a killed ingest
        # resumes from its last checkpoint when run again on the same articles.
        # At most about twenty checkpoints: each rewrites the indexes, which grow with the collection.
        for batch in _batches(plans, max(CHECKPOINT_PASSAGES, total // 20)):
            for stored, _ in batch:
                removed_chunks, removed_sentences = store.delete_article(stored.raw.id)
                work.vectors.remove(removed_chunks)
                work.sentence_vectors.remove(removed_sentences)
                store.put_article(stored)
            plan = _Plan.join([plan for _, plan in batch])
            store.add_chunks(plan.rows)
            store.add_sentences(plan.sentence_rows)
            if one_pass:
                _embed_in_one_pass(work, cast(SpanEmbedder, embedder), plan, counter)
            else:
                _embed_separately(work, embedder, plan, counter)
            staging.checkpoint()
        report = IngestReport(
            collection=name,
            added=len(incoming) - updated - recleaned,
            updated=updated,
            unchanged=unchanged,
            duplicates=duplicates,
            recleaned=recleaned,
            chunks_added=sum(len(plan.rows) for _, plan in plans),
            articles_total=store.count_articles(),
            chunks_total=store.count_chunks(),
            skipped=tuple(skipped),
            resumed=staging.resumed,
            removed=tuple(removed),
        )
    return report
