"""What a run's refresh paints: the progress bar waits for the window's next paint, and the
results table repaints only the rows that an insert moved."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE

from qagen_desktop.ui.controllers.run import set_progress

pytestmark = OFFSCREEN_NOISE


class PaintCounter(QObject):
    """Counts the paint events a widget gets."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.paints = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def test_progress_is_shown_at_the_next_paint_without_painting_the_window_at_once(
    qtbot: QtBot,
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    bar, label = QProgressBar(), QLabel("0 tokens")
    layout = QVBoxLayout(window)
    layout.addWidget(bar)
    layout.addWidget(label)
    window.show()
    qtbot.waitExposed(window)
    set_progress(bar, 0, 50)
    qtbot.wait(50)
    bar_paints, label_paints = PaintCounter(bar), PaintCounter(label)

    label.setText("1,200 tokens")  # waits for the next paint, as the table's new rows do
    set_progress(bar, 7, 50)
    assert (bar_paints.paints, label_paints.paints) == (0, 0)
    assert (bar.value(), bar.maximum()) == (7, 50)

    qtbot.waitUntil(lambda: bar_paints.paints > 0 and label_paints.paints > 0)
    assert bar.text() == "14%"
