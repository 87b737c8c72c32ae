"""The results pane: the table of pairs, its filter box, row buttons and the export options."""

from __future__ import annotations

from PySide6.QtCore import (
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
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
from qagen_desktop.ui.table.table_view import PlainTextDelegate, ResultsTable, RowNumbers
from qagen_desktop.ui.widgets import name_widget

# Filtering 100,000 rows takes a moment: filter once typing pauses.
FILTER_DELAY_MS = 200


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
        colour = "#b3261e" if error else "#1f4e79"
        self.messageLabel.setStyleSheet(f"color: {colour}; padding: 4px;")
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
