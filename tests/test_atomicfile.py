"""Atomic writes: the target is replaced whole or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qagen_desktop.core.atomicfile import atomic_write_bytes, atomic_write_chunks


def test_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "qa.jsonl"
    target.write_bytes(b"old\n")
    atomic_write_bytes(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["qa.jsonl"]


def test_a_failure_mid_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "qa.jsonl"
    target.write_bytes(b"old\n")

    def chunks() -> Iterator[bytes]:
        yield b"partial"
        raise RuntimeError("encoder broke")

    with pytest.raises(RuntimeError):
        atomic_write_chunks(target, chunks())
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["qa.jsonl"]


def test_permissions_of_the_replaced_file_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "qa.jsonl"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    atomic_write_bytes(target, b"new\n")
    assert target.stat().st_mode & 0o777 == 0o640
