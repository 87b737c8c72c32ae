"""EPUB: the chapters in spine order, each read as HTML, each chapter's title a section mark.

An EPUB is a zip: ``META-INF/container.xml`` names the package (OPF) file, whose manifest lists
the chapters and whose spine gives their order. Reading that takes zipfile and ElementTree, so no
EPUB library is needed (the common one, ebooklib, is AGPL).
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote
from xml.etree import ElementTree

from qagen_desktop.core.sources.archive import Archive
from qagen_desktop.core.sources.html import html_to_text
from qagen_desktop.core.sources.source import Mark, Progress, SourceError, TextBuilder

_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_OPF = "{http://www.idpf.org/2007/opf}"
_ENCRYPTION = "META-INF/encryption.xml"
_CHAPTER_TYPES = {"application/xhtml+xml", "text/html", "application/xml"}


def _package_path(archive: Archive) -> str:
    container = archive.xml("META-INF/container.xml")
    rootfile = container.find(f".//{_CONTAINER}rootfile")
    path = rootfile.get("full-path") if rootfile is not None else None
    if not path:
        raise archive.damaged()
    return path


def _spine(archive: Archive, package: str) -> list[str]:
    """The chapters' member paths in reading order (the navigation document left out)."""
    opf = archive.xml(package)
    base = posixpath.dirname(package)
    manifest: dict[str, ElementTree.Element] = {
        item.get("id", ""): item for item in opf.iter(f"{_OPF}item")
    }
    chapters: list[str] = []
    for itemref in opf.iter(f"{_OPF}itemref"):
        item = manifest.get(itemref.get("idref", ""))
        if item is None or itemref.get("linear") == "no":
            continue
        if "nav" in item.get("properties", "").split():
            continue
        if item.get("media-type", "application/xhtml+xml") not in _CHAPTER_TYPES:
            continue
        href = unquote(item.get("href", "").split("#")[0])
        chapters.append(posixpath.normpath(posixpath.join(base, href)))
    return chapters


def _encrypted(archive: Archive, chapters: list[str]) -> bool:
    """True when a chapter is encrypted (DRM); obfuscated fonts alone do not count."""
    if _ENCRYPTION not in archive.names():
        return False
    listed = archive.read(_ENCRYPTION).decode("utf-8", "replace")
    return any(chapter.split("/")[-1] in listed for chapter in chapters)


def _read_chapter(archive: Archive, chapter: str, builder: TextBuilder) -> None:
    # Each chapter is read on its own so that its title mark lands where its text starts.
    part = TextBuilder()
    title = html_to_text(archive.read(chapter), part)
    text, marks = part.build()
    if not marks or marks[0].offset > 0:
        marks = (Mark(0, title or posixpath.basename(chapter)), *marks)
    builder.append(text, marks)


def read_epub(
    data: bytes, name: str, max_bytes: int, progress: Progress | None = None
) -> tuple[str, tuple[Mark, ...]]:
    """The book's text and its chapter and heading marks; SourceError when it is unusable."""
    archive = Archive(data, name, "an EPUB book", max_bytes)
    if "META-INF/container.xml" not in archive.names():
        raise archive.damaged()
    chapters = _spine(archive, _package_path(archive))
    if _encrypted(archive, chapters):
        raise SourceError(f"{name} is encrypted (DRM): remove the protection first.")
    members = archive.names()
    builder = TextBuilder()
    for done, chapter in enumerate(chapters, start=1):
        if chapter not in members:
            raise archive.damaged()
        _read_chapter(archive, chapter, builder)
        if progress is not None:
            progress(done, len(chapters))
    text, marks = builder.build()
    if not text.strip():
        raise SourceError(f"{name} has no text in its chapters: check that it is the book.")
    return text, marks
