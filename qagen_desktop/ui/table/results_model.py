"""The results table's model: a thin Qt adapter over a plain list of ``QAPair``.

Every change goes through four primitives (insert, remove, set text, replace all) so the undo
commands, the generation run and the recovery journal all see the same row signals.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from qagen_desktop.core.records import QAPair

QUESTION, ANSWER, SOURCE = range(3)
HEADERS = ("Question", "Answer", "Source chunk")
FIELDS = ("question", "answer")
_SOURCE_PREVIEW = 80
_TOOLTIP_CHARS = 2000

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_EDIT = int(Qt.ItemDataRole.EditRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ROLES = frozenset((_DISPLAY, _EDIT, _TOOLTIP))
_READ_ONLY = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_FLAGS = (_READ_ONLY, _READ_ONLY | Qt.ItemFlag.ItemIsEditable)  # by "is editable"

AnyIndex = QModelIndex | QPersistentModelIndex
EditHandler = Callable[[int, int, str], None]


class ResultsModel(QAbstractTableModel):
    """Question, answer and source chunk columns over ``pairs``; question and answer editable.

    ``edit_handler(row, column, text)`` receives edits made in the view (the window routes them
    through its undo stack); without one, edits apply directly.
    """

    def __init__(self, pairs: list[QAPair] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._pairs: list[QAPair] = pairs if pairs is not None else []
        self.edit_handler: EditHandler | None = None

    @property
    def pairs(self) -> list[QAPair]:
        """The list itself (read it; change it only through the methods below)."""
        return self._pairs

    # Qt's model interface -------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._pairs)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        return self.cell(index.row(), index.column(), role)

    def cell(self, row: int, column: int, role: int) -> Any:
        """``data()`` by row and column: the filter calls it without making a QModelIndex."""
        # Painting asks for a dozen roles per cell; the three handled are plain ints here.
        if role not in _ROLES or not 0 <= row < len(self._pairs):
            return None
        pair = self._pairs[row]
        if column == SOURCE:
            if role == _TOOLTIP:
                return pair.source[:_TOOLTIP_CHARS] or None
            return _source_label(pair)
        text = pair.question if column == QUESTION else pair.answer
        if role == _DISPLAY:
            # One line per row (fixed row heights): show line breaks without wrapping.
            return text.replace("\n", " ↵ ") if "\n" in text else text
        if role == _EDIT:
            return text
        return text[:_TOOLTIP_CHARS] or None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return HEADERS[section] if 0 <= section < len(HEADERS) else None
        return str(section + 1)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _FLAGS[index.column() != SOURCE]

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() == SOURCE:
            return False
        row, column, text = index.row(), index.column(), str(value)
        if self.text(row, column) == text:
            return False
        if self.edit_handler is not None:
            self.edit_handler(row, column, text)
        else:
            self.set_text(row, column, text)
        return True

    # The four primitives ----------------------------------------------------------------------

    def text(self, row: int, column: int) -> str:
        pair = self._pairs[row]
        return pair.question if column == QUESTION else pair.answer

    def set_text(self, row: int, column: int, text: str) -> None:
        setattr(self._pairs[row], FIELDS[column], text)
        changed = self.index(row, column)
        self.dataChanged.emit(
            changed, changed, [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole]
        )

    def insert_pairs(self, row: int, pairs: Sequence[QAPair]) -> None:
        """Insert a batch in one beginInsertRows/endInsertRows: views update once per batch."""
        if not pairs:
            return
        row = min(max(row, 0), len(self._pairs))
        self.beginInsertRows(QModelIndex(), row, row + len(pairs) - 1)
        self._pairs[row:row] = pairs
        self.endInsertRows()

    def append_pairs(self, pairs: Sequence[QAPair]) -> None:
        self.insert_pairs(len(self._pairs), pairs)

    def remove_pairs(self, row: int, count: int) -> list[QAPair]:
        """Remove ``count`` rows from ``row``; returns them (for undo)."""
        if count <= 0:
            return []
        self.beginRemoveRows(QModelIndex(), row, row + count - 1)
        removed = self._pairs[row : row + count]
        del self._pairs[row : row + count]
        self.endRemoveRows()
        return removed

    def replace_all(self, pairs: list[QAPair]) -> None:
        """Show another list (an opened dataset, a restored session, a cleared table)."""
        self.beginResetModel()
        self._pairs = pairs
        self.endResetModel()


class ResultsFilter(QAbstractTableModel):
    """The rows of a ``ResultsModel`` whose question or answer contains the filter text.

    Written for 100,000 rows: matching is one pass in Python over the plain list, where
    QSortFilterProxyModel would call ``data()`` across the Qt boundary for every row. Without a
    filter it passes the source's row signals straight through. An edited row stays shown until
    the filter changes, so it does not vanish under the cursor.
    """

    def __init__(self, source: ResultsModel, parent: Any = None) -> None:
        super().__init__(parent)
        self._source = source
        self._needle = ""
        self._rows: list[int] | None = None  # visible source rows, ascending; None: all
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
        self._rows = self._matching(0, len(self._source.pairs)) if self._needle else None
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

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        return self._source.setData(self.mapToSource(index), value, role)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _FLAGS[index.column() != SOURCE]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Vertical and self._rows is not None:
            if role != Qt.ItemDataRole.DisplayRole or not 0 <= section < len(self._rows):
                return None
            return str(self._rows[section] + 1)  # the pair's number in the whole list
        return self._source.headerData(section, orientation, role)

    # Following the source -------------------------------------------------------------------

    def _matching(self, first: int, stop: int) -> list[int]:
        needle, pairs = self._needle, self._source.pairs
        return [
            row
            for row in range(first, stop)
            if needle in pairs[row].question.casefold() or needle in pairs[row].answer.casefold()
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
            if shown >= 0:
                self.dataChanged.emit(
                    self.index(shown, top_left.column()),
                    self.index(shown, bottom_right.column()),
                    roles,
                )

    def _reset(self) -> None:
        if self._needle:
            self._rows = self._matching(0, len(self._source.pairs))
        self.endResetModel()


def row_ranges(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted distinct rows as (first, count) runs: [1, 2, 3, 7] -> [(1, 3), (7, 1)]."""
    ranges: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if ranges and ranges[-1][0] + ranges[-1][1] == row:
            first, count = ranges[-1]
            ranges[-1] = (first, count + 1)
        else:
            ranges.append((row, 1))
    return ranges


def _source_label(pair: QAPair) -> str:
    if pair.chunk is None and not pair.source:
        return ""
    preview = " ".join(pair.source[: _SOURCE_PREVIEW * 2].split())[:_SOURCE_PREVIEW]
    if len(pair.source) > _SOURCE_PREVIEW:
        preview += "…"
    if pair.chunk is None:
        return preview
    return f"#{pair.chunk + 1}  {preview}" if preview else f"#{pair.chunk + 1}"
