"""Documents of every kind, made at run time for the tests of runs over several sources.

Each kind has words of its own (``WORDS``), so a test can tell from the text a server received
which documents reached it; the HTML page also holds navigation, a script and a style that must
not reach it (``NOT_SENT``).
"""

from __future__ import annotations

from pathlib import Path

from pdf_writer import make_pdf
from source_tools import pandoc, qpdf_encrypt

WORDS = {
    "manual.pdf": "glacier",
    "spec.docx": "turbine",
    "page.html": "orchard",
    "book.epub": "lighthouse",
}
# What the HTML page holds outside its main content, and what a PDF or a zip is made of.
NOT_SENT = ("<", "trackVisitor", "color:", "Site menu", "%PDF", "endobj", "PK\x03\x04", "\x00")


# Words that make each numbered sentence differ in more than its digits (a PDF reader takes
# lines alike but for their numbers, on most pages, for running headers).
_PLACES = [
    "north ridge",
    "old quarry",
    "river bend",
    "east valley",
    "salt flats",
    "pine hill",
    "harbour wall",
    "upper meadow",
    "stone bridge",
    "west cliff",
    "dry lake",
    "mill pond",
]
_FINDINGS = ["hard granite", "soft clay", "loose gravel", "dark basalt", "wet peat", "red sand"]


def sentences(word: str, count: int, first: int = 0) -> list[str]:
    """``count`` sentences about ``word``, from the ``first``-th on, no two alike."""
    return [
        f"The {word} survey near the {_PLACES[n % len(_PLACES)]} found that the {word} stands "
        f"on {_FINDINGS[n % len(_FINDINGS)]}."
        for n in range(first, first + count)
    ]


def manual_pdf(path: Path, pages: int = 4) -> Path:
    """A PDF whose every page speaks of glaciers and names its own page number."""
    lines = [sentences("glacier", 3, 3 * page) for page in range(1, pages + 1)]
    path.write_bytes(make_pdf(lines, compress=True))
    return path


def spec_docx(path: Path) -> Path:
    body = "\n\n".join(sentences("turbine", 4))
    markdown = (
        f"# Turbine specification\n\n{body}\n\n- the turbine blade\n- the turbine hub\n\n"
        "| Part | Turbine size |\n|---|---|\n| blade | 40 m |\n"
    )
    return _made(pandoc(markdown, path))


def page_html(path: Path) -> Path:
    paragraphs = "".join(f"<p>{s}</p>" for s in sentences("orchard", 4))
    path.write_text(
        "<!doctype html><html><head><title>Orchard</title>"
        "<style>.menu { color: red }</style>"
        "<script>function trackVisitor() { return 1 < 2; }</script></head><body>"
        '<nav><a href="/">Site menu</a> <a href="/about">Site menu about</a></nav>'
        f"<main><h1>The orchard</h1>{paragraphs}</main>"
        "<footer>Site menu footer</footer></body></html>",
        encoding="utf-8",
    )
    return path


def book_epub(path: Path) -> Path:
    chapters = "\n\n".join(
        f"# Chapter {n}\n\n" + "\n\n".join(sentences("lighthouse", 2, 2 * n)) for n in (1, 2, 3)
    )
    return _made(pandoc(chapters, path, "--metadata", "title=The lighthouse"))


def _made(path: Path) -> Path:
    """The document pandoc made, its Markdown source removed (a folder holds the document only)."""
    path.with_suffix(".src.md").unlink()
    return path


def four_documents(folder: Path) -> list[Path]:
    """manual.pdf, spec.docx, page.html and book.epub in ``folder``."""
    return [
        manual_pdf(folder / "manual.pdf"),
        spec_docx(folder / "spec.docx"),
        page_html(folder / "page.html"),
        book_epub(folder / "book.epub"),
    ]


def bad_pdfs(folder: Path) -> dict[str, Path]:
    """An encrypted, a scanned (image only) and a truncated PDF, by what is wrong with each."""
    good = manual_pdf(folder / "good-manual.pdf", pages=3).read_bytes()
    truncated = folder / "truncated.pdf"
    truncated.write_bytes(good[: len(good) * 6 // 10])
    scanned = folder / "scanned.pdf"
    scanned.write_bytes(make_pdf([None, None]))
    encrypted = qpdf_encrypt(folder / "good-manual.pdf", folder / "encrypted.pdf", "secret")
    (folder / "good-manual.pdf").unlink()
    return {"encrypted": encrypted, "scanned": scanned, "truncated": truncated}
