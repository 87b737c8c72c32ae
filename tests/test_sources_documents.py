"""DOCX, HTML and EPUB sources: the words are there, the noise is not, headings are marks."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from source_tools import pandoc

from qagen_desktop.core.sources import Source, SourceError, SourceKind, read_source

MARKDOWN = """\
# Soil survey

The clay layer holds water through the dry season.

## Sampling

- Take a core every ten metres.
- Label each core with its depth.

| Layer | Depth |
|-------|-------|
| clay  | 40 cm |
| sand  | 90 cm |

# Results

The sand drains within a day.
"""


def heading_at(source: Source, label: str) -> int:
    """The offset of the mark with this label, checked to point at the heading's own text."""
    offsets = [mark.offset for mark in source.sections if mark.label == label]
    assert len(offsets) == 1, source.sections
    assert source.text[offsets[0] :].startswith(label)
    return offsets[0]


# DOCX


def test_docx_from_pandoc_has_paragraphs_lists_tables_and_headings(tmp_path: Path) -> None:
    source = read_source(pandoc(MARKDOWN, tmp_path / "survey.docx"))
    assert source.kind is SourceKind.DOCX
    assert source.pages is None
    text = source.text
    assert "The clay layer holds water through the dry season." in text
    assert "- Take a core every ten metres.\n- Label each core with its depth." in text
    assert "Layer | Depth\nclay | 40 cm\nsand | 90 cm" in text
    assert [mark.label for mark in source.sections] == ["Soil survey", "Sampling", "Results"]
    results = heading_at(source, "Results")
    assert source.locate(text.index("The sand drains")).section == "Results"
    assert source.locate(results - 1).section == "Sampling"
    assert source.locate(text.index("The clay layer")).section == "Soil survey"


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def hand_made_docx(path: Path, body: str, styles: str = "") -> Path:
    """A DOCX written by hand: just the parts a reader needs, as Word lays them out."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml", f"<w:document {_W}><w:body>{body}</w:body></w:document>"
        )
        if styles:
            archive.writestr("word/styles.xml", f"<w:styles {_W}>{styles}</w:styles>")
    return path


def test_docx_localised_heading_style_and_content_controls(tmp_path: Path) -> None:
    styles = (
        '<w:style w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>'
        '<w:style w:styleId="Standard"><w:name w:val="Normal"/></w:style>'
    )
    body = (
        '<w:p><w:pPr><w:pStyle w:val="berschrift1"/></w:pPr><w:r><w:t>Einleitung</w:t></w:r></w:p>'
        "<w:sdt><w:sdtContent><w:p><w:r><w:t>Inside a control,</w:t></w:r>"
        '<w:r><w:t xml:space="preserve"> still text.</w:t></w:r></w:p></w:sdtContent></w:sdt>'
        "<w:p><w:r><w:t>Kept</w:t></w:r><w:del><w:r><w:delText>GONE</w:delText></w:r></w:del>"
        "<w:moveFrom><w:r><w:t>MOVEDAWAY</w:t></w:r></w:moveFrom>"
        "<w:r><w:tab/><w:t>after a tab</w:t></w:r></w:p>"
    )
    source = read_source(hand_made_docx(tmp_path / "de.docx", body, styles))
    assert source.text == "Einleitung\n\nInside a control, still text.\n\nKept\tafter a tab"
    assert heading_at(source, "Einleitung") == 0


def test_password_protected_docx_is_reported_as_encrypted(tmp_path: Path) -> None:
    # Word saves a password-protected document as an OLE compound file, not a zip.
    path = tmp_path / "locked.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    with pytest.raises(SourceError) as info:
        read_source(path)
    assert str(info.value) == f"{path} is encrypted: remove the password first."


def test_truncated_docx_is_damaged(tmp_path: Path) -> None:
    whole = pandoc(MARKDOWN, tmp_path / "whole.docx").read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(SourceError, match=r"cut\.docx is damaged or truncated") as info:
        read_source(path)
    assert "\n" not in str(info.value)


def test_zip_without_a_document_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "empty.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a document")
    with pytest.raises(SourceError, match=r"empty\.docx is damaged .* as a Word document"):
        read_source(path)


def test_docx_that_unpacks_past_the_limit_is_too_big(tmp_path: Path) -> None:
    body = "<w:p><w:r><w:t>" + "a" * 200_000 + "</w:t></w:r></w:p>"
    path = hand_made_docx(tmp_path / "bomb.docx", body)
    with pytest.raises(SourceError, match=r"bomb\.docx \(unpacked\) is too big to read"):
        read_source(path, max_bytes=100_000)


# HTML

PAGE = """<!DOCTYPE html>
<html><head><title>Delta notes</title>
<style>body { color: red }</style><script>var tracker = "SCRIPTNOISE";</script></head>
<body>
<header><a href="/">SiteMasthead</a></header>
<nav><ul><li>Home</li><li>NavAbout</li></ul></nav>
<main>
  <h1>River deltas</h1>
  <p>A delta forms where a river   meets <b>still</b> water.<br>Silt settles there.</p>
  <form><input name="q"><button>SearchButton</button></form>
  <h2>Types</h2>
  <ul><li>Arcuate</li><li>Bird's-foot</li></ul>
  <table><tr><th>Delta</th><th>Area</th></tr><tr><td>Nile</td><td>24,000 km&sup2;</td></tr></table>
  <noscript>EnableJavaScript</noscript>
  <!-- CommentNoise -->
  <pre>  depth = 4 m
  width = 9 m</pre>
