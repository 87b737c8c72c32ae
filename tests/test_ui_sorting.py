"""Sorting the results table: a header click sorts by its column, a second click descending, a
third back to the source order (View > Source order does it at once). The sort holds through
the filter, the rejected toggle, new rows, edits, undo and the review, and changes the view only:
Save writes the source order."""

from __future__ import annotations

import json
import random
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtWidgets import QHeaderView, QMenu, QPlainTextEdit, QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE

from qagen_desktop.core.datasets import save_dataset
from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.ui.main_window import MainWindow
from qagen_desktop.ui.table.cells import ANSWER, QUESTION, REASON, SCORE, SOURCE, STATUS
from qagen_desktop.ui.table.results_filter import ResultsFilter
from qagen_desktop.ui.table.results_model import ResultsModel
from qagen_desktop.ui.table.sort_keys import sort_key

ASCENDING, DESCENDING = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder
SHIFT_CTRL = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
# Source order; by question (case-insensitively): apple, Banana, cherry, date, Elder.
WORDS = ("cherry", "Banana", "Elder", "apple", "date")
CHUNKS = ("The cherry text.", "The banana text.", "The elder text.", "The apple text.", "Date.")


def _pairs() -> list[QAPair]:
    return [
        QAPair(word, f"About {word}.", i, CHUNKS[i], document="fruit.txt")
        for i, word in enumerate(WORDS)
    ]


def _column(model: ResultsFilter | QTableView, column: int = QUESTION) -> list[str]:
    proxy = model.model() if isinstance(model, QTableView) else model
    return [proxy.index(row, column).data() for row in range(proxy.rowCount())]


def _expected(model: ResultsModel, proxy: ResultsFilter) -> list[int]:
    """The source rows the view should show, worked out afresh from the pairs."""
    pairs = model.pairs
    rows = [
        row
        for row, pair in enumerate(pairs)
        if proxy.shows_rejected() or pair.status is not PairStatus.REJECTED
    ]
    if proxy.sort_column() < 0:
        return rows
    key = sort_key(proxy.sort_column())
    filled = [row for row in rows if not key(pairs[row])[0]]
    empty = [row for row in rows if key(pairs[row])[0]]
    filled.sort(key=lambda row: key(pairs[row])[1], reverse=proxy.sort_order() == DESCENDING)
    return filled + empty


def _view_rows(proxy: ResultsFilter) -> list[int]:
    return [proxy.mapToSource(proxy.index(row, 0)).row() for row in range(proxy.rowCount())]


# The filter alone -----------------------------------------------------------------------------


def test_text_sorts_case_insensitively_and_the_source_order_comes_back() -> None:
    proxy = ResultsFilter(ResultsModel(_pairs()))
    proxy.sort(QUESTION, ASCENDING)
    assert _column(proxy) == ["apple", "Banana", "cherry", "date", "Elder"]
    proxy.sort(QUESTION, DESCENDING)
    assert _column(proxy) == ["Elder", "date", "cherry", "Banana", "apple"]
    proxy.sort(-1)
    assert _column(proxy) == list(WORDS)
    # The row numbers are the pairs' own, in any order.
    proxy.sort(QUESTION, ASCENDING)
    numbers = [proxy.headerData(row, Qt.Orientation.Vertical) for row in range(5)]
    assert numbers == ["4", "2", "1", "5", "3"]


def test_score_sorts_as_a_number_with_unscored_pairs_last_both_ways() -> None:
    pairs = [QAPair(f"Q{i}", "A") for i in range(5)]
    for pair, score in zip(pairs, (9, None, 10, 2, None), strict=True):
        pair.score = score
    proxy = ResultsFilter(ResultsModel(pairs))
    proxy.sort(SCORE, ASCENDING)
    assert _column(proxy, SCORE) == ["2", "9", "10", "", ""]
    proxy.sort(SCORE, DESCENDING)
    assert _column(proxy, SCORE) == ["10", "9", "2", "", ""]
    # Equal cells keep the source order, in either direction.
    assert _column(proxy)[3:] == ["Q1", "Q4"]


