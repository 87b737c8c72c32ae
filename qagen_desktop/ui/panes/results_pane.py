"""The results pane: the table of pairs, its filter box, row and review buttons, the review's
counts and its "Show rejected" toggle, and the export options."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qagen_desktop.core.records import PairStatus
from qagen_desktop.core.settings import FORMATS, Settings
from qagen_desktop.ui.panes.table_hint import own_viewport
from qagen_desktop.ui.table.cells import read_only_cell
from qagen_desktop.ui.table.results_filter import ResultsFilter
from qagen_desktop.ui.table.results_model import (
    ANSWER,
    QUESTION,
    REASON,
    SCORE,
    SOURCE,
    STATUS,
    ResultsModel,
)
from qagen_desktop.ui.table.table_view import PlainTextDelegate, ResultsTable, RowNumbers
from qagen_desktop.ui.theme import Tone, paint_tone
from qagen_desktop.ui.widgets import name_widget

# Filtering 100,000 rows takes a moment: filter once typing pauses.
FILTER_DELAY_MS = 200
# The narrow columns fit their content (measured over the first rows shown) up to these widths,
# and up to these shares of the table's width; the question takes a share (within bounds); the
# answer stretches into the rest.
FITTED_COLUMNS = {SOURCE: (160, 0.14), SCORE: (90, 0.1), STATUS: (120, 0.12), REASON: (240, 0.14)}
QUESTION_SHARE, QUESTION_WIDTHS = 0.25, (140, 300)
FIT_ROWS = 300
FIT_DELAY_MS = 150
CELL_PADDING = 4  # each side of a cell's text (table_view.PlainTextDelegate)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)


class ResultsPane(QWidget):
    """Shows a ``ResultsModel`` through a filter; the table never resizes rows to contents.

    Rejected pairs are hidden until "Show rejected" is checked; a label counts each status.
    Signals: addRequested(), deleteRequested(), acceptRequested(), rejectRequested(),
    regenerateRequested(), judgeRequested().
    """

    addRequested = Signal()
    deleteRequested = Signal()
    acceptRequested = Signal()
    rejectRequested = Signal()
    regenerateRequested = Signal()
    judgeRequested = Signal()

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
        # A viewport made in Python before anything asks for the table's (see own_viewport).
        own_viewport(self.table)
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
        # The answer takes the room left; the question keeps the width the user gives it, and
        # the narrow columns what their header and cells need (fit_columns).
        columns.setSectionResizeMode(ANSWER, QHeaderView.ResizeMode.Stretch)
        self._sized_by_user: set[int] = set()
        self._fitting = False
        columns.sectionResized.connect(self._section_resized)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(FIT_DELAY_MS)
        self._fit_timer.timeout.connect(self.fit_columns)
        for signal in (self.proxy.modelReset, self.proxy.rowsInserted, self.proxy.layoutChanged):
            signal.connect(self._fit_timer.start)
        model.dataChanged.connect(self._fit_timer.start)
        self.table.viewport().installEventFilter(self)  # a resized table fits its columns again
        self._build_sorting(columns)
        self.fit_columns()
        self._build_review_bar()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        # The window's row and review actions, shown in the table's context menu.
        self.context_actions: list[QAction | None] = []

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
        self.includeMetaCheck = name_widget(
            QCheckBox("Include metadata"), "includeMetaCheck", "Include metadata"
        )
        self.includeMetaCheck.setToolTip(
            "A meta object on each line: source, page or section, chunk, status, score and "
            "reasons (opening the file restores them)"
        )
        self.includeRejectedCheck = name_widget(
            QCheckBox("Include rejected pairs"), "includeRejectedCheck", "Include rejected pairs"
        )
        self.includeRejectedCheck.setToolTip(
            "Save the rejected pairs too (with metadata, they open as rejected again)"
        )
        self.messageLabel = name_widget(QLabel(), "runMessageLabel", "Run messages")
        self.messageLabel.setWordWrap(True)
        self.messageLabel.hide()

        # Rows of a few controls each, so the pane stays narrow enough for a small screen.
        top = QHBoxLayout()
        top.addWidget(self.filterEdit, 1)
        top.addWidget(self.addRowButton)
        top.addWidget(self.deleteRowsButton)
        # Under the table, what it holds: the counts and the toggle for the rejected pairs, then
        # the review of the selected rows.
        counts = QHBoxLayout()
        counts.addWidget(self.countsLabel)
        counts.addSpacing(12)
        counts.addWidget(self.showRejectedCheck)
        counts.addStretch(1)
        review = QHBoxLayout()
        for button in self.review_buttons:
            review.addWidget(button)
        review.addStretch(1)
        export = QHBoxLayout()
        format_label = QLabel("Format")
        format_label.setBuddy(self.exportFormatCombo)
        export.addWidget(format_label)
        export.addWidget(self.exportFormatCombo)
        export.addWidget(self.includeContextCheck)
        export.addWidget(self.includeMetaCheck)
        export.addStretch(1)
        which = QHBoxLayout()
        which.addWidget(self.includeRejectedCheck)
        which.addWidget(self.selectedOnlyCheck)
        which.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.messageLabel)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(counts)
        layout.addLayout(review)
        layout.addLayout(export)
        layout.addLayout(which)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filterEdit.textChanged.connect(self._filter_timer.start)
        self.addRowButton.clicked.connect(self.addRequested)
        self.deleteRowsButton.clicked.connect(self.deleteRequested)
        self.showRejectedCheck.toggled.connect(self.proxy.set_show_rejected)
        for signal in (model.rowsInserted, model.rowsRemoved, model.dataChanged):
            signal.connect(self.update_counts)
        model.modelReset.connect(self.update_counts)
        # A batch (a delete of many scattered rows, its undo) resets the filter: the table
        # keeps its place. Connected after the filter, whose own reset comes first.
        self._scroll_before_batch = 0
        model.batchStarted.connect(self._keep_place)
        model.batchEnded.connect(self._restore_place)
        self.update_counts()

    def _keep_place(self) -> None:
        self._scroll_before_batch = self.table.verticalScrollBar().value()

    def _restore_place(self) -> None:
        self.table.doItemsLayout()  # the scroll range of the rows now shown, at once
        self.table.verticalScrollBar().setValue(self._scroll_before_batch)

    def _build_sorting(self, columns: QHeaderView) -> None:
        """A header click sorts by its column, a second descending, a third back to the source
        order (the order of generation, which Save writes); "Source order" does it at once."""
        columns.setSectionsClickable(True)
        columns.setSortIndicatorShown(True)
        columns.setSortIndicatorClearable(True)
        columns.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        columns.sortIndicatorChanged.connect(self._sort)
        self.sourceOrderAction = QAction("&Source order", self)
        self.sourceOrderAction.setObjectName("actionSourceOrder")
        self.sourceOrderAction.setToolTip(
            "Show the pairs in the order they were made or read, the order Save writes"
        )
        self.sourceOrderAction.setEnabled(False)
        self.sourceOrderAction.triggered.connect(self.show_source_order)

    def fit_columns(self) -> None:
        """Size the source, score, status and why columns to their header and the widest of
        their cells in the first rows shown (up to a cap each): an empty column takes its
        header's width. The question takes a share of the table's width and the answer
        stretches into the rest. A column the user has resized keeps the user's width."""
        self._fit_timer.stop()
        columns = self.table.horizontalHeader()
        cells = self.table.fontMetrics()
        plain = columns.fontMetrics()
        bold_font = columns.font()
        bold_font.setBold(True)
        bold = QFontMetrics(bold_font)
        pairs = self.model.pairs
        rows = [row for row in self.proxy.source_rows(0, FIT_ROWS) if row < len(pairs)]
        room = max(self.table.viewport().width(), 1)
        self._fitting = True
        try:
            if QUESTION not in self._sized_by_user:
                low, high = QUESTION_WIDTHS
                columns.resizeSection(QUESTION, max(low, min(high, int(room * QUESTION_SHARE))))
            for column, (most, share) in FITTED_COLUMNS.items():
                if column in self._sized_by_user:
                    continue
                title = str(self.proxy.headerData(column, Qt.Orientation.Horizontal))
                # The header's own measure of its title, margins and sort arrow (asking the
                # style from Python would load QStyle, 10 ms of the start-up), less what it
                # adds for the title in bold, as a highlighted section draws it.
                bold_extra = bold.horizontalAdvance(title) - plain.horizontalAdvance(title)
                header = columns.sectionSizeHint(column) - bold_extra
                texts = {read_only_cell(pairs[row], column, _DISPLAY) for row in rows}
                widest = max((cells.horizontalAdvance(t) for t in texts if t), default=0)
                content = widest + 2 * CELL_PADDING + 2 if widest else 0
                cap = min(most, int(room * share))
                columns.resizeSection(column, max(header, min(content, cap)))
        finally:
            self._fitting = False

    def _section_resized(self, column: int, _old: int, _new: int) -> None:
        if not self._fitting and (column in FITTED_COLUMNS or column == QUESTION):
            self._sized_by_user.add(column)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.table.viewport():
            self._fit_timer.start()
        return super().eventFilter(watched, event)

    def show_source_order(self) -> None:
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)

    def _sort(self, column: int, order: Qt.SortOrder) -> None:
        self.proxy.sort(column, order)
        self.sourceOrderAction.setEnabled(self.proxy.sort_column() >= 0)
        current = self.table.currentIndex()
        if current.isValid():  # the row the user was on stays in sight
            self.table.scrollTo(current)

    def _build_review_bar(self) -> None:
        def button(text: str, name: str, accessible: str, tip: str) -> QPushButton:
            made = name_widget(QPushButton(text), name, accessible)
            made.setToolTip(tip)
            return made

        self.acceptButton = button(
            "Accept", "acceptButton", "Accept selected pairs", "Accept the selected pairs"
        )
        self.rejectButton = button(
            "Reject", "rejectButton", "Reject selected pairs", "Reject the selected pairs"
        )
        self.regenerateButton = button(
            "Regenerate",
            "regenerateButton",
            "Regenerate selected pairs",
            "Ask each selected pair's own chunk for a new pair in its place",
        )
        self.judgeButton = button(
            "Judge",
            "judgeButton",
            "Judge selected pairs",
            "Have the judge score the selected pairs against their chunks",
        )
        self.review_buttons = (
            self.acceptButton,
            self.rejectButton,
            self.regenerateButton,
            self.judgeButton,
        )
        self.acceptButton.clicked.connect(self.acceptRequested)
        self.rejectButton.clicked.connect(self.rejectRequested)
        self.regenerateButton.clicked.connect(self.regenerateRequested)
        self.judgeButton.clicked.connect(self.judgeRequested)
        self.countsLabel = name_widget(QLabel(), "reviewCountsLabel", "Accepted and rejected pairs")
        self.showRejectedCheck = name_widget(
            QCheckBox("Show rejected (0)"), "showRejectedCheck", "Show rejected pairs"
        )
        self.showRejectedCheck.setToolTip("Show the rejected pairs in the table too")

    def set_review_actions(self, actions: list[QAction | None]) -> None:
        """The actions the table's context menu offers (None: a separator)."""
        self.context_actions = list(actions)

    def _show_context_menu(self, position: Any) -> None:
        if not self.context_actions:
            return
        menu = QMenu(self.table)
        for action in self.context_actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.exec(self.table.viewport().mapToGlobal(position))

    def update_counts(self, *_: Any) -> None:
        """The counts of accepted (with edited) and rejected pairs, in the label and toggle."""
        model = self.model
        edited = model.count(PairStatus.EDITED)
        accepted = model.count(PairStatus.ACCEPTED) + edited
        rejected = model.count(PairStatus.REJECTED)
        text = f"{accepted:,} accepted"
        if edited:
            text += f" ({edited:,} edited)"
        self.countsLabel.setText(f"{text} · {rejected:,} rejected")
        self.showRejectedCheck.setText(f"Show rejected ({rejected:,})")

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        self.proxy.set_filter_text(self.filterEdit.text())

    def target_rows(self) -> list[int]:
        """The selected rows, or the focused one when none is selected."""
        rows = self.selected_rows()
        if not rows:
            current = self.current_row()
            rows = [current] if current >= 0 else []
        return rows

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

    def show_opened(self, *, include_meta: bool, has_rejected: bool) -> None:
        """An opened file's review options: saving it again writes what it held."""
        self.includeMetaCheck.setChecked(include_meta)
        self.includeRejectedCheck.setChecked(has_rejected)

    def load(self, settings: Settings) -> None:
        self.exportFormatCombo.setCurrentText(settings.export_format)
        self.includeContextCheck.setChecked(settings.include_context)
        self.selectedOnlyCheck.setChecked(settings.selected_only)

    def store(self, settings: Settings) -> None:
        settings.export_format = self.exportFormatCombo.currentText()
        settings.include_context = self.includeContextCheck.isChecked()
        settings.selected_only = self.selectedOnlyCheck.isChecked()
