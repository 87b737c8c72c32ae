"""Files through the window: open and save in every format, unsaved changes, recent files, the
context file, and the table's editing (undo, redo, delete, filter)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, Dialogs

from qagen_desktop.core import paths
from qagen_desktop.core.datasets import save_dataset
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.settings import FORMATS, load_settings
from qagen_desktop.ui.main_window import MainWindow
from qagen_desktop.ui.table.results_model import ANSWER, QUESTION

pytestmark = OFFSCREEN_NOISE


def _pairs(n: int) -> list[QAPair]:
    return [
        QAPair(f"Qüestion {i}?", f"Answer {i},\nwith a line break.", i % 2, f"Chunk {i % 2}.")
        for i in range(n)
    ]


def _choose(monkeypatch: pytest.MonkeyPatch, which: str, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, which, lambda *a, **k: (str(path), ""))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("include_context", [False, True])
def test_open_then_save_is_byte_identical_in_every_format(
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    include_context: bool,
) -> None:
    original = tmp_path / f"in-{fmt}.jsonl"
    save_dataset(
        original, _pairs(25), fmt, include_context=include_context, system_message="Be brief."
    )
    _choose(monkeypatch, "getOpenFileName", original)
    window.actionOpen.trigger()

    assert window.model.rowCount() == 25
    assert window.results_pane.exportFormatCombo.currentText() == fmt
    assert window.windowTitle() == f"in-{fmt}.jsonl[*] — qagen-desktop"
    assert not window.isWindowModified()
    copy = tmp_path / "out.jsonl"
    _choose(monkeypatch, "getSaveFileName", copy)
    window.actionSaveAs.trigger()
    assert copy.read_bytes() == original.read_bytes()


def test_bad_lines_are_reported_with_their_numbers(
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dialogs: Dialogs,
) -> None:
    path = tmp_path / "mixed.jsonl"
    good = json.dumps({"question": "Q?", "answer": "A."})
    path.write_text(f"{good}\n{{not json\n{good}\n[1, 2]\n", encoding="utf-8")
    _choose(monkeypatch, "getOpenFileName", path)
    window.actionOpen.trigger()

    assert window.model.rowCount() == 2
    [report] = dialogs.texts("warning")
    assert "Line 2" in report and "Line 4" in report


def test_an_unreadable_file_is_a_message_not_a_crash(
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dialogs: Dialogs,
) -> None:
    _choose(monkeypatch, "getOpenFileName", tmp_path / "missing.jsonl")
    window.actionOpen.trigger()
    [message] = dialogs.texts("warning")
    assert "missing.jsonl" in message
    assert window.model.rowCount() == 0


def test_save_writes_the_export_format_with_the_source_chunk_or_only_selected_rows(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.model.append_pairs(_pairs(4))
    pane = window.results_pane
    pane.exportFormatCombo.setCurrentText("alpaca")
    pane.includeContextCheck.setChecked(True)
    out = tmp_path / "alpaca"
    _choose(monkeypatch, "getSaveFileName", out)
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    written = (tmp_path / "alpaca.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(written[1]) == {
        "instruction": "Qüestion 1?",
        "input": "Chunk 1.",
        "output": "Answer 1,\nwith a line break.",
    }

    pane.selectedOnlyCheck.setChecked(True)
    pane.table.selectRow(2)
    window.model.append_pairs([QAPair("Unsaved?", "Yes.")])
    subset = tmp_path / "subset.jsonl"
    _choose(monkeypatch, "getSaveFileName", subset)
    window.actionSave.trigger()  # Selected rows only: always asks where.
    assert len(subset.read_text(encoding="utf-8").splitlines()) == 1
    # An export of some rows leaves the table unsaved.
    assert window.isWindowModified()


def test_closing_with_unsaved_pairs_asks_and_cancel_keeps_the_window(
    window: MainWindow,
    dialogs: Dialogs,
) -> None:
    window.model.append_pairs(_pairs(3))
    assert window.isWindowModified()
    dialogs.answer = QMessageBox.StandardButton.Cancel
    assert not window.close()
    assert window.isVisible()
    assert "3 pairs" in dialogs.texts("question")[0]

    dialogs.answer = QMessageBox.StandardButton.Discard
    assert window.close()
    assert not list(paths.recovery_dir().glob("*.jsonl"))


def test_closing_with_save_chosen_saves_first(
    window: MainWindow,
    dialogs: Dialogs,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window.model.append_pairs(_pairs(3))
    out = tmp_path / "kept.jsonl"
    _choose(monkeypatch, "getSaveFileName", out)
    dialogs.answer = QMessageBox.StandardButton.Save
    assert window.close()
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


def test_settings_and_layout_persist_without_the_key(
    qtbot: QtBot, window: MainWindow, user_dirs: dict[str, Path]
) -> None:
    window.endpoint_pane.endpointEdit.setText("http://localhost:11434/v1")
    window.endpoint_pane.modelEdit.setText("llama3.1")
    window.endpoint_pane.apiKeyEdit.setText("sk-never-in-a-file")
    window.pairsSpin.setValue(42)
    window.resize(760, 560)  # within the offscreen screen, so the geometry comes back as is
    window.mainSplitter.setSizes([400, 360])
    sizes = window.mainSplitter.sizes()
    assert window.close()

    settings = load_settings()
    assert (settings.endpoint, settings.model, settings.pairs) == (
        "http://localhost:11434/v1",
        "llama3.1",
        42,
    )
    assert settings.window["geometry"]
    text = paths.settings_file().read_text(encoding="utf-8")
    assert "sk-never-in-a-file" not in text

    again = MainWindow()
    qtbot.addWidget(again)
    assert again.endpoint_pane.modelEdit.text() == "llama3.1"
    assert again.pairsSpin.value() == 42
    again.show()
    assert again.size() == window.size()
    assert again.mainSplitter.sizes() == sizes
    again.close()


def test_recent_files_reopen_a_dataset(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "recent.jsonl"
    save_dataset(path, _pairs(3))
    _choose(monkeypatch, "getOpenFileName", path)
    window.actionOpen.trigger()
    window.controller.clear_results()
    assert window.model.rowCount() == 0

    window.recentMenu.aboutToShow.emit()
    [entry] = window.recentMenu.actions()
    assert entry.text() == str(path.resolve())
    entry.trigger()
    assert window.model.rowCount() == 3


def test_context_file_loads_from_the_menu_and_by_dropping_it(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dialogs: Dialogs,
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("\ufeff# Notes\n\nThe text to ask about.\n", encoding="utf-8")
    _choose(monkeypatch, "getOpenFileName", notes)
    window.actionLoadContext.trigger()
    assert window.context_pane.text() == "# Notes\n\nThe text to ask about.\n"
    qtbot.waitUntil(lambda: "characters" in window.context_pane.countLabel.text())
    assert "1 chunk" in window.context_pane.countLabel.text()

    binary = tmp_path / "report.txt"
    binary.write_bytes(b"%PDF-1.7\x00\x01")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(binary))])
    editor = window.context_pane.contextEdit
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    editor.dropEvent(drop)
    assert "not a UTF-8 text file" in dialogs.texts("warning")[0]
    assert window.context_pane.text().startswith("# Notes")


def test_delete_key_removes_selected_rows_and_undo_redo_restore_them(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.model.append_pairs(_pairs(6))
    table = window.results_pane.table
    table.setFocus()
    table.selectRow(1)
    table.selectionModel().select(
        window.results_pane.proxy.index(4, 0),
        table.selectionModel().SelectionFlag.Select | table.selectionModel().SelectionFlag.Rows,
    )
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert [p.question for p in window.model.pairs] == [
        "Qüestion 0?",
        "Qüestion 2?",
        "Qüestion 3?",
        "Qüestion 5?",
    ]
    qtbot.keyClick(table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(window.model.pairs) == 6 and window.model.pairs[4].question == "Qüestion 4?"
    window.controller.action_redo.trigger()
    assert len(window.model.pairs) == 4


def test_cell_edits_and_added_rows_undo(qtbot: QtBot, window: MainWindow) -> None:
    window.model.append_pairs(_pairs(2))
    proxy = window.results_pane.proxy
    proxy.setData(proxy.index(0, ANSWER), "A sharper answer.")
    window.controller.add_row()
    table = window.results_pane.table
    editor = table.indexWidget(table.currentIndex())
    assert editor is not None
    qtbot.keyClicks(editor, "Typed question?")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.model.pairs[2].question == "Typed question?")
    assert window.model.pairs[0].answer == "A sharper answer."

    undo = window.controller.document.undo_stack
    undo.undo()  # the typed question
    undo.undo()  # the added row
    undo.undo()  # the edit
    assert [p.question for p in window.model.pairs] == ["Qüestion 0?", "Qüestion 1?"]
    assert window.model.pairs[0].answer.startswith("Answer 0")


def test_filter_shows_matching_rows_and_edits_reach_the_right_pair(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.model.append_pairs(_pairs(30))
    qtbot.keyClicks(window.results_pane.filterEdit, "ESTION 2")
    proxy = window.results_pane.proxy
    qtbot.waitUntil(lambda: proxy.rowCount() == 11)  # 2 and 20-29
    proxy.setData(proxy.index(1, QUESTION), "Renamed?")
    assert window.model.pairs[20].question == "Renamed?"
    window.results_pane.filterEdit.clear()
    qtbot.waitUntil(lambda: proxy.rowCount() == 30)


def test_a_dataset_with_100000_rows_scrolls_to_the_end(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.jsonl"
    save_dataset(path, (QAPair(f"Q{i}?", f"A{i}.") for i in range(100_000)))
    _choose(monkeypatch, "getOpenFileName", path)
    window.actionOpen.trigger()
    table = window.results_pane.table
    table.scrollToBottom()
    qtbot.waitUntil(lambda: table.rowAt(table.viewport().height() - 2) == 99_999)


def test_the_application_has_its_icon(qapp: object) -> None:
    from qagen_desktop.ui.app import app_icon

    icon = app_icon()
    assert not icon.isNull()
    assert icon.pixmap(32, 32).width() == 32


REQUIRED_NAMES = (
    "providerCombo",
    "endpointEdit",
    "modelEdit",
    "apiKeyEdit",
    "contextEdit",
    "pairsSpin",
    "generateButton",
    "cancelButton",
    "resultsTable",
    "progressBar",
)


def test_widgets_have_their_object_names_and_plain_accessible_names(window: MainWindow) -> None:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QWidget

    for name in REQUIRED_NAMES:
        widget = window.findChild(QWidget, name)
        assert widget is not None, name
        assert widget.accessibleName() and widget.accessibleName() != name
    assert window.findChild(QWidget, "endpointEdit").accessibleName() == "Endpoint URL"  # type: ignore[union-attr]
    assert window.findChild(QWidget, "apiKeyEdit").accessibleName() == "API key"  # type: ignore[union-attr]
    shortcuts = {
        "actionOpen": "Ctrl+O",
        "actionSave": "Ctrl+S",
        "actionSaveAs": "Ctrl+Shift+S",
        "actionGenerate": "Ctrl+Return",
        "actionCancel": "Esc",
        "actionDeleteRows": "Del",
    }
    for name, keys in shortcuts.items():
        action = window.findChild(QAction, name)
        assert action is not None, name
        assert action.shortcut().toString() == keys


def test_azure_shows_deployment_and_api_version(window: MainWindow) -> None:
    pane = window.endpoint_pane
    assert not pane.deploymentEdit.isVisible()
    pane.providerCombo.setCurrentText("azure")
    assert pane.deploymentEdit.isVisible() and pane.apiVersionEdit.isVisible()
    pane.endpointEdit.setText("https://res.openai.azure.com")
    pane.deploymentEdit.setText("gpt-4o")
    assert (
        pane.endpoint()
        .chat_url()
        .startswith(
            "https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version="
        )
    )


def test_an_answer_is_edited_over_several_lines(qtbot: QtBot, window: MainWindow) -> None:
    window.model.append_pairs(_pairs(2))
    pane = window.results_pane
    pane.edit_row(1, ANSWER)
    editor = pane.table.indexWidget(pane.table.currentIndex())
    assert editor is not None
    qtbot.keyClicks(editor, "First line.")
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(editor, "Second line.")
    # Ctrl+Return, the Generate shortcut elsewhere, keeps the edit inside a cell.
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not pane.is_editing())
    assert window.model.pairs[1].answer == "First line.\nSecond line."
    assert not window.controller.run.running
    window.controller.document.undo_stack.undo()
    assert window.model.pairs[1].answer.startswith("Answer 1")
