"""Plain text and Markdown: UTF-8 only, with a plain message for anything else.

People drop in empty files, folders and binaries renamed ``.txt``; each gets one line that names
the fix instead of a garbled prompt sent to the model. Markdown is kept as written (models read it
well); its headings become section marks.
"""

from __future__ import annotations

import os
import re

from qagen_desktop.core.sources.files import DEFAULT_MAX_BYTES, read_bytes
from qagen_desktop.core.sources.source import Mark, SourceError

_UTF8_BOM = b"\xef\xbb\xbf"
_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def read_context_file(
    path: str | os.PathLike[str], max_bytes: int | None = DEFAULT_MAX_BYTES
) -> str:
    """The file's text (a UTF-8 BOM removed); SourceError when it cannot be used as context."""
    return decode_context(read_bytes(path, max_bytes), str(path))


def decode_context(data: bytes, name: str) -> str:
    """Checks shared by files and standard input: not empty, no NUL bytes, valid UTF-8."""
    not_text = (
        f"{name} is not a UTF-8 text file: save or export it as plain UTF-8 text "
        "(a PDF, Word, HTML or EPUB document is read when its name ends in its own extension)."
    )
    if b"\x00" in data:
        raise SourceError(not_text)
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError(not_text) from None
    if not text.strip():
        raise SourceError(f"{name} is empty: give a file with the text to make questions from.")
    return text


def markdown_headings(text: str) -> tuple[Mark, ...]:
    """A mark at the start of each ATX (``# Title``) or setext (underlined) heading's line."""
    marks: list[Mark] = []
    offset = 0
    in_fence = False
    previous: tuple[int, str] | None = None  # the last paragraph line: a setext heading's text
    for line in text.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        if _FENCE.match(content):
            in_fence = not in_fence
            previous = None
        elif not in_fence:
            atx = _ATX.match(content)
            if atx:
                marks.append(Mark(offset, atx.group(2).strip()))
                previous = None
            elif previous is not None and _SETEXT.match(content):
                marks.append(Mark(previous[0], previous[1]))
                previous = None
            elif content.strip():
                previous = (offset, content.strip())
            else:
                previous = None
        offset += len(line)
    return tuple(marks)
