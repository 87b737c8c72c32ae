"""Widget helpers: naming a widget (the stable object name tests use and the plain-words name
screen readers say), and showing progress in a bar without repainting the window at once."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QProgressBar, QWidget

W = TypeVar("W", bound=QWidget)


def name_widget(widget: W, object_name: str, accessible_name: str) -> W:
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible_name)
    return widget


def set_progress(bar: QProgressBar, value: int, maximum: int) -> None:
    """Show ``value`` of ``maximum`` in ``bar`` at the window's next paint.

    QProgressBar.setValue repaints at once (QWidget::repaint), and a repaint paints every widget
    of the window that waits for an update: the table, just given new rows, then again once it
    has laid them out. With the bar's updates off for the change, it waits for the next paint
    like the others.
    """
    if bar.minimum() == 0 and bar.maximum() == maximum and bar.value() == value:
        return
    bar.setUpdatesEnabled(False)
    try:
        if bar.minimum() != 0 or bar.maximum() != maximum:
            bar.setRange(0, maximum)
        bar.setValue(value)
    finally:
        bar.setUpdatesEnabled(True)
