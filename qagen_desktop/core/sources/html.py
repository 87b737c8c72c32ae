"""HTML: the page's main content as paragraphs, with its headings as section marks.

Read with beautifulsoup4 on the standard library's html.parser: it repairs the broken markup real
pages are made of and works out the encoding (a BOM, a ``<meta charset>``), with no native parser
to bundle; lxml would be faster but is several megabytes of C.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from qagen_desktop.core.sources.source import Mark, SourceError, TextBuilder

# Never content: page furniture and code.
_NOISE = {
    "nav", "aside", "script", "style", "noscript", "form", "template", "svg", "iframe", "button",
    "select", "textarea", "object", "embed", "canvas", "dialog", "menu",
}  # fmt: skip
_NOISE_ROLES = re.compile(r"(?i)^(navigation|banner|contentinfo|search|complementary)$")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {
    "p", "div", "section", "article", "main", "blockquote", "figure", "figcaption", "dl", "dt",
    "dd", "ul", "ol", "table", "thead", "tbody", "tfoot", "address", "details", "summary",
    "header", "footer", "body", "html", "caption", "center", "hr",
}  # fmt: skip
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def _clean_lines(parts: list[str]) -> str:
    """Inline text with runs of white space collapsed; ``<br>`` (a "\\n" part) breaks the line."""
    lines = "".join(parts).split("\n")
    return "\n".join(line.strip() for line in lines if line.strip())


class _Walker:
    def __init__(self, builder: TextBuilder) -> None:
        self.builder = builder
        self.inline: list[str] = []
        # "li" or "tr" after a list item or a table row: the next one of the same kind follows
        # on the next line rather than after a blank one.
        self.group = ""

    def flush(self, prefix: str = "", *, group: str = "") -> None:
        text = _clean_lines(self.inline)
        self.inline.clear()
        if text:
            self.builder.block(prefix + text, tight=bool(group) and group == self.group)
            self.group = group

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):  # comments, doctype, CDATA
                    self.inline.append(_SPACES.sub(" ", str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in _HEADINGS:
                self.flush()
                self.builder.heading(" ".join(child.get_text(" ").split()))
                self.group = ""
            elif name == "br":
                self.inline.append("\n")
            elif name == "pre":
                self.flush()
                self.builder.block(child.get_text())
                self.group = ""
            elif name == "li":
                self.flush(group="li")
                self.walk(child)
                self.flush("- ", group="li")
            elif name == "tr":
                self.flush(group="tr")
                cells = child.find_all(["td", "th"], recursive=False)
                row = " | ".join(" ".join(cell.get_text(" ").split()) for cell in cells)
                self.inline.append(row)
                self.flush(group="tr")
            elif name in _BLOCKS:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)


def _main_content(soup: BeautifulSoup) -> list[Tag]:
    """``<main>``, else the page's articles, else the body: where a page keeps its text."""
    main = soup.find("main")
    if isinstance(main, Tag):
        return [main]
    articles = [a for a in soup.find_all("article") if a.find_parent("article") is None]
    if articles:
        return [a for a in articles if isinstance(a, Tag)]
    body = soup.find("body")
    return [body if isinstance(body, Tag) else soup]


def _is_noise(tag: Tag, edges: set[str]) -> bool:
    if tag.name in _NOISE or tag.name in edges or tag.has_attr("hidden"):
        return True
    role = tag.get("role")
    return isinstance(role, str) and bool(_NOISE_ROLES.match(role))


def _drop_noise(root: Tag, *, page_level: bool) -> None:
    # A page's header and footer are its masthead and small print; an article's header holds its
    # title, so only its footer goes.
    edges = {"header", "footer"} if page_level else {"footer"}
    for tag in root.find_all(True):
        if not tag.decomposed and _is_noise(tag, edges):
            tag.decompose()


def html_to_text(markup: bytes | str, builder: TextBuilder) -> str:
    """Write a page's main content into ``builder``; returns the page's ``<title>`` ("" if none)."""
    soup = BeautifulSoup(markup, "html.parser")
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text().split()) if isinstance(title_tag, Tag) else ""
    roots = _main_content(soup)
    for root in roots:
        _drop_noise(root, page_level=root.name in {"body", "[document]"})
        walker = _Walker(builder)
        walker.walk(root)
        walker.flush()
    return title


def read_html(data: bytes, name: str) -> tuple[str, tuple[Mark, ...]]:
    """The page's main text and its heading marks; SourceError when it holds no text."""
    builder = TextBuilder()
    html_to_text(data, builder)
    text, marks = builder.build()
    if not text.strip():
        raise SourceError(f"{name} has no text in its main content: check that it is the page.")
    return text, marks
