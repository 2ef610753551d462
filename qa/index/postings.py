"""One BM25 segment as a plain NumPy file: for each term, the passages it occurs in and how often.

Also how text becomes terms (lower case, words of two letters or more, bm25s's English stopwords
dropped, Snowball stems), which the index and the answer readers share.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt
import Stemmer

TOKEN = re.compile(r"(?u)\b\w\w+\b")
STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN)
STEMMER = Stemmer.Stemmer("english")


def content_stems(text: str) -> list[str]:
    """Stemmed content words of a text, stopwords dropped, in order: what BM25 counts."""
    return list(STEMMER.stemWords([w for w in TOKEN.findall(text.casefold()) if w not in STOPWORDS]))


@dataclass(frozen=True)
class Postings:
    """One BM25 segment: for each term (a column), the rows (passages) it occurs in and how often."""

    ids: npt.NDArray[np.int64]
    """The chunk id of each row."""
    lengths: npt.NDArray[np.float32]
    """Content words in each row."""
    terms: list[str]
    indptr: npt.NDArray[np.int64]
    """Term ``c``'s entries are ``rows[indptr[c]:indptr[c + 1]]`` and ``counts[...]`` alike."""
    rows: npt.NDArray[np.int32]
    counts: npt.NDArray[np.float32]

    @classmethod
    def from_texts(cls, ids: Sequence[int], texts: Sequence[str]) -> Postings:
        vocabulary: dict[str, int] = {}
        columns: list[npt.NDArray[np.int32]] = []
        lengths = np.zeros(len(texts), dtype=np.float32)
        for row, text in enumerate(texts):
            stems = content_stems(text)
            lengths[row] = len(stems)
            found = (vocabulary.setdefault(stem, len(vocabulary)) for stem in stems)
            columns.append(np.fromiter(found, dtype=np.int32, count=len(stems)))
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths.astype(np.int64))
        column = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int32)
        return cls._from_pairs(np.asarray(ids, dtype=np.int64), lengths, list(vocabulary), column, rows)

    @classmethod
    def _from_pairs(
        cls,
        ids: npt.NDArray[np.int64],
        lengths: npt.NDArray[np.float32],
        terms: list[str],
        columns: npt.NDArray[Any],
        rows: npt.NDArray[Any],
        counts: npt.NDArray[Any] | None = None,
    ) -> Postings:
        """From (column, row) pairs, one per occurrence, or with ``counts`` one per distinct pair."""
        key = columns.astype(np.int64) * max(len(ids), 1) + rows.astype(np.int64)
        if counts is None:
            key, tally = np.unique(key, return_counts=True)
        else:
            order = np.argsort(key, kind="stable")
            key, tally = key[order], counts[order]
        column_of = key // max(len(ids), 1)
        indptr = np.searchsorted(column_of, np.arange(len(terms) + 1)).astype(np.int64)
        return cls(
            ids,
            lengths,
            terms,
            indptr,
            (key % max(len(ids), 1)).astype(np.int32),
            np.asarray(tally, dtype=np.float32),
        )

    @classmethod
    def merge(cls, parts: Sequence[Postings], live: Sequence[npt.NDArray[np.bool_]]) -> Postings:
        """One segment holding the live rows of ``parts``, in order (no text is read again)."""
        vocabulary: dict[str, int] = {}
        ids, lengths, columns, rows, counts = [], [], [], [], []
        offset = 0
        for part, alive in zip(parts, live, strict=True):
            renumber = np.where(alive, np.cumsum(alive) - 1 + offset, -1)
            to_global = np.asarray([vocabulary.setdefault(t, len(vocabulary)) for t in part.terms], dtype=np.int64)
            column = np.repeat(np.arange(len(part.terms)), np.diff(part.indptr))
            row = renumber[part.rows]
            keep = row >= 0
            columns.append(to_global[column[keep]] if len(to_global) else column[keep])
            rows.append(row[keep])
            counts.append(part.counts[keep])
            ids.append(part.ids[alive])
            lengths.append(part.lengths[alive])
            offset += int(alive.sum())
        return cls._from_pairs(
            np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64),
            np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.float32),
            list(vocabulary),
            np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64),
            np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64),
            np.concatenate(counts) if counts else np.zeros(0, dtype=np.float32),
        )

    def save(self, path: Path) -> None:
        """One ``.npz`` of plain arrays (terms as newline-joined UTF-8), written whole or not at all."""
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as handle:
            np.savez(
                handle,
                ids=self.ids,
                lengths=self.lengths,
                terms=np.frombuffer("\n".join(self.terms).encode("utf-8"), dtype=np.uint8),
                indptr=self.indptr,
                rows=self.rows,
                counts=self.counts,
            )
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> Postings:
        if not path.is_file():
            raise FileNotFoundError(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                text = data["terms"].tobytes().decode("utf-8")
                postings = cls(
                    data["ids"].astype(np.int64, copy=False),
                    data["lengths"].astype(np.float32, copy=False),
                    text.split("\n") if text else [],
                    data["indptr"].astype(np.int64, copy=False),
                    data["rows"].astype(np.int32, copy=False),
                    data["counts"].astype(np.float32, copy=False),
                )
        except (OSError, KeyError, ValueError, EOFError, UnicodeDecodeError, zipfile.BadZipFile) as error:
            raise ValueError(f"not a readable BM25 segment ({type(error).__name__}: {error})") from error
        if len(postings.indptr) != len(postings.terms) + 1 or len(postings.rows) != int(postings.indptr[-1]):
            raise ValueError("not a readable BM25 segment: its arrays disagree")
        return postings
