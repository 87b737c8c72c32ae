"""No pair is ever lost: the window paths that once lost pairs or sent a key to the wrong host.

Each test drives the real window offscreen, and each was seen to fail before its fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, Dialogs

from qagen_desktop.core import paths
from qagen_desktop.core.datasets import load_dataset, save_dataset
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


def _crash(window: MainWindow) -> None:
    """The window goes as after a crash: its journal stays on disk, nothing is asked."""
    document = window.controller.document
    document.journal.close()
    document.journal = type(document.journal)()
    document.dirty = False


def test_edits_over_a_dataset_that_changed_since_are_not_applied_to_other_pairs(
    window: MainWindow, qtbot: QtBot, dialogs: Dialogs, tmp_path: Path
) -> None:
    dataset = tmp_path / "base.jsonl"
    save_dataset(dataset, _pairs(4))
    window.controller.open_dataset(dataset)
    proxy = window.results_pane.proxy
    proxy.setData(proxy.index(1, 1), "Edited answer to question 1.")
    window.model.append_pairs([QAPair("Received after?", "Yes.")])
    _crash(window)
    # Before the next start, someone puts a line on top of the file.
    lines = dataset.read_text(encoding="utf-8")
    dataset.write_text(json.dumps({"question": "New first?", "answer": "New."}) + "\n" + lines)

    dialogs.shown.clear()
    dialogs.answer = Button.Yes
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    qtbot.waitUntil(lambda: second.controller.recovery.checked)

    [question] = dialogs.texts("question")
    assert "changed" in question and "base.jsonl" in question
    # Nothing lands on a pair of the changed file; the pairs the session made are offered back.
    assert [p.question for p in second.model.pairs] == ["Received after?"]
    assert second.controller.document.current_path is None and second.isWindowModified()
    assert load_dataset(dataset).pairs[2].answer == "Answer 1."  # the file itself is untouched
    dialogs.answer = Button.Discard
    second.close()


def test_a_changed_base_file_is_caught_even_with_the_same_size_and_time(tmp_path: Path) -> None:
    import os

    from qagen_desktop.core.journal import BaseChangedError, FileRef, replay

    dataset = tmp_path / "base.jsonl"
    save_dataset(dataset, [QAPair("Question A?", "Answer.")])
    ref = FileRef.of(dataset)
    record = {"op": "base", **{k: v for k, v in vars(ref).items()}}
    dataset.write_bytes(dataset.read_bytes().replace(b"A?", b"B?"))
    os.utime(dataset, ns=(ref.mtime_ns, ref.mtime_ns))

    with pytest.raises(BaseChangedError):
        replay([record], lambda r: load_dataset(r.path).pairs)


def test_fields_the_format_drops_are_named_before_a_save_and_cancel_keeps_the_file(
    window: MainWindow, dialogs: Dialogs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = tmp_path / "tagged.jsonl"
    lines = [
        {"id": i, "question": f"Question {i}?", "answer": f"Answer {i}.", "tags": ["geo"]}
        for i in range(3)
    ]
    dataset.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    original = dataset.read_bytes()
    _choose(monkeypatch, "getOpenFileName", dataset)
    window.actionOpen.trigger()
    proxy = window.results_pane.proxy
    proxy.setData(proxy.index(0, 1), "A better answer.")

    dialogs.shown.clear()
    dialogs.answer = Button.Cancel
    window.actionSave.trigger()
    [question] = dialogs.texts("question")
    assert "id" in question and "tags" in question
    assert dataset.read_bytes() == original
    assert window.isWindowModified()

    dialogs.answer = Button.Yes
    window.actionSave.trigger()
    assert load_dataset(dataset).pairs[0].answer == "A better answer."
    assert not window.isWindowModified()
    dialogs.shown.clear()
    window.actionSave.trigger()  # Told once: the file no longer holds them.
    assert dialogs.texts("question") == []


def test_load_context_asks_before_replacing_text_and_undo_brings_it_back(
    qtbot: QtBot,
    window: MainWindow,
    dialogs: Dialogs,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Loaded from the file.\n", encoding="utf-8")
    editor = window.context_pane.contextEdit
    editor.setFocus()
    qtbot.keyClicks(editor, "Typed by hand.")
    _choose(monkeypatch, "getOpenFileName", notes)

    dialogs.answer = Button.Cancel
    window.actionLoadContext.trigger()
    assert "notes.txt" in dialogs.texts("question")[0]
    assert window.context_pane.text() == "Typed by hand."

    dialogs.answer = Button.Yes
    window.actionLoadContext.trigger()
    assert window.context_pane.text() == "Loaded from the file.\n"
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.context_pane.text() == "Typed by hand."


def test_a_hand_edited_recent_files_list_with_non_paths_still_opens_recent_files(
    qtbot: QtBot, dialogs: Dialogs, tmp_path: Path
) -> None:
    dataset = tmp_path / "recent.jsonl"
    save_dataset(dataset, _pairs(2))
    settings_file = paths.settings_file()
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    recent = [42, None, {"path": "x"}, str(dataset)]
    settings_file.write_text(json.dumps({"recent_files": recent}), encoding="utf-8")
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()

    window.recentMenu.aboutToShow.emit()
    [entry] = window.recentMenu.actions()
    assert entry.text() == str(dataset)
    entry.trigger()
    assert window.model.rowCount() == 2
    window.close()
