"""Context files: UTF-8 text is read whole; everything else gets one plain message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qagen_desktop.core.contextfile import decode_context, read_context_file
from qagen_desktop.core.errors import ConfigError, ContextFileError


def test_utf8_text_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "ctx.txt"
    text = "Première ligne.\n\nZweite Zeile — 第三行.\n"
    path.write_text(text, encoding="utf-8")
    assert read_context_file(path) == text


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfHello world.")
    assert read_context_file(path) == "Hello world."


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ContextFileError, match="does not exist"):
        read_context_file(tmp_path / "nope.txt")


def test_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContextFileError, match="is a folder"):
        read_context_file(tmp_path)


@pytest.mark.parametrize("content", [b"", b"   \n\t\n  "])
def test_empty_or_blank_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(ContextFileError, match="is empty"):
        read_context_file(path)


def test_pdf_renamed_txt_is_not_a_utf8_text_file(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x00stream")
    with pytest.raises(ContextFileError, match="not a UTF-8 text file"):
        read_context_file(path)


def test_latin1_text_is_not_a_utf8_text_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café crème, déjà vu.".encode("latin-1"))
    with pytest.raises(ContextFileError, match="not a UTF-8 text file"):
        read_context_file(path)


def test_utf16_text_is_not_a_utf8_text_file() -> None:
    with pytest.raises(ContextFileError, match="not a UTF-8 text file"):
        decode_context("Hello".encode("utf-16"), "<stdin>")


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user"
)
def test_unreadable_file_names_permissions(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("text", encoding="utf-8")
    path.chmod(0)
    try:
        with pytest.raises(ContextFileError, match="permission denied"):
            read_context_file(path)
    finally:
        path.chmod(0o600)


def test_context_errors_are_config_errors_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        read_context_file(tmp_path / "missing.txt")
    assert "\n" not in str(info.value)


def test_twenty_megabytes_read_fine(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    paragraph = "The river carries silt to the delta, where it settles into new land. " * 10
    with path.open("w", encoding="utf-8") as handle:
        while handle.tell() < 20 * 1024 * 1024:
            handle.write(paragraph + "\n\n")
    text = read_context_file(path)
    assert len(text) >= 20 * 1024 * 1024


def test_context_file_errors_are_source_errors(tmp_path: Path) -> None:
    # The window and the CLI catch ContextFileError today and SourceError after the merge: both
    # must see the same failures.
    from qagen_desktop.core.sources import SourceError

    path = tmp_path / "latin1.md"
    path.write_bytes("Déjà vu".encode("latin-1"))
    with pytest.raises(SourceError) as info:
        read_context_file(path)
    assert isinstance(info.value, ContextFileError)
