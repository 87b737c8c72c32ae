"""Workers leave their thread before they are deleted: a Python QObject destroyed on a worker
thread waits there for the GIL while holding one of Qt's shared connection locks, and a GUI thread
holding the GIL while emitting under that lock froze a CI run."""

from __future__ import annotations

import os

from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from qagen_desktop.ui.worker import CallWorker, start_in_thread

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def test_a_finished_worker_is_deleted_on_the_gui_thread(qtbot: QtBot) -> None:
    gui = QThread.currentThread()
    deleted_on: list[bool] = []
    ran_on: list[bool] = []
    ended: list[bool] = []

    def work() -> int:
        ran_on.append(QThread.currentThread() is not gui)
        return 7

    worker = CallWorker(work)
    # Direct: the slot runs in whatever thread deletes the worker.
    worker.destroyed.connect(lambda: deleted_on.append(QThread.currentThread() == gui))
    thread = start_in_thread(worker, lambda: ended.append(True))  # kept until it ends
    qtbot.waitUntil(lambda: bool(ended) and bool(deleted_on), timeout=10_000)
    del thread, worker
    assert ran_on == [True]  # the work itself ran off the GUI thread
    assert deleted_on == [True]
