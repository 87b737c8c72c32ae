"""A generation run and a connection test, off the GUI thread, shown in the window as they go.

What the worker reports comes in batches (one call per batch, see ``ui.worker.RunInbox``); its
pairs are journaled at once and shown at most every ``FLUSH_INTERVAL_MS`` (one table update and
one repaint per refresh), with the progress, tokens and failed chunks that came with them.
"""

from __future__ import annotations

import contextlib
import copy
import os
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QSpinBox, QStatusBar, QWidget
from shiboken6 import isValid

from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError, ErrorKind
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.settings import Settings
from qagen_desktop.ui.controllers.again import AskAgain, GenerateAgain, ask_in_message_box
from qagen_desktop.ui.controllers.connection import ConnectionTester
from qagen_desktop.ui.controllers.document import DocumentController
from qagen_desktop.ui.panes.context_pane import ContextPane
from qagen_desktop.ui.panes.endpoint_pane import EndpointPane
from qagen_desktop.ui.panes.results_pane import ResultsPane
from qagen_desktop.ui.panes.sources_pane import SourcesPane
from qagen_desktop.ui.settings_writer import SettingsWriter
from qagen_desktop.ui.status import BoundMessage
from qagen_desktop.ui.theme import Tone
from qagen_desktop.ui.widgets import set_progress
from qagen_desktop.ui.worker import GenerationWorker, RunInbox, start_in_thread

if TYPE_CHECKING:
    from qagen_desktop.core.generation import ChunkOutcome, RunConfig, RunResult, Usage
    from qagen_desktop.core.session import RunFlags

# What the worker reports is shown this often: one table update and repaint per refresh.
FLUSH_INTERVAL_MS = 100
PROGRESS_FORMAT = "%v of %m chunks"


class RunView(Protocol):
    """The widgets a run drives (``ui.main_view.MainView`` has them)."""

    progressBar: QProgressBar
    tokensLabel: QLabel
    elapsedLabel: QLabel
    failedButton: QPushButton
    generateButton: QPushButton
    cancelButton: QPushButton
    actionGenerate: QAction
    actionCancel: QAction
    actionOpen: QAction
    pairsSpin: QSpinBox
    endpoint_pane: EndpointPane
    context_pane: ContextPane
    sources_pane: SourcesPane
    results_pane: ResultsPane

    def statusBar(self) -> QStatusBar: ...


