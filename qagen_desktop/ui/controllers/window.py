"""What the window does: generate, cancel, open, save, keep the key, journal and settings.

The controller is built with the view handed in (as Mu's ``Editor(view=window)``); the panes only
show values and emit signals, and the workers only emit signals.
"""

from __future__ import annotations

import contextlib
import logging
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QObject, Qt, QThread, QTimer, Slot
from PySide6.QtGui import QCursor, QKeySequence, QUndoStack
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from shiboken6 import isValid

from qagen_desktop import APP_NAME
from qagen_desktop.core.contextfile import read_context_file
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.journal import FileRef, Journal, RecoveredSession, find_orphans, replay
from qagen_desktop.core.logging_setup import add_secret
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.settings import Settings, save_settings
from qagen_desktop.ui.table.edit_commands import (
    EditCellCommand,
    InsertRowsCommand,
    RemoveRowsCommand,
)
from qagen_desktop.ui.table.results_model import FIELDS, QUESTION, SOURCE
from qagen_desktop.ui.worker import CallWorker, GenerationWorker, start_in_thread

if TYPE_CHECKING:
    from qagen_desktop.core.generation import ChunkOutcome, RunResult, Usage
    from qagen_desktop.core.keystore import KeyStore
    from qagen_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)

DATASET_FILTER = "JSON Lines (*.jsonl *.json);;All files (*)"
CONTEXT_FILTER = "Text files (*.txt *.md *.markdown *.text);;All files (*)"
# What the worker reports is shown this often: one table update and repaint per refresh.
FLUSH_INTERVAL_MS = 100
MAX_BAD_LINES_SHOWN = 15
KEY_LOAD_DELAY_MS = 200


