"""Nothing typed is lost: the context text is kept under the user data folder, comes back after
a restart or a crash, and never goes into the settings file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE

from qagen_desktop.core import paths
from qagen_desktop.core.draft import ContextDraft
from qagen_desktop.ui.main_window import MainWindow

TEXT = "Die Loire ist der längste Fluss Frankreichs.\n\nShe rises in the Massif Central. 🌊"


def test_a_draft_is_saved_atomically_and_read_back(tmp_path: Path) -> None:
    draft = ContextDraft(tmp_path / "d" / "context.txt")
    assert draft.load() == ""
    assert draft.save(TEXT)
    assert draft.load() == TEXT
    if os.name == "posix":
        assert (draft.path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in draft.path.parent.iterdir()] == ["context.txt"]  # no temp file left
    assert draft.save("")
    assert not draft.path.exists() and draft.load() == ""


def test_a_draft_that_cannot_be_written_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert not ContextDraft(blocker / "context.txt").save(TEXT)


def test_the_default_draft_lives_under_the_user_data_folder() -> None:
    assert ContextDraft().path == paths.draft_file()
    assert paths.data_dir() in paths.draft_file().parents


def start(qtbot: QtBot) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.mark.usefixtures("dialogs")
@OFFSCREEN_NOISE
def test_typed_text_is_back_after_a_restart_and_not_in_the_settings(
    qtbot: QtBot, user_dirs: dict[str, Path]
) -> None:
    first = start(qtbot)
    editor = first.context_pane.contextEdit
    first.context_pane.set_text(TEXT)  # pasted
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(editor, " Typed.")  # and typed (keyClicks types ASCII only)
    first.close()
    second = start(qtbot)
    assert second.context_pane.text() == TEXT + " Typed."
    settings = paths.settings_file().read_text(encoding="utf-8")
    assert "Loire" not in settings
    second.close()


@pytest.mark.usefixtures("dialogs")
@OFFSCREEN_NOISE
def test_typed_text_is_back_after_a_crash(qtbot: QtBot) -> None:
    first = start(qtbot)
    qtbot.keyClicks(first.context_pane.contextEdit, "Typed before the crash.")
    # No close: the window that "crashed" never ran its closing code.
    qtbot.waitUntil(lambda: ContextDraft().load() == "Typed before the crash.", timeout=5000)
    second = start(qtbot)
    assert second.context_pane.text() == "Typed before the crash."
    second.close()
    first.close()
