"""The window's composition root: the QApplication, the settings, keyring and controllers.

``wire_window`` builds the controllers for a view and connects them; nothing else builds one, so
the view and the controllers never import each other.
"""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from qagen_desktop import APP_NAME, __version__

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from qagen_desktop.core.settings import Settings
    from qagen_desktop.ui.controllers.keys import KeyStoreLike
    from qagen_desktop.ui.controllers.window import WindowController
    from qagen_desktop.ui.main_view import MainView

log = logging.getLogger(__name__)

_ICON_SVG = "qagen-desktop.svg"
_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
GIL_SWITCH_INTERVAL = 0.0002  # seconds; see make_application


def app_icon() -> QIcon:
    """The application icon from the package resources; an empty icon when none is shipped."""
    from PySide6.QtGui import QIcon  # made with the application, not with the window

    icon = QIcon()
    names = [f"icons/qagen-desktop-{size}.png" for size in _ICON_SIZES] + [_ICON_SVG]
    # The package's folder on disk (an installed package, a checkout, the bundle): importing
    # importlib.resources and asking it for each file would take 10 ms of the start-up.
    folder = Path(__file__).resolve().parent.parent / "resources"
    if folder.is_dir():
        for name in names:
            if (folder / name).is_file():
                icon.addFile(str(folder / name))
        return icon
    from importlib import resources  # a zipped package: its files through importlib

    try:
        entries = [resources.files("qagen_desktop.resources").joinpath(name) for name in names]
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
    # Imported here: the launcher loads this module before Qt, to set up the start-up first.
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv)
    # Each Qt call into Python (a paint of a cell, a slot) takes the GIL back from a busy
    # generation worker, waiting up to the switch interval each time; a repaint of the table
    # makes dozens. Python's default 5 ms made visible stalls while a fast server streams;
    # 0.2 ms keeps the longest under a frame (benchmarks/bench_gui.py stall, 200 pairs: median
    # 20-21 ms at 1 ms, 14-15 ms at 0.2 ms) with the run's speed unchanged.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)
    return app


def wire_window(
    view: MainView,
    *,
    settings: Settings | None = None,
    keystore: KeyStoreLike | None = None,
) -> WindowController:
    """Build the controllers for ``view`` and connect them to it.

    ``settings`` default to the settings file with the environment (API_ENDPOINT, API_KEY,
    MODEL) applied; ``keystore`` to the OS keyring, made once the window has painted.
    """
    from PySide6.QtGui import QUndoStack

    from qagen_desktop.core.settings import Environment, load_settings
    from qagen_desktop.ui.controllers.document import DocumentController
    from qagen_desktop.ui.controllers.keys import KeyController
    from qagen_desktop.ui.controllers.recovery import RecoveryController
    from qagen_desktop.ui.controllers.review import ReviewController, config_preparer
    from qagen_desktop.ui.controllers.run import RunController
    from qagen_desktop.ui.controllers.window import WindowController
    from qagen_desktop.ui.dialogs import WindowDialogs

    environment = Environment.read()
    if settings is None:
        settings = environment.apply(load_settings())
    dialogs = WindowDialogs(view)
    status = view.statusBar()
    keys = KeyController(
        view.endpoint_pane,
        keystore=keystore,
        env_key=environment.api_key,
        tell=lambda message: status.showMessage(message, 15000),
        parent=view,
    )
    document = DocumentController(
        view.model, QUndoStack(view), dialogs, lambda: window.export_options(), parent=view
    )
    run_controller = RunController(
        view,
        document,
        settings,
        commit_key=keys.commit_key,
        store_settings=lambda: window.store_view_settings(),
        show_info=dialogs.inform,
        parent=view,
    )
    recovery = RecoveryController(document, dialogs, parent=view)
    review = ReviewController(
        view,
        document,
        config_preparer(
            settings,
            view.endpoint_pane.endpoint,
            keys.commit_key,
            lambda: window.store_view_settings(),
            view.results_pane.show_message,
        ),
        busy=lambda: run_controller.running,
        parent=view,
    )
    window = WindowController(
        view,
        settings,
        dialogs,
        document=document,
        run=run_controller,
        keys=keys,
        recovery=recovery,
        review=review,
    )
    view.firstShown.connect(collect_from_now_on)
    document.dialog_folder = window.dialog_folder
    return window


def run(argv: list[str]) -> int:
    """Show the main window and run the event loop; returns the exit status."""
    app = make_application(argv)
    # Imported after the QApplication exists so the window's modules load while nothing is shown.
    from qagen_desktop.ui.main_view import MainView

    try:
        window = MainView()
        wire_window(window)  # The controllers are the window's children: they live as long as it.
        window.show()
        return app.exec()
    finally:
        gc.enable()


_start_up_set_aside = False


def collect_from_now_on() -> None:
    """After the first window's first paint: set what the start-up made aside (``gc.freeze``)
    and collect garbage again (the launcher pauses the collector for the start-up).

    What the start-up made (Qt's classes and enums, the widgets, the modules) lives as long as
    the app. Left in the collector's care, each full collection walks all of it again: 50 ms
    with the GIL held, a stall of the window even when it runs on the generation thread."""
    global _start_up_set_aside
    if not _start_up_set_aside:
        _start_up_set_aside = True
        gc.freeze()
    gc.enable()
