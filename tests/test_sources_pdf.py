"""PDF sources: text in reading order, running headers and footers gone, pages marked, and one
plain line for each kind of unusable file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_writer import make_pdf
from source_tools import qpdf_encrypt

from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.sources import SourceError, SourceKind, read_source
from qagen_desktop.core.sources.pdf import join_hyphenated

TOPICS = ["river", "delta", "estuary", "marsh", "lagoon", "channel"]


def manual_pages() -> list[list[str]]:
    """Six pages with a running header, a "Page n of 6" footer and a word broken across lines."""
    pages = []
    for number, topic in enumerate(TOPICS, start=1):
        pages.append(
            [
                "ACME Field Manual - Edition 2",
                f"Chapter {number}: the {topic}",
                f"The {topic} holds a well-known kind of sedi-",
                f"ment that settles where the {topic} slows down.",
                f"Page {number} of 6",
            ]
        )
    return pages


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_pages_are_marked_at_the_start_of_their_text(tmp_path: Path) -> None:
    source = read_source(write(tmp_path, "manual.pdf", make_pdf(manual_pages())))
    assert source.kind is SourceKind.PDF
    assert source.name == "manual.pdf"
    assert source.pages == 6
    assert [mark.page for mark in source.sections] == [1, 2, 3, 4, 5, 6]
    assert [mark.label for mark in source.sections] == [f"p. {n}" for n in range(1, 7)]
    for mark, topic in zip(source.sections, TOPICS, strict=True):
        number = mark.page
        assert source.text[mark.offset :].startswith(f"Chapter {number}: the {topic}")
        assert source.locate(source.text.index(f"where the {topic} slows")).page == number


def test_text_keeps_reading_order(tmp_path: Path) -> None:
    text = read_source(write(tmp_path, "manual.pdf", make_pdf(manual_pages()))).text
    positions = [text.index(f"Chapter {n}: the {topic}") for n, topic in enumerate(TOPICS, 1)]
    assert positions == sorted(positions)


def test_running_header_and_page_footer_are_dropped(tmp_path: Path) -> None:
    text = read_source(write(tmp_path, "manual.pdf", make_pdf(manual_pages()))).text
    assert "ACME Field Manual" not in text
    assert "of 6" not in text
    assert "Chapter 3: the estuary" in text


def test_words_broken_at_line_ends_are_joined_and_real_hyphens_stay(tmp_path: Path) -> None:
    text = read_source(write(tmp_path, "manual.pdf", make_pdf(manual_pages()))).text
    assert text.count("sediment that settles") == 6
    assert "sedi-" not in text
    assert text.count("well-known") == 6


def test_hyphen_before_a_capital_or_digit_at_a_line_end_is_kept() -> None:
    assert join_hyphenated("exam-\nple") == "example"
    assert join_hyphenated("Franco-\nGerman") == "Franco-\nGerman"
    assert join_hyphenated("pages 10-\n12") == "pages 10-\n12"
    assert join_hyphenated("well-known fact") == "well-known fact"


def test_lines_repeated_on_few_pages_are_kept(tmp_path: Path) -> None:
    pages = [[f"Step {n} of the survey", f"Body text {topic}."] for n, topic in enumerate(TOPICS)]
    pages[0].insert(0, "Warning: wear boots")
    pages[1].insert(0, "Warning: wear boots")
    text = read_source(write(tmp_path, "survey.pdf", make_pdf(pages))).text
    assert text.count("Warning: wear boots") == 2


def test_two_page_document_keeps_its_first_lines(tmp_path: Path) -> None:
    pages = [["Same title", "First body."], ["Same title", "Second body."]]
    text = read_source(write(tmp_path, "short.pdf", make_pdf(pages))).text
    assert text.count("Same title") == 2


def test_image_only_pdf_needs_ocr(tmp_path: Path) -> None:
    path = write(tmp_path, "scan.pdf", make_pdf([None, None]))
    with pytest.raises(SourceError) as info:
        read_source(path)
    message = str(info.value)
    assert message == f"{path} has no text layer (scanned): it needs OCR first."


def test_blank_scanned_page_keeps_page_numbers_of_the_rest(tmp_path: Path) -> None:
    source = read_source(
        write(tmp_path, "mixed.pdf", make_pdf([["Cover words."], None, ["Last."]]))
    )
    assert source.pages == 3
    assert source.locate(source.text.index("Last.")).page == 3
    assert source.locate(0).page == 1


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_pdf_is_reported_as_such(tmp_path: Path, keep: float) -> None:
    data = make_pdf(manual_pages())
    path = write(tmp_path, "cut.pdf", data[: int(len(data) * keep)])
    with pytest.raises(SourceError, match=r"cut\.pdf is damaged or truncated") as info:
        read_source(path)
    assert "\n" not in str(info.value)


def test_garbage_with_a_pdf_name_is_damaged(tmp_path: Path) -> None:
    path = write(tmp_path, "junk.pdf", b"%PDF-1.4\nnothing here at all\n%%EOF\n")
    with pytest.raises(SourceError, match=r"junk\.pdf is damaged"):
        read_source(path)


def test_not_a_pdf_at_all_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.pdf", b"just some words, saved with the wrong name\n")
    with pytest.raises(SourceError, match=r"notes\.pdf is not a PDF file"):
        read_source(path)


def test_password_protected_pdf_is_reported_as_encrypted(tmp_path: Path) -> None:
    plain = write(tmp_path, "plain.pdf", make_pdf(manual_pages()))
    locked = qpdf_encrypt(plain, tmp_path / "locked.pdf", "secret")
    with pytest.raises(ConfigError) as info:
        read_source(locked)
    assert str(info.value) == f"{locked} is encrypted: remove the password first."


def test_pdf_locked_only_against_editing_is_read(tmp_path: Path) -> None:
    plain = write(tmp_path, "plain.pdf", make_pdf(manual_pages()))
    locked = qpdf_encrypt(plain, tmp_path / "owner-only.pdf", "")
    source = read_source(locked)
    assert "Chapter 2: the delta" in source.text
    assert source.pages == 6


def test_word_broken_across_a_page_break_is_joined_on_the_first_page(tmp_path: Path) -> None:
    pages = [["The survey found a thick layer of sedi-"], ["ment under the marsh.", "More text."]]
    source = read_source(write(tmp_path, "break.pdf", make_pdf(pages)))
    assert "sediment" in source.text and "sedi-" not in source.text
    assert source.locate(source.text.index("sediment")).page == 1
    assert source.text[source.sections[1].offset :].startswith("under the marsh.")


def test_header_missing_from_the_title_page_is_still_dropped(tmp_path: Path) -> None:
    pages = manual_pages()
    pages[0] = ["Field Manual", "A title page with no running header."]
    text = read_source(write(tmp_path, "titled.pdf", make_pdf(pages))).text
    assert "ACME Field Manual" not in text
    assert text.startswith("Field Manual\nA title page with no running header.")


def test_progress_counts_pages_and_a_cancel_raised_from_it_goes_through(tmp_path: Path) -> None:
    path = write(tmp_path, "manual.pdf", make_pdf(manual_pages()))
    seen: list[tuple[int, int]] = []
    read_source(path, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, 6) for n in range(1, 7)]

    class Cancelled(Exception):
        pass

    def cancel_at_three(done: int, total: int) -> None:
        if done == 3:
            raise Cancelled

    with pytest.raises(Cancelled):
        read_source(path, progress=cancel_at_three)


def test_deflated_page_contents_read_the_same(tmp_path: Path) -> None:
    plain = read_source(write(tmp_path, "plain.pdf", make_pdf(manual_pages())))
    packed = read_source(write(tmp_path, "packed.pdf", make_pdf(manual_pages(), compress=True)))
    assert packed.text == plain.text
    assert packed.sections == plain.sections


def test_chapter_running_heads_and_bare_page_numbers_are_dropped(tmp_path: Path) -> None:
    # A book's layout: a chapter opens with its page number above its title; the pages after
    # carry "Chapter n: Title  page" as their running head.
    pages: list[list[str]] = []
    for chapter, title in enumerate(["Sampling", "Results", "Methods"], start=1):
        pages.append([str(len(pages) + 1), f"{chapter} {title}", f"Opening of {title.lower()}."])
        for part in range(4):
            number = len(pages) + 1
            pages.append([f"Chapter {chapter}: {title} {number}", f"{title} detail {part} here."])
    source = read_source(write(tmp_path, "book.pdf", make_pdf(pages)))
    assert "Chapter 1: Sampling" not in source.text
    assert "Chapter 2: Results" not in source.text
    assert "Chapter 3: Methods" not in source.text
    assert source.text.startswith("1 Sampling\nOpening of sampling.")
    assert source.text[source.sections[5].offset :].startswith("2 Results\nOpening of results.")
    assert source.text.count("detail") == 12
