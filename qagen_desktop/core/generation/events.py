"""What a run reports while it goes: typed methods, called directly (no names matched by hand)."""

from __future__ import annotations

import logging

from qagen_desktop.core.client import StreamProgress, Usage
from qagen_desktop.core.generation.results import ChunkOutcome
from qagen_desktop.core.records import QAPair

log = logging.getLogger(__name__)


class RunEvents:
    """A run's listener; every method is called on the run's thread and does nothing here, so a
    listener overrides only what it shows."""

    def started(self, chunks_total: int) -> None:
        """The run is about to send requests for this many chunks."""

    def pairs_received(self, pairs: list[QAPair]) -> None:
        """New pairs that passed every check, as each reply is accepted."""

    def chunk_finished(self, outcome: ChunkOutcome, done: int, total: int) -> None:
        """A chunk got its share or gave up; ``done`` of ``total`` chunks are finished."""

    def usage_updated(self, usage: Usage) -> None:
        """The token usage summed so far."""

    def judge_usage_updated(self, usage: Usage) -> None:
        """The judge's token usage summed so far (apart from generation's)."""

    def notice(self, message: str) -> None:
        """Something worth a line in the status bar: a retry, a fallback."""

    def reply_progress(self, progress: StreamProgress) -> None:
        """A streamed reply grew (content, or a reasoning model's thinking): called per delta,
        so a listener does little here."""


class GuardedEvents(RunEvents):
    """Passes each event on; a listener that raises is logged and the run goes on."""

    def __init__(self, inner: RunEvents) -> None:
        self._inner = inner

    def started(self, chunks_total: int) -> None:
        try:
            self._inner.started(chunks_total)
        except Exception:  # a broken listener must not break the run
            log.exception("RunEvents.started failed")

    def pairs_received(self, pairs: list[QAPair]) -> None:
        try:
            self._inner.pairs_received(pairs)
        except Exception:
            log.exception("RunEvents.pairs_received failed")

    def chunk_finished(self, outcome: ChunkOutcome, done: int, total: int) -> None:
        try:
            self._inner.chunk_finished(outcome, done, total)
        except Exception:
            log.exception("RunEvents.chunk_finished failed")

    def usage_updated(self, usage: Usage) -> None:
        try:
            self._inner.usage_updated(usage)
        except Exception:
            log.exception("RunEvents.usage_updated failed")

    def judge_usage_updated(self, usage: Usage) -> None:
        try:
            self._inner.judge_usage_updated(usage)
        except Exception:
            log.exception("RunEvents.judge_usage_updated failed")

    def notice(self, message: str) -> None:
        try:
            self._inner.notice(message)
        except Exception:
            log.exception("RunEvents.notice failed")

    def reply_progress(self, progress: StreamProgress) -> None:
        try:
            self._inner.reply_progress(progress)
        except Exception:
            log.exception("RunEvents.reply_progress failed")
