"""A generation run in a process of its own, seen by the window as a worker with signals.

Why a process and not a thread: the run parses and checks replies in Python, and a thread doing
so in the window's process holds the GIL that every paint and slot of the GUI thread needs. With
a fast server that cost visible stalls (benchmarks/bench_gui.py ``stall``: 120 ms and more on a
loaded machine); in its own process the run takes nothing from the GUI thread but the reading of
a few JSON lines. ``qagen`` is already such a process.

The request, key included, goes over the child's standard input (``engine_wire``): never on its
command line, and API_KEY is taken out of its environment. Cancel writes a cancel line and
closes that input; the run stops within a second and reports what it got.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal, Slot

from qagen_desktop.core.errors import redact
from qagen_desktop.ui.engine_wire import (
    CANCEL_LINE,
    ChunkReport,
    Event,
    RunReport,
    RunRequest,
    UsageReport,
    decode_pair,
)

log = logging.getLogger(__name__)

ENGINE_FLAG = "--engine"  # the frozen app's argument that makes it the engine (launcher.py)
STOP_GRACE_MS = 3000  # a cancelled run stops within a second; past this it is killed


def engine_command() -> list[str]:
    """How to start the engine: this Python with the module, or the frozen app with a flag."""
    if getattr(sys, "frozen", False):
        return [sys.executable, ENGINE_FLAG]
    return [sys.executable, "-m", "qagen_desktop.ui.engine_child"]


class EngineProcess(QObject):
    """Runs one request in the engine process and re-emits what it reports.

    Signals (as ``worker.GenerationWorker``'s, all on the GUI thread): runStarted(chunks_total),
    pairsReceived(list[QAPair]), chunkFinished(ChunkReport, done, total),
    usageUpdated(UsageReport), notice(str), error(str), finished(RunReport | None) -- always the
    last report; None after an error; then stopped() once the process has gone.
    """

    runStarted = Signal(int)
    pairsReceived = Signal(list)
    chunkFinished = Signal(object, int, int)
    usageUpdated = Signal(object)
    notice = Signal(str)
    error = Signal(str)
    finished = Signal(object)
    stopped = Signal()

    def __init__(
        self,
        request: RunRequest,
        *,
        command: Sequence[str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._request = request
        self._secret = request.api_key
        self._buffer = bytearray()
        self._finished_sent = False
        self._stopped_sent = False
        self._cancelled = False
        program, *arguments = list(command or engine_command())
        process = self._process = QProcess(self)
        process.setProgram(program)
        process.setArguments(arguments)
        environment = QProcessEnvironment.systemEnvironment()
        environment.remove("API_KEY")  # the key goes over the pipe, not where `ps e` shows it
        process.setProcessEnvironment(environment)
        process.started.connect(self._send_request)
        process.readyReadStandardOutput.connect(self._read_output)
        process.readyReadStandardError.connect(self._read_errors)
        process.finished.connect(self._process_finished)
        process.errorOccurred.connect(self._process_error)

    @property
    def running(self) -> bool:
        return not self._stopped_sent

    def start(self) -> None:
        self._process.start()

    def cancel(self) -> None:
        """Ask the run to stop; it reports the pairs received so far, then ``finished``."""
        self._cancelled = True
        if self._process.state() is QProcess.ProcessState.Running:
            self._process.write(CANCEL_LINE)
            self._process.closeWriteChannel()

    def wait(self, msecs: int = STOP_GRACE_MS) -> None:
        """Block until the process has gone, delivering its last lines; kill it after ``msecs``.

        Nothing the run received is lost by a kill: every pair was journaled as it arrived.
        """
        process = self._process
        if process.state() is not QProcess.ProcessState.NotRunning and not (
            process.waitForFinished(msecs)
        ):
            log.warning("The engine did not stop within %d ms: stopping it.", msecs)
            process.kill()
            process.waitForFinished(-1)
        self._end()

    @Slot()
    def _send_request(self) -> None:
        self._process.write(self._request.to_line())
        if self._cancelled:
            self.cancel()

    @Slot()
    def _read_output(self) -> None:
        self._buffer += self._process.readAllStandardOutput().data()
        *lines, rest = bytes(self._buffer).split(b"\n")
        self._buffer = bytearray(rest)
        for line in lines:
            if line.strip():
                self._dispatch(line)

    def _dispatch(self, line: bytes) -> None:
        try:
            data = json.loads(line)
            kind = Event(data["event"])
        except (ValueError, KeyError, TypeError):
            log.warning("The engine wrote a line that is not an event: %.200r", line)
            return
        if kind is Event.PAIRS:
            self.pairsReceived.emit([decode_pair(pair) for pair in data["pairs"]])
        elif kind is Event.CHUNK:
            outcome = ChunkReport.of(data["outcome"])
            self.chunkFinished.emit(outcome, int(data["done"]), int(data["total"]))
        elif kind is Event.USAGE:
            self.usageUpdated.emit(UsageReport.of(data["usage"]))
        elif kind is Event.STARTED:
            self.runStarted.emit(int(data["chunks_total"]))
        elif kind is Event.NOTICE:
            self.notice.emit(str(data["message"]))
        elif kind is Event.ERROR:
            self.error.emit(redact(str(data["message"]), self._secret))
        elif kind is Event.FINISHED:
            self._send_finished(_report(data.get("result")))

    def _send_finished(self, report: RunReport | None) -> None:
        if not self._finished_sent:
            self._finished_sent = True
            self.finished.emit(report)

    @Slot()
    def _read_errors(self) -> None:
        text = bytes(self._process.readAllStandardError().data()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip():
                log.warning("engine: %s", redact(line, self._secret))

    @Slot(int, QProcess.ExitStatus)
    def _process_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_output()
        self._read_errors()
        if self._buffer.strip():
            self._dispatch(bytes(self._buffer))
            self._buffer.clear()
        if not self._finished_sent:
            how = "crashed" if status is QProcess.ExitStatus.CrashExit else f"exited ({code})"
            self.error.emit(
                f"The generation engine {how} before the run ended; the pairs received are "
                "kept. Details are in the log: try again."
            )
            self._send_finished(None)
        self._end()

    @Slot(QProcess.ProcessError)
    def _process_error(self, error: QProcess.ProcessError) -> None:
        if error is QProcess.ProcessError.FailedToStart:
            self.error.emit(
                f"The generation engine could not start ({self._process.errorString()}): "
                "check that the app is installed completely."
            )
            self._send_finished(None)
            self._end()

    def _end(self) -> None:
        if not self._stopped_sent and self._process.state() is QProcess.ProcessState.NotRunning:
            self._stopped_sent = True
            self.stopped.emit()


def _report(data: Any) -> RunReport | None:
    return None if data is None else RunReport.of(data)
