"""The document, key and recovery controllers, driven without a window.

Each gets a real ResultsModel, QUndoStack and journal in a temporary folder, and a scripted
stand-in for the questions the window would ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from memory_keyring import MemoryKeyring
from PySide6.QtGui import QUndoStack
from pytestqt.qtbot import QtBot

from qagen_desktop.core.datasets import load_dataset, save_dataset
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.journal import FileRef, Journal, RecoveredSession, find_orphans
from qagen_desktop.core.keystore import KeyStore
from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.controllers.document import DocumentController, ExportOptions, Unsaved
from qagen_desktop.ui.controllers.keys import KeyController
from qagen_desktop.ui.controllers.recovery import RecoveryController
from qagen_desktop.ui.table.results_model import ANSWER, ResultsModel


def _pairs(n: int) -> list[QAPair]:
    return [QAPair(f"Question {i}?", f"Answer {i}.") for i in range(n)]


@dataclass
class ScriptedDialogs:
    """Answers the document's and recovery's questions as a test sets them; records each."""

    open_path: str | None = None
    save_path: str | None = None
    unsaved: Unsaved = Unsaved.DISCARD
    confirm_answer: bool = True
    restore: bool | None = True
    asked: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def ask_open_path(self, title: str, filters: str) -> str | None:
        self.asked.append("open_path")
        return self.open_path

    def ask_save_path(self, suggested: str) -> str | None:
        self.asked.append("save_path")
        return self.save_path

    def ask_unsaved(self, count: int) -> Unsaved:
        self.asked.append(f"unsaved {count}")
        return self.unsaved

    def confirm(self, title: str, text: str) -> bool:
        self.asked.append(f"confirm {text}")
        return self.confirm_answer

    def warn(self, title: str, text: str) -> None:
        self.warnings.append(text)

    def ask_restore(self, session: RecoveredSession, pairs: list[QAPair]) -> bool | None:
        self.asked.append(f"restore {len(pairs)}")
        return self.restore

    def ask_restore_changed(
        self, session: RecoveredSession, changed: FileRef, pairs: list[QAPair]
    ) -> bool | None:
        self.asked.append(f"restore changed {len(pairs)}")
        return self.restore


@dataclass
class Export:
    """What the results pane would say about the export, as a test sets it."""

    selected_rows: list[int] | None = None

    def __call__(self) -> ExportOptions:
        return ExportOptions("qa", False, "", self.selected_rows)


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    return tmp_path / "recovery"


def make_document(
    qtbot: QtBot, journal_dir: Path, dialogs: ScriptedDialogs, export: Export | None = None
) -> DocumentController:
    return DocumentController(
        ResultsModel(),
        QUndoStack(),
        dialogs,
        export or Export(),
        journal_factory=lambda: Journal(journal_dir),
    )


def test_an_edit_is_undoable_journaled_and_marks_the_document_unsaved(
    qtbot: QtBot, journal_dir: Path
) -> None:
    document = make_document(qtbot, journal_dir, ScriptedDialogs())
    document.insert_rows(0, _pairs(3))
    document.model.setData(document.model.index(1, ANSWER), "Changed.")

    assert document.dirty
    assert document.model.pairs[1].answer == "Changed."
    assert document.journal.path is not None and document.journal.path.exists()
    document.undo_stack.undo()
    assert document.model.pairs[1].answer == "Answer 1."


def test_saving_writes_every_pair_clears_unsaved_and_removes_the_journal(
    qtbot: QtBot, journal_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.jsonl"
    dialogs = ScriptedDialogs(save_path=str(target))
    document = make_document(qtbot, journal_dir, dialogs)
    document.insert_rows(0, _pairs(4))
    journal_file = document.journal.path

    assert document.save()

    assert [p.question for p in load_dataset(target).pairs] == [p.question for p in _pairs(4)]
    assert not document.dirty and document.current_path == target
    assert journal_file is not None and not journal_file.exists()


def test_a_failed_save_keeps_the_pairs_unsaved_and_journaled(
    qtbot: QtBot, journal_dir: Path, tmp_path: Path
) -> None:
    dialogs = ScriptedDialogs(save_path=str(tmp_path / "missing-folder" / "out.jsonl"))
    document = make_document(qtbot, journal_dir, dialogs)
    document.insert_rows(0, _pairs(2))

    assert not document.save()

    assert document.dirty and dialogs.warnings
    assert document.journal.path is not None and document.journal.path.exists()


def test_opening_a_dataset_shows_its_pairs_as_saved(
    qtbot: QtBot, journal_dir: Path, tmp_path: Path
) -> None:
    dataset = tmp_path / "in.jsonl"
    save_dataset(dataset, _pairs(3))
    document = make_document(qtbot, journal_dir, ScriptedDialogs(open_path=str(dataset)))

    assert document.open_dataset()

    assert document.model.rowCount() == 3 and not document.dirty
    assert document.current_path == dataset


def test_the_key_saved_for_the_endpoint_is_shown_and_a_typed_key_is_saved(qtbot: QtBot) -> None:
    backend = MemoryKeyring()
    url = "http://127.0.0.1:9/v1"
    store = KeyStore(backend)
    store.set(Endpoint(url=url).key_id(), "sk-saved")
    field_ = KeyFieldStandIn(url)
    keys = KeyController(field_, keystore=store)

    keys.load_key()
    qtbot.waitUntil(lambda: field_.key == "sk-saved")
    field_.key = "sk-new"
    assert keys.commit_key() == "sk-new"
    keys.wait_for_threads()
    assert store.get(Endpoint(url=url).key_id()) == "sk-new"


def test_a_key_from_the_environment_is_used_but_not_saved(qtbot: QtBot) -> None:
    backend = MemoryKeyring()
    field_ = KeyFieldStandIn("http://127.0.0.1:9/v1")
    keys = KeyController(field_, keystore=KeyStore(backend), env_key="sk-env")

    keys.load_key()
    assert keys.commit_key() == "sk-env"
    keys.wait_for_threads()
    assert backend.saved == {}


def test_recovery_restores_the_newest_journal_as_unsaved_pairs(
    qtbot: QtBot, journal_dir: Path
) -> None:
    crashed = Journal(journal_dir)
    crashed.record_insert(0, _pairs(3))
    crashed.close()
    dialogs = ScriptedDialogs(restore=True)
    document = make_document(qtbot, journal_dir, dialogs)
    recovery = RecoveryController(document, dialogs, find_orphans=lambda: find_orphans(journal_dir))

    recovery.offer()

    assert dialogs.asked == ["restore 3"]
    assert [p.question for p in document.model.pairs] == [p.question for p in _pairs(3)]
    assert document.dirty and recovery.checked
    assert [s.path for s in find_orphans(journal_dir)] == []  # adopted: the old file is gone


class KeyFieldStandIn:
    """The endpoint pane's key field, without the pane."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.key = ""
        self.notices: list[str] = []

    def endpoint(self) -> Endpoint:
        return Endpoint(url=self.url)

    def api_key(self) -> str:
        return self.key

    def set_api_key(self, key: str) -> None:
        self.key = key

    def show_key_notice(self, message: str) -> None:
        self.notices.append(message)


def test_recovery_asks_before_it_replaces_unsaved_pairs_and_cancel_keeps_both(
    qtbot: QtBot, journal_dir: Path
) -> None:
    crashed = Journal(journal_dir)
    crashed.record_insert(0, _pairs(3))
    crashed.close()
    dialogs = ScriptedDialogs(restore=True, unsaved=Unsaved.CANCEL)
    document = make_document(qtbot, journal_dir, dialogs)
    document.insert_rows(0, [QAPair("Typed already?", "Yes.")])
    recovery = RecoveryController(document, dialogs, find_orphans=lambda: find_orphans(journal_dir))

    recovery.offer()

    assert dialogs.asked == ["restore 3", "unsaved 1"]
    assert [p.question for p in document.model.pairs] == ["Typed already?"]
    assert crashed.path is not None and crashed.path.exists()  # still offered next time
