"""The first window loads only what it needs: the engine, keyring and readers load later (the
keyring on a worker thread once the window is on screen), and the launcher's start-up runs no
subprocess and loads nothing the first paint does without."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

# Modules the shown, empty window does not use; each costs tens to hundreds of milliseconds.
LATER = (
    "httpx",
    "keyring",
    "json_repair",
    "qagen_desktop.core.datasets",
    "qagen_desktop.core.journal",
    "qagen_desktop.core.logging_setup",
    "qagen_desktop.core.generation.runner",
    "qagen_desktop.core.generation.negotiation",  # the settings' defaults name its mode by value
    "pypdf",
    "bs4",
    "asyncio",
)

SHOW_WINDOW = r"""
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from qagen_desktop.ui.main_window import MainWindow
window = MainWindow()
window.show()
loaded = set(sys.modules)  # the window built and shown; its first paint comes next
app.processEvents()
print(json.dumps(sorted(name for name in loaded if name.split(".")[0] in
                        {"httpx", "keyring", "json_repair", "pypdf", "bs4", "asyncio"}
                        or name.startswith("qagen_desktop.core."))))
window.close()
"""


def run_child(code: str, tmp_path: Path) -> Any:
    """``code`` run in a fresh offscreen Python with its own user folders; its last line, read as
    JSON."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_first_window_loads_no_engine_keyring_or_reader(tmp_path: Path) -> None:
    loaded = set(run_child(SHOW_WINDOW, tmp_path))
    early = sorted(name for name in LATER if name in loaded)
    assert early == [], f"loaded before the first paint: {early}"
    assert "qagen_desktop.core.settings" in loaded  # the check saw the window's own imports


# Started as the qagen-desktop command starts (launcher.main), up to the first paint: modules
# that start-up used to load for a log line, the icon, the log file's handler or the estimate.
LAUNCHER_LATER = (
    "platform",  # platform.platform() ran `uname -p` in a subprocess
    "subprocess",
    "importlib.resources",
    "logging.handlers",  # socket, pickle and queue with it
    "qagen_desktop.core.estimate",  # no text and no prices: nothing to estimate yet
    "locale",  # for gettext's catalogues of the argument parser, built only for -h or --version
)

# Qt classes the first paint does without: PySide6 builds all of a class's enums the first time
# Python touches it (QStyle's take 10 ms).
QT_LATER = ("QStyle",)

START_THROUGH_LAUNCHER = r"""
import json, sys
from qagen_desktop import launcher
import qagen_desktop.ui.app as ui_app
wire_window = ui_app.wire_window
seen = {}
def wire_and_watch(view, **kwargs):
    def shown():
        seen["loaded"] = sorted(sys.modules)
        seen["qt"] = sorted(name for module in ("QtCore", "QtGui", "QtWidgets")
                            for name in vars(sys.modules["PySide6." + module]))
        from PySide6.QtWidgets import QApplication
        QApplication.quit()
    view.firstShown.connect(shown)  # before the window's own work after its first paint
    return wire_window(view, **kwargs)
ui_app.wire_window = wire_and_watch
code = launcher.main([])
from qagen_desktop.core.logging_setup import log_file
print(json.dumps({"code": code, "loaded": seen.get("loaded", []), "qt": seen.get("qt", []),
                  "log": str(log_file())}))
"""


def test_the_launchers_first_window_runs_no_subprocess_and_loads_no_extra_module(
    tmp_path: Path,
) -> None:
    report = run_child(START_THROUGH_LAUNCHER, tmp_path)
    loaded = set(report["loaded"])
    assert report["code"] == 0 and "qagen_desktop.ui.main_view" in loaded
    early = sorted(name for name in LAUNCHER_LATER if name in loaded)
    assert early == [], f"loaded before the first paint: {early}"
    qt_early = sorted(name for name in QT_LATER if name in report["qt"])
    assert qt_early == [], f"Qt classes loaded before the first paint: {qt_early}"
    assert "QMainWindow" in report["qt"]  # the check saw the window's own classes
    # The start-up's log line still names the system (platform.platform() no longer does it).
    log_text = Path(report["log"]).read_text(encoding="utf-8")
    assert f"starting (Python {platform.python_version()}, {platform.system()}-" in log_text


# PySide6 asks of each module imported after it whether its source names PySide6; the launcher
# answers from the file's bytes (inspect.getsource cost a twentieth of the start-up).
PYSIDE_CHECK = r"""
import json, sys
import PySide6.QtCore
feature = sys.modules["shibokensupport.feature"]
pysides_own = feature._mod_uses_pyside
from qagen_desktop import launcher
launcher._quicken_pyside_import_hook()
import qagen_desktop.core.records, qagen_desktop.ui.theme
names = ["json", "qagen_desktop.core.records", "qagen_desktop.ui.theme", "sys"]
print(json.dumps({"replaced": feature._mod_uses_pyside is not pysides_own,
                  "answers": [[feature._mod_uses_pyside(sys.modules[name]),
                               bool(pysides_own(sys.modules[name]))] for name in names]}))
"""


def test_the_launchers_check_for_pyside_in_a_module_answers_as_pysides_own(
    tmp_path: Path,
) -> None:
    report = run_child(PYSIDE_CHECK, tmp_path)
    assert report["replaced"]
    assert report["answers"] == [[False, False], [False, False], [True, True], [False, False]]


def test_the_run_defaults_name_the_json_schema_mode_by_its_value() -> None:
    from qagen_desktop.core.generation.config import DEFAULTS
    from qagen_desktop.core.generation.negotiation import ResponseMode

    assert DEFAULTS.response_mode == ResponseMode.JSON_SCHEMA
    assert ResponseMode(DEFAULTS.response_mode) is ResponseMode.JSON_SCHEMA
