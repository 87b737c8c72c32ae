"""A second Generate with pairs in the table asks replace or add (or does what was remembered),
and adding drops the questions the table already has."""

from __future__ import annotations

from fake_server import FakeLLMServer
from pytestqt.qtbot import QtBot
from test_ui_generate import LONG_TEXT, set_up_run, wait_until_idle
from ui_support import OFFSCREEN_NOISE, Dialogs

from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.main_window import MainWindow

pytestmark = OFFSCREEN_NOISE
OLD = [QAPair("When was the lighthouse built?", "In 1870."), QAPair("Old question two?", "Yes.")]


def test_replace_clears_the_table_before_the_new_run(
    qtbot: QtBot, window: MainWindow, dialogs: Dialogs, llm_server: FakeLLMServer
) -> None:
    window.model.append_pairs(list(OLD))
    set_up_run(qtbot, window, llm_server.url, LONG_TEXT, 3)
    dialogs.box_answers = ["Replace"]
    window.actionGenerate.trigger()
    wait_until_idle(qtbot, window)
    [(_kind, title, _text)] = [shown for shown in dialogs.shown if shown[0] == "box"]
    assert title == "Generate again"
    assert window.model.rowCount() == 3
    assert all(pair.question not in {p.question for p in OLD} for pair in window.model.pairs)


def test_cancel_starts_no_run_and_keeps_the_table(
    qtbot: QtBot, window: MainWindow, dialogs: Dialogs, llm_server: FakeLLMServer
) -> None:
    window.model.append_pairs(list(OLD))
    set_up_run(qtbot, window, llm_server.url, LONG_TEXT, 3)
    dialogs.box_answers = ["Cancel"]
    window.actionGenerate.trigger()
    assert not window.controller.run.running
    assert llm_server.request_count == 0 and window.model.rowCount() == 2


def test_a_remembered_add_asks_nothing_and_drops_questions_already_there(
    qtbot: QtBot, window: MainWindow, dialogs: Dialogs
) -> None:
    window.model.append_pairs(list(OLD))
    window.controller.settings.generate_again = "add"
    again = window.controller.run.again
    assert again.before_run()
    assert not [shown for shown in dialogs.shown if shown[0] == "box"]
    arrived = [
        QAPair("when was the Lighthouse built", "In 1870, on the headland."),  # same, respelt
        QAPair("Who wound the clockwork?", "The keepers."),
    ]
    assert [pair.question for pair in again.keep_new(arrived)] == ["Who wound the clockwork?"]
    assert again.dropped == 1


def test_an_add_run_keeps_the_old_rows_and_appends_the_new(
    qtbot: QtBot, window: MainWindow, dialogs: Dialogs, llm_server: FakeLLMServer
) -> None:
    window.model.append_pairs(list(OLD))
    set_up_run(qtbot, window, llm_server.url, LONG_TEXT, 3)
    dialogs.box_answers = ["Add"]
    window.actionGenerate.trigger()
    wait_until_idle(qtbot, window)
    assert window.model.rowCount() == 5
    assert [pair.question for pair in window.model.pairs[:2]] == [p.question for p in OLD]
    assert window.controller.settings.generate_again == "ask"  # not remembered unless asked


def test_dont_ask_again_is_remembered_in_the_settings(
    qtbot: QtBot, window: MainWindow, dialogs: Dialogs, llm_server: FakeLLMServer
) -> None:
    window.model.append_pairs(list(OLD))
    set_up_run(qtbot, window, llm_server.url, LONG_TEXT, 3)
    dialogs.box_answers = ["Add +remember"]
    window.actionGenerate.trigger()
    wait_until_idle(qtbot, window)
    assert window.controller.settings.generate_again == "add"
    window.actionGenerate.trigger()  # asked no more
    wait_until_idle(qtbot, window)
    assert len([shown for shown in dialogs.shown if shown[0] == "box"]) == 1
    assert window.model.rowCount() == 8