</main>
<aside>AsideAdvert</aside>
<footer>CopyrightFooter</footer>
</body></html>
"""

NOISE = [
    "SCRIPTNOISE", "color: red", "SiteMasthead", "NavAbout", "SearchButton", "EnableJavaScript",
    "CommentNoise", "AsideAdvert", "CopyrightFooter", "<", ">",
]  # fmt: skip


def test_html_main_content_only(tmp_path: Path) -> None:
    path = tmp_path / "deltas.html"
    path.write_text(PAGE, encoding="utf-8")
    source = read_source(path)
    assert source.kind is SourceKind.HTML
    text = source.text
    for noise in NOISE:
        assert noise not in text
    assert "A delta forms where a river meets still water.\nSilt settles there." in text
    assert "- Arcuate\n- Bird's-foot" in text
    assert "Delta | Area\nNile | 24,000 km²" in text
    assert "  depth = 4 m\n  width = 9 m" in text
    assert [mark.label for mark in source.sections] == ["River deltas", "Types"]
    heading_at(source, "Types")
    assert source.locate(text.index("Nile")).section == "Types"


def test_html_without_main_uses_its_articles_and_keeps_their_titles(tmp_path: Path) -> None:
    page = (
        "<body><nav>Menu</nav><p>SidebarBlurb outside</p>"
        "<article><header><h1>First post</h1></header><p>One.</p><footer>Share</footer></article>"
        "<article><h1>Second post</h1><p>Two.</p></article></body>"
    )
    path = tmp_path / "blog.htm"
    path.write_text(page, encoding="utf-8")
    source = read_source(path)
    assert source.text == "First post\n\nOne.\n\nSecond post\n\nTwo."
    assert [mark.label for mark in source.sections] == ["First post", "Second post"]


def test_html_encoding_comes_from_its_meta_tag(tmp_path: Path) -> None:
    path = tmp_path / "latin.html"
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Café crème</p></body></html>'
    path.write_bytes(page.encode("latin-1"))
    assert read_source(path).text == "Café crème"


def test_html_with_only_furniture_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "shell.html"
    path.write_text("<body><nav>Home</nav><script>app()</script></body>", encoding="utf-8")
    with pytest.raises(SourceError, match=r"shell\.html has no text in its main content"):
        read_source(path)


# EPUB


def test_epub_from_pandoc_reads_chapters_in_order(tmp_path: Path) -> None:
    book = pandoc(MARKDOWN, tmp_path / "survey.epub", "--metadata", "title=Survey Book")
    source = read_source(book)
    assert source.kind is SourceKind.EPUB
    text = source.text
    assert "<" not in text
    assert text.index("The clay layer") < text.index("- Take a core") < text.index("The sand")
    assert "Layer | Depth" in text
    for label in ["Soil survey", "Sampling", "Results"]:
        heading_at(source, label)
    assert source.locate(text.index("The sand drains")).section == "Results"


def hand_made_epub(path: Path, chapters: dict[str, str], spine: list[str]) -> Path:
    """An EPUB 3 laid out by hand: container, package in a subfolder, chapters, a nav document."""
    manifest = "".join(
        f'<item id="{cid}" href="text/{cid}.xhtml" media-type="application/xhtml+xml"/>'
        for cid in chapters
    )
    manifest += (
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
    )
    itemrefs = "".join(f'<itemref idref="{cid}"/>' for cid in spine)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr(
            "META-INF/container.xml",
            '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0">'
            '<rootfiles><rootfile full-path="OEBPS/content.opf" '
            'media-type="application/oebps-package+xml"/></rootfiles></container>',
        )
        archive.writestr(
            "OEBPS/content.opf",
            '<package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
            f"<manifest>{manifest}</manifest>"
            f'<spine><itemref idref="nav"/>{itemrefs}</spine></package>',
        )
        archive.writestr("OEBPS/nav.xhtml", "<html><body><nav>NavTocNoise</nav></body></html>")
        for cid, body in chapters.items():
            archive.writestr(f"OEBPS/text/{cid}.xhtml", body)
    return path


def test_hand_made_epub_follows_the_spine_not_the_manifest(tmp_path: Path) -> None:
    chapters = {
        "c1": "<html><head><title>Opening</title></head>"
        "<body><p>Words of the first.</p></body></html>",
        "c2": "<html><body><h1>Middle</h1><p>Words of the second.</p></body></html>",
        "c3": "<html><body><h2>Close</h2><p>Words of the third.</p></body></html>",
    }
    seen: list[tuple[int, int]] = []
    book = hand_made_epub(tmp_path / "book.epub", chapters, ["c3", "c1", "c2"])
    source = read_source(book, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    text = source.text
    assert "NavTocNoise" not in text
    assert text.index("third") < text.index("first") < text.index("second")
    # A chapter with no heading is marked with its <title>.
    assert [mark.label for mark in source.sections] == ["Close", "Opening", "Middle"]
    assert source.locate(text.index("Words of the first")).section == "Opening"
    assert text[source.sections[1].offset :].startswith("Words of the first.")


def test_epub_with_drm_is_reported_as_encrypted(tmp_path: Path) -> None:
    chapters = {"c1": "<html><body><p>Locked words.</p></body></html>"}
    path = hand_made_epub(tmp_path / "drm.epub", chapters, ["c1"])
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(
            "META-INF/encryption.xml",
            '<encryption><EncryptedData><CipherReference URI="OEBPS/text/c1.xhtml"/>'
            "</EncryptedData></encryption>",
        )
    with pytest.raises(SourceError, match=r"drm\.epub is encrypted"):
        read_source(path)


def test_epub_missing_a_spine_chapter_is_damaged(tmp_path: Path) -> None:
    chapters = {"c1": "<p>One.</p>", "c2": "<p>Two.</p>"}
    whole = hand_made_epub(tmp_path / "whole.epub", chapters, ["c1", "c2"])
    assert read_source(whole).text.endswith("Two.")
    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(whole) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            if item.filename != "OEBPS/text/c2.xhtml":
                dst.writestr(item, src.read(item))
    with pytest.raises(SourceError, match=r"broken\.epub is damaged or truncated"):
        read_source(broken)


def test_truncated_epub_is_damaged(tmp_path: Path) -> None:
    whole = pandoc(MARKDOWN, tmp_path / "whole.epub", "--metadata", "title=T").read_bytes()
    path = tmp_path / "cut.epub"
    path.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(SourceError, match=r"cut\.epub is damaged or truncated"):
        read_source(path)
