"""The window fits the screen it opens on: a first start sizes it to the screen, a saved geometry
comes back only where it fits, and every control stays reachable at 1024x700 and at 2x scale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE

from qagen_desktop.core.settings import load_settings
from qagen_desktop.ui.main_view import DEFAULT_SIZE, first_window_size
from qagen_desktop.ui.main_window import MainWindow

pytestmark = OFFSCREEN_NOISE
DRIVER = Path(__file__).with_name("ui_fit_driver.py")


def test_the_first_size_is_the_old_default_where_it_fits_and_a_share_of_a_small_screen() -> None:
    from PySide6.QtCore import QSize

    assert first_window_size(QSize(2560, 1440)) == DEFAULT_SIZE
    assert first_window_size(QSize(1280, 800)) == QSize(1152, 720)
    assert first_window_size(QSize(800, 800)) == QSize(720, 720)


def test_the_first_window_fits_the_screen(window: MainWindow) -> None:
    available = window.screen().availableGeometry()
    assert available.size().width() < DEFAULT_SIZE.width()  # the offscreen screen is small
    assert available.contains(window.frameGeometry()), (available, window.frameGeometry())


def new_window(qtbot: QtBot) -> MainWindow:
    win = MainWindow(settings=load_settings())
    qtbot.addWidget(win)
    return win


def test_a_saved_geometry_is_restored_only_where_it_fits(qtbot: QtBot, dialogs: object) -> None:
    first = new_window(qtbot)
    fresh = first.size()
    first.setGeometry(QRect(30, 40, 600, 500))
    first.close()
    second = new_window(qtbot)
    assert second.geometry() == QRect(30, 40, 600, 500)
    # A geometry from a larger screen: the first start's size again, not one stretched to the
    # edges (which is what restoreGeometry alone would make of it).
    second.setGeometry(QRect(0, 0, 2400, 1500))
    second.close()
    third = new_window(qtbot)
    available = third.screen().availableGeometry()
    assert available.contains(third.geometry()), third.geometry()
    assert third.size() == fresh
    third.close()


def run_driver(tmp_path: Path, width: int, height: int, scale: int) -> dict[str, object]:
    screens = tmp_path / "screens.json"
    screen = {"name": "test", "x": 0, "y": 0, "width": width, "height": height}
    screens.write_text(json.dumps({"screens": [{**screen, "logicalDpi": 96, "dpr": 1}]}))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={screens}",
        "QT_SCALE_FACTOR": str(scale),
    }
    done = subprocess.run(
        [sys.executable, str(DRIVER)], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize(
    ("width", "height", "scale"), [(800, 800, 1), (1024, 700, 1), (1280, 800, 1), (1920, 1080, 2)]
)
def test_every_control_is_on_the_screen(
    tmp_path: Path, width: int, height: int, scale: int
) -> None:
    result = run_driver(tmp_path, width, height, scale)
    x, y, w, h = result["screen"]  # type: ignore[misc]
    fx, fy, fw, fh = result["frame"]  # type: ignore[misc]
    assert QRect(x, y, w, h).contains(QRect(fx, fy, fw, fh)), result
    reachable = result["reachable"]
    assert isinstance(reachable, dict)
    assert [name for name, ok in reachable.items() if not ok] == []
