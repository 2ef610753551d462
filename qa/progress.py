"""A terminal progress bar for work a person waits for (ingest before the browser is up, the CLI)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def terminal_progress(description: str, unit: str = "text") -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback drawing a tqdm bar on stderr, created on its first call."""
    from tqdm import tqdm

    bars: list[Any] = []  # created on the first call, so nothing shows when there is nothing to do

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc=description, unit=unit, file=sys.stderr))
        bar = bars[0]
        bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update
