"""``qagen generate`` over documents of every kind, and over files it cannot read.

Real documents are made in the test's folder (tests/documents.py: pdf_writer, pandoc, qpdf) and
``qagen`` runs as a subprocess against the loopback server, which records what it was sent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from documents import NOT_SENT, WORDS, bad_pdfs, four_documents, sentences
from fake_server import FakeLLMServer
from qagen_process import assert_plain_failure, read_jsonl, run_qagen

_CHUNK = re.compile(r'"""\n?(.*?)\n?"""', re.DOTALL)


def sent_texts(server: FakeLLMServer) -> list[str]:
    """The chunk of text each request carried (between the prompt's triple quotes)."""
    texts = []
    for request in server.requests:
        match = _CHUNK.search(request.prompt)
        assert match, request.prompt
        texts.append(match.group(1))
    return texts


def test_four_kinds_of_document_give_exactly_n_pairs_each_named_with_its_page(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    four_documents(tmp_path)
    done = run_qagen(
        [
            "generate",
            *WORDS,
            "-n",
            "16",
            "--with-meta",
            "--chunk-chars",
            "300",
            "--endpoint",
            server.url,
        ],
        cwd=tmp_path,
    )
    assert done.code == 0, done.output
    lines = read_jsonl(tmp_path / "qa.jsonl")
    assert len(lines) == 16
    assert {line["meta"]["source"] for line in lines} == set(WORDS)
    metas = [line["meta"] for line in lines]
    pdf_pages = [meta.get("page") for meta in metas if meta["source"] == "manual.pdf"]
    assert pdf_pages and all(isinstance(page, int) and page >= 1 for page in pdf_pages)
    assert len(set(pdf_pages)) > 1, "short chunks: the manual's pairs come from several pages"
    assert all("chunk" in line["meta"] for line in lines)

    texts = sent_texts(server)
    sent = "\n".join(texts)
    for word in WORDS.values():
        assert word in sent
    for text in texts:
        # One chunk, one document: a chunk never holds two documents' words.
        assert sum(word in text for word in WORDS.values()) == 1, text
        for marker in NOT_SENT:
            assert marker not in text, (marker, text)
        assert all(char.isprintable() or char == "\n" for char in text), repr(text)


def test_with_source_writes_the_chunk_each_pair_came_from(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    docs = four_documents(tmp_path)
    done = run_qagen(
        ["generate", str(docs[2]), "-n", "2", "--with-source", "--endpoint", server.url],
        cwd=tmp_path,
    )
    assert done.code == 0, done.output
    for line in read_jsonl(tmp_path / "qa.jsonl"):
        assert line["context"].startswith("The orchard")
        assert sentences("orchard", 1)[0] in line["context"]
        assert "meta" not in line


def test_a_folder_stands_for_its_documents(server: FakeLLMServer, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    four_documents(folder)
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n")
    done = run_qagen(
        ["generate", "docs", "-n", "8", "--with-meta", "--endpoint", server.url], cwd=tmp_path
    )
    assert done.code == 0, done.output
    assert {line["meta"]["source"] for line in read_jsonl(tmp_path / "qa.jsonl")} == set(WORDS)


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("encrypted", "is encrypted: remove the password first."),
        ("scanned", "has no text layer (scanned): it needs OCR first."),
        ("truncated", "is damaged or truncated"),
    ],
)
def test_a_bad_pdf_alone_is_one_plain_line_and_nothing_is_sent(
    server: FakeLLMServer, tmp_path: Path, kind: str, says: str
) -> None:
    path = bad_pdfs(tmp_path)[kind]
    done = run_qagen(["generate", path.name, "--endpoint", server.url], cwd=tmp_path)
    line = assert_plain_failure(done, 2)
    assert line.startswith(f"qagen: error: {path.name} {says}")
    assert done.stderr.strip() == line, "one line, nothing else"
    assert server.request_count == 0
    assert not (tmp_path / "qa.jsonl").exists()


def test_bad_pdfs_beside_a_good_file_are_reported_and_the_good_file_is_used(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    bad = bad_pdfs(tmp_path)
    good = four_documents(tmp_path)[1]
    names = [bad["encrypted"].name, good.name, bad["scanned"].name, bad["truncated"].name]
    done = run_qagen(
        ["generate", *names, "-n", "4", "--with-meta", "--endpoint", server.url], cwd=tmp_path
    )
    assert done.code == 1, done.output  # pairs written, but not from every source asked for
    errors = [line for line in done.stderr.splitlines() if line.startswith("qagen: error: ")]
    assert [line.split()[2] for line in errors] == [
        "encrypted.pdf",
        "scanned.pdf",
        "truncated.pdf",
    ]
    assert "3 source(s) could not be read" in done.stderr
    lines = read_jsonl(tmp_path / "qa.jsonl")
    assert len(lines) == 4
    assert {line["meta"]["source"] for line in lines} == {"spec.docx"}
    assert "Traceback" not in done.output


def test_every_source_bad_is_one_line_each_and_exit_2(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    bad = bad_pdfs(tmp_path)
    (tmp_path / "notes.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    names = [bad["scanned"].name, "missing.txt", "notes.doc"]
    done = run_qagen(["generate", *names, "--endpoint", server.url], cwd=tmp_path)
    assert_plain_failure(done, 2)
    lines = done.stderr.splitlines()
    assert len(lines) == 3 and all(line.startswith("qagen: error: ") for line in lines)
    assert "scanned.pdf has no text layer" in lines[0]
    assert "missing.txt" in lines[1]
    assert "notes.doc" in lines[2] and ".docx" in lines[2]
    assert server.request_count == 0


def test_standard_input_is_a_source_beside_files(server: FakeLLMServer, tmp_path: Path) -> None:
    good = four_documents(tmp_path)[2]
    piped = "\n\n".join(sentences("windmill", 4)).encode()
    done = run_qagen(
        ["generate", "-", good.name, "-n", "4", "--with-meta", "--endpoint", server.url],
        cwd=tmp_path,
        stdin=piped,
    )
    assert done.code == 0, done.output
    sources = {line["meta"]["source"] for line in read_jsonl(tmp_path / "qa.jsonl")}
    assert sources == {"standard input", "page.html"}