def test_empty_cells_sort_last_and_the_source_sorts_by_chunk_number() -> None:
    pairs = [QAPair(f"Q{i}", "A", chunk, f"Text {chunk}") for i, chunk in enumerate((10, 2, 9))]
    pairs.append(QAPair("Typed", "By hand"))  # no chunk, no source: an empty cell
    pairs[1].reason = "Grounded."
    proxy = ResultsFilter(ResultsModel(pairs))
    proxy.sort(SOURCE, ASCENDING)
    assert _column(proxy) == ["Q1", "Q2", "Q0", "Typed"]
    proxy.sort(SOURCE, DESCENDING)
    assert _column(proxy) == ["Q0", "Q2", "Q1", "Typed"]
    proxy.sort(REASON, DESCENDING)
    assert _column(proxy)[0] == "Q1"


def test_the_sorted_filter_stays_a_correct_model_through_every_change(
    qtmodeltester: ModelTester,
) -> None:
    model = ResultsModel(_pairs())
    proxy = ResultsFilter(model)
    qtmodeltester.check(proxy, force_py=True)
    proxy.sort(QUESTION, ASCENDING)
    model.append_pairs([QAPair("banana split", "x"), QAPair("Aardvark", "y")])
    assert _column(proxy)[:3] == ["Aardvark", "apple", "Banana"]
    model.insert_pairs(1, [QAPair("coconut", "z")])  # in the middle: later rows renumbered
    assert _view_rows(proxy) == _expected(model, proxy)
    model.set_text(0, QUESTION, "zucchini")  # was "cherry": the row moves to the end
    assert _column(proxy)[-1] == "zucchini"
    assert _view_rows(proxy) == _expected(model, proxy)
    model.remove_pairs(2, 3)
    assert _view_rows(proxy) == _expected(model, proxy)
    proxy.set_filter_text("an")
    assert _column(proxy) == ["banana split"]
    proxy.set_filter_text("")
    model.replace_all(_pairs())
    assert _column(proxy) == ["apple", "Banana", "cherry", "date", "Elder"]


def test_random_changes_keep_the_view_sorted_and_filtered_as_asked(
    qtmodeltester: ModelTester,
) -> None:
    chance = random.Random(13)
    model = ResultsModel([QAPair(f"Q{chance.randrange(50)}", "A") for _ in range(40)])
    proxy = ResultsFilter(model)
    qtmodeltester.check(proxy, force_py=True)
    for step in range(300):
        roll = chance.random()
        size = model.rowCount()
        if roll < 0.1:
            column = chance.choice((-1, QUESTION, ANSWER, SCORE, STATUS, REASON))
            proxy.sort(column, chance.choice((ASCENDING, DESCENDING)))
        elif roll < 0.15:
            proxy.set_show_rejected(not proxy.shows_rejected())
        elif roll < 0.35:
            new = [QAPair(f"Q{chance.randrange(50)}", "A") for _ in range(chance.randrange(1, 4))]
            model.insert_pairs(chance.randrange(size + 1), new)
        elif roll < 0.45 and size > 5:
            model.remove_pairs(chance.randrange(size - 3), chance.randrange(1, 4))
        elif roll < 0.65 and size:
            model.set_text(chance.randrange(size), QUESTION, f"Q{chance.randrange(50)}")
        elif size:
            row = chance.randrange(size)
            pair = QAPair(model.pairs[row].question, "A")
            pair.status = chance.choice(list(PairStatus))
            pair.score = chance.choice((None, 1, 5, 10))
            model.replace_rows([(row, pair)])
        assert _view_rows(proxy) == _expected(model, proxy), step


# The window --------------------------------------------------------------------------------


def _table(window: MainWindow) -> QTableView:
    table = window.findChild(QTableView, "resultsTable")
    assert isinstance(table, QTableView)
    return table


def _click_header(qtbot: QtBot, window: MainWindow, column: int) -> None:
    header = _table(window).horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2)
    )


def _open(window: MainWindow, path: Path, pairs: list[QAPair]) -> None:
    save_dataset(path, pairs, "qa", include_context=True, include_meta=True)
    assert window.controller.open_dataset(path)


