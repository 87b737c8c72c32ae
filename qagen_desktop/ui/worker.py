"""Work that must not run on the GUI thread: a generation run and a connection test.

One pattern for both (as in Mu): a QObject worker moved to a QThread, ``started -> run``,
``finished -> quit``, ``thread.finished -> deleteLater``; the worker goes with the caller's
last reference, on the GUI thread. Workers never touch a widget; everything they learn leaves as
a signal, and every exception becomes the ``error`` signal. Cancelling is cooperative
(``Generator.cancel``), never ``QThread.terminate``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from qagen_desktop.core.errors import QagenError, redact

if TYPE_CHECKING:
    from qagen_desktop.core.generation import ChunkOutcome, Generator, RunConfig, Usage
    from qagen_desktop.core.records import QAPair
    from qagen_desktop.core.sources import Source

log = logging.getLogger(__name__)


def error_message(exc: BaseException, *secrets: str | None) -> str:
    """One plain line for the window; never holds a key (the run's, or its judge's)."""
    if isinstance(exc, QagenError):
        text = str(exc)
    else:
        log.error("Unexpected error in a worker", exc_info=exc)
        text = f"Unexpected error ({type(exc).__name__}): {exc}"
    text = redact(text)  # auth headers, whatever the keys
    for secret in secrets:
        text = redact(text, secret)
    lines = text.strip().splitlines()
    return lines[0] if lines else type(exc).__name__


@dataclass
class RunProgress:
    """What a run reported since the GUI thread last took it: the chunk count once it is known,
    the pairs and finished chunks in the order they came, the latest usage, the notices."""

    chunks_total: int | None = None
    pairs: list[QAPair] = field(default_factory=list)
    chunks: list[tuple[ChunkOutcome, int, int]] = field(default_factory=list)
    usage: Usage | None = None
    notices: list[str] = field(default_factory=list)


class RunInbox:
    """Where a run's thread leaves its progress for the GUI thread, one signal per batch.

    Each call into Python from Qt's C++ on the GUI thread (a queued signal's slot) must take the
    GIL from a busy run thread, which can take a switch interval each time: a signal per pair,
    chunk and usage update made dozens of such waits per frame. The run adds to one
    ``RunProgress``; only the first event since the last ``take`` calls ``notify``.
    """

    def __init__(self, notify: Callable[[], None]) -> None:
        self._notify = notify
        self._lock = threading.Lock()
        self._progress = RunProgress()
        self._notified = False

    # The run's events (called on the run's thread), each added to the waiting progress.

    def started(self, chunks_total: int) -> None:
        with self._adding() as progress:
            progress.chunks_total = chunks_total

    def pairs_received(self, pairs: list[QAPair]) -> None:
        with self._adding() as progress:
            progress.pairs.extend(pairs)

    def chunk_finished(self, outcome: ChunkOutcome, done: int, total: int) -> None:
        with self._adding() as progress:
            progress.chunks.append((outcome, done, total))

    def usage_updated(self, usage: Usage) -> None:
        with self._adding() as progress:
            progress.usage = usage

    def notice(self, message: str) -> None:
        with self._adding() as progress:
            progress.notices.append(message)

    @contextlib.contextmanager
    def _adding(self) -> Iterator[RunProgress]:
        # Notified under the lock (a queued signal only posts an event): a take between the
        # change and the notification would leave a notification with nothing to take.
        with self._lock:
            yield self._progress
            if not self._notified:
                self._notified = True
                self._notify()

    def take(self) -> RunProgress:
        """Everything reported since the last take (on the GUI thread); the next addition
        notifies again."""
        with self._lock:
            taken, self._progress = self._progress, RunProgress()
            self._notified = False
        return taken


class EngineWorker(QObject):
    """Builds a ``Generator`` on the worker's thread, from the ``RunConfig`` that
    ``build_config`` returns, and hands it to ``work``; cancellable from any thread.

    ``build_config`` is called here, on the worker's thread: the engine's modules (httpx among
    them, most of a second to import) load off the GUI thread, which would stall on them.
    Subclasses say what the job is (``work``) and may give the engine its events (``events``).

    Signals: error(str); finished(object) -- always last: what ``work`` returned, or None after
    an error.
    """

    error = Signal(str)
    finished = Signal(object)

    def __init__(
        self,
        build_config: Callable[[], RunConfig],
        *,
        generator_factory: Callable[..., Generator] | None = None,
    ) -> None:
        super().__init__()
        self._build_config = build_config
        self._factory = generator_factory
        self._lock = threading.Lock()
        self._generator: Generator | None = None
        self._cancelled = False

    def work(self, generator: Generator) -> Any:
        """The job, on the worker's thread."""
        raise NotImplementedError

    def events(self, base: type) -> Any:
        """The engine's listener (``base`` is ``RunEvents``, loaded with the engine); None for
        the engine's own, silent one."""
        return None

    @Slot()
    def run(self) -> None:
        result = None
        secrets: tuple[str | None, ...] = ()
        try:
            # httpx and the engine load here, in the worker, on the first job: the window
            # shows without them.
            from qagen_desktop.core import generation

            config = self._build_config()
            secrets = (config.api_key, config.judge_api_key)
            factory = self._factory or generation.Generator
            events = self.events(generation.RunEvents)
            generator = factory(config) if events is None else factory(config, events=events)
            with self._lock:
                self._generator = generator
                cancelled = self._cancelled
            if cancelled:
                generator.cancel()
            result = self.work(generator)
        except Exception as exc:
            self.error.emit(error_message(exc, *secrets))
        finally:
            with self._lock:
                self._generator = None
            self.finished.emit(result)

    def cancel(self) -> None:
        """Ask the engine to stop (from any thread); a run returns what it received so far."""
        with self._lock:
            self._cancelled = True
            generator = self._generator
        if generator is not None:
            generator.cancel()


