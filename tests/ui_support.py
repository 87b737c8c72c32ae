"""What the window tests (and the GUI benchmark) share: a meter of the longest stall of the GUI
thread, and the answers to every message box. The fixtures built on them live in conftest.py.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox


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


class Dialogs:
    """Answers every QMessageBox the window asks, and records what was shown."""

    def __init__(self) -> None:
        self.answer = QMessageBox.StandardButton.Discard
        # Answers for the next questions, in order; ``answer`` once they are used up.
        self.answers: list[QMessageBox.StandardButton] = []
        self.shown: list[tuple[str, str, str]] = []
        # Button texts to click in the next hand-built message boxes (see ``exec_box``).
        self.box_answers: list[str] = []

    def question(self, _parent: Any, title: str, text: str, *args: Any) -> Any:
        self.shown.append(("question", title, text))
        return self.answers.pop(0) if self.answers else self.answer

    def warning(self, _parent: Any, title: str, text: str, *args: Any) -> Any:
        self.shown.append(("warning", title, text))
        return QMessageBox.StandardButton.Ok

    def information(self, _parent: Any, title: str, text: str, *args: Any) -> Any:
        self.shown.append(("information", title, text))
        return QMessageBox.StandardButton.Ok

    def exec_box(self, box: QMessageBox) -> int:
        """Answers a message box built by hand (custom buttons): the button whose text is next
        in ``box_answers`` (" +remember" ticks its check box first), else its default button."""
        self.shown.append(("box", box.windowTitle(), box.text()))
        wanted = self.box_answers.pop(0) if self.box_answers else None
        if wanted is not None and wanted.endswith(" +remember") and box.checkBox() is not None:
            wanted = wanted.removesuffix(" +remember")
            box.checkBox().setChecked(True)  # type: ignore[union-attr]
        chosen = box.defaultButton()
        for button in box.buttons():
            if wanted is not None and button.text() == wanted:
                chosen = button
        if chosen is not None:
            chosen.click()
        return 0

    def texts(self, kind: str | None = None) -> list[str]:
        return [text for k, _title, text in self.shown if kind in (None, k)]


# The offscreen platform plugin warns whenever a window's size limits change; no real platform
# does. Every window test module sets ``pytestmark = OFFSCREEN_NOISE``.
OFFSCREEN_NOISE = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
