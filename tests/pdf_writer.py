"""A minimal PDF writer for tests and benchmarks: pages of text lines, or pages of one image.

It writes real PDF 1.4 (a catalogue, a page tree, a standard Helvetica font, one content stream per
page, a correct cross-reference table), which any reader opens; no PDF library in the test
environment writes text.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence


def _escape(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return escaped.encode("latin-1")


def _text_stream(lines: Sequence[str]) -> bytes:
    """Each line one text object, top to bottom, 14 points apart."""
    parts = [b"BT /F1 11 Tf 72 770 Td 14 TL"]
    for line in lines:
        parts.append(b"(" + _escape(line) + b") Tj T*")
    parts.append(b"ET")
    return b"\n".join(parts)


def _image_stream() -> bytes:
    return b"q 200 0 0 200 100 500 cm /Im1 Do Q"


def make_pdf(pages: Sequence[Sequence[str] | None], *, compress: bool = False) -> bytes:
    """A PDF with one page per entry: its text lines, or None for a page that is only an image.

    ``compress`` deflates the page contents, as most PDFs in the wild do.
    """
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree's number is known
    tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pixels = zlib.compress(bytes(range(256)) * 64)  # 128x128 grey, a stand-in for a scan
    image = add(
        b"<< /Type /XObject /Subtype /Image /Width 128 /Height 128 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % len(pixels)
        + pixels
        + b"\nendstream"
    )
    kids: list[int] = []
    for lines in pages:
        content = _image_stream() if lines is None else _text_stream(lines)
        flate = b""
        if compress:
            content, flate = zlib.compress(content), b" /Filter /FlateDecode"
        stream = add(
            b"<< /Length %d%s >>\nstream\n" % (len(content), flate) + content + b"\nendstream"
        )
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> /XObject << /Im1 %d 0 R >> >> >>"
                % (tree, stream, font, image)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    refs = b" ".join(b"%d 0 R" % kid for kid in kids)
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        xref,
    )
    return bytes(out)
