"""Word (DOCX): paragraphs, headings, list items and table rows, in document order.

Read with the standard library's zipfile and ElementTree: a DOCX is a zip holding
``word/document.xml``, and walking its ``w:p`` and ``w:tbl`` elements is all text extraction needs.
python-docx would add lxml (a native library several megabytes large) to the bundle for no text
it could find that this does not.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

from qagen_desktop.core.sources.archive import Archive
from qagen_desktop.core.sources.source import Mark, TextBuilder

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"(?i)^(heading\s*\d|title|subtitle)$")
# Containers whose paragraphs count as the document's own (content controls, tracked insertions,
# smart tags); deleted text (w:del) is left out.
# Text moved away by tracked changes (its new place holds it) and deleted text are not read.
_HIDDEN = {f"{_W}moveFrom", f"{_W}del"}
_TRANSPARENT = {f"{_W}sdt", f"{_W}sdtContent", f"{_W}ins", f"{_W}customXml", f"{_W}smartTag"}


def _style_names(archive: Archive) -> dict[str, str]:
    """Style id to style name: ids are localised ("berschrift1"), names stay "heading 1"."""
    if "word/styles.xml" not in archive.names():
        return {}
    names: dict[str, str] = {}
    for style in archive.xml("word/styles.xml").iter(f"{_W}style"):
        name = style.find(f"{_W}name")
        style_id = style.get(f"{_W}styleId")
        if style_id and name is not None:
            names[style_id] = name.get(f"{_W}val", "")
    return names


def _runs_text(element: ElementTree.Element) -> str:
    """A paragraph's visible text: runs, tabs and line breaks, hyperlinks included."""
    parts: list[str] = []
    _collect_runs(element, parts)
    return "".join(parts)


def _collect_runs(element: ElementTree.Element, parts: list[str]) -> None:
    for node in element:
        tag = node.tag
        if tag == f"{_W}t":
            parts.append(node.text or "")
        elif tag == f"{_W}tab":
            parts.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
        elif tag not in _HIDDEN:
            _collect_runs(node, parts)


class _DocxText:
    def __init__(self, styles: dict[str, str]) -> None:
        self.styles = styles
        self.builder = TextBuilder()
        self.in_list = False

    def paragraph(self, p: ElementTree.Element) -> None:
        text = _runs_text(p).strip()
        props = p.find(f"{_W}pPr")
        style_id = ""
        level: int | None = None
        if props is not None:
            style = props.find(f"{_W}pStyle")
            style_id = style.get(f"{_W}val", "") if style is not None else ""
            numbering = props.find(f"{_W}numPr")
            if numbering is not None:
                ilvl = numbering.find(f"{_W}ilvl")
                level = int(ilvl.get(f"{_W}val", "0")) if ilvl is not None else 0
            outline = props.find(f"{_W}outlineLvl")
            if outline is not None and outline.get(f"{_W}val", "9") != "9":
                style_id = style_id or "heading"
        style_name = self.styles.get(style_id, style_id)
        if (
            _HEADING_STYLE.match(style_name)
            or _HEADING_STYLE.match(style_id)
            or (style_id == "heading")
        ):
            self.builder.heading(text)
            self.in_list = False
        elif level is not None:
            self.builder.block("  " * level + "- " + text, tight=self.in_list)
            self.in_list = bool(text)
        else:
            self.builder.block(text)
            self.in_list = False

    def table(self, tbl: ElementTree.Element) -> None:
        first = True
        for row in tbl.findall(f"{_W}tr"):
            cells = [
                " ".join(_runs_text(p).strip() for p in cell.iter(f"{_W}p")).strip()
                for cell in row.findall(f"{_W}tc")
            ]
            if any(cells):
                self.builder.block(" | ".join(cells), tight=not first)
                first = False
        self.in_list = False

    def body(self, parent: ElementTree.Element) -> None:
        for child in parent:
            if child.tag == f"{_W}p":
                self.paragraph(child)
            elif child.tag == f"{_W}tbl":
                self.table(child)
            elif child.tag in _TRANSPARENT:
                self.body(child)


def read_docx(data: bytes, name: str, max_bytes: int) -> tuple[str, tuple[Mark, ...]]:
    """The document's text and its heading marks; SourceError when the file is unusable."""
    archive = Archive(data, name, "a Word document", max_bytes)
    if "word/document.xml" not in archive.names():
        raise archive.damaged()
    body = archive.xml("word/document.xml").find(f"{_W}body")
    if body is None:
        raise archive.damaged()
    reader = _DocxText(_style_names(archive))
    reader.body(body)
    return reader.builder.build()
