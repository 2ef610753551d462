"""The app's work without a browser: answers in context, generated answers with fallback, uploads."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from embeddings import HashingEmbedder
from qa.chat.conversation import Turn
from qa.chat.generation import LLMConfig
from qa.chat.render import NOT_FOUND
from qa.chat.service import ChatService
from qa.engine import Engine
from qa.errors import InvalidInput
from qa.settings import SearchSettings, Settings

ZOO = (
    "Zoo welcomes panda cub\n\n"
    "The city zoo said a panda cub was born on Monday. Keeper Anna Berg named the cub Biscotti."
)
BANK = (
    "Bank cuts interest rates\n\n"
    "The central bank cut its policy rate to 3.5 percent on Thursday, citing slowing prices."
)


def unstrong(html: str) -> str:
    """The HTML without the answering words' <strong> (where the model points to them within the sentence)."""
    return re.sub(r"</?strong>", "", html)


@pytest.fixture
def service(tmp_path: Path, fake_embedder: HashingEmbedder) -> Iterator[ChatService]:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "zoo.txt").write_text(ZOO)
    (folder / "bank.txt").write_text(BANK)
    settings = Settings(data_dir=tmp_path / "data", model=fake_embedder.name, search=SearchSettings(k=2))
    chat = ChatService(Engine(settings, embedder=fake_embedder))
    chat.ingest([folder], "news")
    yield chat
    chat.close()


class Completions(BaseHTTPRequestHandler):
    """Streams a fixed generated answer, or fails with HTTP 503 when the path starts with /down."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.path.startswith("/down"):
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in ("The cub is ", "called Biscotti [1]."):
            self.wfile.write(f"data: {json.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def llm_base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Completions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_extractive_reply_and_follow_up_in_context(service: ChatService) -> None:
    replies = list(service.reply("What did the keeper name the panda cub?", "news", []))
    assert len(replies) == 1
    first = replies[0]
    assert first.turn is not None and first.turn.answer is not None
    assert "<mark>Keeper Anna Berg named the cub Biscotti.</mark>" in unstrong(first.html)
    assert "Zoo welcomes panda cub" in first.html

    follow = list(service.reply("Who said that?", "news", [first.turn]))[-1]
    assert follow.turn is not None
    assert follow.turn.query != "Who said that?" and "panda" in follow.turn.query
    assert "Searched for:" in follow.html


def test_not_found_and_missing_collection(service: ChatService) -> None:
    reply = list(service.reply("Quarterly semiconductor tariffs?", "news", []))[-1]
    assert NOT_FOUND in reply.html
    assert reply.turn is not None and reply.turn.answer is None
    missing = list(service.reply("Anything?", "nope", []))
    assert len(missing) == 1 and missing[0].turn is None
    assert "aqa-error" in missing[0].html and "nope" in missing[0].html


def test_generated_answer_streams_then_cites(service: ChatService, llm_base: str) -> None:
    service.llm = LLMConfig(base_url=f"{llm_base}/v1", model="m")
    replies = list(service.reply("What did the keeper name the panda cub?", "news", []))
    assert len(replies) == 3
    assert all(r.turn is None for r in replies[:-1]) and replies[-1].turn is not None
    assert "aqa-cursor" in replies[0].html and "The cub is" in replies[0].html
    final = replies[-1].html
    assert "The cub is called Biscotti" in final and '<sup class="aqa-ref">[1]</sup>' in final
    assert '<li value="1">' in final and "Passages given to the model" in final


def test_failing_generation_falls_back_with_a_note(service: ChatService, llm_base: str) -> None:
    service.llm = LLMConfig(base_url=f"{llm_base}/down/v1", model="m")
    replies = list(service.reply("What did the keeper name the panda cub?", "news", []))
    assert len(replies) == 1
    assert "aqa-note" in replies[0].html and "HTTP 503" in replies[0].html
    assert "<mark>Keeper Anna Berg named the cub Biscotti.</mark>" in unstrong(replies[0].html)
    assert replies[0].turn == Turn(
        "What did the keeper name the panda cub?",
        "What did the keeper name the panda cub?",
        "Keeper Anna Berg named the cub Biscotti.",
    )


def test_upload_is_answerable_at_once_and_api_data(service: ChatService, tmp_path: Path) -> None:
    service.load("news")  # cached before the new article arrives
    upload = tmp_path / "lighthouse.txt"
    upload.write_text("Lighthouse reopens\n\nThe old lighthouse at Varnes reopened to visitors after a restoration.")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    seen: list[tuple[int, int]] = []
    report = service.ingest([upload, tmp_path / "notes.pdf"], "news", lambda done, total: seen.append((done, total)))
    assert report.added == 1 and [s.origin for s in report.skipped] == [str(tmp_path / "notes.pdf")]
    assert seen and seen[-1][0] == seen[-1][1]
    data = service.ask_data("Which lighthouse reopened to visitors?", "news")
    assert data["found"] is True
    assert data["passages"][data["passage"]]["headline"] == "Lighthouse reopens"
    assert json.loads(json.dumps(data)) == data
    assert service.collections() == ["news"] and service.manifest("news")["counts"]["articles"] == 3


def test_samples_are_built_only_when_there_is_no_collection(service: ChatService) -> None:
    assert service.ensure_samples() is None


def test_uploads_over_the_limits_are_refused_with_what_to_do(
    service: ChatService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa.chat.service
    from qa.errors import InvalidInput

    files = []
    for i in range(4):
        path = tmp_path / f"upload{i}.txt"
        path.write_text(f"Story {i}\n\n" + "The harbour board met again. " * 40, encoding="utf-8")
        files.append(path)
    monkeypatch.setattr(qa.chat.service, "MAX_UPLOAD_FILES", 3)
    with pytest.raises(InvalidInput, match=r"4 files is more than the app takes at once \(3\)"):
        service.ingest(files, "news")
    monkeypatch.setattr(qa.chat.service, "MAX_UPLOAD_FILES", 500)
    monkeypatch.setattr(qa.chat.service, "MAX_UPLOAD_MB", 0)
    with pytest.raises(InvalidInput, match="MB, more than the app takes at once"):
        service.ingest(files, "news")
    assert service.engine.ask("Who met again?", "news").passages[0].chunk.article_id != "upload0.txt"


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("name", ["../../x", "../outside", "/tmp/absolute", "a/b", "..", ".hidden", "x\nnewline"])
def test_an_upload_cannot_reach_outside_the_data_directory(service: ChatService, tmp_path: Path, name: str) -> None:
    """The collection name a user types is the only part of an upload that names a place on disk."""
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "ferry.txt").write_text("Ferry timetable\n\nThe ferry adds three evening crossings.")
    before = tree(tmp_path.parent)
    with pytest.raises(InvalidInput, match="collection name"):
        service.ingest([upload / "ferry.txt"], name)
    assert tree(tmp_path.parent) == before
    assert service.collections() == ["news"]
