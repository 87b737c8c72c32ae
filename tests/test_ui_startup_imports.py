"""The first window loads only what it needs: the engine, keyring and readers load later (the
keyring on a worker thread once the window is on screen)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Modules the shown, empty window does not use; each costs tens to hundreds of milliseconds.
LATER = (
    "httpx",
    "keyring",
    "json_repair",
    "qagen_desktop.core.datasets",
    "qagen_desktop.core.journal",
    "qagen_desktop.core.logging_setup",
    "qagen_desktop.core.generation.runner",
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


def test_the_first_window_loads_no_engine_keyring_or_reader(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    done = subprocess.run(
        [sys.executable, "-c", SHOW_WINDOW],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    early = sorted(name for name in LATER if name in loaded)
    assert early == [], f"loaded before the first paint: {early}"
    assert "qagen_desktop.core.settings" in loaded  # the check saw the window's own imports
