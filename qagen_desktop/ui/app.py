"""Start the window: the QApplication, its name and icon, the main window and the event loop."""

from __future__ import annotations

import logging
import sys
from importlib import resources

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from qagen_desktop import APP_NAME, __version__

log = logging.getLogger(__name__)

_ICON_SVG = "qagen-desktop.svg"
_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
GIL_SWITCH_INTERVAL = 0.001  # seconds; see make_application


def app_icon() -> QIcon:
    """The application icon from the package resources; an empty icon when none is shipped."""
    icon = QIcon()
    try:
        folder = resources.files("qagen_desktop.resources")
        entries = [folder / "icons" / f"qagen-desktop-{size}.png" for size in _ICON_SIZES]
        entries.append(folder / _ICON_SVG)
        for entry in entries:
            if entry.is_file():
                # QIcon needs a real path; from a zip the file is extracted for the call.
                with resources.as_file(entry) as path:
                    icon.addFile(str(path))
    except (ModuleNotFoundError, OSError) as exc:
        log.info("No application icon (%s).", exc)
    return icon


def make_application(argv: list[str]) -> QApplication:
    """The QApplication (the existing one when tests already made it), named for settings."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv)
    # Each Qt call into Python (a paint, a slot) takes the GIL from the generation worker; with
    # Python's default 5 ms switch interval those waits add up to visible stalls while a fast
    # server streams replies. 1 ms keeps the window smooth (benchmarks/bench_gui.py: median
    # longest stall 80 ms -> 56 ms) at no measurable cost to the run.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)
    return app


def run(argv: list[str]) -> int:
    """Show the main window and run the event loop; returns the exit status."""
    app = make_application(argv)
    # Imported after the QApplication exists so the window's modules load while nothing is shown.
    from qagen_desktop.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    return app.exec()
