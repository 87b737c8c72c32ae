"""The small things a careful window gets right: a word before saving empty answers, a Save As
name that matches the format, a hint in an empty table, honest counts under a filter, an About
box, and one case style for menus and buttons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QToolButton
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, Dialogs

from qagen_desktop import __version__
from qagen_desktop.core.logging_setup import log_file
from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.main_window import MainWindow
from qagen_desktop.ui.panes.table_hint import EMPTY_TEXT, FILTERED_TEXT

pytestmark = OFFSCREEN_NOISE


class SaveDialog:
    """Stands in for the static save dialog: records the suggested name, answers a path."""

    def __init__(self, answer: Path) -> None:
        self.answer = answer
        self.suggested: list[str] = []

    def __call__(self, _parent: Any, _title: str, suggested: str, *args: Any) -> tuple[str, str]:
        self.suggested.append(suggested)
        return str(self.answer), ""


@pytest.fixture
def save_dialog(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SaveDialog:
    dialog = SaveDialog(tmp_path / "out.jsonl")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    return dialog


def test_saving_an_empty_answer_is_asked_about_first(
    window: MainWindow, dialogs: Dialogs, save_dialog: SaveDialog
) -> None:
    window.model.append_pairs([QAPair("Q1?", "A1."), QAPair("Q2?", "  "), QAPair("Q3?", "")])
    dialogs.answers = [QMessageBox.StandardButton.Cancel]
    window.actionSave.trigger()
    [asked] = dialogs.texts("question")
    assert "2 pairs have an empty answer" in asked and "row 2" in asked
    assert not save_dialog.answer.exists()
    assert window.results_pane.current_row() == 1  # the first empty answer, to fill in

    dialogs.answers = [QMessageBox.StandardButton.Yes]
    window.actionSave.trigger()
    assert save_dialog.answer.exists()
    assert len(save_dialog.answer.read_text(encoding="utf-8").splitlines()) == 3


def test_save_as_suggests_a_name_matching_the_format(
    window: MainWindow, dialogs: Dialogs, save_dialog: SaveDialog
) -> None:
    window.model.append_pairs([QAPair("Q1?", "A1.")])
    window.results_pane.exportFormatCombo.setCurrentText("alpaca")
    window.actionSaveAs.trigger()
    assert Path(save_dialog.suggested[-1]).name == "alpaca.jsonl"


def test_an_empty_table_says_how_to_fill_it_and_a_filter_says_what_it_hides(
    qtbot: QtBot, window: MainWindow
) -> None:
    hint = window.empty_hint
    assert hint.isVisible() and hint.text() == EMPTY_TEXT
    window.model.append_pairs([QAPair(f"Question {i}?", f"Answer {i}.") for i in range(19)])
    assert not hint.isVisible()
    assert window.pairsLabel.text() == "19 pairs"
    pane = window.results_pane
    pane.filterEdit.setText("nothing like this")
    pane.apply_filter()
    assert hint.isVisible() and hint.text() == FILTERED_TEXT
    assert window.pairsLabel.text() == "0 of 19 shown"
    pane.filterEdit.setText("Question 1")
    pane.apply_filter()
    assert window.pairsLabel.text() == "10 of 19 shown"  # 1 and 10-18
    pane.filterEdit.clear()
    pane.apply_filter()
    assert window.pairsLabel.text() == "19 pairs" and not hint.isVisible()


def test_help_about_tells_the_version_and_where_the_log_is(
    window: MainWindow, dialogs: Dialogs
) -> None:
    window.actionAbout.trigger()
    [about] = dialogs.texts("information")
    assert __version__ in about and str(log_file()) in about


def words_after_the_first(text: str) -> list[str]:
    return text.replace("&", "").replace("…", "").split()[1:]


def test_menus_and_buttons_use_sentence_case(window: MainWindow) -> None:
    texts = []
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        texts.append(menu_action.text())
        texts.extend(action.text() for action in menu.actions() if action.text())  # type: ignore[union-attr]
    texts.extend(button.text() for button in window.findChildren(QPushButton) if button.text())
    texts.extend(button.text() for button in window.findChildren(QToolButton) if button.text())
    shouting = [text for text in texts if any(w[:1].isupper() for w in words_after_the_first(text))]
    assert shouting == []
    assert len(texts) > 15
