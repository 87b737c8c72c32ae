"""A worker is deleted on the GUI thread, never on its own: a Python QObject destroyed on a worker
thread waits there for the GIL while holding one of Qt's shared connection locks, and a GUI thread
holding the GIL while taking that lock froze CI runs."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Qt, QThread, Slot
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from qagen_desktop.ui.worker import CallWorker, start_in_thread

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class Deletions(QObject):
    """Records whether each object it watches was destroyed on the GUI thread."""

    def __init__(self) -> None:
        super().__init__()
        self.gui = QThread.currentThread()
        self.on_gui: list[bool] = []

    @Slot()
    def destroyed_one(self) -> None:
        self.on_gui.append(QThread.currentThread() == self.gui)


def test_a_finished_worker_is_deleted_on_the_gui_thread(qtbot: QtBot) -> None:
    deletions = Deletions()
    ended: list[bool] = []
    worker = CallWorker(lambda: 7)
    # Direct: the slot runs in whatever thread deletes the worker.
    worker.destroyed.connect(deletions.destroyed_one, Qt.ConnectionType.DirectConnection)
    thread = start_in_thread(worker, lambda: ended.append(True))
    qtbot.waitUntil(lambda: bool(ended), timeout=10_000)
    qtbot.wait(200)  # time for a deletion on the worker's thread, were there one
    if isValid(thread):
        thread.wait()
    assert deletions.on_gui == []  # still here: the caller holds it
    del worker  # the caller lets go, as the controllers do once the thread has ended
    assert deletions.on_gui == [True]
