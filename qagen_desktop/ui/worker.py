"""Work that must not run on the GUI thread: a connection test, keyring calls, file reads.

One pattern for all (as in Mu): a QObject worker moved to a QThread, ``started -> run``,
``finished -> quit``, ``finished -> deleteLater``, ``thread.finished -> deleteLater``. Workers
never touch a widget; everything they learn leaves as a signal, and every exception becomes the
``error`` signal. Cancelling is cooperative, never ``QThread.terminate``. A generation run goes
to a process of its own instead (``engine_process``), so the GIL stays with the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from qagen_desktop.core.errors import QagenError
from qagen_desktop.ui import engine_wire

log = logging.getLogger(__name__)


def error_message(exc: BaseException, secret: str | None = None) -> str:
    """One plain line for the window; never holds the key. An unexpected error is logged."""
    if not isinstance(exc, QagenError):
        log.error("Unexpected error in a worker", exc_info=exc)
    return engine_wire.error_message(exc, secret)


class CallWorker(QObject):
    """Calls one blocking function (a connection test).

    Signals: succeeded(object), error(str), finished() -- always last.
    """

    succeeded = Signal(object)
    error = Signal(str)
    finished = Signal()

    def __init__(self, function: Callable[[], Any], *, secret: str | None = None) -> None:
        super().__init__()
        self._function = function
        self._secret = secret

    @Slot()
    def run(self) -> None:
        try:
            self.succeeded.emit(self._function())
        except Exception as exc:
            self.error.emit(error_message(exc, self._secret))
        finally:
            self.finished.emit()


def start_in_thread(worker: QObject, on_thread_finished: Callable[[], None]) -> QThread:
    """Move ``worker`` to a new QThread with the full clean-up wiring and start it.

    ``on_thread_finished`` runs on the GUI thread once the thread has stopped; the caller keeps
    references to the worker and the thread until then.
    """
    thread = QThread()
    thread.setObjectName(f"{type(worker).__name__}Thread")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)  # type: ignore[attr-defined]
    # Direct: QThread.quit is thread-safe, and a GUI thread blocked in wait() (a window closing)
    # could never run a queued quit.
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # type: ignore[attr-defined]
    worker.finished.connect(worker.deleteLater)  # type: ignore[attr-defined]
    thread.finished.connect(on_thread_finished)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread
