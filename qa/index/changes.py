"""What an ingest would change, told without the model: content hashes, the live store's state, the
articles whose files are gone (``--sync``), and the report of what was done."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.index.store import Store
from qa.types import Article, Skip


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
    resumed: bool = False
    """Carried on from an interrupted run of the same ingest (what it had done counts as unchanged)."""
    removed: tuple[str, ...] = ()
    """Articles removed because their files were deleted (``--sync``)."""

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
        if self.resumed:
            parts.append("resumed an interrupted ingest (its finished articles count as unchanged)")
        if self.removed:
            shown = ", ".join(self.removed[:5]) + (
                f" and {len(self.removed) - 5} more" if len(self.removed) > 5 else ""
            )
            parts.append(f"removed {len(self.removed)} whose files are gone ({shown})")
        return "; ".join(parts)


def raw_hash(article: Article) -> str:
    return article.content_hash()


def body_hash(article: Article) -> str:
    """Hash of the body with whitespace normalised: equal bodies are the same article."""
    return hashlib.sha256(" ".join(article.text.split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Present:
    """What a live collection holds, read from its store once per ingest: enough to tell, without the
    model and without copying the collection, whether an ingest would change anything."""

    hashes: dict[str, tuple[str, str]]
    """Each article's raw hash and body hash, by id."""
    origins: dict[str, str]
    """Where each article was read from, by id (for ``gone_articles``)."""
    chunks: int

    @classmethod
    def read(cls, store: Store) -> Present:
        return cls(store.hashes(), store.origins(), store.count_chunks())


def unchanged_report(
    articles: Sequence[Article], present: Present, name: str, skipped: Sequence[Skip] = ()
) -> IngestReport | None:
    """The report of an ingest with nothing to do, or None when some article is new or changed.

    Read from the live store's hashes alone, so that re-running an ingest over an unchanged
    folder neither loads the embedding model nor copies the collection.
    """
    known = present.hashes
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
        chunks_total=present.chunks,
        skipped=tuple(skipped),
    )


def gone_articles(origins: dict[str, str], articles: Sequence[Article], folders: Sequence[Path]) -> list[str]:
    """Ids (of ``origins``, id to where it was read from) read from under ``folders`` and not in ``articles``."""
    if not folders:
        return []
    roots = [folder.expanduser().resolve() for folder in folders]
    given = {article.id for article in articles}

    def under(origin: str) -> bool:
        if not origin or "://" in origin:
            return False
        where = Path(origin.rsplit(":", 1)[0] if not Path(origin).exists() else origin).expanduser().resolve()
        return any(where.is_relative_to(root) for root in roots)

    return sorted(aid for aid, origin in origins.items() if aid not in given and under(origin))
