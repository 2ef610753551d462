"""The SQLite database of a collection: articles (raw and cleaned) and their chunks."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.index.manifest import damaged
from qa.language.dates import article_day
from qa.types import Article, Chunk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    raw_title TEXT NOT NULL,
    raw_text TEXT NOT NULL,
    raw_hash TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    paragraph_keys TEXT NOT NULL,
    date TEXT, url TEXT, source TEXT, origin TEXT
);
CREATE INDEX IF NOT EXISTS articles_body_hash ON articles(body_hash);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles(id),
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS sentences (
    id INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles(id),
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_article ON sentences(article_id, start);
"""


@dataclass(frozen=True)
class StoredArticle:
    """An article as stored: the raw version (to re-clean later) and the cleaned one (indexed)."""

    raw: Article
    clean: Article
    raw_hash: str
    body_hash: str
    paragraph_keys: frozenset[str]


class _Shared:
    """One SQLite connection that several threads may use: each statement runs whole under a lock and
    its rows are read at once (the questions of a collection are answered on a pool of threads).

    One connection, opened when the collection is, keeps reading the file it opened: after an ingest
    swaps in a new folder, a question still in flight on the old collection reads the old rows.
    """

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name
        self._lock = threading.Lock()
        with self._damage():
            self._connection = sqlite3.connect(str(path), check_same_thread=False)

    @contextmanager
    def _damage(self) -> Iterator[None]:
        """Any error of the database file itself (malformed pages, a schema hit so that a column is
        gone, not a database at all) as the collection's one-line damage message, here for every
        statement. A constraint broken or the file busy is not damage, and is raised as it is."""
        try:
            yield
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError):
            raise
        except sqlite3.OperationalError as error:
            if any(word in str(error) for word in ("locked", "busy", "readonly", "disk I/O")):
                raise
            raise damaged(self.name, self.path, error) from error
        except sqlite3.DatabaseError as error:
            raise damaged(self.name, self.path, error) from error

    def execute(self, sql: str, parameters: Iterable[Any] = ()) -> _Rows:
        with self._lock, self._damage():
            return _Rows(self._connection.execute(sql, tuple(parameters)).fetchall())

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._lock, self._damage():
            self._connection.executemany(sql, rows)

    def executescript(self, script: str) -> None:
        with self._lock, self._damage():
            self._connection.executescript(script)

    def commit(self) -> None:
        with self._lock, self._damage():
            self._connection.commit()

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def _layout(execute: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's columns (name, type, not null, key) and indexes, as SQLite reports them."""
    tables = [row[0] for row in execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    layout: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables:
        columns = [(r[1], r[2], r[3], r[5]) for r in execute(f"PRAGMA table_info({table})")]
        indexes = sorted(
            ("index", r[1]) for r in execute(f"PRAGMA index_list({table})") if not r[1].startswith("sqlite_")
        )
        layout[table] = columns + indexes
    return layout


class _Rows(list[Any]):
    """A statement's rows, read in full, with the cursor methods the store uses."""

    def fetchone(self) -> Any:
        return self[0] if self else None

    def fetchall(self) -> list[Any]:
        return list(self)


class Store:
    """Articles and chunks of one collection; chunk text is sliced from the cleaned article."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = path
        self._db = _Shared(path, name or path.parent.name)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def commit(self) -> None:
        self._db.commit()

    def integrity_problems(self) -> list[str]:
        """SQLite's full ``integrity_check`` (reads every page): empty when the database is sound."""
        rows = [str(row[0]) for row in self._db.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows

    def schema_problems(self) -> list[str]:
        """How the database's tables, columns and indexes differ from what this version writes."""
        expected = sqlite3.connect(":memory:")
        try:
            expected.executescript(_SCHEMA)
            want = _layout(expected.execute)
        finally:
            expected.close()
        have = _layout(self._db.execute)
        problems = [f"table {t} is missing" for t in sorted(set(want) - set(have))]
        problems += [
            f"table {t} has columns {have[t]}, this version writes {want[t]}"
            for t in sorted(set(want) & set(have))
            if have[t] != want[t]
        ]
        return problems

    def row_problems(self) -> list[str]:
        """Every row of every table read, and every passage's and sentence's offsets inside its article."""
        for table in ("articles", "chunks", "sentences"):
            self._db.execute(f"SELECT * FROM {table}")  # reads every row: damage raises CollectionCorrupt
        problems = []
        for table in ("chunks", "sentences"):
            outside = self._db.execute(
                f"SELECT COUNT(*) FROM {table} t LEFT JOIN articles a ON a.id = t.article_id"
                " WHERE a.id IS NULL OR t.start < 0 OR t.end <= t.start OR t.end > length(a.text)"
            ).fetchone()[0]
            if outside:
                problems.append(f"{outside} {table} lie outside their article's text or have no article")
        return problems

    def count_articles(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def date_span(self) -> dict[str, str | int | None]:
        """The oldest and newest article days (ISO) and how many articles have no readable date."""
        days, unknown = [], 0
        for text, count in self._db.execute("SELECT date, COUNT(*) FROM articles GROUP BY date"):
            day = article_day(text)
            if day is None:
                unknown += int(count)
            else:
                days.append(day)
        return {
            "first": min(days).isoformat() if days else None,
            "last": max(days).isoformat() if days else None,
            "undated": unknown,
        }

    def count_chunks(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def count_sentences(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM sentences").fetchone()[0])

    def next_chunk_id(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(id), -1) + 1 FROM chunks").fetchone()[0])

    def next_sentence_id(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(id), -1) + 1 FROM sentences").fetchone()[0])

    def hashes(self) -> dict[str, tuple[str, str]]:
        """Each article's raw hash and body hash, by id: enough to tell whether an ingest has anything new."""
        rows = self._db.execute("SELECT id, raw_hash, body_hash FROM articles")
        return {row[0]: (row[1], row[2]) for row in rows}

    def origins(self) -> dict[str, str]:
        """Where each article was read from (a file, a file and line, a URL), by id."""
        return {row[0]: row[1] or "" for row in self._db.execute("SELECT id, origin FROM articles")}

    def articles(self) -> Iterator[StoredArticle]:
        rows = self._db.execute(
            "SELECT id, title, text, raw_title, raw_text, raw_hash, body_hash, paragraph_keys,"
            " date, url, source, origin FROM articles ORDER BY id"
        )
        for row in rows:
            meta = {"date": row[8], "url": row[9], "source": row[10], "origin": row[11] or ""}
            yield StoredArticle(
                raw=Article(row[0], row[3], row[4], **meta),
                clean=Article(row[0], row[1], row[2], **meta),
                raw_hash=row[5],
                body_hash=row[6],
                paragraph_keys=frozenset(json.loads(row[7])),
            )

    def article(self, article_id: str) -> Article | None:
        row = self._db.execute(
            "SELECT id, title, text, date, url, source, origin FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return None if row is None else Article(row[0], row[1], row[2], row[3], row[4], row[5], row[6] or "")

    def put_article(self, stored: StoredArticle) -> None:
        """Insert or replace an article (its old chunks must be deleted first)."""
        raw, clean = stored.raw, stored.clean
        self._db.execute(
            "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                clean.id,
                clean.title,
                clean.text,
                raw.title,
                raw.text,
                stored.raw_hash,
                stored.body_hash,
                json.dumps(sorted(stored.paragraph_keys)),
                clean.date,
                clean.url,
                clean.source,
                clean.origin,
            ),
        )

    def delete_chunks_of(self, article_id: str) -> list[int]:
        """Delete an article's chunks; returns their ids (to drop from the indexes)."""
        ids = [int(r[0]) for r in self._db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]
        self._db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        return ids

    def delete_sentences_of(self, article_id: str) -> list[int]:
        """Delete an article's sentences; returns their ids (to drop from the sentence index)."""
        ids = [int(r[0]) for r in self._db.execute("SELECT id FROM sentences WHERE article_id = ?", (article_id,))]
        self._db.execute("DELETE FROM sentences WHERE article_id = ?", (article_id,))
        return ids

    def delete_article(self, article_id: str) -> tuple[list[int], list[int]]:
        """Delete an article with its chunks and sentences; returns the chunk and sentence ids."""
        chunks, sentences = self.delete_chunks_of(article_id), self.delete_sentences_of(article_id)
        self._db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return chunks, sentences

    def owners(self, table: str) -> dict[int, str]:
        """Article id of every row of ``chunks`` or ``sentences``, by row id."""
        if table not in ("chunks", "sentences"):
            raise ValueError(f"no table {table!r}")
        return {int(i): str(a) for i, a in self._db.execute(f"SELECT id, article_id FROM {table}")}

    def add_sentences(self, rows: Iterable[tuple[int, str, int, int]]) -> None:
        """Add ``(sentence id, article id, start, end)`` rows."""
        self._db.executemany("INSERT INTO sentences VALUES (?, ?, ?, ?)", rows)

    def sentences_in(self, article_id: str, start: int, end: int) -> list[tuple[int, int, int]]:
        """``(sentence id, start, end)`` of the article's sentences lying within ``[start, end)``."""
        rows = self._db.execute(
            "SELECT id, start, end FROM sentences WHERE article_id = ? AND start >= ? AND end <= ? ORDER BY start",
            (article_id, start, end),
        )
        return [(int(a), int(b), int(c)) for a, b, c in rows]

    def dates(self) -> tuple[list[tuple[int, str | None]], list[tuple[int, str | None]]]:
        """Every chunk's and every sentence's id with its article's date as stored, for filtering by date."""
        chunks = self._db.execute("SELECT c.id, a.date FROM chunks c JOIN articles a ON a.id = c.article_id").fetchall()
        sentences = self._db.execute(
            "SELECT s.id, a.date FROM sentences s JOIN articles a ON a.id = s.article_id"
        ).fetchall()
        return chunks, sentences

    def chunks_of_sentences(self, sentence_ids: list[int]) -> list[tuple[int, int]]:
        """``(sentence id, chunk id)`` for every chunk that contains one of the sentences."""
        if not sentence_ids:
            return []
        marks = ",".join("?" * len(sentence_ids))
        rows = self._db.execute(
            "SELECT s.id, c.id FROM sentences s JOIN chunks c ON c.article_id = s.article_id"
            f" AND c.start <= s.start AND s.end <= c.end WHERE s.id IN ({marks})",
            sentence_ids,
        )
        return [(int(a), int(b)) for a, b in rows]

    def add_chunks(self, rows: Iterable[tuple[int, str, int, int]]) -> None:
        """Add ``(chunk id, article id, start, end)`` rows."""
        self._db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?)", rows)

    def chunks(self, ids: list[int] | None = None) -> list[Chunk]:
        """Chunks by id in the order given (all chunks by id when ``ids`` is None)."""
        sql = (
            "SELECT c.id, c.article_id, a.title, substr(a.text, c.start + 1, c.end - c.start), c.start, c.end,"
            " a.date, a.url, a.source FROM chunks c JOIN articles a ON a.id = c.article_id"
        )
        if ids is None:
            rows = self._db.execute(sql + " ORDER BY c.id").fetchall()
            return [Chunk(*row) for row in rows]
        found: dict[int, Chunk] = {}
        for batch_start in range(0, len(ids), 500):
            batch = ids[batch_start : batch_start + 500]
            marks = ",".join("?" * len(batch))
            for row in self._db.execute(f"{sql} WHERE c.id IN ({marks})", batch):
                found[int(row[0])] = Chunk(*row)
        return [found[i] for i in ids if i in found]
