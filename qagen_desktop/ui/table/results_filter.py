"""The rows of the results table that the view shows: a hand-written filter over a
``ResultsModel`` (the reasons it is not a QSortFilterProxyModel are in its docstring)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from qagen_desktop.core.records import PairStatus
from qagen_desktop.ui.table.cells import ANSWER, QUESTION, SOURCE, STATUS, read_only_cell
from qagen_desktop.ui.table.results_model import HEADERS, AnyIndex, ResultsModel

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_READ_ONLY = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_FLAGS = (_READ_ONLY, _READ_ONLY | Qt.ItemFlag.ItemIsEditable)  # by "is editable"


class ResultsFilter(QAbstractTableModel):
    """The rows of a ``ResultsModel`` shown in the table: those whose question or answer holds
    the filter text, and, unless ``show_rejected``, only accepted and edited pairs.

    Written for 100,000 rows: matching is one pass in Python over the plain list, where
    QSortFilterProxyModel would call ``data()`` across the Qt boundary for every row. With no
    filter text and rejected pairs shown it passes the source's row signals straight through.
    An edited row stays shown until the filter changes, so it does not vanish under the cursor;
    a row rejected while rejected pairs are hidden goes at once (that is what rejecting asks).
    """

    def __init__(self, source: ResultsModel, parent: Any = None) -> None:
        super().__init__(parent)
        self._source = source
        self._needle = ""
        self._show_rejected = False
        self._rows: list[int] | None = []  # visible source rows, ascending; None: all
        self._rows = self._matching(0, len(source.pairs))
        source.rowsAboutToBeInserted.connect(self._about_to_insert)
        source.rowsInserted.connect(self._inserted)
        source.rowsAboutToBeRemoved.connect(self._about_to_remove)
        source.rowsRemoved.connect(self._removed)
        source.dataChanged.connect(self._changed)
        source.modelAboutToBeReset.connect(self.beginResetModel)
        source.modelReset.connect(self._reset)

    def sourceModel(self) -> ResultsModel:
        return self._source

    def filter_text(self) -> str:
        return self._needle

    def set_filter_text(self, text: str) -> None:
        self.beginResetModel()
        self._needle = text.casefold()
        self._rows = self._select_all()
        self.endResetModel()

    def shows_rejected(self) -> bool:
        return self._show_rejected

    def set_show_rejected(self, show: bool) -> None:
        if show == self._show_rejected:
            return
        self.beginResetModel()
        self._show_rejected = show
        self._rows = self._select_all()
        self.endResetModel()

    def mapToSource(self, index: AnyIndex) -> QModelIndex:
        if not index.isValid():
            return QModelIndex()
        row = index.row() if self._rows is None else self._rows[index.row()]
        return self._source.index(row, index.column())

    def mapFromSource(self, index: AnyIndex) -> QModelIndex:
        if not index.isValid():
            return QModelIndex()
        row = self.view_row(index.row())
        return self.index(row, index.column()) if row >= 0 else QModelIndex()

    def view_row(self, source_row: int) -> int:
        """Where a source row is shown, or -1 when the filter hides it."""
        if self._rows is None:
            return source_row
        position = bisect_left(self._rows, source_row)
        if position < len(self._rows) and self._rows[position] == source_row:
            return position
        return -1

    # Qt's model interface -------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self._source.pairs) if self._rows is None else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = index.row() if self._rows is None else self._rows[index.row()]
        return self._source.cell(row, index.column(), role)

    def display(self, index: AnyIndex) -> tuple[str | None, bool]:
        """What the delegate paints: the cell's text, and whether the pair is rejected (shown
        muted). One call per cell, like ``data`` for the display role."""
        row = index.row() if self._rows is None else self._rows[index.row()]
        pairs = self._source.pairs
        if not 0 <= row < len(pairs):
            return None, False
        pair, column = pairs[row], index.column()
        # The question and answer inline: most of a paint's cells, without a second call.
        if column == QUESTION:
            text = pair.question
        elif column == ANSWER:
            text = pair.answer
        else:
            return read_only_cell(pair, column, _DISPLAY), pair.status is PairStatus.REJECTED
        if "\n" in text:
            text = text.replace("\n", " ↵ ")
        return text, pair.status is PairStatus.REJECTED

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        return self._source.setData(self.mapToSource(index), value, role)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _FLAGS[index.column() < SOURCE]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Vertical and self._rows is not None:
            if role != Qt.ItemDataRole.DisplayRole or not 0 <= section < len(self._rows):
                return None
            return str(self._rows[section] + 1)  # the pair's number in the whole list
        return self._source.headerData(section, orientation, role)

    # Following the source -------------------------------------------------------------------

    def _select_all(self) -> list[int] | None:
        if not self._needle and self._show_rejected:
            return None
        return self._matching(0, len(self._source.pairs))

    def _matching(self, first: int, stop: int) -> list[int]:
        needle, pairs = self._needle, self._source.pairs
        hidden = None if self._show_rejected else PairStatus.REJECTED
        if not needle:
            return [row for row in range(first, stop) if pairs[row].status is not hidden]
        return [
            row
            for row in range(first, stop)
            if pairs[row].status is not hidden
            and (needle in pairs[row].question.casefold() or needle in pairs[row].answer.casefold())
        ]

    def _about_to_insert(self, _parent: QModelIndex, first: int, last: int) -> None:
        if self._rows is None:
            self.beginInsertRows(QModelIndex(), first, last)

    def _inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        rows = self._rows
        if rows is None:
            self.endInsertRows()
            return
        count = last - first + 1
        position = bisect_left(rows, first)
        for i in range(position, len(rows)):
            rows[i] += count
        new = self._matching(first, last + 1)
        if new:
            self.beginInsertRows(QModelIndex(), position, position + len(new) - 1)
            rows[position:position] = new
            self.endInsertRows()

    def _about_to_remove(self, _parent: QModelIndex, first: int, last: int) -> None:
        rows = self._rows
        if rows is None:
            self.beginRemoveRows(QModelIndex(), first, last)
            return
        low, high = bisect_left(rows, first), bisect_right(rows, last)
        if high > low:
            self.beginRemoveRows(QModelIndex(), low, high - 1)
            del rows[low:high]
            self.endRemoveRows()

    def _removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        rows = self._rows
        if rows is None:
            self.endRemoveRows()
            return
        count = last - first + 1
        for i in range(bisect_left(rows, first), len(rows)):
            rows[i] -= count

    def _changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles: Any = ()) -> None:
        if self._rows is None:
            self.dataChanged.emit(
                self.index(top_left.row(), top_left.column()),
                self.index(bottom_right.row(), bottom_right.column()),
                roles,
            )
            return
        for row in range(top_left.row(), bottom_right.row() + 1):
            shown = self.view_row(row)
            if bottom_right.column() >= STATUS and self._follow_status(row, shown):
                continue
            if shown >= 0:
                self.dataChanged.emit(
                    self.index(shown, top_left.column()),
                    self.index(shown, bottom_right.column()),
                    roles,
                )

    def _follow_status(self, row: int, shown: int) -> bool:
        """Hide a row just rejected, or show one no longer rejected; True when it did."""
        rows = self._rows
        assert rows is not None
        rejected = self._source.pairs[row].status is PairStatus.REJECTED
        if shown >= 0 and rejected and not self._show_rejected:
            self.beginRemoveRows(QModelIndex(), shown, shown)
            del rows[shown]
            self.endRemoveRows()
            return True
        if shown < 0 and not rejected and self._matching(row, row + 1):
            position = bisect_left(rows, row)
            self.beginInsertRows(QModelIndex(), position, position)
            rows.insert(position, row)
            self.endInsertRows()
            return True
        return False

    def _reset(self) -> None:
        self._rows = self._select_all()
        self.endResetModel()
