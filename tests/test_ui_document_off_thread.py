"""Opening and saving run off the GUI thread; the document stays right about what is saved."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot
from test_ui_controllers import ScriptedDialogs, _pairs, journal_dir, make_document

from qagen_desktop.core import journal as journals
from qagen_desktop.core.datasets import load_dataset, save_dataset
from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.controllers import dataset_jobs
from qagen_desktop.ui.controllers import document as document_module

__all__ = ["journal_dir"]  # the fixture, shared with the controller tests

GIVE_UP_S = 10.0  # the held file job stops waiting for the test after this


class HeldJob:
    """Wraps a dataset job so that it waits, on its worker thread, until the test lets it go."""

    def __init__(self, job: Any) -> None:
        self._job = job
        self.release = threading.Event()
        self.released_in_time: list[bool] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.released_in_time.append(self.release.wait(GIVE_UP_S))
        return self._job(*args, **kwargs)


def test_a_pair_added_while_saving_stays_unsaved_and_journaled_onto_the_new_file(
    qtbot: QtBot, journal_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.jsonl"
    document = make_document(qtbot, journal_dir, ScriptedDialogs())
    document.insert_rows(0, _pairs(3))
    held = HeldJob(dataset_jobs.write_dataset)
    monkeypatch.setattr(document_module, "write_dataset", held)

    def add_while_saving() -> None:  # runs on the GUI thread while the save waits
        document.insert_rows(3, [QAPair("Added during the save?", "Yes.")])
        held.release.set()

    QTimer.singleShot(50, add_while_saving)
    assert document.write(target)

    assert held.released_in_time == [True], "the GUI thread was not free during the save"
    assert len(load_dataset(target).pairs) == 3  # what was there when the save began
    assert document.dirty, "the added pair is not in the file: still unsaved"
    assert document.current_path == target
    # After a crash, the journal rebuilds the table from the new file, the added pair included.
    session = journals.read_journal(document.journal.path)  # type: ignore[arg-type]
    replayed = journals.replay(session.records, lambda ref: load_dataset(ref.path).pairs)
    assert [pair.question for pair in replayed] == [pair.question for pair in document.model.pairs]


def test_a_save_with_no_change_meanwhile_marks_everything_saved(
    qtbot: QtBot, journal_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = make_document(qtbot, journal_dir, ScriptedDialogs())
    document.insert_rows(0, _pairs(3))
    held = HeldJob(dataset_jobs.write_dataset)
    monkeypatch.setattr(document_module, "write_dataset", held)
    QTimer.singleShot(50, held.release.set)

    assert document.write(tmp_path / "out.jsonl")

    assert held.released_in_time == [True]
    assert not document.dirty and document.journal.path is None


def test_a_second_save_or_open_while_one_runs_is_refused_plainly(
    qtbot: QtBot, journal_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other.jsonl"
    save_dataset(other, _pairs(1))
    dialogs = ScriptedDialogs(open_path=str(other))
    document = make_document(qtbot, journal_dir, dialogs)
    document.insert_rows(0, _pairs(2))
    held = HeldJob(dataset_jobs.write_dataset)
    monkeypatch.setattr(document_module, "write_dataset", held)
    during: list[tuple[bool, bool]] = []
    messages: list[str] = []
    document.status.connect(messages.append)

    def try_again() -> None:
        during.append((document.write(tmp_path / "second.jsonl"), document.open_dataset()))
        held.release.set()

    QTimer.singleShot(50, try_again)
    assert document.write(tmp_path / "first.jsonl")

    assert during == [(False, False)]
    assert document_module.BUSY_MESSAGE in messages
    assert not (tmp_path / "second.jsonl").exists()
    assert document.model.rowCount() == 2 and document.current_path == tmp_path / "first.jsonl"


def test_opening_reads_the_file_off_the_gui_thread(
    qtbot: QtBot, journal_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "in.jsonl"
    save_dataset(source, _pairs(5))
    document = make_document(qtbot, journal_dir, ScriptedDialogs(open_path=str(source)))
    held = HeldJob(dataset_jobs.read_dataset)
    monkeypatch.setattr(document_module, "read_dataset", held)
    QTimer.singleShot(50, held.release.set)

    assert document.open_dataset()

    assert held.released_in_time == [True]
    assert document.model.rowCount() == 5 and not document.dirty
