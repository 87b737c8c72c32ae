"""No pair is ever lost: the window paths that once lost pairs or sent a key to the wrong host.

Each test drives the real window offscreen, and each was seen to fail before its fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from ui_support import OFFSCREEN_NOISE, Dialogs

from qagen_desktop.core import paths
from qagen_desktop.core.datasets import load_dataset
from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.main_window import MainWindow

pytestmark = OFFSCREEN_NOISE
Button = QMessageBox.StandardButton


def _pairs(n: int) -> list[QAPair]:
    return [QAPair(f"Question {i}?", f"Answer {i}.") for i in range(n)]


def _choose(monkeypatch: pytest.MonkeyPatch, which: str, path: Path | None) -> None:
    monkeypatch.setattr(QFileDialog, which, lambda *a, **k: (str(path) if path else "", ""))


def _journals() -> list[Path]:
    return sorted(paths.recovery_dir().glob("*.jsonl"))


def test_close_and_save_with_selected_rows_only_saves_every_pair(
    window: MainWindow, dialogs: Dialogs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.model.append_pairs(_pairs(5))
    window.results_pane.selectedOnlyCheck.setChecked(True)
    window.results_pane.table.selectRow(1)
    out = tmp_path / "all.jsonl"
    _choose(monkeypatch, "getSaveFileName", out)
    dialogs.answer = Button.Save

    assert window.close()

    assert [p.question for p in load_dataset(out).pairs] == [p.question for p in _pairs(5)]


@pytest.mark.parametrize("file_chosen", ["cancelled", "unreadable"])
def test_open_then_discard_changes_nothing_until_a_file_is_read(
    window: MainWindow,
    dialogs: Dialogs,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    file_chosen: str,
) -> None:
    window.model.append_pairs(_pairs(3))
    journal = window.controller.document.journal.path
    dialogs.answer = Button.Discard
    _choose(
        monkeypatch,
        "getOpenFileName",
        tmp_path / "missing.jsonl" if file_chosen == "unreadable" else None,
    )

    assert not window.controller.open_dataset()

    assert window.model.rowCount() == 3
    assert window.isWindowModified() and window.controller.document.dirty
    assert journal is not None and journal.exists()
    dialogs.shown.clear()
    dialogs.answer = Button.Cancel
    assert not window.close()  # The next close still asks.
    assert "3 pairs" in dialogs.texts("question")[0]
