"""The ``meta`` object: a pair's origin and verdict, written, read back, never a dropped field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qagen_desktop.core.datasets import FORMATS, load_dataset, save_dataset
from qagen_desktop.core.records import PairStatus, QAPair


def _reviewed() -> list[QAPair]:
    return [
        QAPair("What is p. 3 about?", "Pumps.", 4, "Pumps move water.", document="manual.pdf",
               page=3, status=PairStatus.ACCEPTED, score=9, reason="Grounded."),
        QAPair("Who wrote it?", "Ada.", 0, "Ada wrote it.", document="notes.md",
               section="Authors", status=PairStatus.REJECTED, rejection="unsupported"),
        QAPair("Typed by hand?", "Yes.", status=PairStatus.EDITED),
    ]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
def test_meta_is_written_last_and_read_back_in_every_format(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "reviewed.jsonl"
    save_dataset(path, _reviewed(), fmt, include_context=True, include_meta=True)

    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert list(first)[-1] == "meta"
    assert first["meta"] == {
        "source": "manual.pdf", "page": 3, "chunk": 4, "status": "accepted",
        "score": 9, "reason": "Grounded.",
    }  # fmt: skip
    loaded = load_dataset(path)
    assert loaded.include_meta and loaded.dropped_fields == []
    assert loaded.pairs == _reviewed()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_with_meta_saves_again_byte_for_byte(tmp_path: Path, fmt: str) -> None:
    first = tmp_path / "a.jsonl"
    again = tmp_path / "b.jsonl"
    save_dataset(first, _reviewed(), fmt, include_meta=True)
    loaded = load_dataset(first)
    save_dataset(again, loaded.pairs, fmt, include_meta=loaded.include_meta)
    assert again.read_bytes() == first.read_bytes()


def test_without_meta_the_lines_are_the_plain_format(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl"
    save_dataset(path, _reviewed()[:1], "qa")
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "question": "What is p. 3 about?",
        "answer": "Pumps.",
    }
    assert not load_dataset(path).include_meta


def test_a_meta_object_of_another_tool_loses_nothing_and_breaks_nothing(tmp_path: Path) -> None:
    path = tmp_path / "other.jsonl"
    lines = [
        {"question": "Q1?", "answer": "A1.", "meta": {"status": "shiny", "score": "high",
                                                      "page": 0, "chunk": True}},
        {"question": "Q2?", "answer": "A2.", "meta": "not an object"},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")

    loaded = load_dataset(path)

    assert [p.question for p in loaded.pairs] == ["Q1?", "Q2?"]
    assert loaded.bad_lines == []
    first = loaded.pairs[0]
    assert (first.status, first.score, first.page, first.chunk) == (
        PairStatus.ACCEPTED,
        None,
        None,
        None,
    )
