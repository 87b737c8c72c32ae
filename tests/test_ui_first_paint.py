"""The first window paints before its start-up work, and what start-up builds differently from
Qt's defaults (for speed) looks and acts as Qt's own."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QTableView, QWidget
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE

from qagen_desktop.core import paths
from qagen_desktop.ui.controllers import recovery
from qagen_desktop.ui.main_view import MainView, _FirstPaint
from qagen_desktop.ui.main_window import MainWindow
from qagen_desktop.ui.panes.table_hint import own_viewport

pytestmark = OFFSCREEN_NOISE


def _viewport_traits(viewport: QWidget) -> dict[str, object]:
    return {
        "name": viewport.objectName(),
        "background": viewport.backgroundRole(),
        "fills": viewport.autoFillBackground(),
        "attributes": [a for a in Qt.WidgetAttribute if viewport.testAttribute(a)],
        "tracking": viewport.hasMouseTracking(),
        "drops": viewport.acceptDrops(),
        "focus proxy": viewport.focusProxy() is viewport.parentWidget(),
        "geometry": viewport.geometry(),
    }


def test_the_tables_own_viewport_is_set_up_as_qts_own(qtbot: QtBot) -> None:
    qts, ours = QTableView(), QTableView()
    qtbot.addWidget(qts)
    qtbot.addWidget(ours)
    made = own_viewport(ours)
    assert ours.viewport() is made
    assert _viewport_traits(made) == _viewport_traits(qts.viewport())


class _PaintLog(QObject):
    def __init__(self, widget: QWidget, log: list[str]) -> None:
        super().__init__(widget)
        self._log = log
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._log.append("paint")
        return False


def test_first_shown_comes_once_after_the_first_paint(qtbot: QtBot) -> None:
    view = MainView()
    qtbot.addWidget(view)
    log: list[str] = []
    _PaintLog(view, log)
    view.firstShown.connect(lambda: log.append("firstShown"))
    with qtbot.waitSignal(view.firstShown):
        view.show()
    assert log[0] == "paint" and log.count("firstShown") == 1
    view.hide()
    view.show()
    view.repaint()
    qtbot.waitUntil(lambda: log.count("paint") > 1)
    assert log.count("firstShown") == 1


def test_a_window_never_painted_still_gets_its_start_up_work(qtbot: QtBot) -> None:
    never_shown = QWidget()
    qtbot.addWidget(never_shown)
    done: list[bool] = []
    _FirstPaint(never_shown, lambda: done.append(True))
    qtbot.waitUntil(lambda: done == [True])


def test_the_recovery_check_needs_no_thread_when_nothing_was_left(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[object] = []

    def off_thread(function: Callable[[], object]) -> object:
        threads.append(function)
        return function()

    monkeypatch.setattr(recovery, "call_off_thread", off_thread)
    window.controller.recovery.offer()
    assert threads == []  # no recovery folder at all
    folder = paths.recovery_dir()
    folder.mkdir(parents=True)
    window.controller.recovery.offer()
    assert threads == []  # an empty one
    (folder / "session-1-1.jsonl").write_text("")
    window.controller.recovery.offer()
    assert len(threads) == 1 and window.controller.recovery.checked