class GenerationWorker(EngineWorker):
    """Runs one ``Generator`` over a text or sources (see ``EngineWorker``). What the run
    reports waits in ``inbox`` (see ``RunInbox``).

    Signals: progressed() -- ``inbox`` holds news; error(str); finished(RunResult | None) --
    always last, after the last progressed(); None after an error.
    """

    progressed = Signal()

    def __init__(
        self,
        build_config: Callable[[], RunConfig],
        text: str | Sequence[Source],
        *,
        generator_factory: Callable[..., Generator] | None = None,
    ) -> None:
        super().__init__(build_config, generator_factory=generator_factory)
        self._text = text
        self.inbox = RunInbox(self.progressed.emit)

    def events(self, base: type) -> Any:
        return _events_for(self.inbox, base)

    def work(self, generator: Generator) -> Any:
        return generator.run(self._text)


def _events_for(inbox: RunInbox, base: type) -> Any:
    """A RunEvents (``base``, loaded with the engine) that passes each event to ``inbox``."""

    class InboxEvents(base):
        started = staticmethod(inbox.started)
        pairs_received = staticmethod(inbox.pairs_received)
        chunk_finished = staticmethod(inbox.chunk_finished)
        usage_updated = staticmethod(inbox.usage_updated)
        notice = staticmethod(inbox.notice)

    return InboxEvents()


class CallWorker(QObject):
    """Calls one blocking function (a connection test).

    Signals: succeeded(object), error(str), finished() -- always last.
    """

    succeeded = Signal(object)
    error = Signal(str)
    finished = Signal()

    def __init__(self, function: Callable[[], Any], *, secret: str | None = None) -> None:
        super().__init__()
        self._function = function
        self._secret = secret

    @Slot()
    def run(self) -> None:
        try:
            self.succeeded.emit(self._function())
        except Exception as exc:
            self.error.emit(error_message(exc, self._secret))
        finally:
            self.finished.emit()


def start_in_thread(worker: QObject, on_thread_finished: Callable[[], None]) -> QThread:
    """Move ``worker`` to a new QThread with the full clean-up wiring and start it.

    ``on_thread_finished`` runs on the GUI thread once the thread has stopped; the caller keeps
    references to the worker and the thread until then, waits for the thread, and then drops
    them (which deletes the worker, here).
    """
    thread = QThread()
    thread.setObjectName(f"{type(worker).__name__}Thread")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)  # type: ignore[attr-defined]
    # Direct: QThread.quit is thread-safe, and a GUI thread blocked in wait() (a window closing)
    # could never run a queued quit.
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # type: ignore[attr-defined]
    # No deleteLater on the worker: it is deleted when the caller drops its reference, on the GUI
    # thread after the thread has ended. Destroyed on its own thread, a Python worker waits for
    # the GIL while it holds one of Qt's connection locks (a pool shared by all objects), and a
    # GUI thread holding the GIL while it takes that lock waits for it: CI runs froze so.
    thread.finished.connect(on_thread_finished)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread
