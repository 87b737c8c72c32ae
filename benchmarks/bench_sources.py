"""Time and peak memory to read documents of each kind, above all a 500-page PDF.

Run: python benchmarks/bench_sources.py [--pages N]

Each document is generated in a temporary folder, then read by read_source in a fresh process, so
the peak resident memory printed is that one read's (the interpreter and the libraries included).
Targets for the PDF: under 30 s and under 300 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from pdf_writer import make_pdf

_WORDS = [
    "the", "river", "carries", "silt", "to", "delta", "where", "it", "settles", "into", "new",
    "land", "and", "marsh", "plants", "hold", "soil", "against", "tide", "of", "water",
]  # fmt: skip

_MEASURE = """
import json, resource, sys, time
from pathlib import Path
from qagen_desktop.core.sources import read_source
start = time.perf_counter()
source = read_source(Path(sys.argv[1]))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
print(json.dumps({"seconds": seconds, "chars": len(source.text), "pages": source.pages,
                  "marks": len(source.sections), "peak_mb": peak}))
"""


def sentences(rng: random.Random, count: int) -> list[str]:
    return [
        " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 14))).capitalize() + "."
        for _ in range(count)
    ]


def pdf_pages(pages: int, rng: random.Random) -> list[list[str]]:
    """Pages of 40 lines of about 80 characters, with a running header and a page footer."""
    out = []
    for number in range(1, pages + 1):
        words = " ".join(sentences(rng, 40)).split()
        lines, line = [], ""
        for word in words:
            if len(line) + len(word) > 80:
                lines.append(line)
                line = ""
            line = f"{line} {word}".strip()
        out.append(["Delta Survey Handbook", *lines[:40], f"Page {number} of {pages}"])
    return out


def write_documents(folder: Path, pages: int) -> dict[str, Path]:
    rng = random.Random(5)
    paragraphs = [" ".join(sentences(rng, 6)) for _ in range(4000)]
    docs: dict[str, Path] = {}
    docs["pdf"] = folder / "handbook.pdf"
    docs["pdf"].write_bytes(make_pdf(pdf_pages(pages, rng), compress=True))
    docs["txt"] = folder / "notes.txt"
    docs["txt"].write_text("\n\n".join(paragraphs), encoding="utf-8")
    docs["md"] = folder / "notes.md"
    docs["md"].write_text(
        "\n\n".join(f"## Part {i}\n\n{p}" if i % 20 == 0 else p for i, p in enumerate(paragraphs)),
        encoding="utf-8",
    )
    docs["html"] = folder / "page.html"
    body = "".join(
        f"<h2>Part {i}</h2>" if i % 20 == 0 else f"<p>{p}</p>" for i, p in enumerate(paragraphs)
    )
    docs["html"].write_text(
        f"<html><head><script>x()</script></head><body><nav>Home</nav><main>{body}</main>"
        "<footer>Footer</footer></body></html>",
        encoding="utf-8",
    )
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    xml = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    docs["docx"] = folder / "report.docx"
    with zipfile.ZipFile(docs["docx"], "w", zipfile.ZIP_DEFLATED) as archive:
        document = f"<w:document {w}><w:body>{xml}</w:body></w:document>"
        archive.writestr("word/document.xml", document)
    docs["epub"] = folder / "book.epub"
    chapters = [paragraphs[i : i + 100] for i in range(0, len(paragraphs), 100)]
    with zipfile.ZipFile(docs["epub"], "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "META-INF/container.xml",
            '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="content.opf"/></rootfiles></container>',
        )
        items = "".join(
            f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>'
            for i in range(len(chapters))
        )
        refs = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
        archive.writestr(
            "content.opf",
            f'<package xmlns="http://www.idpf.org/2007/opf"><manifest>{items}</manifest>'
            f"<spine>{refs}</spine></package>",
        )
        for i, chapter in enumerate(chapters):
            text = "".join(f"<p>{p}</p>" for p in chapter)
            archive.writestr(f"c{i}.xhtml", f"<html><body><h1>Chapter {i}</h1>{text}</body></html>")
    return docs


def measure(path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500, help="pages in the generated PDF")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        docs = write_documents(Path(folder), args.pages)
        header = ("kind", "file MB", "chars", "seconds", "chars/s", "peak MB")
        print("{:<5} {:>8} {:>10} {:>8} {:>11} {:>8}".format(*header))
        for kind, path in docs.items():
            r = measure(path)
            size = path.stat().st_size / 1048576
            rate = r["chars"] / r["seconds"]
            print(
                f"{kind:<5} {size:8.1f} {r['chars']:10.0f} {r['seconds']:8.2f} {rate:11,.0f}"
                f" {r['peak_mb']:8.0f}" + (f"   ({r['pages']:.0f} pages)" if r["pages"] else "")
            )


if __name__ == "__main__":
    main()
