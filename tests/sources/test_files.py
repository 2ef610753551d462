"""Tests for qa.sources.files: every supported format, the skips, decoding and ids."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from qa.sources.files import (
    SUPPORTED_SUFFIXES,
    ReadResult,
    decode_bytes,
    read_csv_file,
    read_json_file,
    read_jsonl_file,
    read_paths,
    read_text_file,
)
from qa.types import Article

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Harbour bridge reopens after repairs | Coastal Gazette</title>
<link rel="canonical" href="https://gazette.example.com/news/harbour-bridge-reopens">
<meta property="og:site_name" content="Coastal Gazette">
<meta property="og:title" content="Harbour bridge reopens after repairs">
<meta name="date" content="2023-04-05">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/weather">Weather forecast</a></li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies.</div>
<main><article>
<h1>Harbour bridge reopens after repairs</h1>
<p>The harbour bridge reopened to traffic on Wednesday morning after eight months of
repairs to its steel cables, the city council said.</p>
<p>Engineers replaced more than two hundred corroded cable strands and resurfaced the deck,
at a total cost of 14 million euros, well within the original budget.</p>
<p>The mayor thanked residents for their patience and said buses would return to their
usual routes from Monday.</p>
</article></main>
<footer><p>Copyright 2023 Coastal Gazette. All rights reserved. Privacy policy.</p></footer>
</body></html>
"""


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def only_article(result: ReadResult) -> Article:
    assert result.skipped == [], [str(s) for s in result.skipped]
    assert len(result.articles) == 1
    return result.articles[0]


def test_supported_suffixes() -> None:
    assert {".txt", ".md", ".html", ".htm", ".jsonl", ".json", ".csv"} == SUPPORTED_SUFFIXES


def test_txt_headline_and_paragraphs(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.txt",
        "\r\n  Rates rise again  \r\n\r\nFirst paragraph.\r\n\r\n\r\n\r\nSecond paragraph.\r\n",
    )
    article = only_article(read_paths([path]))
    assert article.id == "a.txt"
    assert article.title == "Rates rise again"
    assert article.text == "First paragraph.\n\nSecond paragraph."
    assert article.origin == str(path)
    assert article.source is None
    assert article.date is None


def test_txt_single_newline_paragraphs_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "b.txt", "Headline\nLine one.\nLine two.\n")
    assert only_article(read_paths([path])).text == "Line one.\nLine two."


def test_md_strips_heading_marks(tmp_path: Path) -> None:
    path = write(tmp_path / "note.md", "# Storm hits coast\n\nWinds reached 120 km/h.\n")
    article = only_article(read_paths([path]))
    assert article.title == "Storm hits coast"
    assert article.text == "Winds reached 120 km/h."


def test_headline_without_body_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "h.txt", "Only a headline\n\n  \n")
    result = read_text_file(path)
    assert result.articles == []
    assert [s.reason for s in result.skipped] == ["no text after the headline"]


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    path = write(tmp_path / "page.html", NEWS_PAGE)
    article = only_article(read_paths([path]))
    assert article.id == "page.html"
    assert article.title == "Harbour bridge reopens after repairs"
    assert article.date == "2023-04-05"
    assert article.url == "https://gazette.example.com/news/harbour-bridge-reopens"
    assert article.source == "Coastal Gazette"
    assert article.text.startswith("The harbour bridge reopened")
    assert "14 million euros" in article.text
    assert len(article.text.split("\n")) == 3
    for boilerplate in ("Weather forecast", "cookies", "Copyright", "Privacy"):
        assert boilerplate not in article.text


def test_tiny_html_falls_back_to_plain_text(tmp_path: Path) -> None:
    path = write(tmp_path / "tiny.htm", "<title>Short one</title><p>Just a line.</p>")
    article = only_article(read_paths([path]))
    assert article.title == "Short one"
    assert article.text == "Just a line."


@pytest.mark.parametrize(
    "markup",
    [
        "<html><body><p>Unclosed paragraph <b>bold <div>and a stray div",
        "<<<>>> </p></p> <!-- never closed",
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>Declared XML</p></body></html>",
        "<html><head><title>No body</title></head></html>",
        "<script>var x = 1;</script><style>p {}</style>",
    ],
)
def test_malformed_html_is_read_or_skipped(tmp_path: Path, markup: str) -> None:
    path = write(tmp_path / "bad.html", markup)
    result = read_paths([path])
    assert len(result.articles) + len(result.skipped) == 1
    for article in result.articles:
        assert article.text.strip()
        assert "var x" not in article.text
    for skip in result.skipped:
        assert skip.reason == "no text found in the HTML"


