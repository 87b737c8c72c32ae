"""The window's wiring: view signals to controllers, settings to and from the view, and close.

The behaviour lives in the controllers it is handed (document, run, keys, recovery); this one
connects them to the view, copies the settings in and out, and decides when the window may close.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QKeySequence

from qagen_desktop import APP_NAME, __version__
from qagen_desktop.core.draft import ContextDraft
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.core.settings import Settings, save_settings
from qagen_desktop.ui.controllers.document import DocumentController, ExportOptions, Unsaved
from qagen_desktop.ui.controllers.keys import KeyController
from qagen_desktop.ui.controllers.recovery import RecoveryController
from qagen_desktop.ui.controllers.review import ReviewController
from qagen_desktop.ui.controllers.run import RunController
from qagen_desktop.ui.dialogs import WindowDialogs
from qagen_desktop.ui.main_view import MainView
from qagen_desktop.ui.panes.context_pane import TEXT_SUFFIXES
from qagen_desktop.ui.table.results_model import ANSWER, QUESTION

if TYPE_CHECKING:
    from qagen_desktop.core.datasets import LoadedDataset

log = logging.getLogger(__name__)

CONTEXT_FILTER = "Text files (*.txt *.md *.markdown *.text);;All files (*)"
# The Sources list counts the pasted text's chunks once typing pauses, as the editor's own count.
PASTED_COUNT_DELAY_MS = 250
# The context text is kept once typing pauses this long (and at close): a crash loses at most it.
DRAFT_DELAY_MS = 1000


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
        review: ReviewController | None = None,
        draft: ContextDraft | None = None,
    ) -> None:
        super().__init__(view)
        self.view = view
        self.settings = settings
        self.dialogs = dialogs
        self.document = document
        self.run = run
        self.keys = keys
        self.recovery = recovery
        self.review = review
        dialogs.folder = self.dialog_folder
        self._pasted_timer = QTimer(self)
        self._pasted_timer.setSingleShot(True)
        self._pasted_timer.setInterval(PASTED_COUNT_DELAY_MS)
        self._pasted_timer.timeout.connect(self.sync_pasted_text)
        self.draft = draft if draft is not None else ContextDraft()
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.keep_draft)

        self._load_settings_into_view()
        # The keyring (and its backends) load once the window is on screen, on a worker thread
        # (keys.py): start-up stays quick. Connected first: before recovery's questions.
        view.firstShown.connect(keys.load_key)
        view.firstShown.connect(document.prepare_journal)
        self._connect()
        self._connect_review()
        self._update_title()
        view.close_guard = self.close_requested

    def _load_settings_into_view(self) -> None:
        view, settings = self.view, self.settings
        view.endpoint_pane.load(settings)
        view.results_pane.load(settings)
        view.pairsSpin.setValue(settings.pairs)
        view.context_pane.set_chunk_chars(settings.chunk_chars)
        view.context_pane.set_pairs(settings.pairs)
        view.context_pane.set_template(settings.prompt_template)
        if view.endpoint_pane.has_prices():  # with none, the estimate shows no cost
            view.context_pane.set_prices(view.endpoint_pane.prices())
        # The text of the last session (closed or crashed) comes back as it was left.
        text = self.draft.load()
        if text:
            view.context_pane.set_text(text)
        view.context_pane.update_count()
        view.sources_pane.set_chunk_chars(settings.chunk_chars)
        self.sync_pasted_text()
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
        view.actionSave.triggered.connect(lambda: self.save())
        view.actionSaveAs.triggered.connect(lambda: self.save(ask_path=True))
        view.actionAbout.triggered.connect(self.show_about)
        proxy = view.results_pane.proxy
        for signal in (proxy.modelReset, proxy.rowsInserted, proxy.rowsRemoved):
            signal.connect(self._update_count)
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
        pane.modelsRequested.connect(run.connection.list_models)
        pane.chunkCharsChanged.connect(view.context_pane.set_chunk_chars)
        pane.pricesChanged.connect(view.context_pane.set_prices)
        pane.chunkCharsChanged.connect(view.sources_pane.set_chunk_chars)
        view.pairsSpin.valueChanged.connect(view.context_pane.set_pairs)
        view.context_pane.previewRequested.connect(self.preview_prompt)
        pane.promptEdit.textChanged.connect(
            lambda: view.context_pane.set_template(pane.promptEdit.toPlainText())
        )
        view.context_pane.contextEdit.fileDropped.connect(self._file_dropped)
        view.context_pane.contextEdit.textChanged.connect(self._pasted_timer.start)
        view.context_pane.contextEdit.textChanged.connect(self._draft_timer.start)
        view.results_pane.table.selectionModel().selectionChanged.connect(self._show_passage)
        view.model.modelReset.connect(view.passage_preview.clear)
        view.results_pane.addRequested.connect(self.add_row)
        view.results_pane.deleteRequested.connect(self.delete_rows)

    # Review: accept, reject, judge and regenerate rows ------------------------------------------

    def _connect_review(self) -> None:
        review, view = self.review, self.view
        if review is None:
            return
        pane = view.results_pane
        for action, slot in (
            (view.actionAccept, review.accept_selected),
            (view.actionReject, review.reject_selected),
            (view.actionRegenerate, review.regenerate_selected),
            (view.actionJudge, review.judge_selected),
            (view.actionJudgeAll, review.judge_all),
        ):
            action.triggered.connect(slot)
        pane.acceptRequested.connect(review.accept_selected)
        pane.rejectRequested.connect(review.reject_selected)
        pane.regenerateRequested.connect(review.regenerate_selected)
        pane.judgeRequested.connect(review.judge_selected)

    def export_options(self) -> ExportOptions:
        """How the results pane says to save (the document asks this at each save)."""
        pane = self.view.results_pane
        return ExportOptions(
            format=pane.exportFormatCombo.currentText(),
            include_context=pane.includeContextCheck.isChecked(),
            system_message=self.view.endpoint_pane.systemMessageEdit.toPlainText(),
            selected_rows=pane.selected_rows() if pane.selectedOnlyCheck.isChecked() else None,
            include_meta=pane.includeMetaCheck.isChecked(),
            include_rejected=pane.includeRejectedCheck.isChecked(),
        )

    # Title and counts -----------------------------------------------------------------------------

    def _update_title(self) -> None:
        path = self.document.current_path
        self.view.setWindowTitle(f"{path.name if path else 'Untitled'}[*] — {APP_NAME}")
        self.view.setWindowModified(self.document.dirty)
        self._update_count()

    def _update_count(self) -> None:
        count = self.document.model.rowCount()
        shown = self.view.results_pane.proxy.rowCount()
        if shown != count:  # a filter hides some: say so, or "19 pairs" would be untrue
            self.view.pairsLabel.setText(f"{shown:,} of {count:,} shown")
        else:
            self.view.pairsLabel.setText(f"{count:,} pair{'s' if count != 1 else ''}")

    def _restored(self, count: int) -> None:
        self.view.statusBar().showMessage(f"Restored {count:,} unsaved pairs.", 10000)

    def _show_opened_options(self, loaded: LoadedDataset) -> None:
        pane = self.view.results_pane
        pane.exportFormatCombo.setCurrentText(loaded.format)
        pane.includeContextCheck.setChecked(loaded.include_context)
        has_rejected = any(pair.status is PairStatus.REJECTED for pair in loaded.pairs)
        pane.show_opened(include_meta=loaded.include_meta, has_rejected=has_rejected)

    # Sources and the passage preview ------------------------------------------------------------

    @Slot()
    def sync_pasted_text(self) -> None:
        """Hand the editor's text to the Sources list (its first source, counted there)."""
        self._pasted_timer.stop()
        self.view.sources_pane.set_pasted_text(self.view.context_pane.text())

    def _file_dropped(self, path: str) -> None:
        """A text file dropped on the editor is loaded into it; a document or a folder goes to
        the Sources list, which reads every kind."""
        if Path(path).suffix.lower() in TEXT_SUFFIXES:
            self.load_context(path)
        else:
            self.view.sources_pane.add_paths([path])

    def _show_passage(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        """The preview shows the focused pair when it is selected, else the first selected."""
        results = self.view.results_pane
        selection = results.table.selectionModel()
        current = results.table.currentIndex()
        if current.isValid() and selection.isRowSelected(current.row(), current.parent()):
            row = results.current_row()
        else:
            rows = results.selected_rows()
            row = rows[0] if rows else -1
        pairs = self.document.model.pairs
        if 0 <= row < len(pairs):
            self.view.passage_preview.show_pair(pairs[row])
        else:
            self.view.passage_preview.clear()

    # Editing --------------------------------------------------------------------------------------

    def _escape(self) -> None:
        # Esc while a cell is being edited belongs to the editor: it abandons the edit.
        if self.view.results_pane.is_editing():
            self.view.results_pane.cancel_edit()
            return
        if self.review is not None and self.review.cancel():
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

    def save(self, *, ask_path: bool = False) -> bool:
        """Save (Ctrl+S) or save as (Ctrl+Shift+S), after a word about pairs with no answer."""
        rows = self.export_options().selected_rows
        pairs = self.document.model.pairs
        chosen = range(len(pairs)) if rows is None else rows
        empty = [row for row in chosen if not pairs[row].answer.strip()]
        if empty and not self.dialogs.confirm(
            "Empty answers",
            f"{len(empty):,} pair{'s have' if len(empty) != 1 else ' has'} an empty answer "
            f"(first: row {empty[0] + 1}). Save anyway? Cancel shows the first one.",
        ):
            self.view.results_pane.edit_row(empty[0], ANSWER)
            return False
        return self.document.save_as() if ask_path else self.document.save()

    @Slot()
    def preview_prompt(self) -> None:
        """The exact prompt of the run's first request, before any request is sent."""
        prompt = self.view.context_pane.first_prompt()
        if prompt is None:
            self.dialogs.inform("Prompt preview", "There is no text yet: nothing to send.")
            return
        system = self.view.endpoint_pane.systemMessageEdit.toPlainText().strip()
        shown = f"System message:\n{system}\n\nUser message:\n{prompt}" if system else prompt
        self.dialogs.inform("The first request's prompt", shown)

    @Slot()
    def show_about(self) -> None:
        from qagen_desktop.core.logging_setup import log_file

        self.dialogs.inform(
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\n\n"
            "Turns text and documents into question-answer datasets through any "
            "OpenAI-compatible chat-completions endpoint.\n\n"
            f"Log file: {log_file()}",
        )

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

    @Slot()
    def keep_draft(self) -> None:
        """Keep the context text under the user data folder (see ``core.draft``)."""
        self._draft_timer.stop()
        self.draft.save(self.view.context_pane.text())

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
        if self.review is not None:
            self.review.wait_for_threads()
        # Pairs that came while the run stopped are saved too, or asked about if none were before.
        if asked and not document.settle(answer):
            return False
        if not asked and not document.confirm_discard():
            return False
        # No file is read once the window goes: a reading thread must not outlive it.
        self.view.sources_pane.cancel()
        self.keys.commit_key()
        self.keep_draft()
        self.keys.shut_down()  # the key's save (a worker thread) done; no keyring call after
        self.settings.window = self.view.layout_state()
        self.save_settings()
        document.close()
        return True
