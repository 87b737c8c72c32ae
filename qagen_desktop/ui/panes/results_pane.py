"""The results pane: the table of pairs, its filter box, row buttons and the export options."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionFocusRect,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from qagen_desktop.core.settings import FORMATS, Settings
from qagen_desktop.ui.table.results_model import (
    ANSWER,
    QUESTION,
    SOURCE,
    ResultsFilter,
    ResultsModel,
)
from qagen_desktop.ui.theme import Tone, paint_tone
from qagen_desktop.ui.widgets import name_widget

# Filtering 100,000 rows takes a moment: filter once typing pauses.
_PADDING = 4
FILTER_DELAY_MS = 200
# A cell editor shows this many lines, so an answer of a few lines can be read while edited.
EDITOR_LINES = 5
_RETURN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class RowNumbers(QHeaderView):
    """Row numbers whose width comes from the row count alone.

    QHeaderView's own size hint measures a hundred sections' contents through ``headerData``
    after every insert: hundreds of calls into Python per batch while a run appends rows.
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


class PlainTextDelegate(QStyledItemDelegate):
    """Paints a cell's one line of text, asking the model for that text only.

    QStyledItemDelegate asks the model for a dozen roles per cell, each a call into Python that
    must take the GIL from a busy worker thread: a repaint during a run would wait for each.
    """

    _ALIGN = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

    def __init__(self, model: ResultsFilter, parent: QWidget) -> None:
        super().__init__(parent)
        self._model = model

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        widget = option.widget if hasattr(option, "widget") else None
        style = widget.style() if widget is not None else QApplication.style()
        # The background (selection, alternate rows) from the style; the text drawn directly,
        # elided, without the text layout machinery of CE_ItemViewItem.
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)
        text = self._model.data(index, Qt.ItemDataRole.DisplayRole)
        if text:
            rect = option.rect.adjusted(_PADDING, 0, -_PADDING, 0)
            elided = option.fontMetrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
            selected = bool(option.state & QStyle.StateFlag.State_Selected)
            role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
            painter.save()
            painter.setPen(option.palette.color(role))
            painter.drawText(rect, self._ALIGN, elided)
            painter.restore()
        if option.state & QStyle.StateFlag.State_HasFocus:
            focus = QStyleOptionFocusRect()
            focus.rect = option.rect
            focus.palette = option.palette
            focus.state = option.state
            style.drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, focus, painter, widget)

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
    """A QTableView that holds the GIL for a whole repaint.

    Overriding paintEvent in Python means the GUI thread enters the paint holding the GIL, so
    the delegate's calls for each cell do not each wait for a busy worker thread to let go.
    """

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)