def test_unclosed_tags_keep_their_text(tmp_path: Path) -> None:
    path = write(tmp_path / "u.html", "<html><body><p>Unclosed <b>bold text<p>Another")
    article = only_article(read_paths([path]))
    assert "bold text" in article.text
    assert "Another" in article.text


def test_jsonl_good_broken_and_textless_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"title": "One", "text": "Body one.", "date": " 2024-01-02 ", "id": 7}),
        "{not json",
        json.dumps({"title": "No text here"}),
        "",
        json.dumps({"headline": "Three", "body": "Body three.", "source": "Wire"}),
        json.dumps(["a", "list"]),
        json.dumps({"content": "An untitled record. It goes on.", "url": "https://x.test/4"}),
    ]
    path = write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    result = read_paths([tmp_path])

    assert [a.id for a in result.articles] == ["7", "feed.jsonl:5", "feed.jsonl:7"]
    first, third, untitled = result.articles
    assert (first.title, first.text, first.date) == ("One", "Body one.", "2024-01-02")
    assert first.origin == f"{path}:1"
    assert (third.title, third.text, third.source) == ("Three", "Body three.", "Wire")
    assert untitled.title == "An untitled record."
    assert untitled.url == "https://x.test/4"

    origins = {s.origin: s.reason for s in result.skipped}
    assert set(origins) == {f"{path}:2", f"{path}:3", f"{path}:6"}
    assert origins[f"{path}:2"].startswith("invalid JSON")
    assert "text" in origins[f"{path}:3"]
    assert "expected a JSON object" in origins[f"{path}:6"]


def test_a_wire_sign_off_is_dropped_and_the_agency_named_in_a_sentence_is_kept(tmp_path: Path) -> None:
    texts = [
        "Exports rose 4 pct in February, the ministry said.\n\nREUTER",
        "NOTE: Company's full name is Harbour Ferries Plc <HF.L> REUTER^M",
        'He called it "a rich market." Reuter...',
        "The figures were given to Reuters.",
        "The company was founded by Paul Reuter",
    ]
    lines = [json.dumps({"title": f"Story {n}", "text": t, "id": n}) for n, t in enumerate(texts)]
    result = read_jsonl_file(write(tmp_path / "wire.jsonl", "\n".join(lines) + "\n"))
    assert [a.text for a in result.articles] == [
        "Exports rose 4 pct in February, the ministry said.",
        "NOTE: Company's full name is Harbour Ferries Plc <HF.L>",
        'He called it "a rich market."',
        "The figures were given to Reuters.",
        "The company was founded by Paul Reuter",
    ]


def test_long_untitled_record_gets_truncated_title(tmp_path: Path) -> None:
    text = "word " * 100
    path = write(tmp_path / "long.jsonl", json.dumps({"text": text}) + "\n")
    title = only_article(read_jsonl_file(path)).title
    assert len(title) <= 121
    assert title.endswith("…")
    assert title.startswith("word word")


def test_json_list_form(tmp_path: Path) -> None:
    records = [{"title": "A", "text": "Alpha."}, {"title": "B", "text": ""}]
    path = write(tmp_path / "list.json", json.dumps(records))
    result = read_json_file(path)
    assert [(a.id, a.title, a.text) for a in result.articles] == [("list.json:0", "A", "Alpha.")]
    assert [s.origin for s in result.skipped] == [f"{path}:1"]


@pytest.mark.parametrize("key", ["articles", "data", "records"])
def test_json_object_form(tmp_path: Path, key: str) -> None:
    path = write(tmp_path / "obj.json", json.dumps({key: [{"id": "x1", "text": "Body."}]}))
    article = only_article(read_json_file(path))
    assert (article.id, article.text, article.title) == ("x1", "Body.", "Body.")


def test_json_unexpected_shape_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "odd.json", json.dumps({"items": [{"text": "x"}]}))
    result = read_json_file(path)
    assert result.articles == []
    assert len(result.skipped) == 1
    assert result.skipped[0].origin == str(path)
    assert "'articles', 'data' or 'records'" in result.skipped[0].reason


