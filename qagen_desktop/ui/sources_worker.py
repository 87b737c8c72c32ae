"""Reading the Sources list's files off the GUI thread: a 500-page PDF never freezes the window.

The project's one threading pattern (``worker.start_in_thread``): the worker reads its files one
after the other, reports each PDF page or EPUB chapter as progress, and sends one result per file.
Cancelling is cooperative: the reader's ``progress`` callback raises, which stops a read between
two pages, and no file after it is started.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from qagen_desktop.core.sources import DEFAULT_MAX_BYTES, Progress, Source, read_source
from qagen_desktop.ui.worker import error_message

# read_source's shape: a path, the size limit and a progress callback.
Reader = Callable[..., Source]


class _Stop(Exception):
    """Raised inside the reader's progress callback to stop the file being read."""


class SourcesWorker(QObject):
    """Reads ``paths`` in order with ``reader`` (``read_source`` unless another is handed in).

    Signals: progress(path, done, total) -- pages of a PDF, chapters of an EPUB;
    loaded(path, Source); failed(path, message) -- one line, for any exception a read raises;
    finished() -- always last, also after a cancel. ``path`` is the string given in ``paths``.
    """

    progress = Signal(str, int, int)
    loaded = Signal(str, object)
    failed = Signal(str, str)
    finished = Signal()

    def __init__(
        self,
        paths: Sequence[str],
        *,
        reader: Reader = read_source,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        super().__init__()
        self._paths = list(paths)
        self._reader = reader
        self._max_bytes = max_bytes
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._dropped: set[str] = set()

    @Slot()
    def run(self) -> None:
        try:
            for path in self._paths:
                if self._cancelled.is_set():
                    break
                if self._is_dropped(path):
                    continue
                self._read_one(path)
        finally:
            self.finished.emit()

    def _read_one(self, path: str) -> None:
        try:
            source = self._reader(
                Path(path), max_bytes=self._max_bytes, progress=self._progress_for(path)
            )
        except _Stop:
            return
        except Exception as exc:
            self.failed.emit(path, error_message(exc))
            return
        if not self._is_dropped(path) and not self._cancelled.is_set():
            self.loaded.emit(path, source)

    def _progress_for(self, path: str) -> Progress:
        def progress(done: int, total: int) -> None:
            if self._cancelled.is_set() or self._is_dropped(path):
                raise _Stop
            self.progress.emit(path, done, total)

        return progress

    def _is_dropped(self, path: str) -> bool:
        with self._lock:
            return path in self._dropped

    def cancel(self) -> None:
        """Stop (from any thread): the file being read stops at its next page; no other starts."""
        self._cancelled.set()

    def drop(self, path: str) -> None:
        """Forget one file (removed from the list while queued or being read): it sends nothing."""
        with self._lock:
            self._dropped.add(path)
