"""The results model: a correct Qt model over a plain list, with undoable edits."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QUndoStack
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.table.edit_commands import (
    EditCellCommand,
    InsertRowsCommand,
    RemoveRowsCommand,
)
from qagen_desktop.ui.table.results_filter import ResultsFilter
from qagen_desktop.ui.table.results_model import (
    ANSWER,
    QUESTION,
    SOURCE,
    ResultsModel,
    row_ranges,
)


def _pairs(n: int) -> list[QAPair]:
    return [
        QAPair(f"Question {i}?", f"Answer {i}.", i % 3, f"Chunk {i % 3} text.") for i in range(n)
    ]


def test_model_passes_qtmodeltester_through_inserts_edits_and_removals(
    qtmodeltester: ModelTester,
) -> None:
    model = ResultsModel(_pairs(20))
    qtmodeltester.check(model, force_py=True)
    model.append_pairs(_pairs(5))
    model.insert_pairs(3, _pairs(2))
    model.set_text(4, ANSWER, "Changed.")
    model.remove_pairs(0, 7)
    model.replace_all(_pairs(3))
    model.replace_all([])
    assert model.rowCount() == 0


def test_filter_proxy_passes_qtmodeltester(qtmodeltester: ModelTester) -> None:
    model = ResultsModel(_pairs(30))
    proxy = ResultsFilter(model)
    qtmodeltester.check(proxy, force_py=True)
    proxy.set_filter_text("QUESTION 1")
    assert proxy.rowCount() == 11  # 1 and 10-19
    model.append_pairs([QAPair("Question 100?", "x"), QAPair("Other?", "y")])
    assert proxy.rowCount() == 12
    model.insert_pairs(0, [QAPair("Question 1000?", "z")])
    assert proxy.rowCount() == 13
    assert proxy.data(proxy.index(1, QUESTION)) == "Question 1?"
    model.remove_pairs(0, 3)  # Question 1000, 0 and 1
    assert proxy.rowCount() == 11
    assert proxy.data(proxy.index(0, QUESTION)) == "Question 10?"
    assert proxy.mapToSource(proxy.index(0, 0)).row() == 8
    proxy.setData(proxy.index(0, ANSWER), "no longer matching")
    assert proxy.rowCount() == 11  # an edited row stays until the filter changes
    proxy.set_filter_text("")
    assert proxy.rowCount() == model.rowCount()


def test_cells_show_question_answer_and_source_chunk() -> None:
    model = ResultsModel([QAPair("Why?", "Because\nof this.", 2, "The third chunk.")])
    display = Qt.ItemDataRole.DisplayRole
    assert model.data(model.index(0, QUESTION), display) == "Why?"
    # One line per row; the line break is shown, and kept for editing.
    assert "\n" not in model.data(model.index(0, ANSWER), display)
    assert model.data(model.index(0, ANSWER), Qt.ItemDataRole.EditRole) == "Because\nof this."
    assert model.data(model.index(0, SOURCE), display).startswith("#3")
    assert model.headerData(SOURCE, Qt.Orientation.Horizontal, display) == "Source chunk"


def test_question_and_answer_are_editable_the_source_is_not() -> None:
    model = ResultsModel(_pairs(1))
    assert model.flags(model.index(0, QUESTION)) & Qt.ItemFlag.ItemIsEditable
    assert model.flags(model.index(0, ANSWER)) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(0, SOURCE)) & Qt.ItemFlag.ItemIsEditable
    assert not model.setData(model.index(0, SOURCE), "x")
    assert model.setData(model.index(0, QUESTION), "New?")
    assert model.pairs[0].question == "New?"


def test_an_append_is_one_insert_signal_per_batch(qtbot: QtBot) -> None:
    model = ResultsModel()
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.append_pairs(_pairs(500))
    model.append_pairs(_pairs(10))
    assert inserted == [(0, 499), (500, 509)]


def test_edits_insertions_and_deletions_undo_and_redo() -> None:
    model = ResultsModel(_pairs(6))
    stack = QUndoStack()
    model.edit_handler = lambda row, column, text: stack.push(
        EditCellCommand(model, row, column, text)
    )
    original = [(p.question, p.answer) for p in model.pairs]

    model.setData(model.index(1, ANSWER), "Edited answer.")
    stack.push(InsertRowsCommand(model, 2, [QAPair("Added?", "Yes.")]))
    stack.push(RemoveRowsCommand(model, [0, 3, 4, 6]))
    after = [(p.question, p.answer) for p in model.pairs]
    assert after == [
        ("Question 1?", "Edited answer."),
        ("Added?", "Yes."),
        ("Question 4?", "Answer 4."),
    ]

    for _ in range(3):
        stack.undo()
    assert [(p.question, p.answer) for p in model.pairs] == original
    for _ in range(3):
        stack.redo()
    assert [(p.question, p.answer) for p in model.pairs] == after


def test_row_ranges_group_consecutive_rows() -> None:
    assert row_ranges([7, 1, 2, 3, 3]) == [(1, 3), (7, 1)]
    assert row_ranges([]) == []


def test_rows_of_an_invalid_parent_only() -> None:
    model = ResultsModel(_pairs(2))
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.rowCount(QModelIndex()) == 2


def test_model_passes_qtmodeltester_through_replaced_rows(qtmodeltester: ModelTester) -> None:
    from qagen_desktop.core.records import PairStatus

    model = ResultsModel(_pairs(6))
    qtmodeltester.check(model, force_py=True)
    old = model.replace_rows([(2, QAPair("New?", "New.", status=PairStatus.REJECTED))])
    assert model.data(model.index(2, QUESTION)) == "New?"
    assert model.count(PairStatus.REJECTED) == 1
    model.replace_rows(old)
    assert model.count(PairStatus.REJECTED) == 0 and model.pairs[2].question == "Question 2?"


def test_filter_passes_qtmodeltester_through_verdicts(qtmodeltester: ModelTester) -> None:
    from dataclasses import replace

    from qagen_desktop.core.records import PairStatus

    model = ResultsModel(_pairs(12))
    proxy = ResultsFilter(model)
    qtmodeltester.check(proxy, force_py=True)
    rejected = [(row, replace(model.pairs[row], status=PairStatus.REJECTED)) for row in (1, 5, 6)]
    old = model.replace_rows(rejected)
    assert proxy.rowCount() == 9 and model.count(PairStatus.REJECTED) == 3
    assert proxy.mapToSource(proxy.index(1, 0)).row() == 2
    model.append_pairs([QAPair("Late?", "Yes.", status=PairStatus.REJECTED), QAPair("On?", "Y")])
    assert proxy.rowCount() == 10
    proxy.set_show_rejected(True)
    assert proxy.rowCount() == model.rowCount() == 14
    proxy.set_show_rejected(False)
    proxy.set_filter_text("question 1")  # 1 (rejected), 10, 11
    assert proxy.rowCount() == 2
    model.replace_rows(old[:1])  # row 1 accepted again: shown, as it matches
    assert proxy.rowCount() == 3
    model.remove_pairs(0, 4)
    assert model.count(PairStatus.REJECTED) == 3
    model.replace_all([])
    assert model.count(PairStatus.REJECTED) == 0


def test_verdict_commands_undo_to_exactly_what_was_there() -> None:
    from qagen_desktop.core.records import PairStatus
    from qagen_desktop.ui.table.edit_commands import verdict_command

    model = ResultsModel(_pairs(4))
    stack = QUndoStack()
    before = list(model.pairs)
    command = verdict_command(model, [0, 2], accept=False)
    assert command is not None
    stack.push(command)
    assert [p.status for p in model.pairs] == [
        PairStatus.REJECTED,
        PairStatus.ACCEPTED,
        PairStatus.REJECTED,
        PairStatus.ACCEPTED,
    ]
    assert before[0].status is PairStatus.ACCEPTED  # a copy changed, not the pair itself
    assert verdict_command(model, [0, 2], accept=False) is None  # nothing left to reject
    stack.undo()
    assert model.pairs == before and all(a is b for a, b in zip(model.pairs, before, strict=True))
