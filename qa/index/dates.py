"""The day of every passage and sentence of a collection, for keeping a search to a stretch of time.

Built from the articles' dates on the first question that needs it (a few hundred milliseconds for
a hundred thousand passages) and kept with the collection. Days are ordinals (``date.toordinal``);
0 stands for an article whose date is unknown, which no period includes.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

from qa.index.store import Store
from qa.language.dates import article_day

UNKNOWN = 0


def _days(rows: list[tuple[int, str | None]]) -> npt.NDArray[np.int32]:
    size = max((i for i, _ in rows), default=-1) + 1
    days = np.zeros(size, dtype=np.int32)
    known: dict[str | None, int] = {}
    for item, text in rows:
        if text not in known:
            day = article_day(text)
            known[text] = day.toordinal() if day is not None else UNKNOWN
        days[item] = known[text]
    return days


class DateIndex:
    """Passage and sentence days of one collection."""

    def __init__(self, store: Store) -> None:
        chunks, sentences = store.dates()
        self.chunk_days = _days(chunks)
        self.sentence_days = _days(sentences)
        dated = self.chunk_days[self.chunk_days != UNKNOWN]
        self.first = date.fromordinal(int(dated.min())) if len(dated) else None
        self.last = date.fromordinal(int(dated.max())) if len(dated) else None
        """The oldest and newest article days (None when no article has a known date)."""

    def chunk_ids(self, start: date, end: date) -> npt.NDArray[np.int64]:
        """Ids of the passages of articles dated from ``start`` to ``end`` (both included)."""
        return _between(self.chunk_days, start, end)

    def sentence_ids(self, start: date, end: date) -> npt.NDArray[np.int64]:
        return _between(self.sentence_days, start, end)

    def in_range(self, ids: npt.NDArray[np.int64], start: date, end: date) -> npt.NDArray[np.bool_]:
        """For each passage id: whether its article is dated from ``start`` to ``end``."""
        inside = (ids >= 0) & (ids < len(self.chunk_days))
        days = np.where(inside, self.chunk_days[np.clip(ids, 0, max(len(self.chunk_days) - 1, 0))], UNKNOWN)
        mask: npt.NDArray[np.bool_] = (days >= start.toordinal()) & (days <= end.toordinal())
        return mask


def _between(days: npt.NDArray[np.int32], start: date, end: date) -> npt.NDArray[np.int64]:
    return np.flatnonzero((days >= start.toordinal()) & (days <= end.toordinal())).astype(np.int64)
