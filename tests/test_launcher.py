"""The qagen-desktop launcher: answers without Qt, logs with no console, never dies silently.

Each test runs Python in a subprocess: the launcher changes process-wide state (logging, excepthook,
Qt's message handler) that must not leak into the test session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from qagen_desktop import __version__


def run_python(
    code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_version_and_help_answer_without_importing_qt() -> None:
    result = run_python(
        """
        import json, sys
        from qagen_desktop.launcher import main
        codes = [main(["--version"]), main(["--help"])]
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
        print(json.dumps({"codes": codes, "qt": loaded}))
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"qagen-desktop {__version__}"
    assert any(line.startswith("usage: qagen-desktop") for line in lines)
    report = json.loads(lines[-1])
    assert report == {"codes": [0, 0], "qt": []}


def test_python_dash_m_answers_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "qagen_desktop", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"qagen-desktop {__version__}"


def test_version_and_help_survive_a_missing_console() -> None:
    # A frozen, windowed build starts with sys.stdout and sys.stderr set to None.
    result = run_python(
        """
        import sys
        sys.stdout = sys.stderr = None
        from qagen_desktop.launcher import main
        raise SystemExit(10 * main(["--version"]) + main(["--help"]))
        """
    )
    assert result.returncode == 0, result.stderr


def test_logging_writes_the_log_file_with_no_console(
    user_dirs: dict[str, Path], tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    result = run_python(
        """
        import json, logging, sys, threading, warnings
        sys.stdout = sys.stderr = None
        from qagen_desktop.core.logging_setup import configure_logging
        path = configure_logging()
        logging.getLogger("qagen_desktop.test").warning("a warning with no console")
        try:
            raise ValueError("an error with no console")
        except ValueError:
            logging.getLogger("qagen_desktop.test").exception("caught")
        warnings.warn("a Python warning")
        thread = threading.Thread(target=lambda: 1 / 0, name="worker")
        thread.start(); thread.join()
        sys.excepthook(KeyError, KeyError("from a Qt slot"), None)
        with open(sys.argv[1], "w") as f:
            json.dump({"log": str(path)}, f)
        """,
        str(report),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == result.stderr == ""
    log_path = Path(json.loads(report.read_text())["log"])
    assert log_path.is_relative_to(user_dirs["state"])
    text = log_path.read_text(encoding="utf-8")
    assert "a warning with no console" in text
    assert "ValueError: an error with no console" in text
    assert "a Python warning" in text
    assert "ZeroDivisionError" in text and "worker" in text
    assert "KeyError: 'from a Qt slot'" in text


def test_the_log_file_rolls_over_and_keeps_three_old_files(tmp_path: Path) -> None:
    import logging

    from qagen_desktop.core.logging_setup import RotatingFileHandler

    path = tmp_path / "qagen-desktop.log"
    handler = RotatingFileHandler(path, max_bytes=400, backups=3)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("qagen_desktop.test.rotation")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for number in range(100):
            logger.warning("record %03d %s", number, "x" * 30)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [path.name, f"{path.name}.1", f"{path.name}.2", f"{path.name}.3"]
    sizes = [(tmp_path / name).stat().st_size for name in files]
    assert all(0 < size < 400 for size in sizes), sizes
    # Newest in the log itself, older in .1, .2, .3; each record once, none lost in between.
    chunks = [(tmp_path / name).read_text().split() for name in reversed(files)]
    numbers = [int(word) for chunk in chunks for word in chunk if word.isdigit()]
    assert numbers == list(range(numbers[0], 100)) and numbers[0] > 0


def test_logging_without_a_writable_state_folder_and_no_console_still_runs(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the state folder should be")
    result = run_python(
        """
        import logging, sys
        sys.stdout = sys.stderr = None
        from qagen_desktop.core.logging_setup import configure_logging
        path = configure_logging()
        logging.getLogger("qagen_desktop.test").error("nowhere to go")
        sys.excepthook(RuntimeError, RuntimeError("uncaught"), None)
        raise SystemExit(0 if path is None else 3)
        """,
        env={"XDG_STATE_HOME": str(blocked)},
    )
    assert result.returncode == 0, result.stderr


def test_the_api_key_is_never_logged(user_dirs: dict[str, Path]) -> None:
    key = "sk-test-abcdefghijklmnop1234"
    stored = "sk-from-keyring-zyxwvu9876"
    result = run_python(
        """
        import logging, sys
        from qagen_desktop.core.logging_setup import add_secret, configure_logging
        path = configure_logging()
        add_secret(sys.argv[1])
        log = logging.getLogger("qagen_desktop.test")
        log.warning("environment key %s", "sk-test-abcdefghijklmnop1234")
        log.warning("stored key " + sys.argv[1])
        log.warning("header Authorization: Bearer whatever-token-1")
        try:
            raise RuntimeError("failed with key " + sys.argv[1])
        except RuntimeError:
            log.exception("request failed")
        print(path)
        """,
        stored,
        env={"API_KEY": key},
    )
    assert result.returncode == 0, result.stderr
    text = Path(result.stdout.strip()).read_text(encoding="utf-8")
    assert "environment key [redacted]" in text
    assert "stored key [redacted]" in text
    assert "failed with key [redacted]" in text
    for secret in (key, stored, "whatever-token-1"):
        assert secret not in text
        assert secret not in result.stderr


def test_a_start_failure_is_logged_and_shown_in_a_message_box(tmp_path: Path) -> None:
    shown = tmp_path / "shown.txt"
    result = run_python(
        """
        import sys, types
        sys.stdout = sys.stderr = None
        from PySide6.QtWidgets import QMessageBox

        def critical(parent, title, text):
            with open(sys.argv[1], "w", encoding="utf-8") as f:
                f.write(title + "\\n" + text)

        QMessageBox.critical = critical
        broken = types.ModuleType("qagen_desktop.ui.app")

        def run(argv):
            raise RuntimeError("the display went away")

        broken.run = run
        sys.modules["qagen_desktop.ui.app"] = broken
        from qagen_desktop.launcher import main
        raise SystemExit(main([]))
        """,
        str(shown),
        env={"QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 1, result.stderr
    title, message = shown.read_text(encoding="utf-8").split("\n", 1)
    assert title == "qagen-desktop"
    assert "could not start: the display went away." in message
    assert "\n" not in message
    log_path = Path(message.split("Details are in ", 1)[1].rstrip("."))
    log_text = log_path.read_text(encoding="utf-8")
    assert "Could not start" in log_text
    assert "RuntimeError: the display went away" in log_text


def test_python_dash_m_opens_the_window_and_closes_cleanly(user_dirs: dict[str, Path]) -> None:
    pytest.importorskip("qagen_desktop.ui.main_window", reason="the main window is not written yet")
    # Once the event loop runs and a window is visible, close every window as a person would;
    # the launcher must then return 0 with nothing alarming in its log.
    result = run_python(
        """
        import runpy, sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        real_exec = QApplication.exec

        def close_when_shown():
            app = QApplication.instance()
            shown = [w.windowTitle() for w in app.topLevelWidgets() if w.isVisible()]
            if shown:
                print("window shown:", shown)
                app.closeAllWindows()
            else:
                QTimer.singleShot(100, close_when_shown)

        def exec_and_close(*args):
            QTimer.singleShot(500, close_when_shown)
            return real_exec()

        QApplication.exec = exec_and_close
        sys.argv = ["qagen-desktop"]
        runpy.run_module("qagen_desktop", run_name="__main__")
        """,
        env={"QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "window shown:" in result.stdout
    log_text = (user_dirs["state"] / "qagen-desktop" / "log" / "qagen-desktop.log").read_text()
    assert "Exiting with code 0" in log_text
    for alarm in ("Traceback", "QThread: Destroyed", "Could not start"):
        assert alarm not in log_text
        assert alarm not in result.stderr


def test_pyside6_does_not_leak_none_on_calls_that_return_nothing() -> None:
    # PySide6 6.12.0 on Python 3.11 dropped a reference to None on every such call and died with
    # "Fatal Python error: none_dealloc" after some thousands (hence the <6.12 pin on 3.11).
    result = run_python(
        """
        import sys
        from PySide6.QtCore import QCoreApplication
        from PySide6.QtWidgets import QApplication, QLabel

        app = QApplication([])
        label = QLabel()
        before = sys.getrefcount(None)
        for i in range(20_000):
            label.setText("pair %d" % (i % 10))
            QCoreApplication.processEvents()
        after = sys.getrefcount(None)
        print(before, after)
        """,
        env={"QT_QPA_PLATFORM": "offscreen"},
        timeout=180,
    )
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-2000:]}"
    assert "none_dealloc" not in result.stderr
    before, after = map(int, result.stdout.split())
    assert after > before - 1_000, f"None lost {before - after} references in 20,000 Qt calls"


def test_garbage_is_collected_again_once_the_window_is_painted(user_dirs: dict[str, Path]) -> None:
    # The launcher pauses the collector for the start-up (it only costs time then); from the
    # first paint on it must run, or a long session would keep every cycle it ever made.
    result = run_python(
        """
        import gc, json, sys
        from qagen_desktop import launcher
        import qagen_desktop.ui.app as ui_app

        seen = {}
        wire_window = ui_app.wire_window

        def wire_and_watch(view, **kwargs):
            controller = wire_window(view, **kwargs)
            seen["while_building"] = gc.isenabled()

            def painted():
                from PySide6.QtCore import QTimer
                from PySide6.QtWidgets import QApplication

                def after():
                    seen["after_paint"] = gc.isenabled()
                    seen["frozen"] = gc.get_freeze_count()
                    QApplication.instance().closeAllWindows()

                QTimer.singleShot(0, after)

            view.firstShown.connect(painted)
            return controller

        ui_app.wire_window = wire_and_watch
        code = launcher.main([])
        seen["after_exit"] = gc.isenabled()
        print(json.dumps({"code": code, **seen}))
        """,
        env={"QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "code": 0,
        "while_building": False,
        "after_paint": True,
        "frozen": seen["frozen"],
        "after_exit": True,
    }, seen
    assert seen["frozen"] > 10_000  # what the start-up made is set aside, not walked again
