"""The settings written off the GUI thread: a save syncs the file and its folder to disk, which
stalls the window for milliseconds, more on a busy disk."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, QThread, Slot
from shiboken6 import isValid

from qagen_desktop.core.settings import Settings, save_settings
from qagen_desktop.ui.worker import CallWorker, start_in_thread

log = logging.getLogger(__name__)


class SettingsWriter(QObject):
    """Writes copies of the settings in the order given, on one thread at a time.

    A copy made while an earlier one is being written waits for it, and a newer copy replaces
    one still waiting: only the latest needs to reach the disk, and it never lands before an
    older one. ``wait`` returns once every copy is written.
    """

    def __init__(
        self, write: Callable[[Settings], None] = save_settings, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._write = write
        self._waiting: Settings | None = None
        self._thread: QThread | None = None
        self._worker: CallWorker | None = None

    @property
    def writing(self) -> bool:
        return self._thread is not None or self._waiting is not None

    def save(self, settings: Settings) -> None:
        """Write a copy of ``settings`` as they are now, on a thread."""
        self._waiting = copy.deepcopy(settings)
        if self._thread is None:
            self._start()

    def wait(self) -> None:
        """Return once every copy is on disk (a copy still waiting is written here)."""
        if self._thread is not None and isValid(self._thread):
            self._thread.wait()
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._write_logged(waiting)

    def _start(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is None:
            return
        self._worker = CallWorker(partial(self._write_logged, waiting))
        self._thread = start_in_thread(self._worker, self._thread_finished)

    @Slot()
    def _thread_finished(self) -> None:
        # As in RunController: wait for the thread to end before the last reference goes.
        if self._thread is not None and isValid(self._thread):
            self._thread.wait()
        self._thread = self._worker = None
        self._start()

    def _write_logged(self, settings: Settings) -> None:
        try:
            self._write(settings)
        except OSError as exc:
            log.warning("Settings could not be saved (%s).", exc)