def _select(window: MainWindow, questions: list[str]) -> None:
    table = _table(window)
    model, selection = table.model(), table.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in range(model.rowCount()):
        if model.index(row, QUESTION).data() in questions:
            selection.select(model.index(row, QUESTION), flags)
            selection.setCurrentIndex(model.index(row, QUESTION), flags)
    table.setFocus()


def _saved(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text("utf-8").splitlines()]


@OFFSCREEN_NOISE
def test_header_clicks_sort_up_then_down_then_back_to_the_source_order(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    _open(window, tmp_path / "fruit.jsonl", _pairs())
    table = _table(window)
    header: QHeaderView = table.horizontalHeader()
    assert header.sortIndicatorSection() == -1
    _click_header(qtbot, window, QUESTION)
    assert _column(table) == ["apple", "Banana", "cherry", "date", "Elder"]
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (QUESTION, ASCENDING)
    _click_header(qtbot, window, QUESTION)
    assert _column(table) == ["Elder", "date", "cherry", "Banana", "apple"]
    _click_header(qtbot, window, QUESTION)
    assert _column(table) == list(WORDS)
    assert header.sortIndicatorSection() == -1

    # View > Source order, from any sort, at once; it is offered only while sorted.
    menu = window.findChild(QMenu, "viewMenu")
    assert isinstance(menu, QMenu)
    source_order = next(a for a in menu.actions() if a.objectName() == "actionSourceOrder")
    assert not source_order.isEnabled()
    _click_header(qtbot, window, ANSWER)
    assert source_order.isEnabled()
    _click_header(qtbot, window, ANSWER)
    assert _column(table)[0] == "Elder"
    source_order.trigger()
    assert _column(table) == list(WORDS)
    assert header.sortIndicatorSection() == -1 and not source_order.isEnabled()


@OFFSCREEN_NOISE
def test_review_edits_and_save_speak_of_the_right_pairs_while_sorted(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "fruit.jsonl"
    _open(window, path, _pairs())
    table = _table(window)
    _click_header(qtbot, window, QUESTION)

    # A selected row shows its own passage; Reject rejects the pairs selected in this order.
    _select(window, ["apple"])
    passage = window.findChild(QPlainTextEdit, "passageText")
    assert isinstance(passage, QPlainTextEdit)
    assert passage.toPlainText() == "The apple text."
    _select(window, ["apple", "date"])
    qtbot.keyClick(table, Qt.Key.Key_R, SHIFT_CTRL)
    assert _column(table) == ["Banana", "cherry", "Elder"]
    assert [p.status for p in window.model.pairs].count(PairStatus.REJECTED) == 2
    assert window.model.pairs[3].status is PairStatus.REJECTED  # apple, source row 3

    # Shown again, the rejected rows take their sorted places; the filter keeps the sort.
    window.results_pane.showRejectedCheck.setChecked(True)
    assert _column(table) == ["apple", "Banana", "cherry", "date", "Elder"]
    window.results_pane.filterEdit.setText("e")
    window.results_pane.apply_filter()
    assert _column(table) == ["apple", "cherry", "date", "Elder"]
    window.results_pane.filterEdit.setText("")
    window.results_pane.apply_filter()

    # An edit moves its row to where the sort puts it, and the selection goes with it.
    _select(window, ["cherry"])
    cherry = table.model().index(2, QUESTION)
    table.model().setData(cherry, "avocado")
    assert _column(table) == ["apple", "avocado", "Banana", "date", "Elder"]
    assert window.results_pane.selected_rows() == [0]  # the source row of what was cherry
    assert table.currentIndex().row() == 1
    # Undo puts the text back, and the row back in its place.
    window.controller.action_undo.trigger()
    assert _column(table) == ["apple", "Banana", "cherry", "date", "Elder"]

    # Sorting changes the view only: Save writes the source order.
    window.results_pane.includeRejectedCheck.setChecked(True)
    assert window.controller.document.save()
    assert _saved(path) == list(WORDS)


@OFFSCREEN_NOISE
def test_rows_arriving_while_sorted_go_where_the_sort_puts_them(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    _open(window, tmp_path / "fruit.jsonl", _pairs())
    _click_header(qtbot, window, QUESTION)
    _click_header(qtbot, window, QUESTION)  # descending
    _select(window, ["cherry"])
    # A run appends its pairs to the source list; the view places each.
    window.model.append_pairs([QAPair("fig", "F."), QAPair("blueberry", "B.")])
    table = _table(window)
    assert _column(table) == ["fig", "Elder", "date", "cherry", "blueberry", "Banana", "apple"]
    assert window.results_pane.selected_rows() == [0]  # still cherry
    assert [p.question for p in window.model.pairs][-2:] == ["fig", "blueberry"]


@OFFSCREEN_NOISE
def test_deleting_selected_rows_while_sorted_deletes_those_pairs_and_undo_restores_them(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "fruit.jsonl"
    _open(window, path, _pairs())
    table = _table(window)
    _click_header(qtbot, window, QUESTION)
    _click_header(qtbot, window, QUESTION)  # descending: Elder, date, cherry, Banana, apple
    _select(window, ["Elder", "cherry", "apple"])  # source rows 2, 0 and 3
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert _column(table) == ["date", "Banana"]
    assert [pair.question for pair in window.model.pairs] == ["Banana", "date"]
    window.controller.action_undo.trigger()
    assert _column(table) == ["Elder", "date", "cherry", "Banana", "apple"]
    assert [pair.question for pair in window.model.pairs] == list(WORDS)
    assert window.controller.document.save()
    assert _saved(path) == list(WORDS)


def _many_pairs(count: int, chance: random.Random) -> list[QAPair]:
    pairs = []
    for number in range(count):
        pair = QAPair(f"Question {chance.randrange(10_000)} of {number}?", f"Answer {number}.")
        if number % 7 == 0:
            pair.status, pair.rejection = PairStatus.REJECTED, "echo"
        pair.score = chance.choice([None, *range(1, 11)])
        pairs.append(pair)
    return pairs


def test_a_delete_of_many_scattered_rows_redoes_the_view_once_and_undo_puts_it_back() -> None:
    from qagen_desktop.ui.table.edit_commands import RemoveRowsCommand

    chance = random.Random(3)
    model = ResultsModel(_many_pairs(2_000, chance))
    proxy = ResultsFilter(model)
    proxy.sort(SCORE, DESCENDING)
    ModelTester(None).check(proxy)  # type: ignore[arg-type]
    before = [model.pairs[row] for row in _view_rows(proxy)]
    doomed = chance.sample(range(len(model.pairs)), 300)
    gone = {id(model.pairs[row]) for row in doomed}
    signals: list[str] = []
    proxy.modelReset.connect(lambda: signals.append("reset"))
    proxy.rowsRemoved.connect(lambda *_: signals.append("removed"))
    proxy.rowsInserted.connect(lambda *_: signals.append("inserted"))
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _parent, first, last: removed.append((first, last)))

    delete = RemoveRowsCommand(model, doomed)
    delete.redo()
    assert signals == ["reset"]  # once, not a renumbering of every row per run
    assert len(model.pairs) == 1_700 and not any(id(pair) in gone for pair in model.pairs)
    assert len(removed) == len({*doomed}) - sum(  # the source still signals each run (journal)
        1 for row in doomed if row - 1 in doomed
    )
    assert _view_rows(proxy) == _expected(model, proxy)
    assert [model.pairs[row] for row in _view_rows(proxy)] == [
        pair for pair in before if id(pair) not in gone
    ]
    delete.undo()
    assert signals == ["reset", "reset"]
    assert [model.pairs[row] for row in _view_rows(proxy)] == before
    assert _view_rows(proxy) == _expected(model, proxy)


def test_a_batch_keeps_an_edited_row_the_filter_no_longer_matches() -> None:
    from qagen_desktop.ui.table.edit_commands import RemoveRowsCommand

    model = ResultsModel(_many_pairs(400, random.Random(5)))
    proxy = ResultsFilter(model)
    proxy.set_filter_text("question 1")
    shown = _view_rows(proxy)
    edited = shown[0]
    model.set_text(edited, QUESTION, "Reworded, without the filter's words?")
    assert edited in _view_rows(proxy)  # it stays until the filter changes
    others = [row for row in range(400) if row != edited][::3]
    RemoveRowsCommand(model, others).redo()
    assert "Reworded, without the filter's words?" in _column(proxy)
