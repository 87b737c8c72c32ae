"""The questions the window asks: message boxes and the static file dialogs, in one place.

The controllers take these through Protocols (``DocumentDialogs``, ``RecoveryDialogs``), so their
tests answer them without a message box.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from qagen_desktop import APP_NAME
from qagen_desktop.ui.controllers.document import DATASET_FILTER, Unsaved

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from qagen_desktop.core.journal import FileRef, RecoveredSession
    from qagen_desktop.core.records import QAPair

# The dialog classes are imported where a dialog is asked for: PySide6 makes a Qt class, with
# its enums, when it is first imported, and the first paint needs none of these.


class WindowDialogs:
    """Message boxes and file dialogs over ``parent``; ``folder()`` is where file dialogs open."""

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent
        self.folder = lambda: ""

    def ask_open_path(self, title: str, filters: str) -> str | None:
        from PySide6.QtWidgets import QFileDialog

        chosen, _ = QFileDialog.getOpenFileName(self._parent, title, self.folder(), filters)
        return chosen or None

    def ask_save_path(self, suggested: str) -> str | None:
        from PySide6.QtWidgets import QFileDialog

        chosen, _ = QFileDialog.getSaveFileName(
            self._parent, "Save dataset", suggested, DATASET_FILTER
        )
        return chosen or None

    def ask_unsaved(self, count: int) -> Unsaved:
        from PySide6.QtWidgets import QMessageBox

        Button = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self._parent,
            "Unsaved pairs",
            f"Save the {count:,} pairs before they are closed?"
            if count
            else "Save the changes (every pair was deleted) before they are closed?",
            Button.Save | Button.Discard | Button.Cancel,
            Button.Save,
        )
        if answer == Button.Save:
            return Unsaved.SAVE
        if answer == Button.Discard:
            return Unsaved.DISCARD
        return Unsaved.CANCEL

    def confirm(self, title: str, text: str) -> bool:
        from PySide6.QtWidgets import QMessageBox

        Button = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self._parent, title, text, Button.Yes | Button.Cancel, Button.Cancel
        )
        return answer in (Button.Yes, Button.Save, Button.Discard, Button.Ok)

    def warn(self, title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(self._parent, title, text)

    def inform(self, title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.information(self._parent, title, text)

    def ask_restore(self, session: RecoveredSession, pairs: list[QAPair]) -> bool | None:
        from PySide6.QtWidgets import QMessageBox

        Button = QMessageBox.StandardButton
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(session.created))
        answer = QMessageBox.question(
            self._parent,
            "Restore unsaved pairs?",
            f"{APP_NAME} closed on {when} with {len(pairs):,} unsaved pairs. Restore them?",
            Button.Yes | Button.Discard,
            Button.Yes,
        )
        return answer == Button.Yes

    def ask_restore_changed(
        self, session: RecoveredSession, changed: FileRef, pairs: list[QAPair]
    ) -> bool | None:
        from PySide6.QtWidgets import QMessageBox

        Button = QMessageBox.StandardButton
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(session.created))
        answer = QMessageBox.question(
            self._parent,
            "The dataset file changed",
            f"{APP_NAME} closed on {when} with unsaved edits to {changed.path}, but that file "
            "has changed since, so the edits cannot be put back on the right pairs and none "
            f"was applied. Restore the {len(pairs):,} pairs the session itself made as a new "
            "unsaved dataset?",
            Button.Yes | Button.Discard,
            Button.Yes,
        )
        return answer == Button.Yes
