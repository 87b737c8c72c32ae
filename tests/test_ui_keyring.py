"""The key through the real OS keyring (a private Secret Service): typed once, stored there and
nowhere else, used by the next window."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fake_server import FakeLLMServer

KEY = "sk-keyring-test-5d1f0c"

FIRST_WINDOW = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from qagen_desktop.ui.app import make_application
    from qagen_desktop.ui.main_window import MainWindow

    app = make_application(sys.argv[:1])
    window = MainWindow()
    window.show()
    app.processEvents()
    window.endpoint_pane.endpointEdit.setText(sys.argv[1])
    window.endpoint_pane.endpointChanged.emit()
    key = window.endpoint_pane.apiKeyEdit
    QTest.keyClicks(key, sys.argv[2])
    QTest.keyClick(key, Qt.Key.Key_Return)
    print("notices", window.controller.keys.keyring_notices, flush=True)
    window.close()
    """
)

NEXT_WINDOW = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QEventLoop, QTimer
    from qagen_desktop.ui.app import make_application
    from qagen_desktop.ui.main_window import MainWindow

    app = make_application(sys.argv[:1])
    window = MainWindow()
    window.show()
    window.context_pane.set_text("The Nile flows north through eleven countries. " * 20)
    window.pairsSpin.setValue(3)
    loop = QEventLoop()
    QTimer.singleShot(0, window.controller.run.generate)
    window.model.rowsInserted.connect(lambda *a: window.model.rowCount() >= 3 and loop.quit())
    QTimer.singleShot(20000, loop.quit)
    loop.exec()
    window.controller.run.wait_for_threads()
    print("key-loaded", window.endpoint_pane.api_key() == sys.argv[1], flush=True)
    print("rows", window.model.rowCount(), flush=True)
    window.controller.document.dirty = False
    window.close()
    """
)


@pytest.mark.keyring
def test_a_key_typed_once_is_kept_in_the_keyring_only_and_used_by_the_next_window(
    secret_service: dict[str, str], user_dirs: dict[str, Path], tmp_path: Path
) -> None:
    env = {**os.environ, **secret_service, "QT_QPA_PLATFORM": "offscreen"}
    with FakeLLMServer(api_key=KEY) as server:
        first = subprocess.run(
            [sys.executable, "-c", FIRST_WINDOW, server.url, KEY],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert first.returncode == 0, first.stderr
        assert "notices 0" in first.stdout  # the keyring worked: no session-only notice

        stored = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys, keyring; print(keyring.get_password('qagen-desktop', sys.argv[1]))",
                server.chat_url,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert stored.stdout.strip() == KEY

        for folder in user_dirs.values():
            for path in folder.rglob("*"):
                if path.is_file():
                    assert KEY.encode() not in path.read_bytes(), path

        following = subprocess.run(
            [sys.executable, "-c", NEXT_WINDOW, KEY],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert following.returncode == 0, following.stderr
        assert "key-loaded True" in following.stdout
        assert "rows 3" in following.stdout
        assert server.requests[-1].headers["authorization"] == f"Bearer {KEY}"
