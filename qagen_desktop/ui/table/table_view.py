"""The results table's widgets: row numbers, a delegate that paints one text per cell, the cell
editor and the table view itself. Each exists for speed at 100,000 rows (see their docstrings).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QApplication,
    QHeaderView,
    QPlainTextEdit,
    QStyledItemDelegate,
    QTableView,
    QWidget,
)

from qagen_desktop.ui.table.results_filter import ResultsFilter

if TYPE_CHECKING:
    from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPalette, QStaticText
    from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

_PADDING = 4
# Laid-out lines kept by the delegate: a few screens of cells (a full-screen table shows ~300).
_LINES_KEPT = 2000
# A cell editor shows this many lines, so an answer of a few lines can be read while edited.
EDITOR_LINES = 5
_RETURN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class RowNumbers(QHeaderView):
    """Row numbers whose width comes from the row count alone.

    QHeaderView's own size hint measures a hundred sections' contents through ``headerData``
    after every insert: hundreds of calls into Python per batch while a run appends rows. Its
    paint holds the GIL throughout (as ``ResultsTable``'s does) for the same reason.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setSectionsClickable(True)
        self.setHighlightSections(True)
        self.setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def sizeHint(self) -> QSize:
        model = self.model()
        digits = len(str(max(model.rowCount() if model is not None else 0, 999)))
        width = self.fontMetrics().horizontalAdvance("9" * digits) + 16
        return QSize(width, self.defaultSectionSize())

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)


