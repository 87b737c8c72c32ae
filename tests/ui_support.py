"""What the window tests (and the GUI benchmark) share: a meter of the longest stall of the GUI
thread, and the answers to every message box. The fixtures built on them live in conftest.py.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections import Counter
from types import FrameType
from typing import Any

import pytest
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox


class StallMeter(QObject):
    """Ticks every few milliseconds on the GUI thread and keeps the longest gap between ticks.

    It also says where that gap was: the phase the caller marked (``mark``) when it began and
    when it ended, the garbage collections inside it, and, with ``sample=True``, the GUI
    thread's Python stack as a sampling thread saw it while the gap was already late (the
    innermost frames, counted). ``where()`` puts that in one line.
    """

    def __init__(self, interval_ms: int = 5, *, sample: bool = False) -> None:
        super().__init__()
        self.longest = 0.0
        self.longest_ended = 0.0  # perf_counter() at the end of the longest gap
        self.ticks = 0
        self.phase = ""
        self._interval = interval_ms / 1000
        self._last = 0.0
        self._gap_phase = ""
        self._longest_phases = ("", "")
        self._gcs: list[tuple[float, float, int]] = []  # (start, end, generation)
        self._gc_started = 0.0
        self._longest_gcs: list[tuple[float, int]] = []
        self._sample = sample
        self._samples: list[str] = []
        self._longest_samples: list[str] = []
        self._sampler: threading.Thread | None = None
        self._sampling = threading.Event()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.longest, self.ticks, self._last = 0.0, 0, time.perf_counter()
        self._gap_phase, self._longest_phases = self.phase, (self.phase, self.phase)
        self._gcs, self._longest_gcs = [], []
        self._samples, self._longest_samples = [], []
        gc.callbacks.append(self._gc_event)
        if self._sample:
            self._sampling.set()
            self._sampler = threading.Thread(target=self._sample_gui_thread, daemon=True)
            self._gui_thread = threading.get_ident()
            self._sampler.start()
        self._timer.start()

    def stop(self) -> float:
        self._timer.stop()
        self._tick()  # a gap still open counts too
        if self._gc_event in gc.callbacks:
            gc.callbacks.remove(self._gc_event)
        self._sampling.clear()
        if self._sampler is not None:
            self._sampler.join()
            self._sampler = None
        return self.longest

    def mark(self, phase: str) -> None:
        """Name what the GUI thread does from now on ("run start", "streaming", ...)."""
        self.phase = phase

    def where(self) -> str:
        """The longest gap's phases, collections and most sampled stacks, in one line."""
        began, ended = self._longest_phases
        parts = [began if began == ended else f"{began} -> {ended}"]
        for seconds, generation in self._longest_gcs:
            parts.append(f"gc gen {generation} {seconds * 1000:.1f} ms")
        if self._longest_samples:
            counted = Counter(self._longest_samples).most_common(2)
            total = len(self._longest_samples)
            parts.extend(f"{count}/{total} samples in {stack}" for stack, count in counted)
        return "; ".join(part for part in parts if part)

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = now - self._last
        if gap > self.longest:
            self.longest, self.longest_ended = gap, now
            self._longest_phases = (self._gap_phase, self.phase)
            self._longest_gcs = [
                (end - begin, generation)
                for begin, end, generation in self._gcs
                if begin >= self._last - 0.001
            ]
            self._longest_samples = self._samples
        self._samples = []
        self._gcs = [event for event in self._gcs if event[1] >= now - 1]
        self._last = now
        self._gap_phase = self.phase
        self.ticks += 1

    def _gc_event(self, stage: str, info: dict[str, int]) -> None:
        if stage == "start":
            self._gc_started = time.perf_counter()
        else:
            self._gcs.append((self._gc_started, time.perf_counter(), info["generation"]))

    def _sample_gui_thread(self) -> None:
        # Samples only while a gap is already late (twice the interval), so a quiet window
        # costs one wake-up a millisecond. A stack that ends in the event loop's own frame means
        # the GUI thread was in Qt's C++ (painting, layout) or waiting for the GIL.
        while self._sampling.is_set():
            time.sleep(0.001)
            last = self._last
            if time.perf_counter() - last < 2 * self._interval:
                continue
            frame = sys._current_frames().get(self._gui_thread)
            if frame is not None and last == self._last:
                self._samples.append(_stack_line(frame))


def _stack_line(frame: FrameType, depth: int = 3) -> str:
    """The innermost ``depth`` frames of a stack as ``module.function:line`` from the inside."""
    names: list[str] = []
    current: FrameType | None = frame
    while current is not None and len(names) < depth:
        code = current.f_code
        module = str(current.f_globals.get("__name__", "?")).removeprefix("qagen_desktop.")
        names.append(f"{module}.{code.co_name}:{current.f_lineno}")
        current = current.f_back
    return " < ".join(names)


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
