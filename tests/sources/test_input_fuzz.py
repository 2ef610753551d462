"""Damaged input files: every article file type, cut short or with bytes flipped (seeded), is read or
skipped with a reason, never a traceback."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from qa.engine import SAMPLE_ARTICLES
from qa.sources.files import read_paths

CSV = (
    "title,text,date,source\n"
    'Harbour ferry delayed,"The harbour ferry was delayed for two hours on Friday because of fog.",2026-03-06,Ledger\n'
    'Tram lines repaired,"Trams ran again on Sunday after storm damage to the lines was repaired.",2026-03-08,Post\n'
)
CASES = 40


def originals(folder: Path) -> list[Path]:
    (folder / "records.csv").write_text(CSV, encoding="utf-8")
    files = [folder / "records.csv"]
    for name in ("01-nato-missile-defence.txt", "07-quillon-q9-chip.html", "more-articles.jsonl"):
        files.append(folder / name)
        files[-1].write_bytes((SAMPLE_ARTICLES / name).read_bytes())
    return files


@pytest.mark.parametrize("suffix", [".csv", ".txt", ".html", ".jsonl"])
def test_damaged_files_are_read_or_skipped(tmp_path: Path, suffix: str) -> None:
    source = next(p for p in originals(tmp_path) if p.suffix == suffix)
    data = source.read_bytes()
    rng = random.Random(f"input-fuzz{suffix}")
    for case in range(CASES):
        damaged = bytearray(data)
        if case % 2:
            del damaged[rng.randrange(len(damaged)) :]
        for _ in range(rng.randint(0, 8)):
            if damaged:
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        target = tmp_path / f"case{case}{suffix}"
        target.write_bytes(bytes(damaged))
        result = read_paths([target])  # must not raise
        assert result.articles or result.skipped, f"case {case}: neither read nor skipped"
        assert all(s.reason for s in result.skipped)
        target.unlink()