@cache
def _cell_painting() -> tuple[type[QStyle], type[QPalette], int, int]:
    """QStyle and QPalette, and the selected and focused state bits, loaded at the first paint
    of a cell: the first window's table is empty, and loading QStyle (all its enums) would
    delay that window by 10 ms."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QStyle

    flags = QStyle.StateFlag
    return QStyle, QPalette, flags.State_Selected.value, flags.State_HasFocus.value


class PlainTextDelegate(QStyledItemDelegate):
    """Paints a cell's one line of text, asking the model for that text only.

    QStyledItemDelegate asks the model for a dozen roles per cell, each a call into Python that
    must take the GIL from a busy worker thread: a repaint during a run would wait for each.
    Each line is elided and laid out once (a ``QStaticText``, kept for the text and width): a
    repaint of the same rows draws prepared glyphs, where eliding and laying out a long answer
    again cost most of a cell's paint.
    """

    def __init__(self, model: ResultsFilter, parent: QWidget) -> None:
        super().__init__(parent)
        self._model = model
        self._lines: dict[tuple[str, int], QStaticText] = {}
        self._font: QFont | None = None  # the font the kept lines were laid out in

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        QStyle, QPalette, selected_bit, focus_bit = _cell_painting()
        widget = getattr(option, "widget", None)
        style = widget.style() if widget is not None else QApplication.style()
        # The background (selection, alternate rows) from the style; the text drawn directly,
        # elided, without the text layout machinery of CE_ItemViewItem.
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)
        text, muted = self._model.display(index)
        state = option.state.value  # an int: Flag operators are Python code, run per cell
        rect = option.rect
        if text:
            line = self.line_for(text, rect.width() - 2 * _PADDING, option)
            selected = bool(state & selected_bit)
            role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
            # A rejected pair (shown with "Show rejected") is drawn in the placeholder colour.
            if muted and not selected:
                role = QPalette.ColorRole.PlaceholderText
            top = rect.top() + (rect.height() - option.fontMetrics.height()) // 2
            painter.save()
            painter.setPen(option.palette.color(role))
            painter.drawStaticText(rect.left() + _PADDING, top, line)
            painter.restore()
        if state & focus_bit:
            from PySide6.QtWidgets import QStyleOptionFocusRect

            focus = QStyleOptionFocusRect()
            focus.rect = rect
            focus.palette = option.palette
            focus.state = option.state
            style.drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, focus, painter, widget)

    def line_for(self, text: str, width: int, option: QStyleOptionViewItem) -> QStaticText:
        """``text`` elided to ``width`` and laid out in the option's font, made once."""
        font = option.font
        if self._font is None or font != self._font:
            from PySide6.QtGui import QFont  # see _cell_painting

            self._lines.clear()
            self._font = QFont(font)  # a copy: the option's own font goes with the option
        line = self._lines.get((text, width))
        if line is None:
            if len(self._lines) >= _LINES_KEPT:
                self._lines.clear()  # the rows in view come back at their next paint
            from PySide6.QtGui import QStaticText, QTransform  # see _cell_painting

            elided = option.fontMetrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
            line = QStaticText(elided)
            line.setTextFormat(Qt.TextFormat.PlainText)
            line.prepare(QTransform(), font)
            self._lines[text, width] = line
        return line

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        editor = CellEditor(parent)
        editor.commitRequested.connect(lambda: self._finish(editor))
        return editor

    def _finish(self, editor: CellEditor) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, CellEditor):
            editor.setPlainText(index.data(Qt.ItemDataRole.EditRole) or "")
            editor.selectAll()
        else:
            super().setEditorData(editor, index)

    def setModelData(
        self,
        editor: QWidget,
        model: QAbstractItemModel,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if isinstance(editor, CellEditor):
            model.setData(index, editor.toPlainText(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)

    def updateEditorGeometry(
        self,
        editor: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        # Taller than the row, kept inside the table: room for a few lines of an answer.
        rect = option.rect
        height = max(rect.height(), option.fontMetrics.lineSpacing() * EDITOR_LINES + 12)
        viewport = editor.parentWidget()
        bottom = viewport.height() if viewport is not None else rect.bottom()
        top = max(0, min(rect.top(), bottom - height))
        editor.setGeometry(rect.left(), top, rect.width(), height)


class CellEditor(QPlainTextEdit):
    """Edits a question or answer over several lines: Return keeps the edit, Shift+Return
    breaks the line, Esc drops the edit.

    Signals: commitRequested().
    """

    commitRequested = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setFrameShape(QPlainTextEdit.Shape.Box)

    def event(self, event: QEvent) -> bool:
        # Ctrl+Return is the window's Generate shortcut; inside an editor it keeps the edit.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() in _RETURN_KEYS
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _RETURN_KEYS:
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.commitRequested.emit()
            return
        super().keyPressEvent(event)


class ResultsTable(QTableView):
    """A QTableView that holds the GIL for a whole repaint, and repaints only the rows an insert
    moved.

    Overriding paintEvent in Python means the GUI thread enters the paint holding the GIL, so
    the delegate's calls for each cell do not each wait for a busy worker thread to let go.

    After an insert QTableView lays its items out again and repaints the whole viewport
    (QAbstractItemView::doItemsLayout): every refresh of a run would repaint every visible cell,
    though rows appended below the last visible one change nothing on screen but the scroll
    bar. Here a layout that follows inserts only repaints from the first inserted row down;
    any other change to the rows lays out and repaints as Qt does.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._inserted_from: int | None = None  # the first row inserted since the last layout
        self._relayout_all = False

    def setModel(self, model: QAbstractItemModel | None) -> None:
        old = self.model()
        if old is not None:
            old.rowsInserted.disconnect(self._rows_inserted)
            for signal in _relayout_signals(old):
                signal.disconnect(self._relayout)
        super().setModel(model)
        self._relayout()
        if model is not None:
            model.rowsInserted.connect(self._rows_inserted)
            for signal in _relayout_signals(model):
                signal.connect(self._relayout)

    def _rows_inserted(self, _parent: QModelIndex, first: int, _last: int) -> None:
        if self._inserted_from is None or first < self._inserted_from:
            self._inserted_from = first

    def _relayout(self, *_: object) -> None:
        self._relayout_all = True

    def doItemsLayout(self) -> None:
        first, self._inserted_from = self._inserted_from, None
        relayout_all, self._relayout_all = self._relayout_all, False
        if first is None or relayout_all:
            super().doItemsLayout()
            return
        # QAbstractItemView::doItemsLayout, whose callers have stopped the pending layout,
        # without its update of the whole viewport.
        self.updateGeometries()
        viewport = self.viewport()
        top = self.rowViewportPosition(first)
        if top < 0:
            viewport.update()
        elif top < viewport.height():
            viewport.update(0, top, viewport.width(), viewport.height() - top)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)


def _relayout_signals(model: QAbstractItemModel) -> list[Any]:
    """The model's signals after which the view lays out and repaints everything."""
    return [
        model.rowsRemoved,
        model.rowsMoved,
        model.columnsInserted,
        model.columnsRemoved,
        model.columnsMoved,
        model.layoutChanged,
        model.modelReset,
    ]
