"""The one entry point: kinds by suffix, folders expanded, text and Markdown read as before, and
every unusable file one plain line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_writer import make_pdf

from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.sources import (
    PASTED_NAME,
    SUPPORTED_SUFFIXES,
    Location,
    Mark,
    Source,
    SourceError,
    SourceKind,
    expand_sources,
    read_source,
)


def test_supported_suffixes_are_the_products_kinds() -> None:
    assert set(SUPPORTED_SUFFIXES) == {".txt", ".md", ".pdf", ".docx", ".html", ".htm", ".epub"}


def test_plain_text_is_read_whole_with_no_marks(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"\xef\xbb\xbf# not a heading in a .txt\n\nSecond paragraph.\n")
    source = read_source(path)
    assert source == Source(
        name="notes.txt",
        path=path,
        kind=SourceKind.TEXT,
        text="# not a heading in a .txt\n\nSecond paragraph.\n",
    )
    assert source.locate(5) == Location(page=None, section="")


def test_file_without_a_suffix_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "README"
    path.write_text("Plain words.", encoding="utf-8")
    assert read_source(path).kind is SourceKind.TEXT


def test_markdown_headings_are_marks_and_code_fences_are_not(tmp_path: Path) -> None:
    text = (
        "# Guide\n\nIntro.\n\n```\n# a shell comment\n```\n\n"
        "Setup\n-----\n\nInstall it.\n\n### Use ###\n\nRun it.\n"
    )
    path = tmp_path / "guide.md"
    path.write_text(text, encoding="utf-8")
    source = read_source(path)
    assert source.kind is SourceKind.MARKDOWN
    assert source.text == text
    assert source.sections == (
        Mark(0, "Guide"),
        Mark(text.index("Setup"), "Setup"),
        Mark(text.index("### Use"), "Use"),
    )
    assert source.locate(text.index("a shell comment")).section == "Guide"
    assert source.locate(text.index("Install it")).section == "Setup"
    assert source.locate(len(text) - 1).section == "Use"


def test_not_utf8_markdown_keeps_the_familiar_message(tmp_path: Path) -> None:
    path = tmp_path / "old.md"
    path.write_bytes("Café".encode("latin-1"))
    with pytest.raises(SourceError, match="not a UTF-8 text file"):
        read_source(path)


def test_pdf_bytes_in_a_txt_file_are_not_read_as_pdf(tmp_path: Path) -> None:
    path = tmp_path / "renamed.txt"
    path.write_bytes(make_pdf([["Words."]]))
    with pytest.raises(SourceError, match="not a UTF-8 text file"):
        read_source(path)


def test_unknown_kind_lists_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(ConfigError) as info:
        read_source(path)
    message = str(info.value)
    assert message.startswith(f"{path} is a .pptx file, which cannot be read")
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in message
    assert "\n" not in message


def test_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"word " * 50_000)
    with pytest.raises(SourceError) as info:
        read_source(path, max_bytes=100_000)
    assert str(info.value) == (
        f"{path} is too big to read (0.2 MB; the limit is 0.1 MB): split it into smaller files."
    )


def test_missing_file_and_folder_say_so(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist: check the path"):
        read_source(tmp_path / "gone.pdf")
    folder = tmp_path / "box.pdf"
    folder.mkdir()
    with pytest.raises(SourceError, match="is a folder"):
        read_source(folder)


def test_pasted_text_is_a_source_of_its_own() -> None:
    source = Source.pasted("Some words.")
    assert (source.name, source.path, source.kind) == (PASTED_NAME, None, SourceKind.PASTED)
    assert source.name == "pasted text"
    assert source.locate(3) == Location(page=None, section="")


def test_locate_uses_the_last_page_and_heading_at_or_before_the_offset() -> None:
    source = Source(
        name="m.pdf",
        path=None,
        kind=SourceKind.PDF,
        text="x" * 100,
        pages=3,
        sections=(Mark(0, "p. 1", 1), Mark(10, "Intro"), Mark(40, "p. 2", 2), Mark(70, "p. 3", 3)),
    )
    assert source.locate(0) == Location(1, "")
    assert source.locate(10) == Location(1, "Intro")
    assert source.locate(39) == Location(1, "Intro")
    assert source.locate(40) == Location(2, "Intro")
    assert source.locate(99) == Location(3, "Intro")


def make_tree(root: Path) -> None:
    (root / "b").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.md").write_text("a", encoding="utf-8")
    (root / "b" / "c.PDF").write_bytes(make_pdf([["c"]]))
    (root / "b" / "d.html").write_text("<p>d</p>", encoding="utf-8")
    (root / "b" / "photo.jpg").write_bytes(b"\xff\xd8")
    (root / "b" / "README").write_text("no suffix", encoding="utf-8")
    (root / ".hidden.txt").write_text("h", encoding="utf-8")
    (root / ".git" / "notes.txt").write_text("g", encoding="utf-8")


def test_folder_stands_for_its_supported_files_sorted_and_hidden_ones_skipped(
    tmp_path: Path,
) -> None:
    make_tree(tmp_path / "docs")
    extra = tmp_path / "extra.txt"
    extra.write_text("x", encoding="utf-8")
    found = expand_sources([extra, tmp_path / "docs"])
    docs = tmp_path / "docs"
    assert found == [extra, docs / "a.md", docs / "b" / "c.PDF", docs / "b" / "d.html"]
    assert [read_source(path).kind for path in found] == [
        SourceKind.TEXT,
        SourceKind.MARKDOWN,
        SourceKind.PDF,
        SourceKind.HTML,
    ]


def test_named_file_of_unknown_kind_is_an_error(tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8")
    with pytest.raises(SourceError, match=r"photo\.jpg is a \.jpg file"):
        expand_sources([photo])


def test_missing_named_file_is_left_for_read_source_to_report(tmp_path: Path) -> None:
    missing = tmp_path / "later.pdf"
    assert expand_sources([missing]) == [missing]


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("# Good\n\nWords.", encoding="utf-8")
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(make_pdf([None]))
    results: dict[str, str] = {}
    for path in expand_sources([tmp_path]):
        try:
            results[path.name] = read_source(path).text
        except SourceError as error:
            results[path.name] = f"error: {error}"
    assert results["good.md"] == "# Good\n\nWords."
    assert "no text layer (scanned)" in results["scan.pdf"]


def test_old_word_format_names_the_format_to_save_as(tmp_path: Path) -> None:
    path = tmp_path / "letter.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(SourceError, match=r"letter\.doc is a \.doc file.*save it as \.docx"):
        read_source(path)


def test_folder_with_no_supported_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(SourceError, match=r"The folder .*pics holds no files of a supported kind"):
        expand_sources([tmp_path / "pics"])


def test_a_file_named_and_inside_a_named_folder_is_read_once(tmp_path: Path) -> None:
    make_tree(tmp_path)
    named = tmp_path / "a.md"
    found = expand_sources([named, tmp_path, tmp_path / "b" / ".." / "a.md"])
    assert found.count(named) == 1
    assert len(found) == len({path.resolve() for path in found}) == 3


def test_control_characters_never_reach_the_text(tmp_path: Path) -> None:
    path = tmp_path / "odd.html"
    path.write_bytes(b"<p>bell\x07 ring\x00, soft\xc2\xadhyphen\r\nend</p>")
    assert read_source(path).text == "bell ring, softhyphen end"


def test_progress_is_one_step_for_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("words", encoding="utf-8")
    seen: list[tuple[int, int]] = []
    read_source(path, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 1)]
