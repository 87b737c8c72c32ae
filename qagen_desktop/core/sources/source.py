"""What reading a document gives: its text and where each page or section starts in it.

A pair's provenance (source, page, section) is looked up from an offset into ``Source.text``, so
every reader records marks as it writes the text instead of guessing them afterwards.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from qagen_desktop.core.errors import ContextFileError

PASTED_NAME = "pasted text"

# Called as progress(done, total) while a document is read: pages of a PDF, chapters of an EPUB,
# (1, 1) for the rest. An exception it raises (the caller's cancel) stops the read and goes through.
Progress = Callable[[int, int], None]


class SourceError(ContextFileError):
    """A source that cannot be read: ``str(error)`` is one line naming the file and the fix."""


class SourceKind(enum.Enum):
    """The kinds of source a run takes; a file's kind comes from its suffix."""

    PASTED = "pasted"
    TEXT = "text"
    MARKDOWN = "markdown"
    PDF = "pdf"
    DOCX = "docx"
    HTML = "html"
    EPUB = "epub"


# The one declaration of what a file may be: suffix (lower case) to kind.
KIND_BY_SUFFIX: dict[str, SourceKind] = {
    ".txt": SourceKind.TEXT,
    ".md": SourceKind.MARKDOWN,
    ".pdf": SourceKind.PDF,
    ".docx": SourceKind.DOCX,
    ".html": SourceKind.HTML,
    ".htm": SourceKind.HTML,
    ".epub": SourceKind.EPUB,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(KIND_BY_SUFFIX)


class Mark(NamedTuple):
    """Where a page (``page`` set, label "p. 3") or a heading (``page`` None) starts in the text."""

    offset: int
    label: str
    page: int | None = None


class Location(NamedTuple):
    """The page (PDFs, 1-based) and the section heading an offset falls under ("" when none)."""

    page: int | None
    section: str


@dataclass(frozen=True)
class Source:
    """One document's text as a run uses it, with its page and section marks sorted by offset."""

    name: str
    path: Path | None
    kind: SourceKind
    text: str
    pages: int | None = None
    sections: tuple[Mark, ...] = ()

    @classmethod
    def pasted(cls, text: str) -> Source:
        """The context editor's text, as a source of its own."""
        return cls(name=PASTED_NAME, path=None, kind=SourceKind.PASTED, text=text)

    def locate(self, offset: int) -> Location:
        """The page and section that ``offset`` (an index into ``text``) falls under."""
        page: int | None = None
        section = ""
        # Marks are sorted, so the last page mark and the last heading at or before the offset win.
        end = bisect.bisect_right([mark.offset for mark in self.sections], offset)
        for mark in reversed(self.sections[:end]):
            if mark.page is not None:
                if page is None:
                    page = mark.page
            elif not section:
                section = mark.label
            if page is not None and section:
                break
        if page is None and self.pages:
            page = 1
        return Location(page=page, section=section)


# Control characters a broken font or a binary run leaves in extracted text, and soft hyphens
# (invisible unless a line breaks there): none of them is text a model should be sent.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\ufeff\ufffe\uffff]")


def clean_extracted(text: str) -> str:
    """Extracted text without control characters or soft hyphens; line ends made "\\n"."""
    return _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


class TextBuilder:
    """Joins a document's blocks into one text, recording each mark at the offset it lands on.

    Blocks are separated by a blank line, so the chunker sees them as paragraphs; ``tight`` lines
    (list items, table rows) follow the previous line directly.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._marks: list[Mark] = []
        self._pending: list[tuple[str, int | None]] = []

    def mark(self, label: str, page: int | None = None) -> None:
        """A page or heading that starts with the next block written."""
        self._pending.append((label, page))

    def heading(self, text: str) -> None:
        """A heading: a section mark and a block of its own."""
        text = clean_extracted(text).strip()
        if text:
            self.mark(text)
            self.block(text)

    def block(self, text: str, *, tight: bool = False) -> None:
        """Append a paragraph (or, when ``tight``, a line); blank text adds nothing."""
        text = clean_extracted(text).strip("\n")
        if not text.strip():
            return
        if self._parts:
            separator = "\n" if tight else "\n\n"
            self._parts.append(separator)
            self._length += len(separator)
        self._flush_marks()
        self._parts.append(text)
        self._length += len(text)

    def append(self, text: str, marks: tuple[Mark, ...]) -> None:
        """Append a text built apart (an EPUB chapter) with its marks, shifted to where it lands."""
        if not text.strip():
            return
        # A text built apart was cleaned there, so block() keeps its length and the marks hold.
        lead = len(text) - len(text.lstrip("\n"))  # block() drops leading newlines
        self.block(text)
        start = self._length - len(text.strip("\n"))
        self._marks.extend(Mark(start + max(0, m.offset - lead), m.label, m.page) for m in marks)

    def _flush_marks(self) -> None:
        for label, page in self._pending:
            self._marks.append(Mark(self._length, label, page))
        self._pending.clear()

    def build(self) -> tuple[str, tuple[Mark, ...]]:
        """The text and its marks; marks left with no block after them point at the text's end."""
        self._flush_marks()
        return "".join(self._parts), tuple(self._marks)