def test_json_invalid_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.json", '[{"text": "a"},')
    result = read_json_file(path)
    assert result.articles == []
    assert result.skipped[0].reason.startswith("invalid JSON")


def test_squad_shaped_json(tmp_path: Path) -> None:
    squad = {
        "version": "1.1",
        "data": [
            {
                "title": "Super_Bowl_50",
                "paragraphs": [
                    {"context": "Super Bowl 50 was a game.", "qas": []},
                    {"context": "Denver won it.", "qas": []},
                ],
            },
            {"title": "Empty_One", "paragraphs": []},
        ],
    }
    path = write(tmp_path / "squad.json", json.dumps(squad))
    result = read_json_file(path)
    assert len(result.articles) == 1
    article = result.articles[0]
    assert article.id == "Super_Bowl_50"
    assert article.title == "Super Bowl 50"
    assert article.text == "Super Bowl 50 was a game.\n\nDenver won it."
    assert [s.origin for s in result.skipped] == [f"{path}:1"]


def test_csv_good(tmp_path: Path) -> None:
    content = (
        "ID,Title,Text,Date,Source\r\n"
        'a1,First,"Line one.\nLine two.",2024-05-01,Wire\r\n'
        ",Second,Plain body.,,\r\n"
        "a3,Third,,2024-05-03,Wire\r\n"
        "a4,Fourth,Body,x,y,extra\r\n"
    )
    path = write(tmp_path / "news.csv", content)
    result = read_csv_file(path)
    assert [(a.id, a.title, a.text) for a in result.articles] == [
        ("a1", "First", "Line one.\nLine two."),
        ("news.csv:3", "Second", "Plain body."),
    ]
    assert result.articles[0].date == "2024-05-01"
    assert result.articles[0].source == "Wire"
    assert result.articles[1].date is None
    assert [s.origin for s in result.skipped] == [f"{path}:4", f"{path}:5"]
    assert "6 fields" in result.skipped[1].reason


def test_csv_semicolon_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path / "semi.csv", "title;text\nHello;World, with a comma.\n")
    article = only_article(read_csv_file(path))
    assert (article.title, article.text) == ("Hello", "World, with a comma.")


def test_csv_without_text_column(tmp_path: Path) -> None:
    path = write(tmp_path / "meta.csv", "title,author\nA,B\n")
    result = read_csv_file(path)
    assert result.articles == []
    assert len(result.skipped) == 1
    reason = result.skipped[0].reason
    assert "'title', 'author'" in reason
    assert "'text' column is needed" in reason


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n", b"\xef\xbb\xbf\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path / "empty.txt", content)
    result = read_paths([path])
    assert result.articles == []
    assert [s.reason for s in result.skipped] == ["empty file"]


def test_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = read_paths([path])
    assert result.articles == []
    assert [s.reason for s in result.skipped] == ["binary file, not text"]


def test_decode_bytes() -> None:
    assert decode_bytes("caf\u00e9 \u00a35".encode()) == "café £5"
    assert decode_bytes(b"\xef\xbb\xbfbom") == "bom"
    assert decode_bytes("utf16 \u00e9".encode("utf-16")) == "utf16 é"
    assert decode_bytes(b"\x93quoted\x94") == "\u201cquoted\u201d"  # cp1252 smart quotes
    assert decode_bytes(b"caf\x81 ok") == "caf\x81 ok"  # undefined in cp1252: Latin-1
    assert decode_bytes(b"a\x00b") is None
    assert decode_bytes(b"\x01\x02\x03\x04\x05ab") is None


def test_latin1_file(tmp_path: Path) -> None:
    path = write(tmp_path / "latin.txt", b"Caf\xe9 prices\n\nA coffee costs \xa33.\n")
    article = only_article(read_paths([path]))
    assert article.title == "Café prices"
    assert article.text == "A coffee costs £3."


def test_unknown_extension(tmp_path: Path) -> None:
    path = write(tmp_path / "report.pdf", b"%PDF-1.4")
    result = read_paths([path])
    assert result.articles == []
    assert len(result.skipped) == 1
    reason = result.skipped[0].reason
    assert reason.startswith("unsupported file type '.pdf'; supported: ")
    assert ".csv, .htm, .html, .json, .jsonl, .md, .txt" in reason


