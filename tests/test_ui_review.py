"""Review in the window, driven offscreen: score and status columns, the "Show rejected" toggle
and its counts, accepting and rejecting rows (keys, buttons, undo) and what Save then writes,
the status through a save and a re-open, and judging and regenerating rows on a worker."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fake_server import FakeLLMServer
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton, QTableView
from pytestqt.qtbot import QtBot
from shiboken6 import isValid
from test_ui_generate import LONG_TEXT, set_up_run, wait_until_idle
from ui_support import OFFSCREEN_NOISE

from qagen_desktop.core.datasets import load_dataset, save_dataset
from qagen_desktop.core.journal import read_journal, replay
from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.ui.main_window import MainWindow
from qagen_desktop.ui.table.results_model import (
    ANSWER,
    HEADERS,
    QUESTION,
    REASON,
    SCORE,
    STATUS,
)

pytestmark = OFFSCREEN_NOISE
CHUNKS = ("The Rhine rises in the Swiss Alps.", "The Danube flows into the Black Sea.")
SHIFT_CTRL = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _pairs(n: int) -> list[QAPair]:
    return [
        QAPair(f"Question {i}?", f"Answer {i}.", i % 2, CHUNKS[i % 2], document="rivers.txt")
        for i in range(n)
    ]


def _table(window: MainWindow) -> QTableView:
    table = window.findChild(QTableView, "resultsTable")
    assert isinstance(table, QTableView)
    return table


def _shown(window: MainWindow, column: int = QUESTION) -> list[str]:
    model = _table(window).model()
    return [model.index(row, column).data() for row in range(model.rowCount())]


def _select(window: MainWindow, questions: list[str]) -> None:
    """Select the shown rows holding these questions, and give the table the focus."""
    table = _table(window)
    model, selection = table.model(), table.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in range(model.rowCount()):
        if model.index(row, QUESTION).data() in questions:
            selection.select(model.index(row, QUESTION), flags)
            selection.setCurrentIndex(model.index(row, QUESTION), flags)
    table.setFocus()


def _counts(window: MainWindow) -> str:
    label = window.findChild(QLabel, "reviewCountsLabel")
    assert isinstance(label, QLabel)
    return label.text()


def _check(window: MainWindow, name: str) -> QCheckBox:
    box = window.findChild(QCheckBox, name)
    assert isinstance(box, QCheckBox), name
    return box


def _open(window: MainWindow, path: Path, pairs: list[QAPair], **options: Any) -> None:
    save_dataset(path, pairs, "qa", include_context=True, **options)
    assert window.controller.open_dataset(path)


def _saved_questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text("utf-8").splitlines()]


def test_a_run_shows_score_and_status_columns_and_counts(
    qtbot: QtBot, window: MainWindow, llm_server: FakeLLMServer
) -> None:
    llm_server.mix_bad = True
    set_up_run(qtbot, window, llm_server.chat_url, LONG_TEXT, 8)
    qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)
    wait_until_idle(qtbot, window)
    model = _table(window).model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == list(HEADERS)
    assert "Score" in headers and "Status" in headers
    assert model.rowCount() >= 8
    # The table shows accepted pairs only; whatever the checks rejected waits behind the toggle.
    assert set(_shown(window, STATUS)) == {"Accepted"}
    source = window.model
    rejected = source.count(PairStatus.REJECTED)
    assert _counts(window) == f"{model.rowCount():,} accepted · {rejected:,} rejected"
    assert _check(window, "showRejectedCheck").text() == f"Show rejected ({rejected:,})"
    _check(window, "showRejectedCheck").setChecked(True)
    assert model.rowCount() == source.rowCount()


def test_rejecting_and_accepting_with_undo_changes_what_save_writes(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "rivers.jsonl"
    _open(window, path, _pairs(5))
    table = _table(window)
    assert _counts(window) == "5 accepted · 0 rejected"

    _select(window, ["Question 1?", "Question 3?"])
    qtbot.keyClick(table, Qt.Key.Key_R, SHIFT_CTRL)
    # Rejected rows leave the table at once; the counts and the toggle say where they went.
    assert _shown(window) == ["Question 0?", "Question 2?", "Question 4?"]
    assert _counts(window) == "3 accepted · 2 rejected"
    assert _check(window, "showRejectedCheck").text() == "Show rejected (2)"
    assert window.controller.document.save()
    assert _saved_questions(path) == ["Question 0?", "Question 2?", "Question 4?"]

    # Ctrl+Z takes both back in one step: the next save writes them again.
    qtbot.keyClick(table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _counts(window) == "5 accepted · 0 rejected"
    assert window.controller.document.save()
    assert len(_saved_questions(path)) == 5

    # The Reject button, then "Show rejected" and the Accept key bring one back.
    _select(window, ["Question 4?"])
    qtbot.mouseClick(window.findChild(QPushButton, "rejectButton"), Qt.MouseButton.LeftButton)
    assert "Question 4?" not in _shown(window)
    _check(window, "showRejectedCheck").setChecked(True)
    assert _shown(window)[4] == "Question 4?"
    assert _shown(window, STATUS)[4] == "Rejected"
    assert _shown(window, REASON)[4] == "Rejected by hand"
    _select(window, ["Question 4?"])
    qtbot.keyClick(table, Qt.Key.Key_A, SHIFT_CTRL)
    assert _shown(window, STATUS)[4] == "Accepted"
    assert window.controller.document.save()
    assert len(_saved_questions(path)) == 5

    # "Include rejected pairs" writes them too.
    _select(window, ["Question 0?"])
    qtbot.keyClick(table, Qt.Key.Key_R, SHIFT_CTRL)
    _check(window, "includeRejectedCheck").setChecked(True)
    assert window.controller.document.save()
    assert len(_saved_questions(path)) == 5


def test_status_survives_a_save_with_metadata_and_a_reopen(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "rivers.jsonl"
    pairs = _pairs(4)
    pairs[2].score, pairs[2].reason = 9, "Grounded in the text."
    _open(window, path, pairs, include_meta=True)
    _select(window, ["Question 1?"])
    qtbot.keyClick(_table(window), Qt.Key.Key_R, SHIFT_CTRL)
    _check(window, "includeMetaCheck").setChecked(True)
    _check(window, "includeRejectedCheck").setChecked(True)
    assert window.controller.document.save()

    loaded = load_dataset(path)
    assert [p.status for p in loaded.pairs] == [
        PairStatus.ACCEPTED,
        PairStatus.REJECTED,
        PairStatus.ACCEPTED,
        PairStatus.ACCEPTED,
    ]
    assert loaded.pairs[1].rejection == "by_hand"

    window.controller.document.replace([], base=None, path=None)
    _check(window, "includeMetaCheck").setChecked(False)
    _check(window, "includeRejectedCheck").setChecked(False)
    assert window.controller.open_dataset(path)
    # Opened as saved: the rejected row hidden until the toggle, the options as the file had them.
    assert _shown(window) == ["Question 0?", "Question 2?", "Question 3?"]
    assert _shown(window, SCORE) == ["", "9", ""]
    assert _counts(window) == "3 accepted · 1 rejected"
    assert _check(window, "includeMetaCheck").isChecked()
    assert _check(window, "includeRejectedCheck").isChecked()
    _check(window, "showRejectedCheck").setChecked(True)
    assert _shown(window, STATUS) == ["Accepted", "Rejected", "Accepted", "Accepted"]


def test_editing_a_cell_marks_the_pair_edited_and_undo_restores_its_verdict(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    pairs = _pairs(3)
    pairs[1].status, pairs[1].rejection = PairStatus.REJECTED, "unsupported"
    _open(window, tmp_path / "rivers.jsonl", pairs, include_meta=True)
    _check(window, "showRejectedCheck").setChecked(True)
    model = _table(window).model()
    assert model.index(1, REASON).data() == "The answer is not in the source text"
    assert model.setData(model.index(1, ANSWER), "The Rhine rises in the Alps.")
    assert model.index(1, STATUS).data() == "Edited"
    assert model.index(1, REASON).data() == ""
    assert _counts(window) == "3 accepted (1 edited) · 0 rejected"
    window.controller.document.undo_stack.undo()
    assert model.index(1, STATUS).data() == "Rejected"
    assert model.index(1, ANSWER).data() == "Answer 1."


def test_review_changes_are_journaled_and_replay_with_their_status(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "rivers.jsonl"
    _open(window, path, _pairs(3), include_meta=True)
    _select(window, ["Question 0?", "Question 2?"])
    qtbot.keyClick(_table(window), Qt.Key.Key_R, SHIFT_CTRL)
    model = _table(window).model()
    assert model.setData(model.index(0, QUESTION), "Where does the Rhine rise?")
    journal = window.controller.document.journal.path
    assert journal is not None
    records = read_journal(journal).records
    assert {record["op"] for record in records} >= {"base", "replace"}
    restored = replay(records, lambda ref: load_dataset(ref.path).pairs)
    assert [p.status for p in restored] == [
        PairStatus.REJECTED,
        PairStatus.EDITED,
        PairStatus.REJECTED,
    ]
    assert restored[1].question == "Where does the Rhine rise?"
    assert restored[0].rejection == "by_hand"
    assert restored[0].document == "rivers.txt"


def test_a_delete_of_many_scattered_rows_is_journaled_and_undone_whole(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "rivers.jsonl"
    _open(window, path, _pairs(400), include_meta=True)
    document = window.controller.document
    doomed = list(range(1, 400, 3))  # 133 runs: one batch for the table
    document.remove_rows(doomed)
    journal = document.journal.path
    assert journal is not None
    restored = replay(read_journal(journal).records, lambda ref: load_dataset(ref.path).pairs)
    kept = [f"Question {i}?" for i in range(400) if i not in doomed]
    assert [p.question for p in restored] == [p.question for p in window.model.pairs] == kept
    assert _shown(window) == kept
    document.undo_stack.undo()
    # The table keeps its place through the batch and its undo.
    bar = _table(window).verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    place = bar.value()
    assert place > 0
    document.remove_rows([row for row in range(400) if row % 5 == 1])
    assert bar.value() == min(place, bar.maximum()) > 0
    document.undo_stack.undo()
    assert bar.value() == place
    assert _shown(window) == [f"Question {i}?" for i in range(400)]
    restored = replay(read_journal(journal).records, lambda ref: load_dataset(ref.path).pairs)
    assert [p.question for p in restored] == [f"Question {i}?" for i in range(400)]


# Judge and regenerate through a stand-in engine ---------------------------------------------


@dataclass
class _Outcome:
    rated: list[QAPair] = field(default_factory=list)
    rejected: list[QAPair] = field(default_factory=list)
    unjudged: list[QAPair] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cancelled: bool = False


@dataclass
class _Result:
    pairs: list[QAPair]
    fatal: str | None = None
    failed: list[Any] = field(default_factory=list)


class _Engine:
    """Stands in for ``Generator`` with the signatures of its review methods: it scores the
    pairs whose question names an even number 9 and the others 3 (rejected), and regenerates
    each pair as a new one from its own chunk. Records the thread it ran on."""

    threads: ClassVar[list[threading.Thread]] = []
    given: ClassVar[list[list[QAPair]]] = []

    def __init__(self, config: Any) -> None:
        self.config = config

    def judge_pairs(self, pairs: list[QAPair], *, progress: Any = None) -> _Outcome:
        _Engine.threads.append(threading.current_thread())
        _Engine.given.append(list(pairs))
        outcome = _Outcome()
        for done, pair in enumerate(pairs, start=1):
            if progress is not None:
                progress(done, len(pairs))
            even = int(pair.question.split()[1].rstrip("?")) % 2 == 0
            pair.score, pair.reason = (9, "Grounded.") if even else (3, "Off the point.")
            outcome.rated.append(pair)
            if not even:
                pair.status, pair.rejection = PairStatus.REJECTED, "low_score"
                outcome.rejected.append(pair)
        return outcome

    def regenerate(self, pairs: list[QAPair], *, others: Sequence[QAPair] = ()) -> _Result:
        _Engine.threads.append(threading.current_thread())
        return _Result(
            [
                QAPair(f"New {p.question}", f"New {p.answer}", p.chunk, p.source, p.document)
                for p in pairs
            ]
        )

    def cancel(self) -> None:
        return None


@pytest.fixture
def engine(window: MainWindow) -> type[_Engine]:
    _Engine.threads, _Engine.given = [], []
    review = window.controller.review
    assert review is not None
    review.generator_factory = _Engine
    return _Engine


def test_judging_selected_rows_runs_off_the_gui_thread_and_undo_takes_it_back(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, engine: type[_Engine]
) -> None:
    _open(window, tmp_path / "rivers.jsonl", _pairs(4))
    review = window.controller.review
    assert review is not None
    _select(window, ["Question 0?", "Question 1?"])
    with qtbot.waitSignal(review.finishedJob, timeout=20000):
        qtbot.mouseClick(window.findChild(QPushButton, "judgeButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not review.running)
    assert engine.threads and engine.threads[0] is not threading.main_thread()
    # The engine had copies: the table's pairs changed only through the command.
    _check(window, "showRejectedCheck").setChecked(True)
    assert _shown(window, SCORE)[:2] == ["9", "3"]
    assert _shown(window, STATUS)[:2] == ["Accepted", "Rejected"]
    assert "Off the point" in _shown(window, REASON)[1]
    window.controller.document.undo_stack.undo()
    assert _shown(window, SCORE)[:2] == ["", ""]
    assert _shown(window, STATUS)[:2] == ["Accepted", "Accepted"]


def test_judge_all_rates_every_pair_that_would_be_saved(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, engine: type[_Engine]
) -> None:
    pairs = _pairs(5)
    pairs[4].status = PairStatus.REJECTED
    _open(window, tmp_path / "rivers.jsonl", pairs, include_meta=True)
    review = window.controller.review
    assert review is not None
    with qtbot.waitSignal(review.finishedJob, timeout=20000):
        window.actionJudgeAll.trigger()
    qtbot.waitUntil(lambda: not review.running)
    assert [p.question for p in engine.given[0]] == [f"Question {i}?" for i in range(4)]
    assert _counts(window) == "2 accepted · 3 rejected"
    # The judge pass moved the progress bar, in pairs.
    bar = window.progressBar
    assert (bar.value(), bar.maximum(), bar.text()) == (4, 4, "4 of 4 pairs judged")


def test_regenerating_selected_rows_puts_new_pairs_in_their_place(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, engine: type[_Engine]
) -> None:
    _open(window, tmp_path / "rivers.jsonl", _pairs(3))
    review = window.controller.review
    assert review is not None
    _select(window, ["Question 1?"])
    with qtbot.waitSignal(review.finishedJob, timeout=20000):
        qtbot.keyClick(_table(window), Qt.Key.Key_G, SHIFT_CTRL)
    qtbot.waitUntil(lambda: not review.running)
    assert _shown(window) == ["Question 0?", "New Question 1?", "Question 2?"]
    assert window.model.pairs[1].source == CHUNKS[1]
    window.controller.document.undo_stack.undo()
    assert _shown(window) == ["Question 0?", "Question 1?", "Question 2?"]


def test_pairs_without_a_source_chunk_are_not_sent_to_regenerate(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, engine: type[_Engine]
) -> None:
    path = tmp_path / "plain.jsonl"
    save_dataset(path, [QAPair("Typed?", "By hand.")])
    assert window.controller.open_dataset(path)
    _select(window, ["Typed?"])
    window.actionRegenerate.trigger()
    review = window.controller.review
    assert review is not None
    assert not review.running and not engine.threads
    assert "no source chunk" in window.statusBar().currentMessage()


class _SlowEngine(_Engine):
    """Judges nothing until cancelled: a judge pass still going when the window closes."""

    started = threading.Event()

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._stop = threading.Event()

    def judge_pairs(self, pairs: list[QAPair], *, progress: Any = None) -> _Outcome:
        _SlowEngine.started.set()
        self._stop.wait()
        return _Outcome(unjudged=list(pairs), cancelled=True)

    def cancel(self) -> None:
        self._stop.set()


def test_closing_the_window_stops_a_judge_pass_and_waits_for_its_thread(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    _open(window, tmp_path / "rivers.jsonl", _pairs(3))
    review = window.controller.review
    assert review is not None
    review.generator_factory = _SlowEngine
    _SlowEngine.started.clear()
    _select(window, ["Question 0?"])
    window.actionJudge.trigger()
    qtbot.waitUntil(_SlowEngine.started.is_set)
    assert review.running and not window.actionJudge.isEnabled()
    # Esc stops it first; a second pass is then stopped by the close, which waits for it.
    qtbot.keyClick(_table(window), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not review.running)
    assert window.actionJudge.isEnabled()
    _SlowEngine.started.clear()
    window.actionJudge.trigger()
    qtbot.waitUntil(_SlowEngine.started.is_set)
    thread = review._thread
    assert thread is not None
    assert window.close()
    # Waited for (a thread destroyed while running aborts the process); it may be deleted by now.
    assert not isValid(thread) or thread.isFinished()


# Judge and regenerate through the real engine, against the loopback server ------------------


def _engine_reviews() -> bool:
    from qagen_desktop.core.generation import Generator

    return hasattr(Generator, "judge_pairs") and hasattr(Generator, "regenerate")


# The engine's judge_pairs/regenerate come with the core's judge pass (branch quality-run);
# where they are missing the test is skipped, except on CI, where it must run.
needs_engine_review = pytest.mark.skipif(
    not _engine_reviews() and os.environ.get("CI") != "true",
    reason="the engine has no Generator.judge_pairs / Generator.regenerate yet",
)


@needs_engine_review
def test_the_engine_judges_and_regenerates_selected_rows_from_the_window(
    qtbot: QtBot, window: MainWindow, llm_server: FakeLLMServer
) -> None:
    from fake_pairs import PairKind

    llm_server.mix_bad = True
    set_up_run(qtbot, window, llm_server.chat_url, LONG_TEXT, 8)
    qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)
    wait_until_idle(qtbot, window)
    review = window.controller.review
    assert review is not None
    _table(window).selectAll()  # the rows shown: the accepted pairs
    judged = sum(pair.status is not PairStatus.REJECTED for pair in window.model.pairs)
    with qtbot.waitSignal(review.finishedJob, timeout=30000):
        window.actionJudge.trigger()
    qtbot.waitUntil(lambda: not review.running)
    assert llm_server.requests[-1].is_judge
    assert window.progressBar.text() == f"{judged} of {judged} pairs judged"
    # What the table still shows was scored at least 7, and the server meant it as a good pair.
    scores = _shown(window, SCORE)
    assert scores and all(score and int(score) >= 7 for score in scores)
    kinds = {
        llm_server.pair_kinds.get((p.question, p.answer))
        for p in window.model.pairs
        if p.status is not PairStatus.REJECTED
    }
    assert kinds == {PairKind.GOOD}
    window.controller.document.undo_stack.undo()
    assert set(_shown(window, SCORE)) == {""}

    first = window.model.pairs[0]
    _select(window, [first.question])
    with qtbot.waitSignal(review.finishedJob, timeout=30000):
        window.actionRegenerate.trigger()
    qtbot.waitUntil(lambda: not review.running)
    new = window.model.pairs[0]
    assert new.question != first.question
    assert (new.chunk, new.source) == (first.chunk, first.source)
    window.controller.document.undo_stack.undo()
    assert window.model.pairs[0] is first
