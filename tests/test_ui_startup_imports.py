"""The first paint loads only what it needs: the engine, the keyring and the readers load later."""

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
app.processEvents()
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in
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
