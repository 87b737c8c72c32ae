"""The window's wiring: view signals to controllers, settings to and from the view, and close.

The behaviour lives in the controllers it is handed (document, run, keys, recovery); this one
connects them to the view, copies the settings in and out, and decides when the window may close.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QKeySequence

from qagen_desktop import APP_NAME
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.settings import Settings, save_settings
from qagen_desktop.ui.controllers.document import DocumentController, ExportOptions, Unsaved
from qagen_desktop.ui.controllers.keys import KeyController
from qagen_desktop.ui.controllers.recovery import RecoveryController
from qagen_desktop.ui.controllers.run import RunController
from qagen_desktop.ui.dialogs import WindowDialogs
from qagen_desktop.ui.main_view import MainView
from qagen_desktop.ui.table.results_model import QUESTION

if TYPE_CHECKING:
    from qagen_desktop.core.datasets import LoadedDataset

log = logging.getLogger(__name__)

CONTEXT_FILTER = "Text files (*.txt *.md *.markdown *.text);;All files (*)"


class WindowController(QObject):
    """Connects the view to its controllers; owns the window's settings and its closing."""

    def __init__(
        self,
        view: MainView,
        settings: Settings,
        dialogs: WindowDialogs,
        *,
        document: DocumentController,
        run: RunController,
        keys: KeyController,
        recovery: RecoveryController,
    ) -> None:
        super().__init__(view)
        self.view = view
        self.settings = settings
        self.dialogs = dialogs
        self.document = document
        self.run = run
        self.keys = keys
        self.recovery = recovery
        dialogs.folder = self.dialog_folder

        self._load_settings_into_view()
        # The keyring (and its backends) load once the window is on screen, on a worker thread
        # (keys.py): start-up stays quick. Connected first: before recovery's questions.
        view.firstShown.connect(keys.load_key)
        self._connect()
        self._update_title()
        view.close_guard = self.close_requested

    def _load_settings_into_view(self) -> None:
        view, settings = self.view, self.settings
        view.endpoint_pane.load(settings)
        view.results_pane.load(settings)
        view.pairsSpin.setValue(settings.pairs)
        view.context_pane.set_chunk_chars(settings.chunk_chars)
        view.context_pane.update_count()
        view.restore_layout(settings)

    def _connect(self) -> None:
        view, document, run, keys = self.view, self.document, self.run, self.keys
        document.stateChanged.connect(self._update_title)
        document.status.connect(lambda text: view.statusBar().showMessage(text, 8000))
        document.recentFile.connect(self._add_recent)
        document.opened.connect(self._show_opened_options)
        self.recovery.restored.connect(self._restored)
        view.firstShown.connect(self.recovery.offer)

        view.generateButton.clicked.connect(run.generate)
        view.cancelButton.clicked.connect(run.cancel)
        view.actionGenerate.triggered.connect(run.generate)
        view.actionCancel.triggered.connect(self._escape)
        view.actionOpen.triggered.connect(lambda: self.open_dataset())
        view.actionSave.triggered.connect(lambda: document.save())
        view.actionSaveAs.triggered.connect(lambda: document.save_as())
        view.actionLoadContext.triggered.connect(lambda: self.load_context())
        view.actionTestConnection.triggered.connect(run.test_connection)
        view.actionAddRow.triggered.connect(self.add_row)
        view.actionDeleteRows.triggered.connect(self.delete_rows)
        view.actionClearResults.triggered.connect(self.clear_results)
        view.recentMenu.aboutToShow.connect(self._fill_recent_menu)
        view.failedButton.clicked.connect(run.show_failures)

        undo = document.undo_stack.createUndoAction(self, "&Undo")
        undo.setObjectName("actionUndo")
        undo.setShortcut("Ctrl+Z")
        redo = document.undo_stack.createRedoAction(self, "&Redo")
        redo.setObjectName("actionRedo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.action_undo, self.action_redo = undo, redo
        edit_menu = view.editMenu
        for action in (undo, redo):
            edit_menu.addAction(action)
            # Text fields keep their own Ctrl+Z; these act on the table.
            view.results_pane.table.addAction(action)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        edit_menu.addSeparator()
        for action in (view.actionAddRow, view.actionDeleteRows, view.actionClearResults):
            edit_menu.addAction(action)

        pane = view.endpoint_pane
        pane.endpointChanged.connect(keys.load_key)
        pane.keyCommitted.connect(keys.commit_key)
        pane.apiKeyEdit.textEdited.connect(keys.key_typed)
        pane.testRequested.connect(run.test_connection)
        pane.chunkCharsChanged.connect(view.context_pane.set_chunk_chars)
        view.context_pane.contextEdit.fileDropped.connect(self.load_context)
        view.results_pane.addRequested.connect(self.add_row)
        view.results_pane.deleteRequested.connect(self.delete_rows)

    def export_options(self) -> ExportOptions:
        """How the results pane says to save (the document asks this at each save)."""
        pane = self.view.results_pane
        return ExportOptions(
            format=pane.exportFormatCombo.currentText(),
            include_context=pane.includeContextCheck.isChecked(),
            system_message=self.view.endpoint_pane.systemMessageEdit.toPlainText(),
            selected_rows=pane.selected_rows() if pane.selectedOnlyCheck.isChecked() else None,
        )

    # Title and counts -----------------------------------------------------------------------------

    def _update_title(self) -> None:
        path = self.document.current_path
        self.view.setWindowTitle(f"{path.name if path else 'Untitled'}[*] — {APP_NAME}")
        self.view.setWindowModified(self.document.dirty)
        count = self.document.model.rowCount()
        self.view.pairsLabel.setText(f"{count:,} pair{'s' if count != 1 else ''}")

    def _restored(self, count: int) -> None:
        self.view.statusBar().showMessage(f"Restored {count:,} unsaved pairs.", 10000)

    def _show_opened_options(self, loaded: LoadedDataset) -> None:
        pane = self.view.results_pane
        pane.exportFormatCombo.setCurrentText(loaded.format)
        pane.includeContextCheck.setChecked(loaded.include_context)

    # Editing --------------------------------------------------------------------------------------

    def _escape(self) -> None:
        # Esc while a cell is being edited belongs to the editor: it abandons the edit.
        if self.view.results_pane.is_editing():
            self.view.results_pane.cancel_edit()
            return
        self.run.cancel()

    @Slot()
    def add_row(self) -> None:
        current = self.view.results_pane.current_row()
        row = current + 1 if current >= 0 else self.document.model.rowCount()
        self.document.insert_rows(row, [QAPair("", "")])
        self.view.results_pane.edit_row(row, QUESTION)

    @Slot()
    def delete_rows(self) -> None:
        rows = self.view.results_pane.selected_rows()
        if not rows:
            current = self.view.results_pane.current_row()
            rows = [current] if current >= 0 else []
        self.document.remove_rows(rows)

    @Slot()
    def clear_results(self) -> None:
        if self.run.running or not self.document.model.rowCount():
            return
        if self.document.confirm_discard():
            self.document.replace([], base=None, path=None)

    # Files ----------------------------------------------------------------------------------------

    def open_dataset(self, path: str | Path | None = None) -> bool:
        if self.run.running:
            return False
        return self.document.open_dataset(path)

    def load_context(self, path: str | None = None) -> bool:
        """Put a .txt or .md file's text into the context editor (Ctrl+Z takes it back)."""
        path = path or self.dialogs.ask_open_path("Load context", CONTEXT_FILTER)
        if not path:
            return False
        # The readers (bs4, pypdf, ...) load on first use: not on the first paint.
        from qagen_desktop.core.contextfile import read_context_file

        try:
            text = read_context_file(path)
        except ConfigError as exc:
            self.dialogs.warn("Load context", str(exc))
            return False
        pane = self.view.context_pane
        if pane.text().strip() and not self.dialogs.confirm(
            "Replace the text?",
            f"The context editor holds text already. Replace it with {Path(path).name}? "
            "(Ctrl+Z in the editor brings it back.)",
        ):
            return False
        pane.replace_text(text)
        self.view.statusBar().showMessage(f"Loaded {Path(path).name}.", 8000)
        return True

    def dialog_folder(self) -> str:
        if self.document.current_path is not None:
            return str(self.document.current_path.parent)
        for recent in self._recent_files():
            parent = Path(recent).parent
            if parent.is_dir():
                return str(parent)
        return str(Path.home())

    def _recent_files(self) -> list[str]:
        # A hand-edited settings file may hold anything in the list: only text is a path.
        return [entry for entry in self.settings.recent_files if isinstance(entry, str) and entry]

    def _add_recent(self, path: str) -> None:
        self.settings.recent_files = self._recent_files()
        self.settings.add_recent_file(path)
        self.save_settings()

    def _fill_recent_menu(self) -> None:
        menu = self.view.recentMenu
        menu.clear()
        recent_files = self._recent_files()
        for recent in recent_files:
            action = menu.addAction(recent)
            action.triggered.connect(partial(self.open_dataset, recent))
        if not recent_files:
            menu.addAction("No recent files").setEnabled(False)

    # Settings and closing -------------------------------------------------------------------------

    def store_view_settings(self) -> None:
        self.view.endpoint_pane.store(self.settings)
        self.view.results_pane.store(self.settings)
        self.settings.pairs = self.view.pairsSpin.value()

    def save_settings(self) -> None:
        self.store_view_settings()
        try:
            save_settings(self.settings)
        except OSError as exc:
            log.warning("Settings could not be saved (%s).", exc)

    def close_requested(self) -> bool:
        """True when the window may close: runs stopped, every pair saved or discarded.

        The question comes first: a run goes on while it is asked, and Cancel leaves it going.
        """
        self.keys.wait_for_threads()  # a keyring read under way: a moment, or its prompt
        document = self.document
        asked = document.has_unsaved
        answer = document.ask_unsaved() if asked else Unsaved.DISCARD
        if answer is Unsaved.CANCEL:
            return False
        self.run.wait_for_threads()
        # Pairs that came while the run stopped are saved too, or asked about if none were before.
        if asked and not document.settle(answer):
            return False
        if not asked and not document.confirm_discard():
            return False
        self.keys.commit_key()
        self.keys.shut_down()  # the key's save (a worker thread) done; no keyring call after
        self.settings.window = self.view.layout_state()
        self.save_settings()
        document.close()
        return True