class ResultsPane(QWidget):
    """Shows a ``ResultsModel`` through a filter; the table never resizes rows to contents.

    Signals: addRequested(), deleteRequested().
    """

    addRequested = Signal()
    deleteRequested = Signal()

    def __init__(self, model: ResultsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = ResultsFilter(model, self)

        self.filterEdit = name_widget(QLineEdit(), "filterEdit", "Filter pairs")
        self.filterEdit.setPlaceholderText("Filter questions and answers")
        self.filterEdit.setClearButtonEnabled(True)
        self.addRowButton = name_widget(QPushButton("Add row"), "addRowButton", "Add row")
        self.deleteRowsButton = name_widget(
            QPushButton("Delete rows"), "deleteRowsButton", "Delete selected rows"
        )
        self.table = name_widget(ResultsTable(), "resultsTable", "Question-answer pairs")
        self.table.setModel(self.proxy)
        self.table.setItemDelegate(PlainTextDelegate(self.proxy, self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # Fixed row heights: the view never measures 100,000 rows' contents.
        rows = RowNumbers(self.table)
        self.table.setVerticalHeader(rows)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        columns = self.table.horizontalHeader()
        columns.setMinimumSectionSize(60)
        columns.setStretchLastSection(False)
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The answer takes the room left; the other two keep the width the user gives them.
        columns.setSectionResizeMode(ANSWER, QHeaderView.ResizeMode.Stretch)
        columns.resizeSection(QUESTION, 340)
        columns.resizeSection(SOURCE, 220)

        self.exportFormatCombo = name_widget(QComboBox(), "exportFormatCombo", "Export format")
        self.exportFormatCombo.addItems(FORMATS)
        self.exportFormatCombo.setToolTip(
            "qa: question/answer · openai-chat: messages · alpaca: instruction/output · "
            "sharegpt: conversations"
        )
        self.includeContextCheck = name_widget(
            QCheckBox("Include source chunk"), "includeContextCheck", "Include source chunk"
        )
        self.selectedOnlyCheck = name_widget(
            QCheckBox("Selected rows only"), "selectedOnlyCheck", "Export selected rows only"
        )
        self.messageLabel = name_widget(QLabel(), "runMessageLabel", "Run messages")
        self.messageLabel.setWordWrap(True)
        self.messageLabel.hide()

        top = QHBoxLayout()
        top.addWidget(self.filterEdit, 1)
        top.addWidget(self.addRowButton)
        top.addWidget(self.deleteRowsButton)
        bottom = QHBoxLayout()
        format_label = QLabel("Format")
        format_label.setBuddy(self.exportFormatCombo)
        bottom.addWidget(format_label)
        bottom.addWidget(self.exportFormatCombo)
        bottom.addWidget(self.includeContextCheck)
        bottom.addWidget(self.selectedOnlyCheck)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.messageLabel)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filterEdit.textChanged.connect(self._filter_timer.start)
        self.addRowButton.clicked.connect(self.addRequested)
        self.deleteRowsButton.clicked.connect(self.deleteRequested)

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        self.proxy.set_filter_text(self.filterEdit.text())

    def selected_rows(self) -> list[int]:
        """Selected rows as positions in the model's full list, in order."""
        selection = self.table.selectionModel()
        if selection is None:
            return []
        rows = {self.proxy.mapToSource(index).row() for index in selection.selectedRows()}
        return sorted(row for row in rows if row >= 0)

    def current_row(self) -> int:
        """The focused row in the model's full list, or -1."""
        index = self.proxy.mapToSource(self.table.currentIndex())
        return index.row() if index.isValid() else -1

    def edit_row(self, row: int, column: int = QUESTION) -> None:
        """Scroll to a row of the full list and edit its cell (when the filter shows it)."""
        index = self.proxy.mapFromSource(self.model.index(row, column))
        if not index.isValid():
            return
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        self.table.edit(index)

    def is_editing(self) -> bool:
        return self.table.state() == QAbstractItemView.State.EditingState

    def cancel_edit(self) -> None:
        """Close an open cell editor without keeping what was typed."""
        editor = self.table.indexWidget(self.table.currentIndex())
        if editor is None:
            editor = self.table.focusWidget()
        if editor is not None and editor is not self.table:
            self.table.closeEditor(editor, QAbstractItemDelegate.EndEditHint.RevertModelCache)
        self.table.setFocus()

    def show_message(self, text: str, *, error: bool = True) -> None:
        if not text:
            self.messageLabel.hide()
            return
        paint_tone(self.messageLabel, Tone.ERROR if error else Tone.NOTE)
        self.messageLabel.setContentsMargins(4, 4, 4, 4)
        self.messageLabel.setText(text)
        self.messageLabel.show()

    def load(self, settings: Settings) -> None:
        self.exportFormatCombo.setCurrentText(settings.export_format)
        self.includeContextCheck.setChecked(settings.include_context)
        self.selectedOnlyCheck.setChecked(settings.selected_only)

    def store(self, settings: Settings) -> None:
        settings.export_format = self.exportFormatCombo.currentText()
        settings.include_context = self.includeContextCheck.isChecked()
        settings.selected_only = self.selectedOnlyCheck.isChecked()