class RunController(QObject):
    """Starts, shows and cancels a run, and tests the connection."""

    def __init__(
        self,
        view: RunView,
        document: DocumentController,
        settings: Settings,
        *,
        commit_key: Callable[[], str | None],
        store_settings: Callable[[], None],
        show_info: Callable[[str, str], None],
        ask_again: AskAgain | None = None,
        settings_writer: SettingsWriter | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.document = document
        self.settings = settings
        self._commit_key = commit_key
        self._store_settings = store_settings
        self.settings_writer = settings_writer or SettingsWriter(parent=self)
        self._show_info = show_info
        self._thread: QThread | None = None
        self._worker: GenerationWorker | None = None
        self._inbox: RunInbox | None = None
        if ask_again is None:
            ask_again = ask_in_message_box(view if isinstance(view, QWidget) else None)
        self.again = GenerateAgain(document, settings, ask_again)
        self.connection = ConnectionTester(view.endpoint_pane, commit_key=commit_key, parent=self)
        self._pending: list[QAPair] = []
        self._received = 0
        self._failed: list[ChunkOutcome] = []
        self._failed_shown = 0
        self._progress: tuple[int, int] | None = None
        self._usage: Usage | None = None
        self._run_started = 0.0
        self._run_endpoint: Endpoint | None = None
        self._left_out = ""
        label = view.results_pane.messageLabel
        label.setContentsMargins(4, 4, 4, 4)
        self.message = BoundMessage(label, parent=self)

        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self.flush_pending)
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(1000)
        self._elapsed_timer.timeout.connect(self._show_elapsed)
        document.flush_pending = self.flush_pending

    @property
    def running(self) -> bool:
        return self._thread is not None

    @staticmethod
    def _build_run(
        settings: Settings, endpoint: Endpoint, api_key: str | None, total_pairs: int
    ) -> RunConfig:
        """The run's whole configuration, assembled as ``qagen`` assembles its own.

        Called on the worker's thread (see GenerationWorker), with a copy of the settings.
        """
        from qagen_desktop.core.session import assemble_run

        flags = run_flags(endpoint, api_key, total_pairs)
        # The key is the field's (which the key controller filled from API_KEY or the keyring),
        # so the keyring is not asked again here.
        plan = assemble_run(flags, environ=os.environ, settings=settings, keystore=_NO_KEYRING)
        return plan.config

    @Slot()
    def generate(self) -> None:
        if self.running:
            return
        view = self.view
        sources_pane = view.sources_pane
        sources_pane.set_pasted_text(view.context_pane.text())
        if sources_pane.is_busy():
            self.message.show(
                "The Sources list is still reading files: generate once every file shows its "
                "counts (or remove the ones still reading).",
                Tone.ERROR,
                until=[sources_pane.sourcesChanged],
            )
            return
        sources = sources_pane.sources()
        if not sources:
            failures = sources_pane.failures()
            self.message.show(
                "There is no text yet: paste or type it in the context editor, or add files to "
                "the Sources list (Ctrl+L)." + (f" {_left_out_line(failures)}" if failures else ""),
                Tone.ERROR,
                until=[view.context_pane.contextEdit.textChanged, sources_pane.sourcesChanged],
            )
            return
        endpoint = view.endpoint_pane.endpoint()
        try:
            endpoint.chat_url()
        except ConfigError as exc:
            self.message.show(str(exc), Tone.ERROR, until=view.endpoint_pane.endpoint_signals())
            return
        if not self.again.before_run():
            return
        key = self._commit_key()
        self._store_settings()
        # A copy: the worker reads it while the GUI thread goes on changing its own settings.
        snapshot = copy.deepcopy(self.settings)
        build = partial(self._build_run, snapshot, endpoint, key, view.pairsSpin.value())
        worker = GenerationWorker(build, sources)
        worker.progressed.connect(self._take_progress)
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
        self._left_out = _left_out_line(sources_pane.failures())
        if self._left_out:
            self.message.show(self._left_out, Tone.WARNING)
        else:
            self.message.clear()
        view.statusBar().clearMessage()
        view.failedButton.hide()
        view.tokensLabel.setText("")
        view.progressBar.setFormat(PROGRESS_FORMAT)
        set_progress(view.progressBar, 0, 1)
        self._set_running(True)
        self._elapsed_timer.start()
        self._show_elapsed()
        self._worker, self._inbox = worker, worker.inbox
        self._thread = start_in_thread(worker, self._run_thread_finished)

    @Slot()
    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.view.statusBar().showMessage("Cancelling: keeping the pairs received so far…")

    def _set_running(self, running: bool) -> None:
        view = self.view
        view.generateButton.setEnabled(not running)
        view.actionGenerate.setEnabled(not running)
        view.cancelButton.setEnabled(running)
        view.actionCancel.setEnabled(running)
        view.actionOpen.setEnabled(not running)
        view.generateButton.setText("Generating…" if running else "Generate")

    @Slot()
    def _take_progress(self) -> None:
        """Everything the run reported since the last look, in one call from the event loop."""
        if self._inbox is None:
            return
        progress = self._inbox.take()
        if progress.chunks_total is not None:
            self._run_started_with(progress.chunks_total)
        if progress.pairs:
            self._pairs_received(progress.pairs)
        for outcome, done, total in progress.chunks:
            self._chunk_finished(outcome, done, total)
        if progress.usage is not None:
            self._usage_updated(progress.usage)
        for message in progress.notices:
            self._notice(message)

    def _run_started_with(self, chunks_total: int) -> None:
        self.view.progressBar.setTextVisible(True)
        set_progress(self.view.progressBar, 0, max(chunks_total, 1))

    def _pairs_received(self, pairs: list[QAPair]) -> None:
        pairs = self.again.keep_new(pairs)
        if not pairs:
            return
        # Into the journal at once, at the end where the next refresh will show them: a crash
        # before that refresh loses none of them.
        row = self.document.model.rowCount() + len(self._pending)
        self.document.journal_arrivals(row, pairs)
        self._pending.extend(pairs)
        self._received += len(pairs)
        self._schedule_refresh()

    def _chunk_finished(self, outcome: ChunkOutcome, done: int, total: int) -> None:
        self._progress = (done, total)
        if counts_as_failure(outcome):
            self._failed.append(outcome)
        self._schedule_refresh()

    def _usage_updated(self, usage: Usage) -> None:
        self._usage = usage
        self._schedule_refresh()

    def _schedule_refresh(self) -> None:
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush_pending(self) -> None:
        """Show what the run sent since the last refresh: one table update, one repaint each."""
        self._flush_timer.stop()
        if self._pending:
            batch, self._pending = self._pending, []
            self.document.append_journaled(batch)
        if self._progress is not None:
            (done, total), self._progress = self._progress, None
            set_progress(self.view.progressBar, done, max(total, 1))
        if self._usage is not None:
            self.view.tokensLabel.setText(f"{self._usage.total_tokens:,} tokens")
            self._usage = None
        if len(self._failed) != self._failed_shown:
            self._show_failed_count()

    def _notice(self, message: str) -> None:
        self.view.statusBar().showMessage(message, 8000)

    @Slot(str)
    def _run_error(self, message: str) -> None:
        self.message.show(message, Tone.ERROR, until=self.view.endpoint_pane.endpoint_signals())

    @Slot(object)
    def _run_finished(self, result: RunResult | None) -> None:
        self._take_progress()  # what came after the last progressed() was handled
        self.flush_pending()
        self._elapsed_timer.stop()
        self._show_elapsed()
        # A retry note or "Cancelling…" spoke of the run in flight: it is over now.
        self.view.statusBar().clearMessage()
        if result is None:
            return
        if self._received == 0 and result.pairs:
            # An engine that reports pairs only at the end still gets them on screen.
            self.document.model.append_pairs(self.again.keep_new(list(result.pairs)))
        if result.rejected:
            # Shown behind "Show rejected", each with its reason: the review can take one back.
            self.document.model.append_pairs(list(result.rejected))
        self._usage = result.usage
        self._failed = [outcome for outcome in result.outcomes if counts_as_failure(outcome)]
        self.flush_pending()
        self._show_final_progress(result)
        dropped = self.again.dropped
        got = len(result.pairs) - dropped
        failed = len(self._failed)
        if result.fatal:
            self._run_error(result.fatal)
        elif result.cancelled:
            self.message.show(f"Cancelled: kept {got} pair{'s' if got != 1 else ''}.", Tone.NOTE)
        elif failed or result.shortfall:
            self.message.show(
                f"Got {got} of {result.requested} pairs; {failed} chunk"
                f"{'s' if failed != 1 else ''} failed: "
                "click the failed count in the status bar for the reasons.",
                Tone.ERROR,
            )
        else:
            # Files the run could not use stay in view after it: its pairs lack them.
            if self._left_out:
                self.message.show(self._left_out, Tone.WARNING)
            else:
                self.message.clear()
            already = f" ({dropped} already in the table dropped)" if dropped else ""
            self.view.statusBar().showMessage(f"Done: {got} pairs{already}.", 8000)
        if got and not result.fatal and self._run_endpoint is not None:
            with contextlib.suppress(ConfigError):
                self.settings.remember_response_mode(self._run_endpoint, result.response_mode)
        self._store_settings()
        self.settings_writer.save(self.settings)

    def _show_final_progress(self, result: RunResult) -> None:
        """The bar as the run ended: chunks finished of all, and why it stopped short if it did."""
        bar = self.view.progressBar
        total = max(len(result.outcomes), 1)
        finished = sum(
            outcome.error_kind not in (ErrorKind.CANCELLED, ErrorKind.STOPPED)
            for outcome in result.outcomes
        )
        if result.fatal:
            bar.setFormat(f"Stopped: {PROGRESS_FORMAT}")
        elif result.cancelled:
            bar.setFormat(f"Cancelled: {PROGRESS_FORMAT}")
        bar.setTextVisible(True)
        set_progress(bar, finished, total)

    @Slot()
    def _run_thread_finished(self) -> None:
        # QThread.finished comes just before the thread ends, and dropping the last reference
        # deletes the QThread: deleting it while it still runs crashes the process.
        if self._thread is not None and isValid(self._thread):
            self._thread.wait()
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
        self._show_info("Failed chunks", "\n".join(lines) or "None.")

    def wait_for_threads(self) -> None:
        """Stop any run and wait for every worker thread (before the window goes away)."""
        if self._worker is not None and isValid(self._worker):
            self._worker.cancel()
        self.connection.cancel()  # a test cut short, not waited out
        for thread in (self._thread, self.connection.running_thread):
            if thread is not None and isValid(thread):
                thread.wait()
        # Deliver what the workers sent before they stopped (the last pairs, the result).
        QCoreApplication.sendPostedEvents()
        self.flush_pending()
        self.settings_writer.wait()  # the run's end saves the settings too

    @Slot()
    def test_connection(self) -> None:
        self.connection.test()


