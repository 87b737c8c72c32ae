"""Shared set-up for the window tests (and the GUI benchmark): a thread-leak check, a window with
no dialog left to chance, and a meter of the longest stall of the GUI thread.

Import the fixtures into a test module: ``from ui_support import no_dangling_qthreads, window``.
"""

from __future__ import annotations

import inspect
import time
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, QTimer
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from qagen_desktop.ui.main_window import MainWindow


class StallMeter(QObject):
    """Ticks every few milliseconds on the GUI thread and keeps the longest gap between ticks."""

    def __init__(self, interval_ms: int = 5) -> None:
        super().__init__()
        self.longest = 0.0
        self.ticks = 0
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.longest, self.ticks, self._last = 0.0, 0, time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        self._timer.stop()
        return self.longest

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now
        self.ticks += 1


@pytest.fixture(autouse=True)
def no_dangling_qthreads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that leaves a QThread running (after napari's ``_dangling_qthreads``)."""
    started: weakref.WeakKeyDictionary[QThread, str] = weakref.WeakKeyDictionary()
    original_start = QThread.start

    def start(self: QThread, *args: Any) -> None:
        caller = inspect.stack()[1]
        started[self] = f"{caller.filename}:{caller.lineno}"
        original_start(self, *args)

    monkeypatch.setattr(QThread, "start", start)
    yield
    running = []
    for thread, where in list(started.items()):
        try:
            if thread.isRunning():
                running.append(where)
        except RuntimeError:
            pass  # Deleted (deleteLater ran): it stopped.
    if running:
        pytest.fail(f"QThreads still running after the test, started at: {running}")


class Dialogs:
    """Answers every QMessageBox the window asks, and records what was shown."""

    def __init__(self) -> None:
        self.answer = QMessageBox.StandardButton.Discard
        self.shown: list[tuple[str, str, str]] = []

    def question(self, _parent: Any, title: str, text: str, *args: Any) -> Any:
        self.shown.append(("question", title, text))
        return self.answer

    def warning(self, _parent: Any, title: str, text: str, *args: Any) -> Any:
        self.shown.append(("warning", title, text))
        return QMessageBox.StandardButton.Ok

    def information(self, _parent: Any, title: str, text: str, *args: Any) -> Any:
        self.shown.append(("information", title, text))
        return QMessageBox.StandardButton.Ok

    def texts(self, kind: str | None = None) -> list[str]:
        return [text for k, _title, text in self.shown if kind in (None, k)]


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    """No modal message box ever blocks a test: each is answered and recorded."""
    answers = Dialogs()
    monkeypatch.setattr(QMessageBox, "question", answers.question)
    monkeypatch.setattr(QMessageBox, "warning", answers.warning)
    monkeypatch.setattr(QMessageBox, "information", answers.information)
    return answers


# The offscreen platform plugin warns whenever a window's size limits change; no real platform
# does. Every window test module sets ``pytestmark = OFFSCREEN_NOISE``.
OFFSCREEN_NOISE = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot: QtBot, dialogs: Dialogs) -> Iterator[MainWindow]:
    """A shown main window built from the (temporary) default settings locations."""
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    # Deleted, not only closed: windows left over from earlier tests would slow later ones.
    win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
