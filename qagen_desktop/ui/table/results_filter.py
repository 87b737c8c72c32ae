"""The rows of the results table that the view shows: a hand-written filter over a
``ResultsModel`` (the reasons it is not a QSortFilterProxyModel are in its docstring)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import compress
from operator import itemgetter, not_
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.ui.table.cells import ANSWER, QUESTION, SOURCE, STATUS, read_only_cell
from qagen_desktop.ui.table.results_model import HEADERS, AnyIndex, ResultsModel, row_ranges
from qagen_desktop.ui.table.sort_keys import SortKey, sort_key

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_READ_ONLY = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_FLAGS = (_READ_ONLY, _READ_ONLY | Qt.ItemFlag.ItemIsEditable)  # by "is editable"
SORT_TIP = "Click to sort by this column; again, descending; a third time, the source order"
# Removed rows scattered over more runs of the sorted view than this: one reset instead.
MANY_RUNS = 64


class ResultsFilter(QAbstractTableModel):
    """The rows of a ``ResultsModel`` shown in the table, in the order shown: those whose
    question or answer holds the filter text, and, unless ``show_rejected``, only accepted and
    edited pairs; in the source order (the order Save writes) or sorted by a column.

    Written for 100,000 rows: matching is one pass in Python over the plain list, and sorting
    one ``list.sort`` with a key taken from the pairs (``sort_keys``), where
    QSortFilterProxyModel would call ``data()`` across the Qt boundary for every row (and again
    for every comparison). With no filter text, rejected pairs shown and no sort it passes the
    source's row signals straight through. An edited row stays shown until the filter changes,
    so it does not vanish under the cursor; a row rejected while rejected pairs are hidden goes
    at once (that is what rejecting asks). While sorted, the sort stays true: new rows go where
    it puts them, and a row whose sorted cell changes (an edit, an undo, a verdict) moves.
    """

    def __init__(self, source: ResultsModel, parent: Any = None) -> None:
        super().__init__(parent)
        self._source = source
        self._needle = ""
        self._show_rejected = False
        self._sort_column = -1  # -1: the source order
        self._descending = False
        # Visible source rows in view order (ascending in the source order); None: all of them.
        self._rows: list[int] | None = []
        # While sorted: each shown row's key, in view order and by source row (None: hidden;
        # a list, so rows inserted or removed shift it by a slice). The order is (key, source
        # row), so equal cells keep the source order and every lookup is a bisect.
        self._keys: list[SortKey] = []
        self._key_at: list[SortKey | None] = []
        self._rows = self._matching(0, len(source.pairs))
        source.rowsAboutToBeInserted.connect(self._about_to_insert)
        source.rowsInserted.connect(self._inserted)
        source.rowsAboutToBeRemoved.connect(self._about_to_remove)
        source.rowsRemoved.connect(self._removed)
        source.dataChanged.connect(self._changed)
        source.modelAboutToBeReset.connect(self.beginResetModel)
        source.modelReset.connect(self._reset)
        source.batchStarted.connect(self._batch_started)
        source.batchEnded.connect(self._batch_ended)
        # In a batch of the source's (a delete of many scattered rows, its undo): the pairs
        # shown when it began and those it put back, by identity; None outside one.
        self._batch: tuple[set[int], set[int]] | None = None

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

    def sort_column(self) -> int:
        """The column the rows are sorted by, or -1 for the source order."""
        return self._sort_column

    def sort_order(self) -> Qt.SortOrder:
        descending = Qt.SortOrder.DescendingOrder
        return descending if self._descending else Qt.SortOrder.AscendingOrder

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the shown rows by ``column`` (-1: the source order). Only the view changes:
        the source list, which Save writes, keeps its order. Selection and the current row
        follow their pairs (a layout change with the persistent indexes moved)."""
        column = column if 0 <= column < len(HEADERS) else -1
        descending = column >= 0 and order == Qt.SortOrder.DescendingOrder
        if (column, descending) == (self._sort_column, self._descending):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        sources = [self._source_row(index.row()) for index in persistent]
        rows = list(range(len(self._source.pairs))) if self._rows is None else self._rows
        self._sort_column, self._descending = column, descending
        self._rows = self._ordered(rows)
        if column < 0 and not self._needle and self._show_rejected:
            self._rows = None  # every row, in the source order: pass the signals through
        moved = []
        for index, row in zip(persistent, sources, strict=True):
            shown = self.view_row(row)
            moved.append(self.index(shown, index.column()) if shown >= 0 else QModelIndex())
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def mapToSource(self, index: AnyIndex) -> QModelIndex:
        if not index.isValid():
            return QModelIndex()
        return self._source.index(self._source_row(index.row()), index.column())

    def mapFromSource(self, index: AnyIndex) -> QModelIndex:
        if not index.isValid():
            return QModelIndex()
        row = self.view_row(index.row())
        return self.index(row, index.column()) if row >= 0 else QModelIndex()

    def view_row(self, source_row: int) -> int:
        """Where a source row is shown, or -1 when the filter hides it."""
        rows = self._rows
        if rows is None:
            return source_row
        if self._sort_column >= 0:
            key_at = self._key_at
            key = key_at[source_row] if 0 <= source_row < len(key_at) else None
            position = -1 if key is None else self._place(key, source_row)
        else:
            position = bisect_left(rows, source_row)
        if 0 <= position < len(rows) and rows[position] == source_row:
            return position
        return -1

    def source_rows(self, first: int, count: int) -> list[int]:
        """The source rows of ``count`` shown rows from ``first`` (fewer at the end)."""
        if self._rows is None:
            return list(range(first, min(first + count, len(self._source.pairs))))
        return self._rows[first : first + count]

    def _source_row(self, view_row: int) -> int:
        return view_row if self._rows is None else self._rows[view_row]

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
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return SORT_TIP if 0 <= section < len(HEADERS) else None
        return self._source.headerData(section, orientation, role)

    # Following the source -------------------------------------------------------------------

    def _select_all(self) -> list[int] | None:
        if not self._needle and self._show_rejected and self._sort_column < 0:
            return None
        return self._ordered(self._matching(0, len(self._source.pairs)))

    def _matches(self, pair: QAPair) -> bool:
        if not self._show_rejected and pair.status is PairStatus.REJECTED:
            return False
        needle = self._needle
        return not needle or needle in pair.question.casefold() or needle in pair.answer.casefold()

    def _batch_started(self) -> None:
        """Many runs of rows are about to go or come back: the rows are redone once, at the
        end (one reset), not renumbered at every run (a pass over every row each)."""
        if self._rows is None:
            return  # passing the source's signals through costs nothing per run
        self.beginResetModel()
        pairs = self._source.pairs
        self._batch = ({id(pairs[row]) for row in self._rows}, set())

    def _batch_ended(self) -> None:
        if self._batch is None:
            return
        shown, inserted = self._batch
        self._batch = None
        # What was shown stays shown (an edited row the filter no longer matches, too); what
        # came back is shown where it matches, as a row put back one at a time would be.
        rows = [
            row
            for row, pair in enumerate(self._source.pairs)
            if id(pair) in shown or (id(pair) in inserted and self._matches(pair))
        ]
        self._rows = self._ordered(rows)
        self.endResetModel()

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

    def _ordered(self, rows: list[int]) -> list[int]:
        """``rows`` in view order (sorted in place), with their keys when sorted."""
        rows.sort()
        self._keys, self._key_at = [], []
        if self._sort_column < 0:
            return rows
        key, pairs = self._pair_key(), self._source.pairs
        # map() over C-level getters throughout: each step is one pass at C speed.
        keys = list(map(key, map(pairs.__getitem__, rows)))
        # The values sorted alone (a sort of plain strings or numbers, several times faster
        # than of tuples), then the empty cells; equal values keep the source order.
        values = list(map(itemgetter(1), keys))
        empty = list(map(itemgetter(0), keys))
        order = list(compress(range(len(keys)), map(not_, empty)))
        order.sort(key=values.__getitem__, reverse=self._descending)
        order.extend(compress(range(len(keys)), empty))
        rows[:] = map(rows.__getitem__, order)
        self._keys = list(map(keys.__getitem__, order))
        key_at: list[SortKey | None] = [None] * len(pairs)
        for row, row_key in zip(rows, self._keys, strict=True):
            key_at[row] = row_key
        self._key_at = key_at
        return rows

    def _pair_key(self) -> Callable[[QAPair], SortKey]:
        return sort_key(self._sort_column)

    def _place(self, key: SortKey, row: int) -> int:
        """Where (key, row) goes in the sorted rows: the first place not before it."""
        rows, keys, descending = self._rows, self._keys, self._descending
        assert rows is not None
        low, high = 0, len(rows)
        while low < high:
            middle = (low + high) // 2
            other = keys[middle]
            if other[0] != key[0]:  # the empty cells last, either way
                before = key[0]
            elif other[1] != key[1]:
                before = other[1] > key[1] if descending else other[1] < key[1]
            else:
                before = rows[middle] < row
            if before:
                low = middle + 1
            else:
                high = middle
        return low

    def _show(self, row: int) -> None:
        """Insert one source row where the order puts it."""
        rows = self._rows
        assert rows is not None
        if self._sort_column < 0:
            position = bisect_left(rows, row)
            self.beginInsertRows(QModelIndex(), position, position)
            rows.insert(position, row)
            self.endInsertRows()
            return
        key = self._pair_key()(self._source.pairs[row])
        position = self._place(key, row)
        self.beginInsertRows(QModelIndex(), position, position)
        rows.insert(position, row)
        self._keys.insert(position, key)
        self._key_at[row] = key
        self.endInsertRows()

    def _hide(self, first: int, last: int) -> None:
        """Remove the view rows ``first`` to ``last``."""
        rows = self._rows
        assert rows is not None
        self.beginRemoveRows(QModelIndex(), first, last)
        if self._sort_column >= 0:
            for row in rows[first : last + 1]:
                self._key_at[row] = None
            del self._keys[first : last + 1]
        del rows[first : last + 1]
        self.endRemoveRows()

    def _shift(self, first: int, count: int) -> None:
        """``count`` source rows inserted at ``first`` (removed from it, when negative): the
        rows after them are renumbered."""
        rows = self._rows
        assert rows is not None
        if self._sort_column < 0:  # ascending: the rows after them are a tail
            position = bisect_left(rows, first)
            rows[position:] = [row + count for row in rows[position:]]
            return
        if count > 0:
            self._key_at[first:first] = [None] * count
        else:
            del self._key_at[first : first - count]
        if first < len(self._key_at) - max(count, 0):  # not at the end: later rows renumbered
            rows[:] = [row + count if row >= first else row for row in rows]

    def _about_to_insert(self, _parent: QModelIndex, first: int, last: int) -> None:
        if self._batch is not None:
            return
        if self._rows is None:
            self.beginInsertRows(QModelIndex(), first, last)

    def _inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        if self._batch is not None:
            self._batch[1].update(map(id, self._source.pairs[first : last + 1]))
            return
        rows = self._rows
        if rows is None:
            self.endInsertRows()
            return
        count = last - first + 1
        if self._sort_column >= 0 or first < len(self._source.pairs) - count:
            self._shift(first, count)
        new = self._matching(first, last + 1)
        if not new:
            return
        if self._sort_column < 0:
            position = bisect_left(rows, first)
            self.beginInsertRows(QModelIndex(), position, position + len(new) - 1)
            rows[position:position] = new
            self.endInsertRows()
            return
        for row in new:
            self._show(row)

    def _about_to_remove(self, _parent: QModelIndex, first: int, last: int) -> None:
        if self._batch is not None:
            return
        rows = self._rows
        if rows is None:
            self.beginRemoveRows(QModelIndex(), first, last)
            return
        if self._sort_column < 0:
            low, high = bisect_left(rows, first), bisect_right(rows, last)
            if high > low:
                self._hide(low, high - 1)
            return
        shown = sorted(p for p in map(self.view_row, range(first, last + 1)) if p >= 0)
        runs = row_ranges(shown)
        if len(runs) > MANY_RUNS:  # one reset, not thousands of scattered removals
            self.beginResetModel()
            kept = [row for row in rows if not first <= row <= last]
            self._rows = self._ordered(kept)
            self.endResetModel()
            return
        for start, length in reversed(runs):
            self._hide(start, start + length - 1)

    def _removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        if self._batch is not None:
            return
        if self._rows is None:
            self.endRemoveRows()
            return
        self._shift(first, -(last - first + 1))

    def _changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles: Any = ()) -> None:
        if self._rows is None:
            self.dataChanged.emit(
                self.index(top_left.row(), top_left.column()),
                self.index(bottom_right.row(), bottom_right.column()),
                roles,
            )
            return
        left, right = top_left.column(), bottom_right.column()
        resort = left <= self._sort_column <= right
        for row in range(top_left.row(), bottom_right.row() + 1):
            shown = self.view_row(row)
            if right >= STATUS and self._follow_status(row, shown):
                continue
            if shown >= 0 and resort:
                shown = self._follow_sort(row, shown)
            if shown >= 0:
                self.dataChanged.emit(self.index(shown, left), self.index(shown, right), roles)

    def _follow_status(self, row: int, shown: int) -> bool:
        """Hide a row just rejected, or show one no longer rejected; True when it did."""
        rejected = self._source.pairs[row].status is PairStatus.REJECTED
        if shown >= 0 and rejected and not self._show_rejected:
            self._hide(shown, shown)
            return True
        if shown < 0 and not rejected and self._matching(row, row + 1):
            self._show(row)
            return True
        return False

    def _follow_sort(self, row: int, shown: int) -> int:
        """Move a shown row whose sorted cell changed to where the sort now puts it."""
        rows, keys = self._rows, self._keys
        assert rows is not None
        key = self._pair_key()(self._source.pairs[row])
        if key == keys[shown]:
            return shown
        # Qt's destination is a place in the rows as they are, before the move.
        destination = self._place(key, row)
        if destination in (shown, shown + 1):
            keys[shown] = key
        else:
            self.beginMoveRows(QModelIndex(), shown, shown, QModelIndex(), destination)
            del rows[shown], keys[shown]
            shown = destination - 1 if destination > shown else destination
            rows.insert(shown, row)
            keys.insert(shown, key)
            self.endMoveRows()
        self._key_at[row] = key
        return shown

    def _reset(self) -> None:
        self._rows = self._select_all()
        self.endResetModel()