def counts_as_failure(outcome: ChunkOutcome) -> bool:
    """A chunk that fell short for a reason other than the person's cancel."""
    return not outcome.ok and outcome.error_kind is not ErrorKind.CANCELLED


def _left_out_line(failures: list[tuple[str, str]]) -> str:
    """One line naming the files a run leaves out, and why ("" when none)."""
    if not failures:
        return ""
    reasons = "; ".join(f"{name} ({error.rstrip('.')})" for name, error in failures)
    return f"Not used in this run, as they could not be read: {reasons}."


def run_flags(endpoint: Endpoint, api_key: str | None, total_pairs: int) -> RunFlags:
    """What the window's fields say about a run; everything else comes from the settings."""
    from qagen_desktop.core.session import RunFlags

    return RunFlags(
        provider=endpoint.provider,
        endpoint=endpoint.url,
        model=endpoint.model,
        deployment=endpoint.deployment,
        api_version=endpoint.api_version,
        total_pairs=total_pairs,
        api_key=api_key or "",
    )


class _NoKeyring:
    """A key store with nothing in it, for a run whose key the window has already decided."""

    def get(self, key_id: str) -> str | None:
        return None

    def set(self, key_id: str, key: str) -> bool:
        return False

    def delete(self, key_id: str) -> None:
        return None


_NO_KEYRING = _NoKeyring()
