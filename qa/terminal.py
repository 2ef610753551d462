"""Terminal output of the CLI and the app's start-up: logging set-up and progress bars."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any


def terminal_progress(description: str, unit: str = " passages") -> Callable[[int, int], None]:
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


def configure_logging(debug: bool) -> None:
    """Warnings (or everything, with ``debug``) to stderr as ``LEVEL logger: message``."""
    level = logging.DEBUG if debug else logging.WARNING
    # The level goes on the handler too: bm25s sets its own logger to DEBUG when imported (after this
    # runs), and a logger's own level, not the root's, decides what reaches the root's handlers.
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
