"""Undoable changes to the results (QUndoCommand): cell edits, added and deleted rows, and
the review's verdicts (accept, reject, a judge's scores, regenerated pairs).

A pair in the table is never changed in place by a command: the command puts a changed copy
at its row and keeps the one it took out, so undo puts back exactly what was there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtGui import QUndoCommand

from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.ui.table.results_model import FIELDS, HEADERS, ResultsModel, row_ranges

BY_HAND = "by_hand"  # core.quality.Rejection.BY_HAND, without loading the checks' word lists


class ReplacePairsCommand(QUndoCommand):
    """Put other pairs at some rows in one step (a verdict, a judge's scores, new pairs)."""

    def __init__(
        self, model: ResultsModel, changes: Sequence[tuple[int, QAPair]], text: str
    ) -> None:
        super().__init__(text)
        self._model = model
        self._changes = list(changes)

    @property
    def rows_changed(self) -> int:
        return len(self._changes)

    def redo(self) -> None:
        self._changes = self._model.replace_rows(self._changes)

    def undo(self) -> None:
        self._changes = self._model.replace_rows(self._changes)


class EditCellCommand(ReplacePairsCommand):
    """Change one question or answer; the pair becomes edited by hand (undo restores its
    verdict with its text)."""

    def __init__(self, model: ResultsModel, row: int, column: int, text: str) -> None:
        changed = edited(model.pairs[row], FIELDS[column], text)
        label = f"Edit {HEADERS[column].lower()} in row {row + 1}"
        super().__init__(model, [(row, changed)], label)


def edited(pair: QAPair, field: str, text: str) -> QAPair:
    """A copy of ``pair`` with its question or answer changed by hand: the person's word stands
    over the checks, so it is no longer rejected."""
    copy = replace(pair, status=PairStatus.EDITED, rejection="")
    setattr(copy, field, text)
    return copy


def accepted(pair: QAPair) -> QAPair:
    """A copy of ``pair`` accepted by hand; an edited pair stays edited (it is accepted)."""
    status = PairStatus.EDITED if pair.status is PairStatus.EDITED else PairStatus.ACCEPTED
    return replace(pair, status=status, rejection="")


def rejected(pair: QAPair) -> QAPair:
    """A copy of ``pair`` rejected by hand."""
    return replace(pair, status=PairStatus.REJECTED, rejection=BY_HAND)


def verdict_command(
    model: ResultsModel, rows: Sequence[int], accept: bool
) -> ReplacePairsCommand | None:
    """Accept or reject ``rows`` as one command; None when none of them would change."""
    change = accepted if accept else rejected
    changes = []
    for row in sorted(set(rows)):
        pair = model.pairs[row]
        if (pair.status is PairStatus.REJECTED) == accept:  # accepting a rejected one, or back
            changes.append((row, change(pair)))
    if not changes:
        return None
    noun = "pair" if len(changes) == 1 else f"{len(changes)} pairs"
    return ReplacePairsCommand(model, changes, f"{'Accept' if accept else 'Reject'} {noun}")


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
        self._removed = self._model.remove_runs(self._ranges)

    def undo(self) -> None:
        self._model.insert_runs(self._removed)
        self._removed = []
