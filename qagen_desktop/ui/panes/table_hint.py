"""A hint over an empty table: what to do to fill it, or that the filter hides every row."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractItemView, QAbstractScrollArea, QLabel, QWidget

from qagen_desktop.ui.theme import Tone, paint_tone

EMPTY_TEXT = (
    "No pairs yet. Paste or type text above and press Generate (Ctrl+Return), "
    "or open a dataset (Ctrl+O)."
)
FILTERED_TEXT = "No pair matches the filter."


def own_viewport(area: QAbstractScrollArea) -> QWidget:
    """Give ``area`` a viewport made here, set up as Qt sets up its own, and return it.

    Asking the area for the viewport Qt made costs about 20 ms before the first paint: PySide6
    wraps a widget made in C++ by trying each QWidget subclass it knows, and creates every one
    of them, with its enums, to do so (once per process).
    """
    viewport = QWidget()
    viewport.setObjectName("qt_scrollarea_viewport")  # the name Qt's styles look for
    viewport.setBackgroundRole(QPalette.ColorRole.Base)
    viewport.setAutoFillBackground(True)
    viewport.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
    area.setViewport(viewport)
    return viewport


class EmptyTableHint(QLabel):
    """A label laid over the table's viewport, shown while the table shows no row.

    A child widget rather than a paint override: the table's own painting stays untouched.
    ``source_rows`` tells whether the rows are missing or only filtered out.
    """

    def __init__(self, table: QAbstractItemView) -> None:
        super().__init__(table.viewport())
        self.setObjectName("emptyTableHint")
        self.setAccessibleName("Empty table hint")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMargin(24)
        # Clicks and drops go through to the table beneath.
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        paint_tone(self, Tone.NOTE)
        self._table = table
        table.viewport().installEventFilter(self)
        model = table.model()
        for signal in (
            model.rowsInserted,
            model.rowsRemoved,
            model.modelReset,
            model.layoutChanged,
        ):
            signal.connect(self.update_hint)
        self.update_hint()

    def source_rows(self) -> int:
        model = self._table.model()
        source = getattr(model, "sourceModel", None)
        inner = source() if callable(source) else None
        return inner.rowCount() if inner is not None else model.rowCount()

    def update_hint(self) -> None:
        shown = self._table.model().rowCount()
        if shown:
            self.hide()
            return
        self.setText(FILTERED_TEXT if self.source_rows() else EMPTY_TEXT)
        self.resize(self._table.viewport().size())
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.resize(self._table.viewport().size())
        return False
