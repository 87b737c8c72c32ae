"""Shared test set-up: every test runs with its own user folders and no real keyring.

Nothing here touches the user's real config, data, cache or state folders, nor the network.
The window tests' fixtures (a shown window, answered dialogs, a thread-leak check) are here too;
Qt loads only for the tests that use them.
"""

from __future__ import annotations

import faulthandler
import inspect
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from qagen_process import CONTEXT

if TYPE_CHECKING:
    from fake_server import FakeLLMServer
    from pytestqt.qtbot import QtBot
    from ui_support import Dialogs

    from qagen_desktop.ui.main_window import MainWindow

pytest_plugins = ["fake_server", "secret_service"]

# Before anything imports Qt: no screen is needed for the window tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# A test still running after this long is stuck: every thread's stack goes to ``HANG_REPORT``
# (under the rootdir; .ci/run prints it) and the run exits. pytest-timeout (300 s) cannot end a
# test whose main thread is blocked inside Qt with the GIL held (a deadlock: its alarm is Python
# code, which never runs); faulthandler's timer is a C thread. The stacks go to a file because
# pytest holds stderr for the test's output, which is lost when the process exits.
HANG_LIMIT_S = float(os.environ.get("QAGEN_TEST_HANG_LIMIT_S", "600"))
HANG_REPORT = "hang-stacks.txt"


@pytest.fixture(scope="session")
def hang_report(pytestconfig: pytest.Config) -> Iterator[Any]:
    path = pytestconfig.rootpath / HANG_REPORT
    with path.open("w", encoding="utf-8") as report:
        yield report
    if path.stat().st_size == 0:
        path.unlink()


@pytest.fixture(autouse=True)
def hang_limit(hang_report: Any, request: pytest.FixtureRequest) -> Iterator[None]:
    """End the whole run, with the stacks, where a test hangs (see ``HANG_LIMIT_S``)."""
    hang_report.seek(0)
    hang_report.truncate()
    hang_report.write(f"{request.node.nodeid} ran over {HANG_LIMIT_S:g} s:\n")
    hang_report.flush()
    faulthandler.dump_traceback_later(HANG_LIMIT_S, exit=True, file=hang_report)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        hang_report.seek(0)
        hang_report.truncate()


@pytest.fixture(autouse=True)
def user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Path]]:
    """Point platformdirs (through the XDG variables) at fresh temporary folders.

    Also keeps the environment variables of the old script out of the way, and makes the keyring
    a backend that stores nothing unless a test asks for another.
    """
    root = tmp_path_factory.mktemp("home")
    folders = {
        "config": root / "config",
        "data": root / "data",
        "cache": root / "cache",
        "state": root / "state",
    }
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folders["config"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(folders["data"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(folders["cache"]))
    monkeypatch.setenv("XDG_STATE_HOME", str(folders["state"]))
    for name in ("API_ENDPOINT", "API_KEY", "MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    yield folders


@pytest.fixture
def server(llm_server: FakeLLMServer) -> FakeLLMServer:
    """The loopback chat-completions server, under the short name the command-line tests use."""
    return llm_server


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    """A context file of a few paragraphs, ``ctx.txt`` in the test's folder."""
    path = tmp_path / "ctx.txt"
    path.write_text(CONTEXT, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def no_dangling_qthreads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that leaves a QThread running (after napari's ``_dangling_qthreads``).

    Armed wherever Qt is loaded: a test of the core alone does not load it for this.
    """
    if "PySide6.QtCore" not in sys.modules:
        yield
        return
    from PySide6.QtCore import QThread

    started: weakref.WeakKeyDictionary[QThread, str] = weakref.WeakKeyDictionary()
    original_start = QThread.start

    def start(self: QThread, *args: Any) -> None:
        caller = inspect.stack()[1]
        started[self] = f"{caller.filename}:{caller.lineno}"
        original_start(self, *args)

    monkeypatch.setattr(QThread, "start", start)
    yield
    running = []
    for thread, where in list(started.items()):
        try:
            if thread.isRunning():
                running.append(where)
        except RuntimeError:
            pass  # Deleted (deleteLater ran): it stopped.
    if running:
        pytest.fail(f"QThreads still running after the test, started at: {running}")


@pytest.fixture(autouse=True)
def no_held_modifier_keys() -> Iterator[None]:
    """Let go of the modifier key a test's key click leaves held.

    ``qtbot.keyClick(widget, key, Ctrl | Shift)`` leaves the application's modifier state at
    Shift (QGuiApplication.keyboardModifiers) until the next key event, so in a later test
    ``selectRow`` extends a selection instead of making one: a test of the sources list failed
    after the review tests, and only then. A key release with no modifier ends it.
    """
    yield
    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    if QApplication.instance() is None:
        return
    if QGuiApplication.keyboardModifiers() != Qt.KeyboardModifier.NoModifier:
        target = QWidget()
        QTest.keyRelease(target, Qt.Key.Key_Shift, Qt.KeyboardModifier.NoModifier)
        target.deleteLater()


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    """No modal message box ever blocks a test: each is answered and recorded."""
    from PySide6.QtWidgets import QMessageBox
    from ui_support import Dialogs

    answers = Dialogs()
    monkeypatch.setattr(QMessageBox, "question", answers.question)
    monkeypatch.setattr(QMessageBox, "warning", answers.warning)
    monkeypatch.setattr(QMessageBox, "information", answers.information)
    monkeypatch.setattr(QMessageBox, "exec", lambda box: answers.exec_box(box))
    return answers


@pytest.fixture
def window(qtbot: QtBot, dialogs: Dialogs) -> Iterator[MainWindow]:
    """A shown main window built from the (temporary) default settings locations."""
    from PySide6.QtCore import QCoreApplication, QEvent

    from qagen_desktop.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    # Deleted, not only closed: windows left over from earlier tests would slow later ones.
    win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


_FIGURES: list[str] = []


@pytest.fixture(scope="session")
def figure() -> Callable[[str], None]:
    """Report a measured figure (a size, a duration) in the summary at the end of the run.

    Tests never assert on time; what they measured is shown here, so a CI log carries it.
    """
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("figures measured by the tests")
        for line in _FIGURES:
            terminalreporter.write_line(line)


# -- the real llama.cpp server (the real_model tier) ------------------------------------------
# Kept apart from the fixtures above: tests/real_server.py finds or starts it.


def _real_server_missing(reason: str) -> None:
    """Skip with the reason (never returns); under CI (CI=true) the tier must run, so fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"the real llama.cpp server is needed under CI: {reason}", pytrace=False)
    pytest.skip(f"no real llama.cpp server: {reason}")


@pytest.fixture(scope="session")
def llama_url() -> Iterator[str]:
    """The ``/v1`` URL of a real llama-server with Gemma 3 270M and 4 slots: the one named by
    ``QAGEN_LLAMA_URL`` (``.ci/run`` starts it), else one started here for the session."""
    import real_server

    given = os.environ.get(real_server.URL_ENV)
    if given:
        yield given.rstrip("/")
        return
    try:
        server = real_server.start_server(ctx_size=real_server.CI_CTX_SIZE, parallel=4)
    except real_server.Unavailable as exc:
        _real_server_missing(str(exc))
        return
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def small_llama() -> Iterator[object]:
    """A real llama-server started for one test with ``-c 2048 -np 4``: 512 tokens a slot."""
    import real_server

    try:
        server = real_server.start_server(ctx_size=2048, parallel=4)
    except real_server.Unavailable as exc:
        _real_server_missing(str(exc))
        return
    try:
        yield server
    finally:
        server.stop()
