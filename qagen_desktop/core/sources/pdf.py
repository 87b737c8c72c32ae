"""PDF: each page's text in reading order, running headers and footers dropped, pages marked.

Read with pypdf: pure Python (no native library to bundle), BSD-licensed, and it opens encrypted
files far enough to tell "encrypted" from "damaged".
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import defaultdict
from typing import TYPE_CHECKING

from qagen_desktop.core.sources.source import Mark, Progress, SourceError, TextBuilder

if TYPE_CHECKING:
    from pypdf import PdfReader

# Lines this far from a page's top or bottom may be a running header or footer.
_EDGE_LINES = 2
# A line repeated at the same edge on this share of the pages is a header or footer, not text;
# "nearly" every page, as a title page or a blank page carries none.
_REPEAT_SHARE = 0.75
_MIN_PAGES_FOR_REPEATS = 3
_MIN_RUN = 3
_NUMBERED = re.compile(r"^#|#$")
_PAGE_NUMBER = re.compile(r"^[-–— ]*(page |p\. )?(#|[ivxlc]+)( ?(of|/) ?#)?[-–— ]*$")
# "exam-\nple": a letter, a hyphen at a line's end, a lower-case letter starting the next line.
# A soft hyphen (U+00AD) there means the same.
_LINE_END_HYPHEN = re.compile(r"(?<=[^\W\d_])[-\u00ad][ \t]*\n[ \t]*(?=[^\W\d_A-Z])")
# Typographic ligatures (U+FB00-FB06) back to their letters, so "ﬁnd" is the word "find".
_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
    }
)
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


def _fold(line: str) -> str:
    """A line as compared across pages: digits folded ("Page 3 of 9" matches "Page 4 of 9")."""
    return _SPACES.sub(" ", _DIGITS.sub("#", line)).strip().lower()


def _page_lines(raw: str) -> list[str]:
    return [line.rstrip() for line in raw.translate(_LIGATURES).splitlines() if line.strip()]


def _running_lines(edges: list[set[str]]) -> set[str]:
    """Folded lines that run along one edge of the pages: a header or footer.

    That is a line on nearly every page; or a chapter's running head (its page number at one
    end), on at least half the pages between its first and last appearance (three or more); or
    a bare page number ("#", "page # of #", "iv") once three pages have one there.
    """
    where: dict[str, list[int]] = defaultdict(list)
    for index, lines in enumerate(edges):
        for line in lines:
            if line:
                where[line].append(index)
    needed = math.ceil(_REPEAT_SHARE * len(edges))
    running: set[str] = set()
    for line, seen in where.items():
        span = seen[-1] - seen[0] + 1
        if (
            len(seen) >= needed
            or (len(seen) >= _MIN_RUN and len(seen) * 2 >= span and _NUMBERED.search(line))
            or (len(seen) >= _MIN_RUN and _PAGE_NUMBER.match(line))
        ):
            running.add(line)
    return running


def _repeated_edges(pages: list[list[str]]) -> tuple[set[str], set[str]]:
    """The running lines at the top and at the bottom of the pages."""
    if len(pages) < _MIN_PAGES_FOR_REPEATS:
        return set(), set()
    tops = [{_fold(line) for line in lines[:_EDGE_LINES]} for lines in pages]
    bottoms = [{_fold(line) for line in lines[-_EDGE_LINES:]} for lines in pages]
    return _running_lines(tops), _running_lines(bottoms)


def _strip_edges(lines: list[str], tops: set[str], bottoms: set[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < min(_EDGE_LINES, end) and _fold(lines[start]) in tops:
        start += 1
    while end > max(start, len(lines) - _EDGE_LINES) and _fold(lines[end - 1]) in bottoms:
        end -= 1
    return lines[start:end]


def join_hyphenated(text: str) -> str:
    """Join words split by a hyphen at a line's end; hyphens inside a line stay."""
    return _LINE_END_HYPHEN.sub("", text)


_PAGE_END_HYPHEN = re.compile(r"[^\W\d_][-\u00ad]$")
_FIRST_WORD = re.compile(r"[^\W\d_A-Z]\S*")


def join_across_pages(texts: list[str]) -> list[str]:
    """A word broken at a page's end moves whole to that page ("exam-" + "ple ..." -> "example")."""
    joined = list(texts)
    for index in range(len(joined) - 1):
        head, tail = joined[index], joined[index + 1]
        word = _FIRST_WORD.match(tail)
        if word and _PAGE_END_HYPHEN.search(head):
            joined[index] = head[:-1] + word.group()
            joined[index + 1] = tail[word.end() :].lstrip(" \t")
            joined[index + 1] = joined[index + 1].removeprefix("\n")
    return joined


def _open(data: bytes, name: str) -> PdfReader:
    # pypdf is imported here, not at the top: a run over text files never pays for loading it.
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if b"%PDF" not in data[:1024]:
        raise SourceError(f"{name} is not a PDF file (no PDF header): check that it is one.")
    if b"%%EOF" not in data[-2048:]:
        # pypdf would rebuild what it can and quietly lose the rest; a cut file is refused whole.
        raise SourceError(
            f"{name} is damaged or truncated (it stops before the PDF's end): "
            "download or export it again."
        )
    try:
        reader = PdfReader(io.BytesIO(data))
        # A file locked only against editing opens with the empty user password.
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError(name)
        len(reader.pages)  # parses the page tree, where a damaged file usually shows
    except (FileNotDecryptedError, DependencyError):
        raise SourceError(f"{name} is encrypted: remove the password first.") from None
    except Exception:  # pypdf raises many kinds on broken files; all mean the same to a person
        raise _damaged(name) from None
    return reader


def _damaged(name: str) -> SourceError:
    return SourceError(
        f"{name} is damaged and cannot be read as a PDF: download or export it again."
    )


def read_pdf(
    data: bytes, name: str, progress: Progress | None = None
) -> tuple[str, tuple[Mark, ...], int]:
    """The text, its page marks ("p. 3", page=3) and the page count; SourceError when unusable.

    ``progress(done, total)`` is called after each page; what it raises (a cancel) goes through.
    """
    reader = _open(data, name)
    # pypdf logs every recoverable oddity of a file as a warning: not the reader's business.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    pages: list[list[str]] = []
    total = len(reader.pages)
    for index in range(total):
        try:
            raw = reader.pages[index].extract_text() or ""
        except Exception:  # as in _open: any failure inside pypdf means a damaged file
            raise _damaged(name) from None
        pages.append(_page_lines(raw))
        if progress is not None:
            progress(index + 1, total)
    if not pages:
        raise SourceError(f"{name} has no pages: check that the file is complete.")
    if not any(pages):
        raise SourceError(f"{name} has no text layer (scanned): it needs OCR first.")
    tops, bottoms = _repeated_edges(pages)
    texts = join_across_pages(
        [join_hyphenated("\n".join(_strip_edges(lines, tops, bottoms))) for lines in pages]
    )
    builder = TextBuilder()
    for number, text in enumerate(texts, start=1):
        builder.mark(f"p. {number}", page=number)
        builder.block(text)
    text, marks = builder.build()
    return text, marks, len(pages)
