"""Saving a dataset when its own path cannot be written: a fallback place, or a plain no."""

from __future__ import annotations

import json
from pathlib import Path

from qagen_desktop.core.records import QAPair
from qagen_desktop.core.rescue import save_or_rescue

PAIRS = [QAPair("What flows through London?", "The Thames.")]


def test_the_path_asked_for_is_used_when_it_can_be_written(tmp_path: Path) -> None:
    out = tmp_path / "qa.jsonl"
    saved = save_or_rescue(out, PAIRS, "qa")
    assert (saved.place, saved.problem) == (out, None)
    assert json.loads(out.read_text(encoding="utf-8"))["answer"] == "The Thames."


def test_a_path_that_cannot_be_written_goes_to_the_first_fallback_that_works(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    fallback = tmp_path / "unsaved" / "qa-rescued.jsonl"
    saved = save_or_rescue(
        blocked / "qa.jsonl", PAIRS, "alpaca", fallbacks=lambda: [blocked / "x.jsonl", fallback]
    )
    assert saved.place == fallback and saved.problem
    assert json.loads(fallback.read_text(encoding="utf-8"))["output"] == "The Thames."


def test_nowhere_to_write_says_so(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    saved = save_or_rescue(blocked / "qa.jsonl", PAIRS, "qa", fallbacks=lambda: [blocked / "y"])
    assert saved.place is None and saved.problem
