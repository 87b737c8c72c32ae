"""A second Generate while the table holds pairs: replace them or add to them (asked once, or
remembered), and, when adding, drop the questions the table already has."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from qagen_desktop.core.records import QAPair
from qagen_desktop.core.settings import Settings
from qagen_desktop.ui.controllers.document import DocumentController

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


class Again(Enum):
    """What a run does with the pairs already in the table."""

    ASK = "ask"
    REPLACE = "replace"
    ADD = "add"


AskAgain = Callable[[int], "tuple[Again, bool] | None"]
"""Asks what to do with ``count`` pairs: the choice and whether to remember it; None cancels."""


def ask_in_message_box(parent: QWidget | None) -> AskAgain:
    """The question as a message box over ``parent``, with "Don't ask again"."""

    def ask(count: int) -> tuple[Again, bool] | None:
        # Imported when asked: the message box classes are no part of the first paint.
        from PySide6.QtWidgets import QCheckBox, QMessageBox

        box = QMessageBox(parent)
        box.setWindowTitle("Generate again")
        box.setText(f"The table holds {count:,} pairs. Replace them, or add the new pairs?")
        box.setInformativeText("Adding drops new questions that the table already has.")
        replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        add = box.addButton("Add", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(add)
        remember = QCheckBox("Don't ask again")
        box.setCheckBox(remember)
        box.exec()
        clicked = box.clickedButton()
        if clicked is replace:
            return Again.REPLACE, remember.isChecked()
        if clicked is add:
            return Again.ADD, remember.isChecked()
        return None

    return ask


class GenerateAgain:
    """Decides, before a run, what happens to the table; filters the run's pairs when adding."""

    def __init__(self, document: DocumentController, settings: Settings, ask: AskAgain) -> None:
        self.document = document
        self.settings = settings
        self.ask = ask
        self.dropped = 0
        self._known: set[str] = set()

    def remembered(self) -> Again:
        try:
            return Again(self.settings.generate_again)
        except ValueError:
            return Again.ASK

    def before_run(self) -> bool:
        """Settle the table for a new run; False when the person cancelled."""
        self.dropped = 0
        self._known = set()
        model = self.document.model
        count = model.rowCount()
        if not count:
            return True
        choice = self.remembered()
        if choice is Again.ASK:
            answer = self.ask(count)
            if answer is None:
                return False
            choice, remember = answer
            if remember:
                self.settings.generate_again = choice.value
        if choice is Again.REPLACE:
            if not self.document.confirm_discard():
                return False
            self.document.replace([], base=None, path=None)
            return True
        from qagen_desktop.core.parsing import normalise_question  # json-repair: not at start

        self._known = {normalise_question(pair.question) for pair in model.pairs}
        return True

    def keep_new(self, pairs: list[QAPair]) -> list[QAPair]:
        """The pairs whose question the table did not hold before the run."""
        if not self._known:
            return pairs
        from qagen_desktop.core.parsing import normalise_question

        kept = [pair for pair in pairs if normalise_question(pair.question) not in self._known]
        self.dropped += len(pairs) - len(kept)
        return kept
