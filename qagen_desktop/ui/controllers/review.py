"""Review in the window: accept and reject the selected rows, and have the engine judge them (or
every pair) or regenerate them from their own chunks, off the GUI thread.

The engine works on copies of the pairs (it changes what it is handed in place); what it gives
back goes into the table as one undoable command, at the rows where those pairs are by then
(found by identity: rows added, deleted or edited in the meantime are followed, and a pair
changed by hand since is left as the person made it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QProgressBar, QStatusBar
from shiboken6 import isValid

from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.ui.controllers.document import DocumentController
from qagen_desktop.ui.panes.results_pane import ResultsPane
from qagen_desktop.ui.table.edit_commands import ReplacePairsCommand
from qagen_desktop.ui.widgets import set_progress
from qagen_desktop.ui.worker import EngineWorker, start_in_thread

if TYPE_CHECKING:
    from qagen_desktop.core.endpoint import Endpoint
    from qagen_desktop.core.generation import Generator, RunConfig, RunResult
    from qagen_desktop.core.settings import Settings

ConfigBuilder = Callable[[], "RunConfig"]
GeneratorFactory = Callable[["RunConfig"], "Generator"]
# A job's call gets the Generator and a ``report(done, total)`` of its progress; typed loosely,
# as the review's engine methods (``judge_pairs``, ``regenerate``) come with the core's judge pass.
Report = Callable[[int, int], None]
EngineCall = Callable[[Any, Report], Any]
MESSAGE_MS = 10000
JUDGE_PROGRESS_FORMAT = "%v of %m pairs judged"


class ReviewWorker(EngineWorker):
    """Calls one engine method (``judge_pairs`` or ``regenerate``) on a Generator built on the
    worker's thread (see ``EngineWorker``).

    Signals: progressed(int, int) -- pairs done and in all, as the call reports them;
    error(str), finished(object) -- always last: what the call returned, or None after an
    error.
    """

    progressed = Signal(int, int)

    def __init__(
        self,
        build_config: ConfigBuilder,
        call: EngineCall,
        *,
        generator_factory: GeneratorFactory | None = None,
    ) -> None:
        super().__init__(build_config, generator_factory=generator_factory)
        self._call = call

    def work(self, generator: Generator) -> Any:
        return self._call(generator, self.progressed.emit)


class ReviewView(Protocol):
    """The widgets the review drives (``ui.main_view.MainView`` has them)."""

    results_pane: ResultsPane
    progressBar: QProgressBar
    actionRegenerate: QAction
    actionJudge: QAction
    actionJudgeAll: QAction
    actionCancel: QAction

    def statusBar(self) -> QStatusBar: ...


class ReviewController(QObject):
    """Accepts and rejects rows by hand; judges and regenerates them through the engine.

    ``prepare_config`` is called on the GUI thread when a job starts (it takes the key and
    the settings as the window shows them) and returns the builder the worker calls; None
    when the window cannot make a run (it has said why). ``busy`` is True while a generation
    runs. ``generator_factory`` builds the engine (``Generator`` by default). Signals:
    finishedJob() -- a judge or regenerate job has ended (its result applied,
    before its thread has stopped).
    """

    finishedJob = Signal()

    def __init__(
        self,
        view: ReviewView,
        document: DocumentController,
        prepare_config: Callable[[], ConfigBuilder | None],
        *,
        busy: Callable[[], bool] = lambda: False,
        generator_factory: GeneratorFactory | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.document = document
        self._prepare_config = prepare_config
        self._busy = busy
        self.generator_factory = generator_factory
        self._thread: QThread | None = None
        self._worker: ReviewWorker | None = None
        self._apply: Callable[[Any], None] = _ignore

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _tell(self, text: str) -> None:
        self.view.statusBar().showMessage(text, MESSAGE_MS)

    # By hand --------------------------------------------------------------------------------------

    @Slot()
    def accept_selected(self) -> None:
        self._set_verdict(accept=True)

    @Slot()
    def reject_selected(self) -> None:
        self._set_verdict(accept=False)

    def _set_verdict(self, *, accept: bool) -> None:
        pane = self.view.results_pane
        if pane.is_editing():
            return
        rows = pane.target_rows()
        if not rows:
            self._tell("Select the pairs to accept or reject first.")
            return
        changed = self.document.set_verdict(rows, accept=accept)
        verb = "Accepted" if accept else "Rejected"
        if changed:
            self._tell(f"{verb} {changed:,} pair{'s' if changed != 1 else ''} (Ctrl+Z undoes).")
        else:
            self._tell(f"The selected pairs are {verb.lower()} already.")

    # Through the engine ---------------------------------------------------------------------------

    @Slot()
    def judge_selected(self) -> None:
        self._judge([self.document.model.pairs[row] for row in self._rows()])

    @Slot()
    def judge_all(self) -> None:
        """Judge every pair that would be saved (accepted and edited ones)."""
        pairs = self.document.model.pairs
        self._judge([pair for pair in pairs if pair.status is not PairStatus.REJECTED])

    def _rows(self) -> list[int]:
        return self.view.results_pane.target_rows()

    def _judge(self, originals: list[QAPair]) -> None:
        if not originals:
            self._tell("There are no pairs to judge: select some first.")
            return
        copies = [replace(pair) for pair in originals]
        if self._start(
            lambda generator, report: generator.judge_pairs(copies, progress=report),
            partial(self._judged, originals, copies),
        ):
            self._tell(f"Judging {len(originals):,} pairs… (Esc stops)")
            bar = self.view.progressBar
            bar.setFormat(JUDGE_PROGRESS_FORMAT)
            bar.setTextVisible(True)
            set_progress(bar, 0, len(copies))

    @Slot()
    def regenerate_selected(self) -> None:
        rows = self._rows()
        pairs = self.document.model.pairs
        originals = [pairs[row] for row in rows if pairs[row].source.strip()]
        if not originals:
            self._tell(
                "The selected pairs have no source chunk (opened from a file or typed in), "
                "so there is nothing to regenerate them from: select pairs from a run."
            )
            return
        chosen = {id(pair) for pair in originals}
        others = [pair for pair in pairs if id(pair) not in chosen]
        copies = [replace(pair) for pair in originals]
        if self._start(
            lambda generator, _report: generator.regenerate(copies, others=others),
            partial(self._regenerated, originals),
        ):
            skipped = len(rows) - len(originals)
            note = f" ({skipped} without a source chunk left as they are)" if skipped else ""
            self._tell(f"Regenerating {len(originals):,} pairs…{note} (Esc stops)")

    def _start(self, call: EngineCall, apply: Callable[[Any], None]) -> bool:
        """Start a job: ``call`` runs on the worker's thread, ``apply`` on this one with what
        it returned (None after an error)."""
        if self.running:
            self._tell("The review is already busy: wait for it, or press Esc to stop it.")
            return False
        if self._busy():
            self._tell("A run is generating pairs: judge or regenerate once it has finished.")
            return False
        build = self._prepare_config()
        if build is None:
            return False
        worker = ReviewWorker(build, call, generator_factory=self.generator_factory)
        # Slots of this object (not lambdas): Qt queues them to the GUI thread.
        worker.progressed.connect(self._progressed)
        worker.error.connect(self._failed)
        worker.finished.connect(self._job_finished)
        self._apply = apply
        self._worker = worker
        self._set_running(True)
        self.view.results_pane.show_message("")
        self._thread = start_in_thread(worker, self._thread_finished)
        return True

    @Slot(int, int)
    def _progressed(self, done: int, total: int) -> None:
        set_progress(self.view.progressBar, done, max(total, 1))
        self._tell(f"Judged {done:,} of {total:,} pairs… (Esc stops)")

    @Slot(object)
    def _job_finished(self, result: Any) -> None:
        apply, self._apply = self._apply, _ignore
        apply(result)
        self.finishedJob.emit()

    def _set_running(self, running: bool) -> None:
        # Esc (the window's Cancel) stops a job too; left on while a generation runs.
        self.view.actionCancel.setEnabled(running or self._busy())
        for action in (self.view.actionRegenerate, self.view.actionJudge, self.view.actionJudgeAll):
            action.setEnabled(not running)
        pane = self.view.results_pane
        pane.regenerateButton.setEnabled(not running)
        pane.judgeButton.setEnabled(not running)

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.view.results_pane.show_message(message)

    def _judged(self, originals: list[QAPair], copies: list[QAPair], outcome: Any) -> None:
        """Apply a ``JudgeOutcome`` (None after an error): the copies carry the verdicts."""
        if outcome is None:
            return
        rows = self._rows_of(originals)
        changes = [
            (rows[id(original)], copy)
            for original, copy in zip(originals, copies, strict=True)
            if id(original) in rows and _verdict(copy) != _verdict(original)
        ]
        if changes:
            noun = "pair" if len(changes) == 1 else f"{len(changes)} pairs"
            self.document.undo_stack.push(
                ReplacePairsCommand(self.document.model, changes, f"Judge {noun}")
            )
        parts = [f"Judged {len(outcome.rated):,} pairs: {len(outcome.rejected):,} rejected"]
        if outcome.unjudged:
            parts.append(f"{len(outcome.unjudged):,} could not be judged")
        if outcome.cancelled:
            parts.append("stopped")
        text = ", ".join(parts) + "."
        if outcome.errors:
            self.view.results_pane.show_message(" ".join([text, *outcome.errors[:1]]))
        else:
            self.view.results_pane.show_message("")
        self._tell(text)

    def _regenerated(self, originals: list[QAPair], result: RunResult | None) -> None:
        if result is None:
            return
        fresh: dict[tuple[int | None, str], list[QAPair]] = {}
        for pair in result.pairs:
            fresh.setdefault((pair.chunk, pair.source), []).append(pair)
        rows = self._rows_of(originals)
        changes = []
        for original in originals:
            queue = fresh.get((original.chunk, original.source))
            if queue and id(original) in rows:
                changes.append((rows[id(original)], queue.pop(0)))
        if changes:
            noun = "pair" if len(changes) == 1 else f"{len(changes)} pairs"
            self.document.undo_stack.push(
                ReplacePairsCommand(self.document.model, changes, f"Regenerate {noun}")
            )
        text = f"Regenerated {len(changes):,} of {len(originals):,} pairs."
        problem = result.fatal or next((o.error for o in result.failed if o.error), None)
        self.view.results_pane.show_message(f"{text} {problem}" if problem else "")
        self._tell(text)

    def _rows_of(self, originals: Sequence[QAPair]) -> dict[int, int]:
        """Where each of ``originals`` is now, by identity (a pair replaced since is absent)."""
        wanted = {id(pair) for pair in originals}
        return {
            id(pair): row
            for row, pair in enumerate(self.document.model.pairs)
            if id(pair) in wanted
        }

    @Slot()
    def _thread_finished(self) -> None:
        # QThread.finished comes just before the thread ends, and dropping the last reference
        # deletes the QThread: deleting it while it still runs crashes the process.
        if self._thread is not None and isValid(self._thread):
            self._thread.wait()
        self._thread = None
        self._worker = None
        self._set_running(False)

    @Slot()
    def cancel(self) -> bool:
        """Stop a judge or regenerate job; True when one was running."""
        if self._worker is None or not isValid(self._worker):
            return False
        self._worker.cancel()
        self._tell("Stopping the review…")
        return True

    def wait_for_threads(self) -> None:
        """Stop a job and wait for its thread (before the window goes away)."""
        self.cancel()
        if self._thread is not None and isValid(self._thread):
            self._thread.wait()


def _ignore(_result: Any) -> None:
    return None


def _verdict(pair: QAPair) -> tuple[Any, ...]:
    return (pair.status, pair.score, pair.reason, pair.rejection)


def config_preparer(
    settings: Settings,
    endpoint: Callable[[], Endpoint],
    commit_key: Callable[[], str | None],
    store_settings: Callable[[], None],
    tell: Callable[[str], None],
) -> Callable[[], ConfigBuilder | None]:
    """``ReviewController``'s ``prepare_config`` for the window: the run's configuration as a
    generation run assembles it (``core.session``), from the fields and a copy of the settings,
    with the key the key controller decided (the keyring is not asked again)."""

    def prepare() -> ConfigBuilder | None:
        import copy

        from qagen_desktop.core.errors import ConfigError

        target = endpoint()
        try:
            target.chat_url()
        except ConfigError as exc:
            tell(str(exc))
            return None
        key = commit_key()
        store_settings()
        snapshot = copy.deepcopy(settings)

        def build() -> RunConfig:
            from qagen_desktop.core.session import assemble_run
            from qagen_desktop.ui.controllers.run import _NO_KEYRING, run_flags

            flags = run_flags(target, key, 1)
            return assemble_run(
                flags, environ=os.environ, settings=snapshot, keystore=_NO_KEYRING
            ).config

        return build

    return prepare
