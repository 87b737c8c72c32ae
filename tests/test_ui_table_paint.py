"""What a run's refresh paints: the progress bar waits for the window's next paint, and the
results table repaints only the rows that an insert moved."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QProgressBar,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE

from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.table.results_filter import ResultsFilter
from qagen_desktop.ui.table.results_model import ResultsModel
from qagen_desktop.ui.table.table_view import PlainTextDelegate, ResultsTable
from qagen_desktop.ui.widgets import set_progress

pytestmark = OFFSCREEN_NOISE


class PaintCounter(QObject):
    """Counts the paint events a widget gets."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.paints = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def test_progress_is_shown_at_the_next_paint_without_painting_the_window_at_once(
    qtbot: QtBot,
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    bar, label = QProgressBar(), QLabel("0 tokens")
    layout = QVBoxLayout(window)
    layout.addWidget(bar)
    layout.addWidget(label)
    window.show()
    qtbot.waitExposed(window)
    set_progress(bar, 0, 50)
    qtbot.wait(50)
    bar_paints, label_paints = PaintCounter(bar), PaintCounter(label)

    label.setText("1,200 tokens")  # waits for the next paint, as the table's new rows do
    set_progress(bar, 7, 50)
    assert (bar_paints.paints, label_paints.paints) == (0, 0)
    assert (bar.value(), bar.maximum()) == (7, 50)

    qtbot.waitUntil(lambda: bar_paints.paints > 0 and label_paints.paints > 0)
    assert bar.text() == "14%"


class CountingDelegate(PlainTextDelegate):
    """Records the rows it paints."""

    def __init__(self, model: ResultsFilter, parent: QWidget) -> None:
        super().__init__(model, parent)
        self.rows: set[int] = set()

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        self.rows.add(index.row())
        super().paint(painter, option, index)


class CountedTable(ResultsTable):
    """Counts its layouts."""

    layouts = 0

    def doItemsLayout(self) -> None:
        super().doItemsLayout()
        self.layouts += 1


def _pairs(first: int, count: int) -> list[QAPair]:
    return [QAPair(f"Question {i}?", f"Answer {i}.") for i in range(first, first + count)]


def _table(qtbot: QtBot, rows: int) -> tuple[ResultsModel, CountedTable, CountingDelegate]:
    model = ResultsModel(_pairs(0, rows))
    table = CountedTable()
    qtbot.addWidget(table)
    proxy = ResultsFilter(model, table)
    table.setModel(proxy)
    delegate = CountingDelegate(proxy, table)
    table.setItemDelegate(delegate)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(24)
    table.resize(600, 24 * 12)
    table.show()
    qtbot.waitExposed(table)
    qtbot.waitUntil(lambda: bool(delegate.rows) and table.layouts > 0)
    return model, table, delegate


def _painted_after(
    qtbot: QtBot, table: CountedTable, delegate: CountingDelegate, change: Callable[[], None]
) -> set[int]:
    """The rows painted for ``change`` once the view has laid it out (apart from the first: a
    repaint of it is asked for after the layout, so every update the layout asked for has been
    painted once it has)."""
    layouts = table.layouts
    delegate.rows.clear()
    change()
    qtbot.waitUntil(lambda: table.layouts > layouts)
    table.update(table.model().index(0, 0))
    qtbot.waitUntil(lambda: 0 in delegate.rows)
    return delegate.rows - {0}


def test_rows_appended_below_the_visible_ones_repaint_none_of_them(qtbot: QtBot) -> None:
    model, table, delegate = _table(qtbot, 40)
    assert max(delegate.rows) < 39  # the table holds more rows than it shows
    bar = table.verticalScrollBar()
    before = bar.maximum()

    painted = _painted_after(qtbot, table, delegate, lambda: model.append_pairs(_pairs(40, 20)))

    assert painted == set()
    assert bar.maximum() > before  # laid out: the scroll bar reaches the new rows
    table.scrollToBottom()
    qtbot.waitUntil(lambda: 59 in delegate.rows)


def test_rows_appended_in_view_repaint_from_the_first_new_row_down(qtbot: QtBot) -> None:
    model, table, delegate = _table(qtbot, 3)

    painted = _painted_after(qtbot, table, delegate, lambda: model.append_pairs(_pairs(3, 4)))

    assert painted == {3, 4, 5, 6}


def test_rows_inserted_above_repaint_every_visible_row(qtbot: QtBot) -> None:
    model, table, delegate = _table(qtbot, 40)
    visible = set(delegate.rows)

    painted = _painted_after(qtbot, table, delegate, lambda: model.insert_pairs(0, _pairs(100, 2)))

    assert painted == visible - {0}
    assert table.model().index(0, 0).data() == "Question 100?"


def test_rows_removed_with_an_append_repaint_every_visible_row(qtbot: QtBot) -> None:
    model, table, delegate = _table(qtbot, 40)
    visible = set(delegate.rows)

    def change() -> None:
        model.remove_pairs(30, 5)  # below the visible rows, in the same layout as an append
        model.append_pairs(_pairs(200, 1))

    assert _painted_after(qtbot, table, delegate, change) == visible - {0}


def test_a_cell_line_is_elided_to_its_width_once_and_again_for_another_width_or_font(
    qtbot: QtBot,
) -> None:
    _model, table, delegate = _table(qtbot, 1)
    option = QStyleOptionViewItem()
    option.initFrom(table)
    metrics = option.fontMetrics
    answer = "The lens has 1,032 pieces of glass and was made in France. " * 8

    narrow = delegate.line_for(answer, 200, option)
    assert narrow.text().endswith("…")
    assert metrics.horizontalAdvance(narrow.text()) <= 200
    assert delegate.line_for(answer, 200, option) is narrow  # laid out once, drawn again
    wide = delegate.line_for(answer, 400, option)
    assert wide.text().endswith("…") and len(wide.text()) > len(narrow.text())
    assert delegate.line_for("Short answer.", 200, option).text() == "Short answer."

    bigger = QFont(option.font)
    bigger.setPointSizeF(option.font.pointSizeF() * 2)
    option.font = bigger
    option.fontMetrics = QFontMetrics(bigger)
    larger = delegate.line_for(answer, 200, option)
    assert larger is not narrow and len(larger.text()) < len(narrow.text())
    assert option.fontMetrics.horizontalAdvance(larger.text()) <= 200
