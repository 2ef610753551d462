"""The browser app's work without the browser: answer in context, stream generated answers, ingest uploads.

``app.py`` wires these methods to Gradio; everything here runs (and is tested) without it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from qa.chat.conversation import Turn, rewrite_query
from qa.chat.formatting import answer_data
from qa.chat.generation import GenerationFailed, LLMConfig, stream_answer
from qa.chat.render import error_html, render_answer
from qa.engine import SAMPLE_ARTICLES, SAMPLE_COLLECTION, Engine
from qa.errors import InvalidInput, QAError
from qa.index.changes import IngestReport
from qa.index.collection import list_collections
from qa.index.ingest import Progress
from qa.index.manifest import read_manifest
from qa.settings import SearchSettings
from qa.types import Answer

logger = logging.getLogger(__name__)

T = TypeVar("T")


# Limits of one upload in the app (the CLI has none): the page is for adding articles, not archives.
MAX_UPLOAD_FILES = 500
MAX_UPLOAD_MB = 200
MAX_UPLOAD_URLS = 200


@dataclass(frozen=True)
class When:
    """The dates the page (or an API caller) set: a range, an as-of day, a timeline, or time words off.
    Dates are text as typed (``1987-03``, ``15 April 1987``), read like the CLI's ``--since``/``--until``."""

    since: str = ""
    until: str = ""
    as_of: str = ""
    timeline: bool = False
    time_words: bool = True

    def applied_to(self, search: SearchSettings) -> SearchSettings:
        """``search`` with these dates; InvalidInput naming the field that cannot be read."""
        from qa.language.dates import read_range

        try:
            since, until, as_of = read_range(self.since, self.until, self.as_of, ("From", "Until", "As of"))
        except ValueError as error:
            raise InvalidInput(str(error)) from error
        return replace(
            search,
            since=since,
            until=until,
            as_of=as_of,
            timeline=self.timeline,
            time_words=self.time_words,
        )


def timeline_frame(answer: Answer) -> Any:
    """The timeline's articles counted by week (a pandas DataFrame: ``week``, ``articles``), for the app's chart."""
    import pandas as pd

    from qa.answer.dated import answer_day

    weeks: dict[str, int] = {}
    for entry in answer.timeline:
        day = answer_day(entry)
        if day is not None:
            monday = (day - timedelta(days=day.weekday())).isoformat()
            weeks[monday] = weeks.get(monday, 0) + 1
    return pd.DataFrame({"week": sorted(weeks), "articles": [weeks[w] for w in sorted(weeks)]})


@dataclass(frozen=True)
class Reply:
    """One state of the assistant's message; the last one of a reply carries the finished turn."""

    html: str
    turn: Turn | None = None


def default_workers() -> int:
    """Answer workers for this machine: one a core (a question keeps about one core busy)."""
    return max(1, os.cpu_count() or 1)


