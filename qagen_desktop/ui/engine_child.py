"""The engine process: one generation run for the window, in a process of its own.

Started by ``engine_process.EngineProcess`` (``python -m qagen_desktop.ui.engine_child``, or the
frozen app with ``--engine``). Its own process means its own GIL: the window's GUI thread never
waits for the run's parsing and checks. It reads one request line on standard input, writes its
events as lines on standard output (``engine_wire``), and stops when it reads a cancel line or the
end of its input (the window closed it, or went away). No Qt here.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import IO, TYPE_CHECKING

from qagen_desktop.core.errors import QagenError
from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.engine_wire import (
    Event,
    RunRequest,
    build_run_config,
    error_message,
    event_line,
    outcome_data,
    pair_data,
    result_data,
    usage_data,
)

if TYPE_CHECKING:
    from qagen_desktop.core.generation import ChunkOutcome, Generator, Usage

log = logging.getLogger(__name__)


class _Lines:
    """Event lines to the window, one whole line at a time (flushed: the window shows it now)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, kind: Event, **values: object) -> None:
        line = event_line(kind, **values)
        with self._lock:
            self._stream.write(line)
            self._stream.flush()


def _events(lines: _Lines) -> object:
    from qagen_desktop.core.generation import RunEvents

    class WireEvents(RunEvents):
        def started(self, chunks_total: int) -> None:
            lines.send(Event.STARTED, chunks_total=chunks_total)

        def pairs_received(self, pairs: list[QAPair]) -> None:
            lines.send(Event.PAIRS, pairs=[pair_data(pair) for pair in pairs])

        def chunk_finished(self, outcome: ChunkOutcome, done: int, total: int) -> None:
            lines.send(Event.CHUNK, outcome=outcome_data(outcome), done=done, total=total)

        def usage_updated(self, usage: Usage) -> None:
            lines.send(Event.USAGE, usage=usage_data(usage))

        def notice(self, message: str) -> None:
            lines.send(Event.NOTICE, message=message)

    return WireEvents()


def _watch_input(stream: IO[bytes], generator: Generator) -> None:
    """Cancel the run at a cancel line or at the end of input (the window is gone)."""
    try:
        for line in stream:
            if line.strip():
                break
    except (OSError, ValueError):
        pass
    generator.cancel()


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """Run the one request read from ``stdin``; 0 once ``finished`` is written."""
    lines = _Lines(stdout)
    result = None
    secret: str | None = None
    try:
        request = RunRequest.from_line(stdin.readline())
        secret = request.api_key
        from qagen_desktop.core.generation import Generator

        config = build_run_config(
            request.settings, request.endpoint, request.api_key, request.total_pairs
        )
        generator = Generator(config, events=_events(lines))  # type: ignore[arg-type]
        threading.Thread(
            target=_watch_input, args=(stdin, generator), name="cancel-watch", daemon=True
        ).start()
        result = generator.run(request.text)
    except Exception as exc:
        if not isinstance(exc, QagenError):  # a QagenError is the user's to fix, not a fault
            log.error("The run failed", exc_info=exc)
        lines.send(Event.ERROR, message=error_message(exc, secret))
    lines.send(Event.FINISHED, result=None if result is None else result_data(result))
    return 0


def main() -> int:
    """The engine's entry point: standard input and output are the window's pipe."""
    # Warnings go to stderr, which the window copies into its own (redacting) log.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s: %(message)s")
    code = serve(sys.stdin.buffer, sys.stdout.buffer)
    sys.stdout.flush()
    sys.stderr.flush()
    # Out at once: the cancel watcher may still be blocked reading stdin, and an interpreter
    # shutting down around a thread holding stdin's lock aborts ("_enter_buffered_busy").
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
