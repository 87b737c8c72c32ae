"""A window killed mid-run gives back, at the next start, every pair it had received."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_server import FakeLLMServer
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, Dialogs

from qagen_desktop.core import paths
from qagen_desktop.core.datasets import save_dataset
from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.main_window import MainWindow

pytestmark = OFFSCREEN_NOISE
DRIVER = Path(__file__).with_name("ui_crash_driver.py")


@pytest.fixture
def slow_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(latency=0.25) as server:
        yield server


def start_window(qtbot: QtBot) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.controller.recovery.checked)
    return window


@pytest.mark.slow
def test_a_window_killed_mid_run_gives_every_received_pair_back(
    qtbot: QtBot, slow_server: FakeLLMServer, dialogs: Dialogs
) -> None:
    child = subprocess.Popen(
        [sys.executable, str(DRIVER), slow_server.url, "80"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        text=True,
    )
    shown: list[str] = []
    try:
        assert child.stdout is not None
        while len(shown) < 6:
            line = child.stdout.readline()
            assert line, "the window process ended before any pairs arrived"
            shown.extend(json.loads(line)["questions"])
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert len(list(paths.recovery_dir().glob("*.jsonl"))) == 1

    dialogs.answer = QMessageBox.StandardButton.Yes
    window = start_window(qtbot)

    restored = [pair.question for pair in window.model.pairs]
    assert restored[: len(shown)] == shown
    assert "unsaved pairs" in dialogs.texts("question")[0]
    assert window.isWindowModified()
    # The restored pairs are journalled again by this session: a second crash loses nothing.
    assert len(list(paths.recovery_dir().glob("*.jsonl"))) == 1
    dialogs.answer = QMessageBox.StandardButton.Discard
    window.close()
    assert not list(paths.recovery_dir().glob("*.jsonl"))


def test_edits_to_an_opened_dataset_come_back_on_top_of_the_file(
    qtbot: QtBot, dialogs: Dialogs, tmp_path: Path
) -> None:
    dataset = tmp_path / "base.jsonl"
    save_dataset(dataset, [QAPair(f"Q{i}?", f"A{i}.") for i in range(1000)])
    first = start_window(qtbot)
    first.controller.open_dataset(dataset)
    first.results_pane.proxy.setData(first.results_pane.proxy.index(3, 1), "Better.")
    first.results_pane.table.selectRow(0)
    first.controller.delete_rows()
    # Simulate the crash: the journal stays, the window goes without its close handling.
    first.controller.document.journal.close()
    first.controller.document.journal = type(first.controller.document.journal)()
    first.controller.document.dirty = False
    [journal] = paths.recovery_dir().glob("*.jsonl")
    assert journal.stat().st_size < 2000  # a reference to the file, not its 1,000 rows

    dialogs.answer = QMessageBox.StandardButton.Yes
    second = start_window(qtbot)
    assert second.model.rowCount() == 999
    assert second.model.pairs[2].answer == "Better."
    assert second.windowTitle().startswith("base.jsonl")


def test_declining_the_restore_discards_the_journal(qtbot: QtBot, dialogs: Dialogs) -> None:
    first = start_window(qtbot)
    first.model.append_pairs([QAPair("Lost?", "Yes.")])
    first.controller.document.journal.close()
    first.controller.document.journal = type(first.controller.document.journal)()
    first.controller.document.dirty = False

    dialogs.answer = QMessageBox.StandardButton.Discard
    second = start_window(qtbot)
    assert len(dialogs.texts("question")) == 1
    assert second.model.rowCount() == 0
    assert not list(paths.recovery_dir().glob("*.jsonl"))


def test_pairs_are_journalled_as_they_arrive_even_before_the_table_shows_them(
    qtbot: QtBot, dialogs: Dialogs
) -> None:
    from qagen_desktop.core.journal import read_journal, replay

    window = start_window(qtbot)
    controller = window.controller
    window.model.append_pairs([QAPair("Kept first?", "Yes."), QAPair("Deleted soon?", "Yes.")])
    arrived = [QAPair(f"Arrived {i}?", f"Answer {i}.", 0, "The chunk.") for i in range(3)]

    def journalled() -> list[str]:
        path = controller.document.journal.path
        assert path is not None
        return [p.question for p in replay(read_journal(path).records, lambda ref: [])]

    # What the run's progress hands the controller; the table refreshes on a timer after.
    controller.run._pairs_received(arrived)
    assert window.model.rowCount() == 2
    assert journalled() == [
        "Kept first?",
        "Deleted soon?",
        "Arrived 0?",
        "Arrived 1?",
        "Arrived 2?",
    ]

    # A deletion before the refresh: the journal and the table still agree afterwards.
    window.results_pane.table.selectRow(1)
    controller.delete_rows()
    qtbot.waitUntil(lambda: window.model.rowCount() == 4)
    assert journalled() == [pair.question for pair in window.model.pairs]
    assert journalled() == ["Kept first?", "Arrived 0?", "Arrived 1?", "Arrived 2?"]
    dialogs.answer = QMessageBox.StandardButton.Discard
    window.close()