class ChatService:
    """Questions with conversation context, uploads and collection listings over one :class:`Engine`.

    Questions are answered on a pool of ``workers`` threads at once (the app sets Gradio's concurrency
    to match); ingests run one at a time on a thread of their own. An ingest works in a copy of the
    collection and swaps it in whole, and a question in flight keeps reading the collection it
    started with, so the two never wait for each other.
    """

    def __init__(self, engine: Engine, llm: LLMConfig | None = None, workers: int | None = None) -> None:
        self.engine = engine
        self.llm = llm
        self.workers = workers or default_workers()
        self._questions = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="answer")
        self._ingests = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")

    def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self._questions.submit(fn, *args, **kwargs).result()

    def close(self) -> None:
        self._questions.shutdown(wait=False)
        self._ingests.shutdown(wait=False)

    @property
    def data_dir(self) -> Path:
        return self.engine.settings.data_dir

    def collections(self) -> list[str]:
        return list_collections(self.data_dir)

    def manifest(self, name: str) -> dict[str, Any]:
        return read_manifest(self.data_dir, name)

    def ensure_samples(self, progress: Progress | None = None) -> IngestReport | None:
        """Build the bundled sample collection when there is no collection at all."""
        if self.collections():
            return None
        return self.ingest([SAMPLE_ARTICLES], SAMPLE_COLLECTION, progress)

    def load(self, name: str) -> None:
        """Load the model and collection now, so the first question does not wait for them."""
        self._run(self.engine.searcher, name)

    def ask(self, question: str, collection: str, query: str | None = None, when: When | None = None) -> Answer:
        return self._run(self.engine.ask, question, collection, self.search(when), query=query)

    def search(self, when: When | None) -> SearchSettings:
        """The engine's search settings with the page's (or the API caller's) dates."""
        search = self.engine.settings.search
        return search if when is None else when.applied_to(search)

    def ask_data(self, question: str, collection: str, when: When | None = None) -> dict[str, Any]:
        """The answer, its passages and their citations as a JSON-ready object (the HTTP API)."""
        answer = self.ask(question, collection, when=when)
        return answer_data(answer, self._run(self.engine.reader).describe())

    def ingest(
        self,
        paths: Sequence[Path | str],
        name: str,
        progress: Progress | None = None,
        *,
        pages: str = "",
        feeds: str = "",
    ) -> IngestReport:
        """Ingest uploaded files (at most ``MAX_UPLOAD_FILES``, ``MAX_UPLOAD_MB`` in all), and the web
        pages and feeds typed into the app (one URL a line, at most ``MAX_UPLOAD_URLS``)."""
        from qa.sources.web import urls_in

        page_urls, feed_urls = urls_in(pages), urls_in(feeds)
        if len(page_urls) + len(feed_urls) > MAX_UPLOAD_URLS:
            raise InvalidInput(
                f"{len(page_urls) + len(feed_urls)} web addresses is more than the app takes at once "
                f"({MAX_UPLOAD_URLS}); use `article-qa ingest --urls FILE` for a long list"
            )
        if not paths and not page_urls and not feed_urls:
            raise InvalidInput("choose files, or type web pages or feeds (one address a line), first")
        if len(paths) > MAX_UPLOAD_FILES:
            raise InvalidInput(
                f"{len(paths)} files is more than the app takes at once ({MAX_UPLOAD_FILES}); "
                "add them in smaller groups, or use `article-qa ingest FOLDER` for a whole folder"
            )
        size = sum(Path(p).stat().st_size for p in paths if Path(p).is_file())
        if size > MAX_UPLOAD_MB * 1_000_000:
            raise InvalidInput(
                f"the files hold {size / 1e6:.0f} MB, more than the app takes at once ({MAX_UPLOAD_MB} MB); "
                "add them in smaller groups, or use `article-qa ingest FOLDER`"
            )
        return self._ingests.submit(
            self.engine.ingest_paths, [*paths, *page_urls], name, progress=progress, feeds=feed_urls
        ).result()

    def reply(
        self, question: str, collection: str, history: Sequence[Turn], when: When | None = None
    ) -> Iterator[Reply]:
        """The assistant's message for ``question``, in successive states while a generated answer streams."""
        query = rewrite_query(question, list(history))
        try:
            answer = self.ask(question, collection, query, when)
        except QAError as error:
            yield Reply(error_html(str(error)))
            return
        turn = Turn(question, query, answer.sentence)
        if self.llm is None or not answer.found:
            yield Reply(render_answer(answer), turn)
            return
        text = ""
        try:
            for piece in stream_answer(self.llm, question, query, answer.passages):
                text += piece
                yield Reply(render_answer(answer, generated=text, streaming=True))
        except GenerationFailed as error:
            logger.warning("generated answer failed: %s", error)
            note = f"The language model failed ({error}); showing the answer quoted from the articles instead."
            yield Reply(render_answer(answer, note=note), turn)
            return
        yield Reply(render_answer(answer, generated=text), turn)
