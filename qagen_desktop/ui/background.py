"""One blocking call (a dataset read or write, a journal replay) on a worker thread, while the
GUI thread goes on painting and answering.

``call_off_thread`` keeps the caller's straight-line code (``loaded = call_off_thread(...)``): the
worker runs in the project's one threading pattern (``worker.start_in_thread``) and the GUI
thread waits in a local event loop, so the window repaints, shows progress and takes input while
a 100,000-pair file is read. Whoever calls it guards against being re-entered meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal, Slot
from shiboken6 import isValid

from qagen_desktop.ui.worker import start_in_thread

_T = TypeVar("_T")
PROGRESS_INTERVAL_MS = 150


class _Call(QObject):
    """Calls ``function`` once; puts its value or its exception in ``outcome`` (a plain dict,
    which outlives this object: the worker is deleted when its thread ends).

    Signals: finished() -- always, after the call.
    """

    finished = Signal()

    def __init__(self, function: Callable[[], Any], outcome: dict[str, Any]) -> None:
        super().__init__()
        self._function = function
        self._outcome = outcome

    @Slot()
    def run(self) -> None:
        try:
            self._outcome["value"] = self._function()
        except BaseException as exc:  # handed back whole: the caller sorts its own errors
            self._outcome["exception"] = exc
        finally:
            self.finished.emit()


def call_off_thread(
    function: Callable[[], _T],
    *,
    progress: Callable[[], None] | None = None,
) -> _T:
    """``function()`` run on a worker thread; returns its value or raises its exception here.

    ``progress`` is called on the GUI thread every ``PROGRESS_INTERVAL_MS`` while it runs (to
    show how far it got).
    """
    outcome: dict[str, Any] = {}
    call = _Call(function, outcome)
    loop = QEventLoop()
    # A QObject's slot on this thread: Qt queues the thread's end here, to the loop below.
    relay = _Relay(loop.quit)
    ticker = QTimer()
    if progress is not None:
        ticker.setInterval(PROGRESS_INTERVAL_MS)
        ticker.timeout.connect(progress)
        ticker.start()
    thread = start_in_thread(call, relay.fire)
    try:
        loop.exec()  # until the thread has said it finished
    finally:
        ticker.stop()
    if isValid(thread):
        thread.wait()  # its last instructions: a moment; then its own wiring deletes it
    if "exception" in outcome:
        raise outcome["exception"]
    return outcome["value"]


class _Relay(QObject):
    """A QObject slot on the GUI thread for a plain callback."""

    def __init__(self, callback: Callable[[], None]) -> None:
        super().__init__()
        self._callback = callback

    @Slot()
    def fire(self) -> None:
        self._callback()
