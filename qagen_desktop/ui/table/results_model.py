"""The results table's model: a thin Qt adapter over a plain list of ``QAPair``.

Every change goes through five primitives (insert, remove, set text, replace rows, replace all)
so the undo commands, the generation run, the review and the recovery journal all see the same
row signals. The model keeps a count of each status as they go, for the review's counts.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.ui.table.cells import (  # the column numbers are this module's too
    ANSWER,
    QUESTION,
    REASON,
    SCORE,
    SOURCE,
    STATUS,
    TOOLTIP_CHARS,
    read_only_cell,
)

HEADERS = ("Question", "Answer", "Source chunk", "Score", "Status", "Why")
FIELDS = ("question", "answer")
# The columns a verdict fills: a change that reaches them is a change of verdict, not of text.
VERDICT_COLUMNS = range(SCORE, REASON + 1)


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_EDIT = int(Qt.ItemDataRole.EditRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ROLES = frozenset((_DISPLAY, _EDIT, _TOOLTIP))
_READ_ONLY = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_FLAGS = (_READ_ONLY, _READ_ONLY | Qt.ItemFlag.ItemIsEditable)  # by "is editable"
_ALL_ROLES = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole]

AnyIndex = QModelIndex | QPersistentModelIndex
EditHandler = Callable[[int, int, str], None]


class ResultsModel(QAbstractTableModel):
    """Question, answer, source chunk, score, status and why columns over ``pairs``; question
    and answer editable.

    ``edit_handler(row, column, text)`` receives edits made in the view (the window routes them
    through its undo stack, which marks the pair edited); without one, edits apply directly.
    """

    def __init__(self, pairs: list[QAPair] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._pairs: list[QAPair] = pairs if pairs is not None else []
        self._counts = _count(self._pairs)
        self.edit_handler: EditHandler | None = None

    def count(self, status: PairStatus) -> int:
        """How many pairs have ``status`` (kept as rows change: no pass over the list)."""
        return self._counts[status]

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
        if column >= SOURCE:
            return read_only_cell(pair, column, role)
        text = pair.question if column == QUESTION else pair.answer
        if role == _DISPLAY:
            # One line per row (fixed row heights): show line breaks without wrapping.
            return text.replace("\n", " ↵ ") if "\n" in text else text
        if role == _EDIT:
            return text
        return text[:TOOLTIP_CHARS] or None

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
        return _FLAGS[index.column() < SOURCE]

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() >= SOURCE:
            return False
        row, column, text = index.row(), index.column(), str(value)
        if self.text(row, column) == text:
            return False
        if self.edit_handler is not None:
            self.edit_handler(row, column, text)
        else:
            self.set_text(row, column, text)
        return True

    # The five primitives ----------------------------------------------------------------------

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
        for pair in pairs:
            self._counts[pair.status] += 1
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
        for pair in removed:
            self._counts[pair.status] -= 1
        self.endRemoveRows()
        return removed

    def replace_rows(self, changes: Sequence[tuple[int, QAPair]]) -> list[tuple[int, QAPair]]:
        """Put other pairs at some rows (a verdict, a regenerated pair, an edit that marks the
        pair edited); returns the (row, pair) it took out, for undo. Each row's change is one
        dataChanged over all its columns."""
        old: list[tuple[int, QAPair]] = []
        last = len(HEADERS) - 1
        for row, pair in changes:
            previous = self._pairs[row]
            old.append((row, previous))
            self._counts[previous.status] -= 1
            self._counts[pair.status] += 1
            self._pairs[row] = pair
            self.dataChanged.emit(self.index(row, 0), self.index(row, last), _ALL_ROLES)
        return old

    def replace_all(self, pairs: list[QAPair]) -> None:
        """Show another list (an opened dataset, a restored session, a cleared table)."""
        self.beginResetModel()
        self._pairs = pairs
        self._counts = _count(pairs)
        self.endResetModel()


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


def _count(pairs: Sequence[QAPair]) -> dict[PairStatus, int]:
    counts = dict.fromkeys(PairStatus, 0)
    for pair in pairs:
        counts[pair.status] += 1
    return counts
