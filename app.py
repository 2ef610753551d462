"""The browser app: chat with your articles. Wiring only; the work is in ``qa.chat.service`` and ``qa.chat.render``.

Run ``python app.py`` (or ``article-qa serve``) and open http://127.0.0.1:7860.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from qa.chat.conversation import Turn
from qa.chat.generation import llm_config
from qa.chat.render import STYLESHEET, ingest_html, problem_html, question_html, stats_html, timeline_html
from qa.chat.service import MAX_UPLOAD_MB, ChatService, When, default_workers, timeline_frame
from qa.chat.serving import add_app_options, exposure_warnings, local_url, share_cores
from qa.engine import SAMPLE_COLLECTION, Engine
from qa.errors import InvalidInput, QAError
from qa.settings import SearchSettings, Settings, default_data_dir, model_choices
from qa.sources.files import SUPPORTED_SUFFIXES
from qa.terminal import configure_logging, terminal_progress

EXAMPLES = [
    "What did NATO propose to Russia?",
    "How many runs did Priya Nandakumar score in the final?",
    "Where did the Tern-2 lander touch down?",
]
INTRO = (
    "<header class='aqa-header'><h1>article-qa</h1><p>Ask questions of your news articles: the answer is quoted "
    "from them, highlighted in its passage and cited — or <em>not found</em> when they do not say.</p></header>"
)
# Gradio scopes css_paths to the app's content; the page's own margins need a plain style in <head>.
PAGE_HEAD = "<style>@media (max-width: 720px) { .gradio-container .main.app { padding: 8px 6px; } }</style>"
Messages = list[dict[str, Any]]
# The reader's own interface font: nothing to download, and plain enough for long passages.
FONT = ("-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "Liberation Sans", "Noto Sans", "sans-serif")


HEALTH_PATH = "/healthz"
T = TypeVar("T")


def http_only(fn: T) -> T:
    """Keep an API endpoint off the MCP tool list (it stays in the HTTP API, documented).

    Gradio offers every API endpoint as an MCP tool unless its function is marked as another MCP kind
    (``gr.mcp.resource`` and ``gr.mcp.prompt`` mark it so); ``/ask`` returns a dict for HTTP clients,
    and assistants get the ``ask`` tool, which returns the same as JSON text.
    """
    fn._mcp_type = "http"  # type: ignore[attr-defined]
    return fn


class Health:
    """``GET /healthz`` for a proxy or a supervisor: 503 while the models and the first collection load,
    then 200 with the loaded collections, the answer model and its version, and the workers."""

    def __init__(self, service: ChatService) -> None:
        self.service = service
        self.ready = False

    async def endpoint(self, request: Request) -> JSONResponse:
        engine = self.service.engine
        body = {
            "status": "ready" if self.ready else "loading",
            "collections": engine.loaded_collections(),
            "answer_model": engine.reader().describe() if self.ready else None,
            "workers": self.service.workers,
        }
        return JSONResponse(body, status_code=200 if self.ready else 503)


def build(service: ChatService, selected: str) -> gr.Blocks:
    """The page: article sets in a sidebar, the chat in the main area, and the ``/ask`` API."""

    def stats(name: str | None) -> str:
        try:
            return stats_html(service.manifest(name)) if name else ""
        except QAError as error:
            return problem_html(str(error))

    def submit(question: str, messages: Messages) -> tuple[str, Messages, str]:
        question = question.strip()
        if not question:
            return "", messages, ""
        return "", [*messages, {"role": "user", "content": question_html(question)}], question

    def respond(
        question: str,
        collection: str,
        messages: Messages,
        turns: list[Turn],
        since: str,
        until: str,
        as_of: str,
        time_words: bool,
    ) -> Iterator[Any]:
        if not question:
            yield messages, turns
            return
        when = When(since or "", until or "", as_of or "", time_words=bool(time_words))
        for reply in service.reply(question, collection, turns, when):
            shown = [*messages, {"role": "assistant", "content": reply.html}]
            yield shown, [*turns, reply.turn] if reply.turn else turns

    def add_articles(
        paths: list[str] | None,
        pages: str,
        feeds: str,
        name: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        name = (name or "").strip()
        if not paths and not (pages or "").strip() and not (feeds or "").strip():
            message = problem_html("Choose files, or type web pages or feeds, first.")
            return gr.skip(), gr.skip(), message, gr.skip(), gr.skip(), gr.skip()
        progress(0, desc="Reading files and fetching pages")
        try:
            report = service.ingest(
                paths or [],
                name,
                lambda done, total: progress((done, total), desc="Embedding"),
                pages=pages or "",
                feeds=feeds or "",
            )
        except QAError as error:
            return gr.skip(), gr.skip(), problem_html(str(error)), None, gr.skip(), gr.skip()
        picker_update = gr.Dropdown(choices=service.collections(), value=name)
        return picker_update, stats(name), ingest_html(report), None, "", ""

    def lay_out(question: str, collection: str, since: str, until: str, as_of: str) -> tuple[str, Any]:
        question = (question or "").strip()
        if not question:
            return problem_html("Type what the story is about first, e.g. “Japan money supply”."), None
        try:
            answer = service.ask(question, collection, when=When(since or "", until or "", as_of or "", timeline=True))
        except QAError as error:
            return problem_html(str(error)), None
        return timeline_html(answer), timeline_frame(answer)

    def ask_data(
        question: str,
        collection: str = selected,
        since: str = "",
        until: str = "",
        as_of: str = "",
        timeline: bool = False,
    ) -> dict[str, Any]:
        """The answer as data, for HTTP clients (``/ask``); ``ask`` below is the same as JSON text."""
        try:
            return service.ask_data(question, collection, When(since, until, as_of, timeline=timeline))
        except QAError as error:
            raise gr.Error(str(error)) from error

    def ask(
        question: str,
        collection: str = selected,
        since: str = "",
        until: str = "",
        as_of: str = "",
        timeline: bool = False,
    ) -> str:
        """Answer a question from a set of news articles, quoting the sentence of an article that answers it.

        Time words in the question ("in March 1987", "last week", "the latest") are read against the
        newest article (or as_of) and keep the search to that period.

        Args:
            question: the question, in plain words (e.g. "What did NATO propose to Russia?")
            collection: the article set to ask; the app's picker lists them
            since: only articles dated from this day (YYYY-MM-DD, YYYY-MM or YYYY); empty for no limit
            until: only articles dated up to this day; empty for no limit
            as_of: the day "last week", "now" and "the latest" are read against; empty for the newest article
            timeline: also lay out the story: each article's answering sentence, oldest first

        Returns:
            a JSON object (the same as `article-qa ask --json`): found (false when the articles do not
            say), answer (the quoted sentence), confidence, passages (each with its article's title,
            source, date and URL), date_range (the period the question was read as asking about),
            as_of, earlier, nearest, timeline and conflicts
        """
        return json.dumps(ask_data(question, collection, since, until, as_of, timeline), ensure_ascii=False)

    with gr.Blocks(title="article-qa") as demo:
        turns = gr.State([])
        pending = gr.State("")
        gr.HTML(INTRO)
        with gr.Row(elem_id="aqa-layout"):
            with gr.Column(scale=1, min_width=270, elem_id="aqa-side"):
                picker = gr.Dropdown(service.collections(), value=selected, label="Article set", interactive=True)
                info = gr.HTML(stats(selected), elem_id="aqa-stats")
                with gr.Accordion("Add articles", open=True, elem_id="aqa-upload"):
                    files = gr.File(
                        file_count="multiple",
                        file_types=sorted(SUPPORTED_SUFFIXES),
                        label=".txt .md .html .jsonl .json .csv",
                        height=150,
                        elem_id="aqa-files",
                    )
                    pages = gr.Textbox(
                        label="Web pages",
                        placeholder="https://… one address a line",
                        lines=2,
                        max_lines=8,
                        elem_id="aqa-pages",
                    )
                    feeds = gr.Textbox(
                        label="Feeds (RSS or Atom)",
                        placeholder="new items only, on each add",
                        lines=1,
                        max_lines=4,
                        elem_id="aqa-feeds",
                    )
                    target = gr.Textbox(
                        value=selected,
                        label="Into article set",
                        info="an existing name or a new one",
                        elem_id="aqa-target",
                    )
                    add = gr.Button("Add articles", elem_id="aqa-add")
                    report = gr.HTML(elem_id="aqa-report")
                with gr.Accordion("Dates", open=False, elem_id="aqa-dates"):
                    since = gr.Textbox(label="From", placeholder="YYYY-MM-DD, YYYY-MM or YYYY", elem_id="aqa-since")
                    until = gr.Textbox(label="Until", placeholder="YYYY-MM-DD, YYYY-MM or YYYY", elem_id="aqa-until")
                    as_of = gr.Textbox(
                        label="As of",
                        placeholder="the newest article",
                        info="the day “last week” and “the latest” are read against",
                        elem_id="aqa-as-of",
                    )
                    time_words = gr.Checkbox(
                        value=True,
                        label="Read dates in questions",
                        info="“in March”, “last week”, “the latest”",
                        elem_id="aqa-time-words",
                    )
            with gr.Column(scale=3, min_width=340, elem_id="aqa-main"), gr.Tabs():
                with gr.Tab("Chat", elem_id="aqa-chat-tab"):
                    chatbot = gr.Chatbot(
                        elem_id="aqa-chat",
                        show_label=False,
                        height="64vh",
                        # Messages are HTML built from escaped text: no Markdown or LaTeX pass may rewrite them.
                        render_markdown=False,
                        sanitize_html=True,
                        latex_delimiters=[],
                        allow_tags=False,
                        buttons=["copy"],
                        feedback_options=None,
                        placeholder="Ask a question about the articles in this set.",
                    )
                    with gr.Row(equal_height=True, elem_id="aqa-ask-row"):
                        question = gr.Textbox(
                            placeholder="Ask a question, or a follow-up like “Who said that?”",
                            show_label=False,
                            scale=6,
                            min_width=200,
                            elem_id="aqa-question",
                            autofocus=True,
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="aqa-ask")
                        new = gr.Button("New chat", scale=1, min_width=90, elem_id="aqa-new")
                    gr.Examples(EXAMPLES, inputs=question, label="Try on the sample articles")
                with gr.Tab("Timeline", elem_id="aqa-timeline-tab"):
                    with gr.Row(equal_height=True):
                        story = gr.Textbox(
                            placeholder="What story? e.g. “Japan money supply”, or “how did the trade dispute develop”",
                            show_label=False,
                            scale=6,
                            min_width=200,
                            elem_id="aqa-story",
                        )
                        lay = gr.Button("Lay out", variant="primary", scale=1, min_width=90, elem_id="aqa-lay-out")
                    chart = gr.BarPlot(
                        x="week",
                        y="articles",
                        title="The story's articles by week",
                        height=220,
                        y_lim=[0, None],
                        elem_id="aqa-chart",
                        show_label=False,
                    )
                    story_html = gr.HTML(elem_id="aqa-story-html")

        for trigger in (question.submit, send.click):
            trigger(
                submit, [question, chatbot], [question, chatbot, pending], queue=False, api_visibility="private"
            ).then(
                respond,
                [pending, picker, chatbot, turns, since, until, as_of, time_words],
                [chatbot, turns],
                api_visibility="private",
                concurrency_limit=service.workers,
                concurrency_id="answers",
            )
        for trigger in (story.submit, lay.click):
            trigger(
                lay_out,
                [story, picker, since, until, as_of],
                [story_html, chart],
                api_visibility="private",
                concurrency_limit=service.workers,
                concurrency_id="answers",
            )
        new.click(lambda: ([], [], ""), None, [chatbot, turns, question], queue=False, api_visibility="private")
        chatbot.clear(lambda: [], None, turns, queue=False, api_visibility="private")
        picker.change(lambda name: (stats(name), name), picker, [info, target], api_visibility="private")
        add.click(
            add_articles,
            [files, pages, feeds, target],
            [picker, info, report, files, pages, feeds],
            api_visibility="private",
        )
        # HTTP clients get the answer as data on /ask; assistants (MCP) get the tool "ask", the same as JSON.
        # Off Gradio's queue: a call is one HTTP request, answered on the service's pool of workers
        # (the queue's extra round trips cost more than a question, measured with benchmarks/load.py).
        for fn, name in ((http_only(ask_data), "ask"), (ask, "ask_json")):
            gr.api(fn, api_name=name, queue=False)
    return demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="article-qa in the browser: chat with your news articles.")
    add_app_options(parser)
    parser.add_argument(
        "--data-dir", help="where collections live (default: $ARTICLE_QA_HOME or ~/.local/share/article-qa)"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    args = parser.parse_args(argv)
    configure_logging(args.debug)
    if args.mcp and importlib.util.find_spec("mcp") is None:
        print("error: --mcp needs the MCP extra: pip install -e '.[mcp]'", file=sys.stderr)
        return 2
    try:
        llm = llm_config(args.llm_base_url, args.llm_model, args.llm_api_key, os.environ)
        data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
        search = SearchSettings(**model_choices(args.reader_model, args.reranker, os.environ))
        if args.workers is not None and args.workers < 1:
            raise InvalidInput(f"--workers {args.workers}: give 1 or more")
        workers = args.workers or default_workers()
        # Each question's model runs get their share of the cores, so questions run side by side.
        threads = max(1, (os.cpu_count() or 1) // workers)
        share_cores(threads)
        settings = Settings(data_dir=data_dir, search=search, question_threads=threads)
        service = ChatService(Engine(settings), llm, workers=workers)
        built = service.ensure_samples(terminal_progress(f"building the sample collection in {data_dir}"))
        if built is not None:
            print(built.summary(), file=sys.stderr)
        names = service.collections()
        selected = args.collection or (SAMPLE_COLLECTION if SAMPLE_COLLECTION in names else names[0])
    except QAError as error:
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2
    if llm is not None:
        print(f"generated answers: {llm.model} at {llm.base_url}", file=sys.stderr)
    for warning in exposure_warnings(args.host, args.share):
        print(f"warning: {warning}", file=sys.stderr)
    if args.mcp:
        print(f"MCP tool 'ask' at {local_url(args.host, args.port)}/gradio_api/mcp/", file=sys.stderr)
    health = Health(service)
    demo = build(service, selected)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        theme=gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=FONT),
        css_paths=[STYLESHEET],
        head=PAGE_HEAD,
        max_file_size=f"{MAX_UPLOAD_MB}mb",
        mcp_server=args.mcp,
        app_kwargs={"routes": [Route(HEALTH_PATH, health.endpoint)]},
        prevent_thread_lock=True,
    )
    print(f"loading the model and collection '{selected}' ({HEALTH_PATH} says 503 until done) ...", file=sys.stderr)
    try:
        service.engine.prepare_answer_model()
        # A --reader-model or --reranker that cannot load says so now, not at the first question.
        service.engine.reader()
        service.engine.scorer()
        service.load(selected)
    except QAError as error:
        demo.close()
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2
    health.ready = True
    print(f"ready: {service.workers} questions answered at once", file=sys.stderr)
    demo.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())
