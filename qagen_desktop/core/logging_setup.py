"""Start-up logging: a rotating log file that works with no console at all.

A frozen, windowed build runs with ``sys.stdout`` and ``sys.stderr`` set to ``None``; nothing here
writes to them unless they exist. Text that holds the API key (or looks like an auth header) is
redacted before it reaches any handler.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import IO

from qagen_desktop import APP_NAME
from qagen_desktop.core import paths
from qagen_desktop.core.errors import redact

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 3

log = logging.getLogger(__name__)

_secrets: set[str] = set()
_fault_file: IO[str] | None = None


def log_dir() -> Path:
    """The folder of the log files (under the user's state folder)."""
    return paths.state_dir() / "log"


def log_file() -> Path:
    return log_dir() / f"{APP_NAME}.log"


def add_secret(secret: str | None) -> None:
    """Redact this text (an API key) from every log record from now on."""
    if secret:
        _secrets.add(secret)


class RedactingFilter(logging.Filter):
    """Replaces known keys and auth-header-shaped text in a record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            # Format the traceback now so that the redaction covers it too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        cleaned = redact_secrets(message)
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def redact_secrets(text: str) -> str:
    """Text with every known key (and the environment's API_KEY) replaced by [redacted]."""
    environment_key = os.environ.get("API_KEY")
    for secret in (*_secrets, *([environment_key] if environment_key else [])):
        text = redact(text, secret)
    return redact(text)


class RotatingFileHandler(logging.FileHandler):
    """A log file that moves to ``.1`` (``.1`` to ``.2``, and so on, keeping ``backups`` of them)
    before a record would take it to ``max_bytes``: the rule of the standard library's
    ``logging.handlers.RotatingFileHandler``, without that module, whose imports (socket, pickle,
    queue) cost 10 ms of every start before the window can open."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        super().__init__(path, mode="a", encoding="utf-8")
        self.max_bytes = max_bytes
        self.backups = backups

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._full_with(record):
                self._roll_over()
        except Exception:
            self.handleError(record)
            return
        super().emit(record)

    def _full_with(self, record: logging.LogRecord) -> bool:
        if self.stream is None:  # closed by a roll-over that failed: go on where the file is
            self.stream = self._open()
        written = self.stream.seek(0, os.SEEK_END)  # tell() may say 0 in append mode on Windows
        adding = len(self.format(record) + self.terminator)
        return written > 0 and written + adding >= self.max_bytes

    def _roll_over(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        base = self.baseFilename
        for number in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{number}"):
                os.replace(f"{base}.{number}", f"{base}.{number + 1}")
        if self.backups > 0:
            os.replace(base, f"{base}.1")
        else:
            os.truncate(base, 0)
        self.stream = self._open()


def configure_logging(level: int = logging.INFO) -> Path | None:
    """Send log records to a rotating file, and warnings to stderr when there is one.

    Returns the log file, or None when it cannot be written (a read-only home); the app starts
    either way. Safe to call more than once: earlier handlers of ours are replaced.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_qagen", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    formatter = logging.Formatter(LOG_FORMAT)
    redacting = RedactingFilter()

    path: Path | None = log_file()
    try:
        log_dir().mkdir(parents=True, exist_ok=True)
        file_handler = RotatingFileHandler(log_file(), MAX_BYTES, BACKUP_COUNT)
    except OSError:
        path = None
    else:
        _add(root, file_handler, formatter, redacting)

    if sys.stderr is not None:
        stderr_handler = logging.StreamHandler(sys.stderr)
        stderr_handler.setLevel(logging.WARNING)
        _add(root, stderr_handler, formatter, redacting)

    if path is None and sys.stderr is None:
        # Nowhere to write: keep logging's "No handlers could be found" fallback quiet.
        _add(root, logging.NullHandler(), formatter, redacting)

    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    _enable_faulthandler()
    return path


def _add(
    root: logging.Logger,
    handler: logging.Handler,
    formatter: logging.Formatter,
    redacting: logging.Filter,
) -> None:
    handler.setFormatter(formatter)
    handler.addFilter(redacting)
    handler._qagen = True  # type: ignore[attr-defined]
    root.addHandler(handler)


def _log_uncaught(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    # Qt calls this for an exception raised in a slot: log it instead of printing to a console
    # that a windowed build does not have.
    if issubclass(kind, KeyboardInterrupt):
        return
    log.critical("Uncaught exception", exc_info=(kind, error, traceback))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None:
        return
    log.critical(
        "Uncaught exception in thread %s",
        args.thread.name if args.thread else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def _enable_faulthandler() -> None:
    """Write a native crash's Python traceback next to the log (stderr may not exist)."""
    global _fault_file
    if _fault_file is not None:
        return
    try:
        log_dir().mkdir(parents=True, exist_ok=True)
        _fault_file = open(log_dir() / "crash.log", "a", encoding="utf-8")  # noqa: SIM115
        faulthandler.enable(file=_fault_file)
    except (OSError, RuntimeError, ValueError):
        _fault_file = None
