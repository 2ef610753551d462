"""The ``article-qa`` command: ingest, ask, collections, remove, check, eval, calibrate, demo, serve."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from qa.chat.serving import add_app_options
from qa.errors import InvalidInput, QAError
from qa.settings import ChunkSettings, SearchSettings, Settings, default_data_dir, model_choices
from qa.terminal import configure_logging, terminal_progress

logger = logging.getLogger("qa")


def _settings(args: argparse.Namespace) -> Settings:
    search = SearchSettings()
    overrides: dict[str, Any] = {}
    for field in ("k", "retriever", "reader", "min_score", "dense_weight", "sentence_weight"):
        value = getattr(args, field, None)
        if value is not None:
            overrides[field] = value
    if hasattr(args, "reranker"):  # the commands that answer questions
        models = model_choices(getattr(args, "reader_model", None), args.reranker, os.environ)
        if "reader_model" in models and overrides.get("reader", "passage") != "passage":
            raise InvalidInput(
                f"--reader {overrides['reader']} cannot read with --reader-model {models['reader_model']} "
                "(an extractive QA checkpoint is read by the passage reader): leave out --reader, or --reader-model"
            )
        overrides |= models
    overrides |= _time_settings(args)
    if overrides:
        search = SearchSettings(**{**search.__dict__, **overrides})
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    model = getattr(args, "model", None)
    extra: dict[str, Any] = {"model": model} if model else {}
    if getattr(args, "device", None):
        extra["device"] = args.device
    return Settings(data_dir=data_dir, search=search, **extra)


def _time_settings(args: argparse.Namespace) -> dict[str, Any]:
    """``--since``, ``--until``, ``--as-of`` (read as days; a month or year means its first or last day),
    ``--timeline`` and ``--no-time-words``, for the commands that have them."""
    from qa.language.dates import read_range

    try:
        days = read_range(getattr(args, "since", None), getattr(args, "until", None), getattr(args, "as_of", None))
    except ValueError as error:
        raise InvalidInput(str(error)) from error
    found: dict[str, Any] = {k: v for k, v in zip(("since", "until", "as_of"), days, strict=True) if v is not None}
    if getattr(args, "timeline", False):
        found["timeline"] = True
    if getattr(args, "no_time_words", False):
        found["time_words"] = False
    return found


def _chunking(args: argparse.Namespace) -> ChunkSettings | None:
    if args.chunk_tokens is None and args.chunk_overlap is None:
        return None
    defaults = ChunkSettings()
    return ChunkSettings(
        chunk_tokens=args.chunk_tokens if args.chunk_tokens is not None else defaults.chunk_tokens,
        chunk_overlap=args.chunk_overlap if args.chunk_overlap is not None else defaults.chunk_overlap,
    )


def cmd_ingest(args: argparse.Namespace) -> int:
    from qa.engine import Engine
    from qa.sources.web import urls_in

    paths = list(args.paths)
    if args.urls:
        try:
            paths += urls_in(Path(args.urls).expanduser().read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInput(f"cannot read the list of URLs {args.urls}: {error}") from error
    if not paths and not args.feed:
        raise InvalidInput("nothing to ingest: give files, folders or URLs, --urls FILE or --feed URL")
    engine = Engine(_settings(args))
    report = engine.ingest_paths(
        paths,
        args.collection,
        model=args.model,
        chunking=_chunking(args),
        replace=args.replace,
        progress=terminal_progress("embedding"),
        ray=args.ray or os.environ.get("RAY_ADDRESS") or None,
        fetch_timeout=args.fetch_timeout,
        feeds=args.feed or [],
        sync=args.sync,
    )
    for skip in report.skipped:
        print(f"warning: skipped {skip}", file=sys.stderr)
    print(report.summary())
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.chat.formatting import answer_data, answer_text
    from qa.engine import Engine

    engine = Engine(_settings(args))
    answer = engine.ask(args.question, args.collection)
    data = answer_data(answer, engine.reader().describe()) if args.json else None
    print(json.dumps(data, indent=2, ensure_ascii=False) if data is not None else answer_text(answer))
    return 0


def cmd_collections(args: argparse.Namespace) -> int:
    from qa.index.collection import list_collections, open_store
    from qa.index.manifest import read_manifest

    settings = _settings(args)
    names = list_collections(settings.data_dir)
    manifests: list[dict[str, Any]] = []
    for name in names:
        try:
            manifest = {**read_manifest(settings.data_dir, name), "name": name}  # the folder's name
            if "dates" not in manifest:  # built before dates were counted: read them from the store
                store = open_store(settings.data_dir, name)
                try:
                    manifest["dates"] = store.date_span()
                finally:
                    store.close()
            manifests.append(manifest)
        except QAError as error:  # one damaged collection must not hide the others
            manifests.append({"name": name, "error": str(error)})
    if args.json:
        print(json.dumps(manifests, indent=2))
        return 0
    if not names:
        print(f"no collections in {settings.data_dir}; create one with `article-qa ingest PATH --collection NAME`")
        return 0
    print(f"{'name':<24} {'articles':>8} {'chunks':>8}  {'model':<24} {'built at':<25}  dated")
    for m in manifests:
        if "error" in m:
            print(f"{m['name']:<24} {'damaged':>8}  {m['error']}")
            continue
        c, dated = m["counts"], date_span(m)
        print(f"{m['name']:<24} {c['articles']:>8} {c['chunks']:>8}  {m['model']:<24} {m['built_at']:<25}  {dated}")
    return 0


def date_span(manifest: dict[str, Any]) -> str:
    """The collection's article dates as ``collections`` shows them: "1987-02-26 to 1987-10-20"."""
    dates = manifest.get("dates")
    if not dates or not dates.get("first"):
        return "no dates"
    span = f"{dates['first']} to {dates['last']}"
    return span + (f" ({dates['undated']} undated)" if dates.get("undated") else "")


