"""Undoable changes to the results: cell edits, added rows and deleted rows (QUndoCommand)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QUndoCommand

from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.table.results_model import HEADERS, ResultsModel, row_ranges


class EditCellCommand(QUndoCommand):
    """Change one question or answer."""

    def __init__(self, model: ResultsModel, row: int, column: int, text: str) -> None:
        super().__init__(f"Edit {HEADERS[column].lower()} in row {row + 1}")
        self._model, self._row, self._column = model, row, column
        self._new, self._old = text, model.text(row, column)

    def redo(self) -> None:
        self._model.set_text(self._row, self._column, self._new)

    def undo(self) -> None:
        self._model.set_text(self._row, self._column, self._old)


class InsertRowsCommand(QUndoCommand):
    """Insert pairs at a row (an added empty row, or pasted pairs)."""

    def __init__(self, model: ResultsModel, row: int, pairs: Sequence[QAPair]) -> None:
        noun = "row" if len(pairs) == 1 else f"{len(pairs)} rows"
        super().__init__(f"Add {noun}")
        self._model, self._row, self._pairs = model, row, list(pairs)

    def redo(self) -> None:
        self._model.insert_pairs(self._row, self._pairs)

    def undo(self) -> None:
        self._model.remove_pairs(self._row, len(self._pairs))


class RemoveRowsCommand(QUndoCommand):
    """Delete any set of rows; undo puts each back where it was."""

    def __init__(self, model: ResultsModel, rows: Sequence[int]) -> None:
        self._ranges = row_ranges(rows)
        count = sum(n for _, n in self._ranges)
        super().__init__("Delete row" if count == 1 else f"Delete {count} rows")
        self._model = model
        self._removed: list[tuple[int, list[QAPair]]] = []

    def redo(self) -> None:
        # From the bottom up, so the row numbers of the ranges still to remove stay valid.
        self._removed = [
            (first, self._model.remove_pairs(first, count))
            for first, count in reversed(self._ranges)
        ]

    def undo(self) -> None:
        for first, pairs in reversed(self._removed):
            self._model.insert_pairs(first, pairs)
        self._removed = []
