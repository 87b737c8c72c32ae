"""The ``qagen-desktop`` command: answer --version/--help without Qt, else open the window.

Every start-up failure is logged and shown in a message box where one can be shown: a
double-clicked app has no console to print to.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from qagen_desktop import APP_NAME, __version__

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        add_help=False,
        allow_abbrev=False,
        description=(
            "Turn pasted text into a question-answer dataset (JSONL) with any OpenAI-compatible"
            " model. Opens the window; `qagen` is the command-line tool."
        ),
        epilog="Other arguments go to Qt (for example -platform offscreen).",
    )
    parser.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app; ``argv`` excludes the program name (``sys.argv[1:]`` when None)."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Only an argument starting so can be -h, --help or --version (abbreviations are off):
    # without one, the window opens without building the parser, whose messages load gettext's
    # catalogues and the locale module.
    if not any(arg.startswith(("-h", "--h", "--v")) for arg in args):
        return _open_window(args)
    parser = _parser()
    known, _ = parser.parse_known_args(args)
    if known.version:
        _say(f"{APP_NAME} {__version__}")
        return 0
    if known.help:
        from qagen_desktop.core.logging_setup import log_file

        _say(parser.format_help().rstrip() + f"\n\nLog file: {log_file()}")
        return 0
    return _open_window(args)


def _open_window(args: list[str]) -> int:
    # Start-up makes hundreds of thousands of objects that live as long as the app (Qt's
    # classes, their enums and signatures, the widgets): collecting while they are made finds
    # nothing to free and costs a tenth of the time to the first paint. ``ui.app.run`` starts
    # collecting again once the window is painted (and whatever happens, when it returns).
    gc.disable()
    from qagen_desktop.core.logging_setup import configure_logging

    log_path = configure_logging()
    log.info(
        "%s %s starting (Python %s, %s, frozen=%s)",
        APP_NAME,
        __version__,
        ".".join(map(str, sys.version_info[:3])),
        platform_summary(),
        bool(getattr(sys, "frozen", False)),
    )
    try:
        _install_qt_message_handler()
        _quicken_pyside_import_hook()
        from qagen_desktop.ui.app import run

        code = run([sys.argv[0] if sys.argv and sys.argv[0] else APP_NAME, *args])
    except Exception as error:
        gc.enable()
        log.critical("Could not start", exc_info=True)
        _show_start_failure(error, log_path)
        return 1
    log.info("Exiting with code %s", code)
    return int(code or 0)


def platform_summary() -> str:
    """The system, its release and the machine, as "Linux-6.8.0-x86_64-with-glibc2.39".

    ``platform.platform()`` says the same at a price paid before the window can open: it runs
    ``uname -p`` in a subprocess and reads the interpreter's binary for its C library, 15-20 ms
    of every start (and 3-7 ms more to import ``platform``).
    """
    if sys.platform == "win32":
        version = sys.getwindowsversion()
        machine = os.environ.get("PROCESSOR_ARCHITECTURE", "")
        return f"Windows-{version.major}.{version.minor}.{version.build}-{machine}".rstrip("-")
    system = os.uname()
    summary = f"{system.sysname}-{system.release}-{system.machine}"
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.39"; None or an error elsewhere
    except (ValueError, OSError):
        libc = None
    return f"{summary}-with-{libc.replace(' ', '')}" if libc else summary


def _say(text: str, *, error: bool = False) -> None:
    """Print when there is a console: a frozen windowed build has sys.stdout/stderr set to None."""
    stream = sys.stderr if error else sys.stdout
    if stream is None:
        return
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def _install_qt_message_handler() -> None:
    """Route Qt's own warnings (e.g. "QThread: Destroyed while...") into the log file."""
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        qt_log.log(levels.get(kind, logging.WARNING), "%s", message)

    qInstallMessageHandler(handler)
    # Keep a reference: Qt holds only the C++ side of the callback.
    _install_qt_message_handler.handler = handler  # type: ignore[attr-defined]


def _quicken_pyside_import_hook() -> None:
    """Make PySide6's check of each newly imported module a plain search of its file's bytes.

    Once PySide6 is loaded, every module imported for the first time (and every one loaded
    before it, at its next import) is read through ``inspect.getsource``, to see whether it
    names PySide6 (for PySide's opt-in ``from __feature__ import`` switches, which this app does
    not use): 80-odd modules before the first window, a twentieth of its start-up. The same
    question asked of the file's bytes gives the same answer at a fraction of the cost; a
    module without a .py file goes to PySide's own check. (napari#8584 describes this cost.)
    """
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original):
        return

    def uses_pyside(module: object) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        return bool(original(module))

    setattr(feature, "_mod_uses_pyside", uses_pyside)  # noqa: B010


def _show_start_failure(error: BaseException, log_path: Path | None) -> None:
    """Tell the person why the app did not open, in a message box if possible."""
    from qagen_desktop.core.logging_setup import redact_secrets

    reason = (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(".")
    where = f" Details are in {log_path}." if log_path else ""
    message = redact_secrets(f"{APP_NAME} could not start: {reason}.{where}")
    _say(message, error=True)
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox

        app = QApplication.instance() or QApplication([APP_NAME])
        assert app is not None
        QMessageBox.critical(None, APP_NAME, message)
        return
    except Exception:
        log.warning("No Qt message box for the start-up failure", exc_info=True)
    if sys.platform == "win32":
        try:
            import ctypes

            ctypes.windll.user32.MessageBoxW(None, message, APP_NAME, 0x10)
        except Exception:
            log.warning("No Windows message box for the start-up failure", exc_info=True)