def cmd_remove(args: argparse.Namespace) -> int:
    from qa.index.collection import remove_collection

    settings = _settings(args)
    remove_collection(settings.data_dir, args.collection)
    print(f"removed collection {args.collection!r} from {settings.data_dir}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from qa.index.check import check_collection

    settings = _settings(args)
    counts, problems = check_collection(settings.data_dir, args.collection)
    if problems:
        print(f"collection {args.collection!r} is damaged:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(
        f"collection {args.collection!r} is sound: {counts['articles']} articles, {counts['chunks']} passages, "
        f"{counts['sentences']} sentences; database integrity, schema, rows, index ids and vectors checked"
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from qa.evaluation import evaluate, report_table

    details: list[dict[str, Any]] | None = [] if args.details else None
    report = evaluate(
        Path(args.file),
        _settings(args),
        articles=[Path(p) for p in args.articles or []],
        unanswerable=Path(args.unanswerable) if args.unanswerable else None,
        details=details,
        collection=args.collection,
        chunking=_chunking(args),
        limit=args.limit,
        progress=not args.json,
        titles=args.titles or (),
    )
    if details is not None:
        Path(args.details).write_text("".join(json.dumps(d) + "\n" for d in details))
    print(json.dumps(report, indent=2) if args.json else report_table(report))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from embeddings.qa_checkpoint import save_calibration
    from qa.answer.passage import PassageReader
    from qa.calibration import ask_all, fit
    from qa.engine import Engine

    if not 0.0 <= args.budget < 1.0:
        raise InvalidInput(f"--budget {args.budget}: give the share of answerable questions to refuse, from 0 to 1")
    settings = _settings(args)
    if settings.search.reader_model is None:
        raise InvalidInput("calibrate needs --reader-model NAME_OR_PATH (or $ARTICLE_QA_READER_MODEL)")
    engine = Engine(settings)
    spans = engine.checkpoint_spans(settings.search.reader_model)
    spans.card.pop("calibration", None)
    asked = ask_all(
        PassageReader(spans, min_score=0.0),
        Path(args.file),
        args.titles or (),
        engine=engine,
        progress=None if args.json else terminal_progress("asking", " questions"),
    )
    try:
        calibration = fit(asked, args.budget)
    except ValueError as error:
        raise InvalidInput(f"{args.file}: {error}") from error
    save_calibration(spans.card_file, calibration)
    if args.json:
        print(json.dumps(calibration, indent=2))
        return 0
    figures = calibration["held_out"]
    print(f"calibrated {spans.name} on {args.file}: threshold {calibration['threshold']:.3f}")
    print(f"  answer sentence        {figures['answer_sentence']:.3f}")
    print(f"  answerable refused     {figures['refused_answerable']:.1%} (budget {args.budget:.0%})")
    for key, label in (("refused_near_misses", "near misses refused"), ("refused_off_topic", "off-topic refused")):
        if key in figures:
            print(f"  {label:<22} {figures[key]:.1%}")
    print(f"  saved in {spans.card_file}; every --reader-model {settings.search.reader_model} answer uses it")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the bundled sample collection if it is missing, answer a sample question, then start the app."""
    from qa.chat.formatting import answer_text
    from qa.chat.serving import local_url
    from qa.engine import SAMPLE_ARTICLES, SAMPLE_COLLECTION, Engine
    from qa.index.collection import list_collections

    settings = _settings(args)
    engine = Engine(settings)
    if SAMPLE_COLLECTION not in list_collections(settings.data_dir):
        print(f"building the sample collection '{SAMPLE_COLLECTION}' in {settings.data_dir} ...")
        report = engine.ingest_paths([SAMPLE_ARTICLES], SAMPLE_COLLECTION, progress=terminal_progress("embedding"))
        print(report.summary())
    print(f"\n$ article-qa ask {args.question!r} --collection {SAMPLE_COLLECTION}\n")
    print(answer_text(engine.ask(args.question, SAMPLE_COLLECTION)))
    if args.no_serve:
        return 0
    print(f"\nOpen {local_url()} in your browser (Ctrl-C stops the app).", flush=True)
    engine.forget(SAMPLE_COLLECTION)
    return _run_app(["--data-dir", str(settings.data_dir), "--collection", SAMPLE_COLLECTION])


def _run_app(argv: list[str]) -> int:
    from qa.chat.serving import run_app

    return run_app(argv)


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the browser app (app.py) with these options."""
    from qa.chat.serving import app_argv

    return _run_app(app_argv(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="article-qa", description="Question answering over your news articles, locally."
    )
    parser.add_argument(
        "--data-dir", help="where collections live (default: $ARTICLE_QA_HOME or ~/.local/share/article-qa)"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", required=True)

    def chunk_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--chunk-tokens", type=int, help=f"passage size in word pieces (default {ChunkSettings().chunk_tokens})"
        )
        p.add_argument(
            "--chunk-overlap", type=int, help=f"overlap in word pieces (default {ChunkSettings().chunk_overlap})"
        )

    def search_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("-k", type=int, help=f"passages to return (default {SearchSettings().k})")
        p.add_argument("--retriever", choices=["hybrid", "dense", "bm25"], help="default hybrid")
        p.add_argument(
            "--reader",
            choices=["model", "rules", "passage"],
            help="what picks the answer sentence and decides 'not found': the trained answer model (default), "
            "the passage reader (reads each top passage whole; being trained, see docs/answer-model.md) "
            "or the older word-overlap rules, for comparison",
        )
        p.add_argument(
            "--min-score",
            type=float,
            help="confidence below which the answer is 'not found' (default: the reader's calibrated threshold)",
        )
        p.add_argument(
            "--dense-weight",
            type=float,
            help=f"weight of passage cosine in fusion (default {SearchSettings().dense_weight})",
        )
        p.add_argument(
            "--reranker",
            help="cross-encoder to re-order the top passages (a sentence-transformers name or folder; "
            "$ARTICLE_QA_RERANKER; off by default)",
        )
        p.add_argument(
            "--reader-model",
            metavar="NAME_OR_PATH",
            help="read passages with this extractive QA checkpoint (e.g. deepset/roberta-base-squad2, or a folder; "
            "$ARTICLE_QA_READER_MODEL); calibrate it once with `article-qa calibrate`",
        )
        p.add_argument(
            "--sentence-weight",
            type=float,
            help=f"weight of best-sentence cosine in fusion (default {SearchSettings().sentence_weight}); "
            "BM25 gets the rest",
        )

    def time_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--since", metavar="DATE", help="only articles dated from DATE (YYYY-MM-DD, YYYY-MM or YYYY)")
        p.add_argument("--until", metavar="DATE", help="only articles dated up to DATE (a month or year: its end)")
        p.add_argument(
            "--as-of",
            metavar="DATE",
            help="read 'last week', 'now' and 'the latest' as of DATE (default: the collection's newest article)",
        )
        p.add_argument(
            "--timeline",
            action="store_true",
            help="also lay out the story: each article's answering sentence, oldest first",
        )
        p.add_argument(
            "--no-time-words",
            action="store_true",
            help="take 'in March', 'last week', 'the latest' as plain words (no period, no date filter)",
        )

    p = commands.add_parser("ingest", help="add articles (files or folders) to a collection")
    p.add_argument(
        "paths",
        nargs="*",
        help=".txt .md .html .htm .jsonl .json .csv files or folders, or web pages (http:// or https://)",
    )
    p.add_argument("--urls", metavar="FILE", help="also fetch the web pages listed in FILE, one URL per line")
    p.add_argument(
        "--feed",
        action="append",
        metavar="URL",
        help="also fetch the articles an RSS or Atom feed links to, only those the collection lacks (repeatable)",
    )
    p.add_argument("--fetch-timeout", type=float, default=20.0, help="seconds to wait for each web page (default 20)")
    p.add_argument("--collection", "-c", default="default")
    p.add_argument("--model", help="sentence-transformers model name or path (default all-MiniLM-L6-v2, bundled)")
    p.add_argument("--replace", action="store_true", help="rebuild the collection from scratch")
    p.add_argument(
        "--sync",
        action="store_true",
        help="also remove the articles read from these folders whose files have since been deleted",
    )
    p.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default="auto",
        help="cpu: ONNX Runtime int8 (about twice torch's speed); cuda: torch on the GPU; auto: cuda if present",
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="run the model's passes on Ray Data actors: a cluster address (ray://host:10001 or host:6379), or "
        "none for a Ray started here; $RAY_ADDRESS does the same (needs pip install -e '.[ray]')",
    )
    chunk_options(p)
    p.set_defaults(run=cmd_ingest)

    p = commands.add_parser("ask", help="answer a question from a collection")
    p.add_argument("question")
    p.add_argument("--collection", "-c", default="default")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    search_options(p)
    time_options(p)
    p.set_defaults(run=cmd_ask)

    p = commands.add_parser(
        "demo", help="build the bundled sample collection if missing, ask it a question, then open the app"
    )
    p.add_argument("question", nargs="?", default="What did NATO propose to Russia?")
    p.add_argument("--no-serve", action="store_true", help="only answer the question; do not start the app")
    p.set_defaults(run=cmd_demo)

    p = commands.add_parser("serve", help="chat with your articles in the browser (http://127.0.0.1:7860)")
    add_app_options(p)
    p.set_defaults(run=cmd_serve)

    p = commands.add_parser("collections", help="list collections")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_collections)

    p = commands.add_parser("remove", help="delete a collection")
    p.add_argument("collection")
    p.set_defaults(run=cmd_remove)

    p = commands.add_parser("check", help="check a collection thoroughly (database pages, indexes against rows)")
    p.add_argument("collection")
    p.set_defaults(run=cmd_check)

    p = commands.add_parser(
        "calibrate",
        help="fit a --reader-model checkpoint's confidence and 'not found' threshold on a SQuAD 2.0 file",
    )
    p.add_argument("file", help="a SQuAD 2.0 file (answerable and unanswerable questions with their articles)")
    p.add_argument("--budget", type=float, default=0.05, help="share of answerable questions 'not found' may refuse")
    p.add_argument("--titles", nargs="+", help="read only these articles; the others' questions are asked off topic")
    p.add_argument("--json", action="store_true")
    search_options(p)
    p.set_defaults(run=cmd_calibrate)

    p = commands.add_parser("eval", help="measure retrieval and answers on a SQuAD-format file")
    p.add_argument("file")
    p.add_argument("--collection", "-c", help="use or build this collection instead of a temporary one")
    p.add_argument("--model", help="model for the temporary collection")
    p.add_argument("--limit", type=int, help="ask only N questions, spread evenly over the file")
    p.add_argument("--articles", nargs="+", help="files or folders of articles, for a question file without them")
    p.add_argument(
        "--no-time-words",
        action="store_true",
        help="take the questions' time words as plain words (the search without dates, for comparison)",
    )
    p.add_argument("--unanswerable", help="also ask the 'unanswerable' questions of this file, to measure refusals")
    p.add_argument("--titles", nargs="+", help="only these articles of a SQuAD file (e.g. those held out of training)")
    p.add_argument("--details", help="write one JSON line per question (scores, rank, found) to this file")
    p.add_argument("--json", action="store_true")
    chunk_options(p)
    search_options(p)
    p.set_defaults(run=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.debug)
    try:
        return int(args.run(args))
    except QAError as error:
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; collections are unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
