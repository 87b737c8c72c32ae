"""A run's progress on stderr: a tqdm bar on a terminal, one plain line per chunk otherwise.

Events arrive on the run's thread; the main thread calls ``tick`` so the clock keeps moving.
Every line that can echo a server's words is redacted first.
"""

from __future__ import annotations

import shutil
import threading
import time
from typing import IO

from tqdm import tqdm

from qagen_desktop.core.client import StreamProgress, Usage
from qagen_desktop.core.errors import ErrorKind, redact
from qagen_desktop.core.generation import FATAL_KINDS, ChunkOutcome, RunEvents
from qagen_desktop.core.records import QAPair

# Failures that end the whole run: reported once, as the run's error, not once per chunk.
RUN_ENDING_KINDS = FATAL_KINDS | {ErrorKind.CONNECT, ErrorKind.CANCELLED, ErrorKind.STOPPED}
# ASCII: Windows consoles without a UTF-8 code page show block characters as garbage.
_BAR_FORMAT = "[{bar:30}] {n_fmt}/{total_fmt} chunks{postfix}"


def describe_failure(outcome: ChunkOutcome, secret: str | None) -> str:
    """``chunk 3 failed (2 of 5 pairs came): reason``: chunk numbers count from 1."""
    reason = redact(outcome.error or "no pairs came back", secret)
    got = f" ({outcome.received} of {outcome.requested} pairs came)" if outcome.received else ""
    return f"chunk {outcome.index + 1} failed{got}: {reason}"


class Progress(RunEvents):
    """The run's events drawn on ``stream``; ``received``, ``failures`` and ``reported`` are
    what the summary needs afterwards."""

    def __init__(self, stream: IO[str], *, tty: bool, requested: int, secret: str | None) -> None:
        self._stream = stream
        self._tty = tty
        self._requested = requested
        self._secret = secret
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._bar: tqdm | None = None
        self.chunks_total = 0
        self.chunks_done = 0
        self.tokens = 0
        self._generation_tokens = 0
        self._judge_tokens = 0
        self.received: list[QAPair] = []
        self.failures: list[ChunkOutcome] = []
        self.reported: set[int] = set()
        # A reasoning model is thinking: its reply has reasoning and no content yet.
        self.thinking = False
        self._said_thinking = False

    # RunEvents, from the run's thread.
    def started(self, chunks_total: int) -> None:
        with self._lock:
            self.chunks_total = chunks_total
            if self._tty:
                # The size is given, not asked of tqdm: a terminal that reports 0x0 (a fresh pty,
                # some CI consoles) makes tqdm hide the bar as a line past the screen's end.
                columns = shutil.get_terminal_size((80, 24)).columns
                self._bar = tqdm(
                    total=chunks_total,
                    file=self._stream,
                    ncols=max(columns - 1, 40),
                    nrows=24,
                    bar_format=_BAR_FORMAT,
                    ascii=" #",
                    leave=False,
                    mininterval=0.1,
                )
                self._draw()
            else:
                plural = "" if chunks_total == 1 else "s"
                self._line(f"Generating {self._requested} pairs from {chunks_total} chunk{plural}")

    def pairs_received(self, pairs: list[QAPair]) -> None:
        with self._lock:
            self.received.extend(pairs)
            self._draw()

    def chunk_finished(self, outcome: ChunkOutcome, done: int, total: int) -> None:
        with self._lock:
            self.chunks_done, self.chunks_total = done, total
            if not outcome.ok:
                self.failures.append(outcome)
                if outcome.error_kind not in RUN_ENDING_KINDS:
                    self.reported.add(outcome.index)
                    self._line(f"qagen: {describe_failure(outcome, self._secret)}")
            if self._bar is None:
                self._line(
                    f"[{done}/{total} chunks] {len(self.received)}/{self._requested} pairs, "
                    f"{self.tokens} tokens, {self.elapsed():.1f} s"
                )
            self._draw()

    def usage_updated(self, usage: Usage) -> None:
        with self._lock:
            self.tokens = usage.total_tokens + self._judge_tokens
            self._generation_tokens = usage.total_tokens
            self._draw()

    def judge_usage_updated(self, usage: Usage) -> None:
        # The progress shows every token spent; the summary tells the judge's apart.
        with self._lock:
            self._judge_tokens = usage.total_tokens
            self.tokens = self._generation_tokens + usage.total_tokens
            self._draw()

    def reply_progress(self, progress: StreamProgress) -> None:
        thinking = progress.content_chars == 0 and progress.reasoning_chars > 0
        if thinking == self.thinking:
            return  # called per delta: only a change is drawn
        with self._lock:
            self.thinking = thinking
            if thinking and self._bar is None and not self._said_thinking:
                self._said_thinking = True
                self._line("qagen: thinking… (the model reasons before it answers)")
            self._draw()

    def notice(self, message: str) -> None:
        with self._lock:
            self._line(f"qagen: {redact(message, self._secret)}")

    # From the main thread.
    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def tick(self) -> None:
        with self._lock:
            self._draw()

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None

    def _line(self, text: str) -> None:
        if self._bar is not None:
            self._bar.clear()
        self._stream.write(text + "\n")
        self._stream.flush()
        self._draw()

    def _draw(self) -> None:
        if self._bar is None:
            return
        self._bar.n = self.chunks_done
        thinking = ", thinking…" if self.thinking else ""
        self._bar.set_postfix_str(
            f"{len(self.received)}/{self._requested} pairs, {self.tokens} tokens, "
            f"{self.elapsed():.0f} s{thinking}",
            refresh=False,
        )
        self._bar.refresh()