class WindowController(QObject):
    """The window's behaviour, driven by the panes' signals and the workers' signals."""

    def __init__(
        self,
        view: MainWindow,
        settings: Settings,
        *,
        env_key: str | None = None,
        keystore: Any = None,
        journal: Journal | None = None,
    ) -> None:
        super().__init__(view)
        self.view = view
        self.settings = settings
        self.model = view.model
        self.undo_stack = QUndoStack(self)
        self.journal = journal or Journal()
        self.current_path: Path | None = None
        self.dirty = False
        self.document_system_message: str | None = None
        # Asked at start for each journal a crashed session left; tests replace it.
        self.ask_restore = self._ask_restore
        self.recovery_checked = False

        self._keystore: KeyStore | None = keystore
        self._env_key = env_key
        self._env_key_in_field = False
        self._key_loaded_for: str | None = None
        self._saved_key: dict[str, str] = {}
        self.keyring_notices = 0

        self._thread: QThread | None = None
        self._worker: GenerationWorker | None = None
        self._test_thread: QThread | None = None
        self._test_worker: CallWorker | None = None
        self._pending: list[QAPair] = []
        self._received = 0
        self._failed: list[ChunkOutcome] = []
        self._failed_shown = 0
        self._progress: tuple[int, int] | None = None
        self._usage: Usage | None = None
        self._run_started = 0.0
        self._run_endpoint: Any = None
        self._journal_paused = False
        self._journal_warned = False

        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self._flush_pending)
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(1000)
        self._elapsed_timer.timeout.connect(self._show_elapsed)

        self._load_settings_into_view()
        self._connect()
        self._update_title()
        self._update_counts()
        # The keyring (and its backends) load once the window has painted: start-up stays quick.
        QTimer.singleShot(KEY_LOAD_DELAY_MS, self.load_key)

    # Wiring -----------------------------------------------------------------------------------

    def _load_settings_into_view(self) -> None:
        view, settings = self.view, self.settings
        view.endpoint_pane.load(settings)
        view.results_pane.load(settings)
        view.pairsSpin.setValue(settings.pairs)
        view.context_pane.set_chunk_chars(settings.chunk_chars)
        view.context_pane.update_count()

    def _connect(self) -> None:
        view, model = self.view, self.model
        model.edit_handler = self._edit_cell
        model.rowsInserted.connect(self._rows_inserted)
        model.rowsRemoved.connect(self._rows_removed)
        model.dataChanged.connect(self._data_changed)

        view.generateButton.clicked.connect(self.generate)
        view.cancelButton.clicked.connect(self.cancel)
        view.actionGenerate.triggered.connect(self.generate)
        view.actionCancel.triggered.connect(self._escape)
        view.actionOpen.triggered.connect(lambda: self.open_dataset())
        view.actionSave.triggered.connect(self.save)
        view.actionSaveAs.triggered.connect(self.save_as)
        view.actionLoadContext.triggered.connect(lambda: self.load_context())
        view.actionTestConnection.triggered.connect(self.test_connection)
        view.actionAddRow.triggered.connect(self.add_row)
        view.actionDeleteRows.triggered.connect(self.delete_rows)
        view.actionClearResults.triggered.connect(self.clear_results)
        view.recentMenu.aboutToShow.connect(self._fill_recent_menu)
        view.failedButton.clicked.connect(self.show_failures)

        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setObjectName("actionUndo")
        undo.setShortcut("Ctrl+Z")
        redo = self.undo_stack.createRedoAction(self, "&Redo")
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
        pane.endpointChanged.connect(self._endpoint_changed)
        pane.keyCommitted.connect(self.commit_key)
        pane.apiKeyEdit.textEdited.connect(self._key_typed)
        pane.testRequested.connect(self.test_connection)
        pane.chunkCharsChanged.connect(view.context_pane.set_chunk_chars)
        view.context_pane.contextEdit.fileDropped.connect(self.load_context)
        view.results_pane.addRequested.connect(self.add_row)
        view.results_pane.deleteRequested.connect(self.delete_rows)

    # The key ----------------------------------------------------------------------------------

    @property
    def keystore(self) -> KeyStore:
        if self._keystore is None:
            from qagen_desktop.core.keystore import KeyStore

            self._keystore = KeyStore()
        return self._keystore

    def _key_id(self) -> str | None:
        try:
            return self.view.endpoint_pane.endpoint().key_id()
        except ConfigError:
            return None

    @Slot()
    def load_key(self) -> None:
        """Show the key saved for the endpoint; at start a key from API_KEY comes first."""
        key_id = self._key_id()
        if key_id is None or key_id == self._key_loaded_for:
            return
        first_load = self._key_loaded_for is None
        self._key_loaded_for = key_id
        stored = self.keystore.get(key_id)
        if stored is not None:
            add_secret(stored)
            self._saved_key[key_id] = stored
        pane = self.view.endpoint_pane
        if first_load and self._env_key is not None:
            pane.set_api_key(self._env_key)
            self._env_key_in_field = True
        elif stored is not None:
            pane.set_api_key(stored)
            self._env_key_in_field = False
        # Nothing saved for this endpoint: what was typed stays, to be saved for it.

    def _endpoint_changed(self) -> None:
        self.load_key()

    def _key_typed(self, _text: str) -> None:
        self._env_key_in_field = False

    @Slot()
    def commit_key(self) -> str | None:
        """Save the key in the field for the endpoint; returns the key to use (None: no key)."""
        if self._key_loaded_for is None:
            self.load_key()  # The saved key first: an empty field must not erase it.
        key = self.view.endpoint_pane.api_key()
        add_secret(key)  # kept out of the log from now on, whatever logs it
        key_id = self._key_id()
        if key_id is None or self._env_key_in_field:
            return key or None
        self._key_loaded_for = key_id
        if self._saved_key.get(key_id, "") == key:
            return key or None
        saved = self.keystore.set(key_id, key)
        self._saved_key[key_id] = key
        if not saved:
            self._tell_keyring_unavailable()
        return key or None

    def _tell_keyring_unavailable(self) -> None:
        if self.keyring_notices:
            return
        self.keyring_notices += 1
        message = self.keystore.unavailable_message
        self.view.endpoint_pane.show_key_notice(message)
        self.view.statusBar().showMessage(message, 15000)

    # Generation -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None

    @Slot()
    def generate(self) -> None:
        if self.running:
            return
        view = self.view
        text = view.context_pane.text()
        if not text.strip():
            self._show_message("There is no text yet: paste or type it in the context editor.")
            return
        endpoint = view.endpoint_pane.endpoint()
        try:
            endpoint.chat_url()
        except ConfigError as exc:
            self._show_message(str(exc))
            return
        key = self.commit_key()
        self._store_view_settings()
        settings = self.settings
        options = {
            "endpoint": endpoint,
            "api_key": key,
            "total_pairs": view.pairsSpin.value(),
            "chunk_chars": settings.chunk_chars,
            "concurrency": settings.concurrency,
            "max_retries": settings.max_retries,
            "timeout": settings.timeout,
            "prompt_template": settings.prompt_template,
            "system_message": settings.system_message,
            "response_mode": settings.response_mode_for(endpoint),
        }
        worker = GenerationWorker(options, text)
        worker.runStarted.connect(self._run_started_with)
        worker.pairsReceived.connect(self._pairs_received)
        worker.chunkFinished.connect(self._chunk_finished)
        worker.usageUpdated.connect(self._usage_updated)
        worker.notice.connect(self._notice)
        worker.error.connect(self._run_error)
        worker.finished.connect(self._run_finished)

        self._pending.clear()
        self._received = 0
        self._failed = []
        self._failed_shown = 0
        self._progress = None
        self._usage = None
        self._run_endpoint = endpoint
        self._run_started = time.monotonic()
        self._show_message("")
        view.failedButton.hide()
        view.tokensLabel.setText("")
        view.progressBar.setRange(0, 1)
        view.progressBar.setValue(0)
        self._set_running(True)
        self._elapsed_timer.start()
        self._show_elapsed()
        self._worker = worker
        self._thread = start_in_thread(worker, self._run_thread_finished)

    @Slot()
    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.view.statusBar().showMessage("Cancelling: keeping the pairs received so far…")

    def _escape(self) -> None:
        # Esc while a cell is being edited belongs to the editor: it abandons the edit.
        if self.view.results_pane.is_editing():
            self.view.results_pane.cancel_edit()
            return
        self.cancel()

    def _set_running(self, running: bool) -> None:
        view = self.view
        view.generateButton.setEnabled(not running)
        view.actionGenerate.setEnabled(not running)
        view.cancelButton.setEnabled(running)
        view.actionCancel.setEnabled(running)
        view.actionOpen.setEnabled(not running)
        if running:
            view.generateButton.setText("Generating…")
        else:
            view.generateButton.setText("Generate")

    @Slot(int)
    def _run_started_with(self, chunks_total: int) -> None:
        self.view.progressBar.setTextVisible(True)
        self.view.progressBar.setRange(0, max(chunks_total, 1))
        self.view.progressBar.setValue(0)

    @Slot(list)
    def _pairs_received(self, pairs: list[QAPair]) -> None:
        # Into the journal at once, at the end where the next refresh will show them: a crash
        # before that refresh loses none of them.
        row = self.model.rowCount() + len(self._pending)
        self._journal_call(self.journal.record_insert, row, pairs)
        self._pending.extend(pairs)
        self._received += len(pairs)
        self._schedule_refresh()

    @Slot(object, int, int)
    def _chunk_finished(self, outcome: ChunkOutcome, done: int, total: int) -> None:
        self._progress = (done, total)
        if not outcome.ok:
            self._failed.append(outcome)
        self._schedule_refresh()

    @Slot(object)
    def _usage_updated(self, usage: Usage) -> None:
        self._usage = usage
        self._schedule_refresh()

    def _schedule_refresh(self) -> None:
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush_pending(self) -> None:
        """Show what the run sent since the last refresh: one table update, one repaint each."""
        self._flush_timer.stop()
        if self._pending:
            batch, self._pending = self._pending, []
            self._journal_paused = True  # recorded as they arrived
            try:
                self.model.append_pairs(batch)
            finally:
                self._journal_paused = False
        if self._progress is not None:
            (done, total), self._progress = self._progress, None
            bar = self.view.progressBar
            # QProgressBar.setValue repaints at once: set it once per refresh, not per chunk.
            if bar.maximum() != max(total, 1):
                bar.setRange(0, max(total, 1))
            bar.setValue(done)
        if self._usage is not None:
            self.view.tokensLabel.setText(f"{self._usage.total_tokens:,} tokens")
            self._usage = None
        if len(self._failed) != self._failed_shown:
            self._show_failed_count()

    @Slot(str)
    def _notice(self, message: str) -> None:
        self.view.statusBar().showMessage(message, 8000)

    @Slot(str)
    def _run_error(self, message: str) -> None:
        self._show_message(message)

    @Slot(object)
    def _run_finished(self, result: RunResult | None) -> None:
        self._flush_pending()
        self._elapsed_timer.stop()
        self._show_elapsed()
        if result is None:
            return
        if self._received == 0 and result.pairs:
            # An engine that reports pairs only at the end still gets them on screen.
            self.model.append_pairs(list(result.pairs))
        self._usage = result.usage
        self._failed = list(result.failed)
        self._flush_pending()
        got = len(result.pairs)
        if result.fatal:
            self._show_message(result.fatal)
        elif result.cancelled:
            self._show_message(f"Cancelled: kept the {got} pairs received.", error=False)
        elif result.failed or result.shortfall:
            self._show_message(
                f"Got {got} of {result.requested} pairs; {len(result.failed)} chunks failed: "
                "click the failed count in the status bar for the reasons."
            )
        else:
            self._show_message("")
            self.view.statusBar().showMessage(f"Done: {got} pairs.", 8000)
        if got and not result.fatal and self._run_endpoint is not None:
            with contextlib.suppress(ConfigError):
                self.settings.remember_response_mode(self._run_endpoint, result.response_mode)
        self.save_settings()

    @Slot()
    def _run_thread_finished(self) -> None:
        self._thread = None
        self._worker = None
        self._set_running(False)

    def _show_elapsed(self) -> None:
        seconds = int(time.monotonic() - self._run_started)
        self.view.elapsedLabel.setText(f"{seconds // 60}:{seconds % 60:02d} elapsed")

    def _show_failed_count(self) -> None:
        button = self.view.failedButton
        count = self._failed_shown = len(self._failed)
        button.setVisible(count > 0)
        button.setText(f"{count} failed chunk{'s' if count != 1 else ''}")

    @Slot()
    def show_failures(self) -> None:
        lines = [
            f"Chunk {outcome.index + 1}: {outcome.error or 'failed'}"
            f" ({outcome.received} of {outcome.requested} pairs)"
            for outcome in self._failed
        ]
        QMessageBox.information(self.view, "Failed chunks", "\n".join(lines) or "None.")

    def wait_for_threads(self) -> None:
        """Stop any run and wait for every worker thread (before the window goes away)."""
        for worker in (self._worker,):
            if worker is not None and isValid(worker):
                worker.cancel()
        for thread in (self._thread, self._test_thread):
            if thread is not None and isValid(thread):
                thread.wait()
        # Deliver what the workers sent before they stopped (the last pairs, the result).
        QCoreApplication.sendPostedEvents()
        self._flush_pending()

    # Connection test --------------------------------------------------------------------------

    @Slot()
    def test_connection(self) -> None:
        if self._test_thread is not None:
            return
        pane = self.view.endpoint_pane
        endpoint = pane.endpoint()
        try:
            endpoint.chat_url()
        except ConfigError as exc:
            pane.show_verdict(False, str(exc))
            return
        key = self.commit_key()
        timeout = min(float(pane.timeoutSpin.value()), 30.0)

        def check() -> Any:
            from qagen_desktop.core.client import check_connection

            return check_connection(endpoint, key, timeout=timeout)

        worker = CallWorker(check, secret=key)
        worker.succeeded.connect(self._test_verdict)
        worker.error.connect(partial(pane.show_verdict, False))
        pane.set_testing(True)
        self._test_worker = worker
        self._test_thread = start_in_thread(worker, self._test_thread_finished)

    @Slot(object)
    def _test_verdict(self, verdict: Any) -> None:
        self.view.endpoint_pane.show_verdict(bool(verdict.ok), str(verdict.message))

    @Slot()
    def _test_thread_finished(self) -> None:
        self._test_thread = None
        self._test_worker = None
        self.view.endpoint_pane.set_testing(False)

    # Editing ----------------------------------------------------------------------------------

    def _edit_cell(self, row: int, column: int, text: str) -> None:
        self.undo_stack.push(EditCellCommand(self.model, row, column, text))

    @Slot()
    def add_row(self) -> None:
        current = self.view.results_pane.current_row()
        row = current + 1 if current >= 0 else self.model.rowCount()
        self.undo_stack.push(InsertRowsCommand(self.model, row, [QAPair("", "")]))
        self.view.results_pane.edit_row(row, QUESTION)

    @Slot()
    def delete_rows(self) -> None:
        rows = self.view.results_pane.selected_rows()
        if not rows:
            current = self.view.results_pane.current_row()
            rows = [current] if current >= 0 else []
        if rows:
            self.undo_stack.push(RemoveRowsCommand(self.model, rows))

    @Slot()
    def clear_results(self) -> None:
        if self.running or not self.model.rowCount():
            return
        if not self.confirm_discard():
            return
        self._replace_document([], base=None, path=None)

    # Model changes -> journal and unsaved marker ----------------------------------------------

    def _journal_call(self, method: Any, *args: Any) -> None:
        try:
            method(*args)
        except OSError as exc:
            if not self._journal_warned:
                self._journal_warned = True
                self.view.statusBar().showMessage(
                    f"The recovery journal cannot be written ({exc.strerror}): save often.", 15000
                )

    def _rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        if not self._journal_paused:
            self._journal_call(
                self.journal.record_insert, first, self.model.pairs[first : last + 1]
            )
        self._set_dirty()

    def _rows_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        if not self._journal_paused:
            self._journal_call(self.journal.record_remove, first, last - first + 1)
        self._set_dirty()

    def _data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, *_: Any) -> None:
        if not self._journal_paused:
            for row in range(top_left.row(), bottom_right.row() + 1):
                for column in range(top_left.column(), min(bottom_right.column(), SOURCE - 1) + 1):
                    value = self.model.text(row, column)
                    self._journal_call(self.journal.record_set, row, FIELDS[column], value)
        self._set_dirty()

    def _set_dirty(self, dirty: bool = True) -> None:
        if dirty != self.dirty or dirty != self.view.isWindowModified():
            self.dirty = dirty
            self.view.setWindowModified(dirty)
        self._update_counts()

    def _update_counts(self) -> None:
        count = self.model.rowCount()
        self.view.pairsLabel.setText(f"{count:,} pair{'s' if count != 1 else ''}")

    def _update_title(self) -> None:
        name = self.current_path.name if self.current_path else "Untitled"
        self.view.setWindowTitle(f"{name}[*] — {APP_NAME}")
        self.view.setWindowModified(self.dirty)

    def _replace_document(
        self, pairs: list[QAPair], *, base: FileRef | None, path: Path | None
    ) -> None:
        self._journal_paused = True
        try:
            self.model.replace_all(pairs)
        finally:
            self._journal_paused = False
        self.undo_stack.clear()
        self.journal.set_base(base)
        self.current_path = path
        self._set_dirty(False)
        self._update_title()

    # Files ------------------------------------------------------------------------------------

    def open_dataset(self, path: str | Path | None = None) -> bool:
        """Open a dataset (any of the four formats) in place of the table's pairs."""
        if self.running or not self.confirm_discard():
            return False
        path = path or self._ask_open_path("Open dataset", DATASET_FILTER)
        if not path:
            return False
        from qagen_desktop.core.datasets import load_dataset

        target = Path(path)
        QApplication.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
        try:
            loaded = load_dataset(target)
            ref = FileRef.of(target)
        except (ConfigError, OSError) as exc:
            QApplication.restoreOverrideCursor()
            QMessageBox.warning(self.view, "Open dataset", str(exc))
            return False
        try:
            self._replace_document(loaded.pairs, base=ref, path=target)
        finally:
            QApplication.restoreOverrideCursor()
        self.document_system_message = loaded.system_message
        pane = self.view.results_pane
        pane.exportFormatCombo.setCurrentText(loaded.format)
        pane.includeContextCheck.setChecked(loaded.include_context)
        self._add_recent(target)
        self.view.statusBar().showMessage(
            f"Opened {len(loaded.pairs):,} pairs from {target.name}.", 8000
        )
        if loaded.bad_lines:
            shown = [
                f"Line {bad.line_no}: {bad.reason}"
                for bad in loaded.bad_lines[:MAX_BAD_LINES_SHOWN]
            ]
            more = len(loaded.bad_lines) - len(shown)
            if more > 0:
                shown.append(f"… and {more} more.")
            QMessageBox.warning(
                self.view,
                "Some lines were skipped",
                f"{len(loaded.bad_lines)} lines of {target.name} could not be read and were "
                "skipped:\n" + "\n".join(shown),
            )
        return True

    @Slot()
    def save(self) -> bool:
        if self.current_path is None or self.view.results_pane.selectedOnlyCheck.isChecked():
            return self.save_as()
        return self.write(self.current_path)

    @Slot()
    def save_as(self) -> bool:
        suggested = (
            str(self.current_path)
            if self.current_path
            else str(Path(self._dialog_folder()) / "qa.jsonl")
        )
        chosen, _ = QFileDialog.getSaveFileName(
            self.view, "Save dataset", suggested, DATASET_FILTER
        )
        if not chosen:
            return False
        target = Path(chosen)
        if not target.suffix:
            target = target.with_suffix(".jsonl")
        return self.write(target)

    def write(self, path: Path) -> bool:
        """Save the pairs (or only the selected ones) in the chosen format, atomically."""
        from qagen_desktop.core.datasets import save_dataset

        self._flush_pending()
        pane = self.view.results_pane
        selected_only = pane.selectedOnlyCheck.isChecked()
        pairs = self.model.pairs
        if selected_only:
            pairs = [pairs[row] for row in pane.selected_rows()]
        system_message = self.document_system_message
        if system_message is None:
            system_message = self.view.endpoint_pane.systemMessageEdit.toPlainText()
        try:
            save_dataset(
                path,
                pairs,
                pane.exportFormatCombo.currentText(),
                include_context=pane.includeContextCheck.isChecked(),
                system_message=system_message,
            )
        except (ConfigError, OSError) as exc:
            message = str(exc) if isinstance(exc, ConfigError) else f"Cannot save {path}: {exc}"
            QMessageBox.warning(self.view, "Save dataset", message)
            return False
        self._add_recent(path)
        self.view.statusBar().showMessage(f"Saved {len(pairs):,} pairs to {path.name}.", 8000)
        if selected_only:
            return True  # An export of some rows: the whole table is still unsaved.
        self.current_path = path
        self.document_system_message = system_message
        try:
            self.journal.set_base(FileRef.of(path))
        except OSError:
            self.journal.set_base(None)
        self._set_dirty(False)
        self._update_title()
        return True

    def confirm_discard(self) -> bool:
        """Ask before unsaved pairs go away: True to go on (saved or discarded), False to stop."""
        self._flush_pending()
        if not self.dirty or not self.model.rowCount():
            return True
        count = self.model.rowCount()
        answer = QMessageBox.question(
            self.view,
            "Unsaved pairs",
            f"Save the {count:,} pairs before they are closed?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.journal.discard()
            self.dirty = False
            return True
        return False

    def _ask_open_path(self, title: str, filters: str) -> str | None:
        """A file the user picks to open, or None when the dialog is cancelled."""
        chosen, _ = QFileDialog.getOpenFileName(self.view, title, self._dialog_folder(), filters)
        return chosen or None

    def load_context(self, path: str | None = None) -> bool:
        """Put a .txt or .md file's text into the context editor."""
        path = path or self._ask_open_path("Load context", CONTEXT_FILTER)
        if not path:
            return False
        try:
            text = read_context_file(path)
        except ConfigError as exc:
            QMessageBox.warning(self.view, "Load context", str(exc))
            return False
        self.view.context_pane.set_text(text)
        self.view.statusBar().showMessage(f"Loaded {Path(path).name}.", 8000)
        return True

    def _dialog_folder(self) -> str:
        if self.current_path is not None:
            return str(self.current_path.parent)
        for recent in self.settings.recent_files:
            parent = Path(recent).parent
            if parent.is_dir():
                return str(parent)
        return str(Path.home())

    def _add_recent(self, path: Path) -> None:
        self.settings.add_recent_file(str(path))
        self.save_settings()

    def _fill_recent_menu(self) -> None:
        menu = self.view.recentMenu
        menu.clear()
        for recent in self.settings.recent_files:
            action = menu.addAction(recent)
            action.triggered.connect(partial(self.open_dataset, recent))
        if not self.settings.recent_files:
            menu.addAction("No recent files").setEnabled(False)

    # Recovery ---------------------------------------------------------------------------------

    @Slot()
    def offer_recovery(self) -> None:
        """Offer back the pairs of a session that ended without saving (newest first)."""
        try:
            self._offer_recovery()
        finally:
            self.recovery_checked = True

    def _offer_recovery(self) -> None:
        for session in reversed(find_orphans()):
            try:
                pairs = replay(session.records, self._load_base)
            except Exception as exc:  # A journal we cannot read is kept for a later look.
                log.warning("Recovery journal %s could not be replayed (%s).", session.path, exc)
                continue
            decision = self.ask_restore(session, pairs)
            if decision is None:
                continue
            if not decision:
                session.discard()
                continue
            self._restore(session, pairs)
            return

    def _load_base(self, ref: FileRef) -> list[QAPair]:
        from qagen_desktop.core.datasets import load_dataset

        return load_dataset(ref.path).pairs

    def _ask_restore(self, session: RecoveredSession, pairs: list[QAPair]) -> bool | None:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(session.created))
        answer = QMessageBox.question(
            self.view,
            "Restore unsaved pairs?",
            f"{APP_NAME} closed on {when} with {len(pairs):,} unsaved pairs. Restore them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard,
            QMessageBox.StandardButton.Yes,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _restore(self, session: RecoveredSession, pairs: list[QAPair]) -> None:
        base = session.base
        path = Path(base.path) if base is not None and base.unchanged() else None
        self._replace_document(pairs, base=None, path=path)
        self.journal.adopt(session)
        session.discard()
        self._set_dirty(True)
        self._update_title()
        self.view.statusBar().showMessage(f"Restored {len(pairs):,} unsaved pairs.", 10000)

    # Settings and closing ---------------------------------------------------------------------

    def _store_view_settings(self) -> None:
        self.view.endpoint_pane.store(self.settings)
        self.view.results_pane.store(self.settings)
        self.settings.pairs = self.view.pairsSpin.value()

    def save_settings(self) -> None:
        self._store_view_settings()
        try:
            save_settings(self.settings)
        except OSError as exc:
            log.warning("Settings could not be saved (%s).", exc)

    def close_requested(self) -> bool:
        """True when the window may close: runs stopped, unsaved pairs saved or discarded."""
        self.wait_for_threads()
        if not self.confirm_discard():
            return False
        self.commit_key()
        self.settings.window = self.view.layout_state()
        self.save_settings()
        self.journal.discard()
        return True

    def _show_message(self, text: str, *, error: bool = True) -> None:
        self.view.results_pane.show_message(text, error=error)
