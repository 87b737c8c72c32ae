"""The results table's model: a thin Qt adapter over a plain list of ``QAPair``.

Every change goes through five primitives (insert, remove, set text, replace rows, replace all)
so the undo commands, the generation run, the review and the recovery journal all see the same
row signals. The model keeps a count of each status as they go, for the review's counts. Many
scattered runs of rows removed or put back at once are one batch (``remove_runs``,
``insert_runs``): each run still has its row signals, between ``batchStarted`` and
``batchEnded``, so that a filter over the model can redo its rows once instead of at every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.ui.table.cells import (  # the column numbers are this module's too
    ANSWER,  # noqa: F401 (re-exported)
    QUESTION,
    REASON,
    SCORE,
    SOURCE,
    STATUS,  # noqa: F401 (re-exported)
    TOOLTIP_CHARS,
    read_only_cell,
)

HEADERS = ("Question", "Answer", "Source chunk", "Score", "Status", "Why")
FIELDS = ("question", "answer")
# The columns a verdict fills: a change that reaches them is a change of verdict, not of text.
VERDICT_COLUMNS = range(SCORE, REASON + 1)
# Runs of rows removed or put back at once beyond this: one batch (see the module docstring).
BATCH_RUNS = 64


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

    Signals: batchStarted(), batchEnded() -- around the row signals of a batch of more than
    ``BATCH_RUNS`` runs.
    """

    batchStarted = Signal()
    batchEnded = Signal()

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

    def remove_runs(self, runs: Sequence[tuple[int, int]]) -> list[tuple[int, list[QAPair]]]:
        """Remove each (first row, count) run of ``runs`` (ascending, apart; ``row_ranges``),
        from the bottom up; returns each run's first row and pairs, bottom up, for
        ``insert_runs``."""
        with self._batch(len(runs)):
            return [(first, self.remove_pairs(first, count)) for first, count in reversed(runs)]

    def insert_runs(self, runs: Sequence[tuple[int, list[QAPair]]]) -> None:
        """Put back what ``remove_runs`` returned: each run at its first row, from the top."""
        with self._batch(len(runs)):
            for first, pairs in reversed(runs):
                self.insert_pairs(first, pairs)

    @contextmanager
    def _batch(self, runs: int) -> Iterator[None]:
        if runs <= BATCH_RUNS:
            yield
            return
        self.batchStarted.emit()
        try:
            yield
        finally:
            self.batchEnded.emit()

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
