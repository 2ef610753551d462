"""Damage the tests did not list: seeded corruptions of every file of a small collection.

For each file: bytes flipped at random offsets (in the header and anywhere), the file cut at a random
length, a page of it zeroed, or the file replaced by another collection's file of the same name.
After each, ``ask``, ``check``, ``collections``, ``ingest`` and the app's chat must give an answer or
one line naming what is damaged, never a traceback; and ``check`` must never call a collection sound
that ``ask`` cannot answer from. Seeded: a failure names its case, which reproduces it.
"""

from __future__ import annotations

import random
import shutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from embeddings.onnx_embedder import OnnxEmbedder
from qa.chat.service import ChatService
from qa.cli import main
from qa.engine import SAMPLE_ARTICLES, Engine
from qa.settings import Settings

pytestmark = [pytest.mark.model, pytest.mark.usefixtures("embedder")]

QUESTION = "What did NATO propose to Russia?"
CASES_PER_FILE = 24
SEED = 20261207


@dataclass(frozen=True)
class Case:
    file: str
    kind: str
    seed: int

    def __str__(self) -> str:
        return f"{self.file} {self.kind} (seed {self.seed})"


def flip(data: bytes, rng: random.Random, header: bool) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(min(len(out), 100) if header else len(out))
        out[at] ^= rng.randint(1, 255)
    return bytes(out)


def schema_letter(data: bytes, rng: random.Random) -> bytes:
    """A letter of a table's or an index's definition changed into another (SQLite keeps the schema as
    text: "date" becomes "dbte", and a query naming the column fails); other files: a flipped byte."""
    starts = [i for i in range(len(data)) if data.startswith(b"CREATE ", i)]
    if not starts:
        return flip(data, rng, header=False)
    start = rng.choice(starts)
    letters = [i for i in range(start + 7, min(len(data), start + 400)) if chr(data[i]).isalpha()]
    out = bytearray(data)
    at = rng.choice(letters)
    out[at] = ord(rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != chr(data[at]).lower()]))
    return bytes(out)


def zero_page(data: bytes, rng: random.Random) -> bytes:
    page = 4096 if len(data) > 4096 else max(1, len(data) // 4)
    start = rng.randrange(0, max(1, len(data) - page + 1), page) if len(data) > page else 0
    return data[:start] + b"\0" * min(page, len(data) - start) + data[start + page :]


def corruptions(other: Path) -> dict[str, Callable[[Path, random.Random], None]]:
    def write(change: Callable[[bytes, random.Random], bytes]) -> Callable[[Path, random.Random], None]:
        return lambda path, rng: path.write_bytes(change(path.read_bytes(), rng))

    def replace(path: Path, rng: random.Random) -> None:
        twin = (
            other / path.name if (other / path.name).exists() else next(other.glob(path.name.split(".")[0] + "*"), None)
        )
        if twin is not None and twin.is_file():
            shutil.copyfile(twin, path)
        else:
            path.write_bytes(b"")

    return {
        "header bytes flipped": write(lambda d, rng: flip(d, rng, header=True)),
        "bytes flipped": write(lambda d, rng: flip(d, rng, header=False)),
        "schema text changed": write(schema_letter),
        "cut short": write(lambda d, rng: d[: rng.randrange(len(d))] if d else d),
        "page zeroed": write(zero_page),
        "another collection's file": replace,
    }


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command's exit code and output; a traceback (what must never happen) as exit 99 with it."""
    try:
        code = main(list(argv))
    except Exception as error:  # the point of the test: nothing may escape the command
        out, err = capsys.readouterr()
        return 99, out, f"{type(error).__name__}: {error}\n" + "".join(traceback.format_tb(error.__traceback__)[-2:])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, embedder: OnnxEmbedder) -> tuple[Path, Path]:
    """A pristine two-article collection, and another collection to take files from."""
    root = tmp_path_factory.mktemp("fuzz")
    folder, elsewhere = root / "articles", root / "other"
    folder.mkdir()
    elsewhere.mkdir()
    for name in ("01-nato-missile-defence.txt", "02-saltmere-flood-barrier.txt"):
        shutil.copy(SAMPLE_ARTICLES / name, folder / name)
    shutil.copy(SAMPLE_ARTICLES / "03-aldmark-interest-rates.txt", elsewhere)
    engine = Engine(Settings(data_dir=root / "data"), embedder)
    engine.ingest_paths([folder], "news")
    engine.ingest_paths([elsewhere], "other")
    return root / "data", folder


def test_seeded_damage_gives_an_answer_or_one_line(
    built: tuple[Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path, embedder: OnnxEmbedder
) -> None:
    data, articles = built
    pristine = data / "news"
    files = sorted(p.relative_to(pristine) for p in pristine.rglob("*") if p.is_file())
    kinds = corruptions(data / "other")
    rng = random.Random(SEED)
    cases = [
        Case(str(f), kind, rng.randrange(10**9))
        for f in files
        for kind in (list(kinds) * CASES_PER_FILE)[:CASES_PER_FILE]
    ]
    failures: list[str] = []
    for number, case in enumerate(cases):
        work = tmp_path / "data"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(data, work, ignore=shutil.ignore_patterns(".models"))
        target = work / "news" / case.file
        kinds[case.kind](target, random.Random(case.seed))
        base = ["--data-dir", str(work)]
        code, out, err = run(capsys, *base, "ask", QUESTION, "-c", "news")
        asked = code == 0
        if code not in (0, 2) or (code == 2 and (err.count("\n") != 1 or not err.startswith("error: "))):
            failures.append(f"{case}: ask gave exit {code}: {err.strip()[-300:]}")
            continue
        if asked and "NATO" not in out and "Not found" not in out:
            failures.append(f"{case}: ask answered from elsewhere: {out[:200]}")
        code, out, err = run(capsys, *base, "check", "news")
        # 1: damaged, with the problems; 2: it cannot even be opened (one line, as ask says)
        if code not in (0, 1, 2) or (code == 0 and not asked) or (code == 2 and err.count("\n") != 1):
            failures.append(f"{case}: check gave exit {code} after ask {'answered' if asked else 'failed'}")
        if number % 4 == 0:
            code, out, err = run(capsys, *base, "collections")
            if code != 0 or "news" not in out:
                failures.append(f"{case}: collections gave exit {code}: {err.strip()[-200:]}")
            code, out, err = run(capsys, *base, "ingest", str(articles), "-c", "news")
            if code not in (0, 2) or (code == 2 and err.count("\n") != 1):
                failures.append(f"{case}: ingest gave exit {code}: {err.strip()[-300:]}")
        if number % 4 == 1:
            chat = ChatService(Engine(Settings(data_dir=work), embedder), workers=1)
            try:
                html = "".join(reply.html for reply in chat.reply(QUESTION, "news", []))
            except Exception as error:  # the point of the test: nothing may escape the chat
                failures.append(f"{case}: the chat raised {type(error).__name__}: {error}")
            else:
                if "aqa-error" not in html and "aqa-answer" not in html:
                    failures.append(f"{case}: the chat showed neither an answer nor an error")
            finally:
                chat.close()
    assert not failures, f"{len(failures)} of {len(cases)} cases:\n" + "\n".join(failures[:20])
    assert len(cases) >= 100
