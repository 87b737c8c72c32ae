"""The one way in: a path becomes a Source, and folders become the files in them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from qagen_desktop.core.sources.files import DEFAULT_MAX_BYTES, read_bytes
from qagen_desktop.core.sources.source import (
    KIND_BY_SUFFIX,
    SUPPORTED_SUFFIXES,
    Progress,
    Source,
    SourceError,
    SourceKind,
)
from qagen_desktop.core.sources.text import decode_context, markdown_headings

_SUPPORTED_LIST = ", ".join(SUPPORTED_SUFFIXES)


def kind_of(path: Path) -> SourceKind | None:
    """The kind a file is read as, from its suffix; a name with no suffix is plain text."""
    suffix = path.suffix.lower()
    if not suffix:
        return SourceKind.TEXT
    return KIND_BY_SUFFIX.get(suffix)


# Older formats whose modern sibling is read: the message names the format to save as.
_SAVE_AS = {".doc": ".docx", ".markdown": ".md", ".xhtml": ".html"}


def _unknown(path: Path) -> SourceError:
    suffix = path.suffix.lower()
    if suffix in _SAVE_AS:
        return SourceError(
            f"{path} is a {path.suffix} file, which cannot be read: save it as {_SAVE_AS[suffix]}"
            f" (or rename it, if that is what it holds)."
        )
    return SourceError(
        f"{path} is a {path.suffix} file, which cannot be read: give one of {_SUPPORTED_LIST}"
        " (or save it in one of those formats)."
    )


def read_source(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
) -> Source:
    """Read one file as its kind; SourceError (one line naming the file) when it cannot be used.

    Blocking and CPU-bound for large PDFs: callers run it off the GUI thread, and may pass
    ``progress(done, total)`` (pages of a PDF, chapters of an EPUB, else one step) to show it.
    """
    path = Path(path)
    kind = kind_of(path)
    if kind is None:
        raise _unknown(path)
    data = read_bytes(path, max_bytes)
    name = str(path)
    pages: int | None = None
    if kind in (SourceKind.TEXT, SourceKind.MARKDOWN):
        text = decode_context(data, name)
        marks = markdown_headings(text) if kind is SourceKind.MARKDOWN else ()
    elif kind is SourceKind.PDF:
        from qagen_desktop.core.sources.pdf import read_pdf  # pypdf loads with the first PDF

        text, marks, pages = read_pdf(data, name, progress)
    elif kind is SourceKind.DOCX:
        from qagen_desktop.core.sources.docx import read_docx

        text, marks = read_docx(data, name, max_bytes)
    elif kind is SourceKind.HTML:
        from qagen_desktop.core.sources.html import read_html  # bs4 loads with the first page

        text, marks = read_html(data, name)
    else:
        from qagen_desktop.core.sources.epub import read_epub

        text, marks = read_epub(data, name, max_bytes, progress)
    if progress is not None and kind not in (SourceKind.PDF, SourceKind.EPUB):
        progress(1, 1)
    if not text.strip():
        raise SourceError(f"{name} holds no text: give a file with text to make questions from.")
    return Source(name=path.name, path=path, kind=kind, text=text, pages=pages, sections=marks)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def expand_sources(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files to read, in the order given: a folder stands for its supported files (recursive,
    sorted, hidden ones skipped, each file once); a named file of an unknown kind, or a folder
    with no supported file, is a SourceError.

    A named file that does not exist is returned as it is: read_source says so, in its own line,
    alongside the others' results.
    """
    found: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            inside = [
                child
                for child in sorted(path.rglob("*"))
                if child.suffix.lower() in KIND_BY_SUFFIX
                and not _hidden(child, path)
                and child.is_file()
            ]
            if not inside:
                raise SourceError(
                    f"The folder {path} holds no files of a supported kind ({_SUPPORTED_LIST}):"
                    " check the folder."
                )
            found.extend(inside)
        elif kind_of(path) is None:
            raise _unknown(path)
        else:
            found.append(path)
    return _unique(found)


def _unique(paths: list[Path]) -> list[Path]:
    """The first of each file named twice (a file and its folder): its pairs would count double."""
    seen: set[Path] = set()
    unique: list[Path] = []
    for path in paths:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique
