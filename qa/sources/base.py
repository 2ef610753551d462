"""The sources' interface: somewhere articles come from (files and folders, web pages, feeds).

A source gathers its articles and says what it skipped and why; it never raises for bad input.
Adding a kind of input means writing one class with ``gather`` and naming it in
``qa/sources/gather.py``'s ``sources_for``.
"""

from __future__ import annotations

from typing import Protocol

from qa.sources.text import ReadResult

FETCH_TIMEOUT = 20.0


class Source(Protocol):
    """Somewhere articles come from."""

    def gather(self) -> ReadResult:
        """Every article this source holds, and every input it skipped with the reason."""
        ...


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))
