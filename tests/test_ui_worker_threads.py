"""Workers are deleted on the GUI thread, once their own has stopped: a Python QObject destroyed
on a worker thread waits there for the GIL while holding one of Qt's shared connection locks, and
a GUI thread holding the GIL while taking that lock froze a CI run."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Qt, QThread, Slot
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from qagen_desktop.ui.worker import CallWorker, start_in_thread

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class Deletions(QObject):
    """Records, for each object it watches, whether it was destroyed on the GUI thread."""

    def __init__(self) -> None:
        super().__init__()
        self.gui = QThread.currentThread()
        self.on_gui: list[bool] = []

    @Slot()
    def destroyed_one(self) -> None:
        self.on_gui.append(QThread.currentThread() == self.gui)


def test_a_finished_worker_is_deleted_on_the_gui_thread(qtbot: QtBot) -> None:
    deletions = Deletions()
    ran_off_gui: list[bool] = []
    ended: list[bool] = []

    def work() -> int:
        ran_off_gui.append(QThread.currentThread() != deletions.gui)
        return 7

    worker = CallWorker(work)
    # Direct: the slot runs in whatever thread deletes the worker.
    worker.destroyed.connect(deletions.destroyed_one, Qt.ConnectionType.DirectConnection)
    thread = start_in_thread(worker, lambda: ended.append(True))  # kept until it ends
    qtbot.waitUntil(lambda: bool(ended) and bool(deletions.on_gui), timeout=10_000)
    assert ran_off_gui == [True]
    assert deletions.on_gui == [True]
    assert not isValid(worker)
    del thread
