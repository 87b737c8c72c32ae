"""The results table's column widths follow the content: an empty Why, Source, Score or Status
column takes only its header's width, a filled one what its cells need (up to a cap), and the
answer stretches into the rest, keeping a usable width in a 1024-pixel window."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE

from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.ui.main_window import MainWindow
from qagen_desktop.ui.table.cells import ANSWER, QUESTION, REASON, SCORE, SOURCE, STATUS

pytestmark = OFFSCREEN_NOISE
REASON_TEXT = "Grounded in the passage, and the answer is complete and well formed."


def _typed(count: int) -> list[QAPair]:
    """Pairs typed by hand: no source chunk, no score, no reason."""
    return [QAPair(f"Question {i}?", f"Answer {i}.") for i in range(count)]


def _judged(count: int) -> list[QAPair]:
    pairs = []
    for i in range(count):
        pair = QAPair(f"Question {i}?", f"Answer {i}.", i, f"Chunk {i}: the Rhine and the Alps.")
        pair.score, pair.reason = 8, REASON_TEXT
        pairs.append(pair)
    pairs[1].status, pairs[1].rejection, pairs[1].score = PairStatus.REJECTED, "low_score", 2
    return pairs


def _widths(qtbot: QtBot, window: MainWindow, pairs: list[QAPair]) -> list[int]:
    window.model.replace_all(pairs)
    window.results_pane.showRejectedCheck.setChecked(True)
    table = window.results_pane.table
    before = [table.columnWidth(column) for column in range(6)]
    # The columns fit once the rows have come (after a short pause, as a run's batches do).
    qtbot.waitUntil(lambda: [table.columnWidth(c) for c in range(6)] != before, timeout=3000)
    return [table.columnWidth(column) for column in range(6)]


def test_empty_columns_take_their_headers_width_and_the_answer_the_rest(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.resize(1024, 700)
    table = window.results_pane.table
    header = table.horizontalHeader()
    typed = _widths(qtbot, window, _typed(20))
    title = header.fontMetrics().horizontalAdvance
    # Empty: no wider than the header needs (its text, margins and a sort arrow).
    for column, name in ((REASON, "Why"), (SCORE, "Score"), (SOURCE, "Source chunk")):
        assert typed[column] <= max(header.minimumSectionSize(), title(name) + 40), name
    assert typed[REASON] < 100
    # The columns fill the table exactly: the answer stretches into what the others leave.
    assert sum(typed) == table.viewport().width()
    assert typed[ANSWER] >= 200
    assert typed[ANSWER] >= typed[QUESTION]

    judged = _widths(qtbot, window, _judged(20))
    # Filled, the why column takes room for its reasons (up to its cap), the status column
    # room for "Rejected", and the answer still keeps a usable width.
    assert judged[REASON] > typed[REASON]
    assert judged[STATUS] >= table.fontMetrics().horizontalAdvance("Rejected") + 8
    assert judged[ANSWER] >= 150
    assert sum(judged) == table.viewport().width()


def test_a_column_the_user_resized_keeps_its_width(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(1280, 800)
    header = window.results_pane.table.horizontalHeader()
    header.resizeSection(REASON, 123)  # as a drag of its edge does
    widths = _widths(qtbot, window, _judged(10))
    assert widths[REASON] == 123
    assert widths[SOURCE] > 60  # the others still fit their content
