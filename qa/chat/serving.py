"""Options of the browser app, shared by ``python app.py`` and ``article-qa serve``, and starting it."""

from __future__ import annotations

import argparse
import ipaddress
import runpy
import sys

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


def local_url(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    return f"http://{host}:{port}"


def exposure_warnings(host: str, share: bool) -> list[str]:
    """What to tell the user when the app is reachable from beyond this machine (it has no login)."""
    warnings = []
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        loopback = False
    if not loopback:
        warnings.append(
            f"serving on {host}: anyone who can reach this machine can read every collection here, add "
            f"articles and make it fetch web pages (the app has no login); use --host {DEFAULT_HOST} to keep it "
            "to this machine"
        )
    if share:
        warnings.append(
            "--share puts the app on a public gradio.live link: anyone who has the link can read every "
            "collection here and add articles, for as long as the app runs"
        )
    return warnings


def add_app_options(parser: argparse.ArgumentParser) -> None:
    """The app's flags except ``--data-dir`` (which ``article-qa`` takes before the command)."""
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST}: this machine only)"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--collection", "-c", help="article set selected at start (default: 'samples' or the first)")
    parser.add_argument("--share", action="store_true", help="also serve on a temporary public gradio.live link")
    parser.add_argument(
        "--mcp",
        action="store_true",
        help="also serve question answering as an MCP tool for assistants, at /gradio_api/mcp/ "
        "(needs pip install -e '.[mcp]')",
    )
    parser.add_argument(
        "--llm-base-url", help="OpenAI-compatible endpoint for generated answers ($ARTICLE_QA_LLM_BASE_URL)"
    )
    parser.add_argument("--llm-model", help="model name at that endpoint ($ARTICLE_QA_LLM_MODEL)")
    parser.add_argument("--llm-api-key", help="API key for that endpoint ($ARTICLE_QA_LLM_API_KEY)")
    parser.add_argument(
        "--reader-model",
        metavar="NAME_OR_PATH",
        help="read passages with this extractive QA checkpoint ($ARTICLE_QA_READER_MODEL; see `article-qa calibrate`)",
    )
    parser.add_argument("--reranker", help="cross-encoder to re-order the top passages ($ARTICLE_QA_RERANKER)")
    parser.add_argument(
        "--workers",
        type=int,
        help="questions answered at once (default: one a CPU core); more queue, and wait their turn",
    )


def app_argv(args: argparse.Namespace) -> list[str]:
    """The ``app.py`` command line for parsed app options (and ``data_dir``, ``debug`` when set)."""
    argv = ["--host", args.host, "--port", str(args.port)]
    for flag, value in (
        ("--data-dir", getattr(args, "data_dir", None)),
        ("--collection", getattr(args, "collection", None)),
        ("--llm-base-url", getattr(args, "llm_base_url", None)),
        ("--llm-model", getattr(args, "llm_model", None)),
        ("--llm-api-key", getattr(args, "llm_api_key", None)),
        ("--reader-model", getattr(args, "reader_model", None)),
        ("--reranker", getattr(args, "reranker", None)),
        ("--workers", getattr(args, "workers", None)),
    ):
        if value:
            argv += [flag, str(value)]
    if getattr(args, "share", False):
        argv.append("--share")
    if getattr(args, "mcp", False):
        argv.append("--mcp")
    if getattr(args, "debug", False):
        argv.append("--debug")
    return argv


def run_app(argv: list[str]) -> int:
    """Run the ``app`` module as ``python app.py ARGV`` would (nothing imports it)."""
    saved = sys.argv
    sys.argv = ["app.py", *argv]
    try:
        runpy.run_module("app", run_name="__main__", alter_sys=True)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        sys.argv = saved
    return 0


def share_cores(threads: int) -> None:
    """Run FAISS searches and NumPy's matrix products of this process on ``threads`` threads.

    An app answering one question per core does better with each question on one thread: measured
    on 2 cores, a question alone took 217 ms of CPU and 115 ms with every library on both cores,
    86 ms of CPU and 85 ms on one (idle threads spin between a question's many small steps).
    The answer model's share is ``Settings.question_threads``.
    """
    from threadpoolctl import threadpool_limits

    from embeddings.faiss_index import set_search_threads

    set_search_threads(threads)
    threadpool_limits(threads)