def test_missing_path(tmp_path: Path) -> None:
    result = read_paths([tmp_path / "nope"])
    assert [(s.origin, s.reason) for s in result.skipped] == [(str(tmp_path / "nope"), "no such file or folder")]


def test_recursive_folder(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "corpus"
    write(root / "b.txt", "B\n\nbody b")
    write(root / "a" / "z.md", "# Z\n\nbody z")
    write(root / "a" / "deep" / "c.TXT", "C\n\nbody c")
    write(root / ".DS_Store", b"\x00\x00\x00\x01Bud1")
    write(root / ".git" / "notes.txt", "hidden\n\nnot read")
    write(root / "a" / "data.bin", b"\x00")
    with caplog.at_level(logging.INFO, logger="qa.sources.files"):
        result = read_paths([str(root)])
    assert [a.id for a in result.articles] == ["a/deep/c.TXT", "a/z.md", "b.txt"]
    assert result.articles[0].origin == str(root / "a" / "deep" / "c.TXT")
    assert [s.origin for s in result.skipped] == [str(root / "a" / "data.bin")]
    assert "data.bin" in caplog.text
    assert ".DS_Store" not in caplog.text


def test_duplicate_ids_get_suffixes(tmp_path: Path) -> None:
    write(tmp_path / "one" / "x.txt", "X\n\nfirst")
    write(tmp_path / "two" / "x.txt", "X\n\nsecond")
    lines = [json.dumps({"id": "x.txt", "text": "third"}), json.dumps({"id": "x.txt", "text": "4"})]
    write(tmp_path / "three" / "r.jsonl", "\n".join(lines))
    folders = [tmp_path / "one", tmp_path / "two", tmp_path / "three"]
    result = read_paths(folders)
    assert [(a.id, a.text) for a in result.articles] == [
        ("one/x.txt", "first"),
        ("two/x.txt", "second"),
        ("x.txt", "third"),
        ("x.txt#2", "4"),
    ]
    within_file = read_jsonl_file(tmp_path / "three" / "r.jsonl")
    assert [a.id for a in within_file.articles] == ["x.txt", "x.txt#2"]


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "locked.txt", "Title\n\nbody")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    result = read_paths([path])
    assert result.articles == []
    assert [s.reason for s in result.skipped] == ["cannot read: Permission denied"]


def test_directory_with_supported_suffix_is_walked(tmp_path: Path) -> None:
    write(tmp_path / "notes.txt" / "inner.txt", "Inner\n\nbody")
    assert [a.id for a in read_paths([tmp_path]).articles] == ["notes.txt/inner.txt"]


def test_skips_are_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path / "empty.md", "")
    with caplog.at_level(logging.INFO, logger="qa.sources.files"):
        read_paths([path])
    assert f"{path}: empty file" in caplog.text


def test_real_bbc_latin1_file() -> None:
    path = SHARED / "data" / "bbc_news" / "bbc" / "sport" / "199.txt"
    if not path.exists():
        pytest.skip("../shared not present")
    article = only_article(read_paths([path]))
    assert article.id == "199.txt"
    assert article.title == "Chelsea sack Mutu"
    assert "a £15.8m signing from Parma" in article.text
    assert "\ufffd" not in article.text


def test_text_dateline_gives_date_and_source(tmp_path: Path) -> None:
    path = tmp_path / "wire.txt"
    path.write_text("Port reopens\n\nHARWICK, April 2, 2026 (Example Wire) — The port reopened on Thursday.\n")
    article = read_text_file(path).articles[0]
    assert (article.date, article.source) == ("April 2, 2026", "Example Wire")
    plain = tmp_path / "plain.txt"
    plain.write_text("Port reopens\n\nThe port reopened on Thursday, officials said.\n")
    assert (read_text_file(plain).articles[0].date, read_text_file(plain).articles[0].source) == (None, None)


def test_several_folders_keep_ids_apart(tmp_path: Path) -> None:
    for folder in ("business", "tech"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "001.txt").write_text(f"{folder} headline\n\nA {folder} story body.\n")
    result = read_paths([tmp_path / "business", tmp_path / "tech"])
    assert sorted(a.id for a in result.articles) == ["business/001.txt", "tech/001.txt"]
    assert [a.id for a in read_paths([tmp_path / "tech"]).articles] == ["001.txt"]
