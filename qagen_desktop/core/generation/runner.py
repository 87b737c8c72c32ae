"""A generation run: text in, exactly N grounded question-answer pairs out (or the shortfall).

The text is cut into chunks, the pairs are spread over them, and each chunk asks the model for
what it still needs until it has its share or its retry budget is spent. At most ``concurrency``
requests are in flight. ``Generator.run`` blocks on its own event loop, so the command line and
the window's worker thread drive it the same way; ``cancel`` may be called from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from qagen_desktop.core.chunking import Chunk
from qagen_desktop.core.client import ChatError, ChatReply, Usage, new_async_client, send_chat
from qagen_desktop.core.errors import ErrorKind
from qagen_desktop.core.generation.collector import PairCollector
from qagen_desktop.core.generation.config import RunConfig
from qagen_desktop.core.generation.events import GuardedEvents, RunEvents
from qagen_desktop.core.generation.fitting import (
    Fit,
    fit_piece,
    fit_run,
    measured_chars_per_token,
    probe,
    split_chunk,
)
from qagen_desktop.core.generation.judge_steps import JudgeSteps
from qagen_desktop.core.generation.judging import JudgePass
from qagen_desktop.core.generation.negotiation import (
    Negotiation,
    RequestShape,
    response_mode_or_default,
)
from qagen_desktop.core.generation.plan import Plan, plan_run
from qagen_desktop.core.generation.request import pairs_body
from qagen_desktop.core.generation.results import ChunkOutcome, RunResult
from qagen_desktop.core.generation.retry import FATAL_KINDS, QuotaWait, RetryPolicy
from qagen_desktop.core.generation.review import ReviewTools, drive
from qagen_desktop.core.quality import PairChecker
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.sources import Source

log = logging.getLogger(__name__)

# Failures that leave a chunk failed with the server's own message, not a count of pairs.
_SERVER_KINDS = frozenset(
    {ErrorKind.RATE_LIMITED, ErrorKind.SERVER, ErrorKind.TIMEOUT, ErrorKind.CONNECT}
)

Sleep = Callable[[float], Awaitable[Any]]
Clock = Callable[[], float]


class Generator(ReviewTools):
    """Runs one generation; see the module docstring. Its review tools, ``judge_pairs`` and
    ``regenerate``, come from ``review.ReviewTools``.

    ``transport`` replaces the network (tests), ``sleep`` the backoff sleep (an awaitable),
    ``clock`` the monotonic clock that times the run, and ``rng`` the backoff's jitter.
    """

    def __init__(
        self,
        config: RunConfig,
        *,
        events: RunEvents | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self.events = events or RunEvents()
        self._transport = transport
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock: Clock = clock or time.monotonic
        self._rng = rng or random.Random()
        self._retry = retry or RetryPolicy()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._cancel_requested = False
        self._fit = Fit(config.chunk_chars)

    def run(self, sources: str | Sequence[Source]) -> RunResult:
        """Generate the pairs from ``sources`` (a text is one pasted source); blocks until done
        or cancelled. ConfigError before any request."""
        work = self._plan([Source.pasted(sources)] if isinstance(sources, str) else sources)
        started = self._clock()
        run = _Run(self, work)
        if drive(self, run.main()):
            run.cancelled = True
        return run.result(self._clock() - started)

    def cancel(self) -> None:
        """Stop the run (thread-safe): run() returns soon with every pair received so far."""
        with self._lock:
            if self._cancel_requested:
                return
            self._cancel_requested = True
            loop, task = self._loop, self._task
        if loop is not None and task is not None:
            # RuntimeError: the loop closed in between, so the run is over anyway.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)

    def _new_run(self, work: list[tuple[Chunk, int]]) -> _Run:
        return _Run(self, work)

    def _plan(self, sources: Sequence[Source]) -> Plan:
        """Check the configuration and the sources; the chunks to ask and the pairs each owes."""
        self.config.validate()
        text_chars = sum(len(source.text) for source in sources)
        self._fit = fit_run(self.config, text_chars, probe(self.config, self._transport))
        return plan_run(sources, self.config.total_pairs, self._fit.chunk_chars)


class _Run(JudgeSteps):
    """What one run's chunks share (all on the run's event loop): the plan, the pairs, the
    usage, the negotiated request shape, and whether the run has been stopped."""

    def __init__(self, generator: Generator, work: list[tuple[Chunk, int]]) -> None:
        self.config = config = generator.config
        self.generator = generator
        self.transport = generator._transport
        self.events = GuardedEvents(generator.events)
        self.work = work
        self.outcomes = [ChunkOutcome(chunk.index, share) for chunk, share in work]
        self.pairs: list[QAPair] = []
        self.rejected: list[QAPair] = []
        self.checker = PairChecker()  # one question index for the whole run
        self.collector = PairCollector([self.checker])
        self.usage = Usage()
        self.negotiation = Negotiation(
            mode=response_mode_or_default(config.response_mode), refused=config.refused
        )
        self.connect_failures = 0
        self.split_chunks: set[int] = set()
        self.fatal: str | None = None
        self.cancelled = False
        self.done = 0
        self.tasks: list[asyncio.Task[None]] = []
        self.client: httpx.AsyncClient | None = None
        self.slots = asyncio.Semaphore(config.concurrency)
        # With the judge on, a chunk's checked pairs wait in ``held`` until it has rated them.
        self.judging = JudgePass(config, self.slots) if config.judge else None
        self.held: dict[int, list[QAPair]] = {}
        self.judge_client: httpx.AsyncClient | None = None
        self.unjudged: list[QAPair] = []
        self.judge_failures: dict[int, tuple[str, ErrorKind]] = {}

    async def main(self) -> None:
        self.events.started(len(self.work))
        if self.generator._fit.warning:
            self.events.notice(self.generator._fit.warning)
        client = new_async_client(
            self.config.timeout,
            self.config.concurrency,
            self.generator._transport,
            endpoint=self.config.endpoint,
        )
        async with client, self._judge_client(client):
            self.client = client
            self.tasks = [
                asyncio.create_task(self._chunk_task(chunk, outcome))
                for (chunk, _), outcome in zip(self.work, self.outcomes, strict=True)
            ]
            if not self.tasks:
                return
            try:
                await asyncio.wait(self.tasks)
            except asyncio.CancelledError:
                self.cancelled = True
                for task in self.tasks:
                    task.cancel()
                await asyncio.wait(self.tasks)

    def result(self, elapsed: float) -> RunResult:
        unjudged = self._release_held()
        pairs = sorted(self.pairs, key=lambda pair: pair.chunk or 0)  # stable: text order
        return RunResult(
            pairs=pairs,
            outcomes=self.outcomes,
            usage=self.usage,
            requested=self.config.total_pairs,
            response_mode=self.negotiation.confirmed or self.config.response_mode,
            cancelled=self.cancelled,
            elapsed=elapsed,
            fatal=self.fatal,
            rejected=self.rejected,
            refused=self.negotiation.refused,
            judge_usage=self.judging.usage if self.judging is not None else Usage(),
            unjudged=unjudged,
        )

    async def _chunk_task(self, chunk: Chunk, outcome: ChunkOutcome) -> None:
        try:
            await self._fill_and_judge(chunk, outcome)
        except asyncio.CancelledError:
            if self.fatal is not None and not self.cancelled:
                outcome.fail("Not finished: the run stopped.", ErrorKind.STOPPED)
            else:
                outcome.fail("Cancelled.", ErrorKind.CANCELLED)
            raise
        except ChatError as exc:
            outcome.fail(str(exc), exc.kind)
            self._stop(str(exc))
        except Exception as exc:  # a bug must not hang the run: report it on this chunk
            log.exception("chunk %d failed", chunk.index)
            outcome.fail(f"Unexpected error: {exc}", ErrorKind.INTERNAL)
        self.done += 1
        self.events.chunk_finished(outcome, self.done, len(self.work))

    async def _fill_chunk(self, chunk: Chunk, outcome: ChunkOutcome) -> None:
        """Ask until the chunk has its share or its budget is spent; ChatError = stop the run.

        One budget of ``max_retries`` further requests per chunk, whatever their reason.
        """
        budget = self._budget_left(outcome)
        failures = 0
        reason, reason_kind = "", ErrorKind.SHORT
        while outcome.received < outcome.requested:
            if outcome.requests > 0:
                if budget == 0:
                    break
                budget -= 1
            outcome.requests += 1
            need = outcome.requested - outcome.received
            try:
                reply = await self._ask(chunk, need)
            except ChatError as exc:
                if exc.kind == ErrorKind.TOO_LONG and await self._fill_split(chunk, outcome, exc):
                    return
                if not exc.retryable:
                    if exc.kind in FATAL_KINDS:
                        raise
                    outcome.fail(str(exc), exc.kind)
                    return
                if exc.partial is not None and exc.partial.content:
                    self._take(chunk, outcome, exc.partial, need)
                    if outcome.received >= outcome.requested:
                        continue
                failures += 1
                self._count_connect_failure(exc, failures, budget)
                reason, reason_kind = self._after_retryable(exc), exc.kind
                await self._wait_before_retry(exc, failures, chunk, retrying=budget > 0)
                continue
            failures = 0
            self.connect_failures = 0
            reason, reason_kind = self._take(chunk, outcome, reply, need)
            reason, reason_kind = await self._judge_held(chunk, outcome, (reason, reason_kind))
            budget = self._budget_left(outcome)  # the judge's retries spend it too
            if reason_kind == ErrorKind.FILTERED:
                outcome.fail(reason, reason_kind)
                return
        if outcome.received >= outcome.requested:
            return
        if reason_kind in _SERVER_KINDS:
            outcome.fail(reason, reason_kind)
            return
        outcome.reason = reason
        outcome.fail(
            f"Got {outcome.received} of {outcome.requested} pairs after {outcome.requests} "
            f"requests: {reason}.",
            reason_kind,
        )

    async def _fill_split(self, chunk: Chunk, outcome: ChunkOutcome, exc: ChatError) -> bool:
        """A chunk the server refused as longer than its context, cut into pieces that fit
        (halves, where the server did not say its context), each asked for its share of the
        pairs still owed. False when the chunk is too short to cut: then the refusal is the
        chunk's failure."""
        need = outcome.requested - outcome.received
        overflow = exc.overflow
        window = overflow.context_tokens if overflow is not None else None
        fits, most = 0, 0
        if window and overflow is not None:
            rate = measured_chars_per_token(self.config, chunk.text, need, overflow.prompt_tokens)
            fits, most = fit_piece(window, self.config, len(chunk.text), need, rate)
        pieces = split_chunk(chunk, need, fits or None)
        if not pieces:
            return False
        if chunk.index not in self.split_chunks:  # said once per chunk, not per halving
            self.split_chunks.add(chunk.index)
            size = f" ({window} tokens)" if window else ""
            count = "two" if len(pieces) == 2 else str(len(pieces))
            self.events.notice(
                f"Chunk {chunk.index + 1} was longer than the server's context{size}: "
                f"split in {count}."
            )
        await self._fill_pieces(chunk, outcome, pieces, most or max(s for _, s in pieces))
        return True

    async def _fill_pieces(
        self, chunk: Chunk, outcome: ChunkOutcome, pieces: list[tuple[Chunk, int]], most: int
    ) -> None:
        """Each piece asked for its share, in text order; what a piece could not give is asked
        of the pieces that owed none, up to ``most`` pairs each, so one piece of text the model
        makes nothing of does not cost its chunk those pairs. The pieces share one budget: a
        first request for each piece that owes pairs, and ``max_retries`` further requests for
        each such piece, spent on fresh pieces first and then on asking again."""
        owed = [(piece, share) for piece, share in pieces if share > 0]
        spare = [piece for piece, share in pieces if share == 0]
        retries = self.config.max_retries
        pool = len(owed) * retries
        failed: ChunkOutcome | None = None
        while owed or (spare and pool > 0 and outcome.received < outcome.requested):
            if owed:
                piece, share = owed.pop(0)
            else:
                piece, share = spare.pop(0), min(outcome.requested - outcome.received, most)
                pool -= 1  # a spare piece's first request is a further one
            # While spare pieces last, a piece that gave nothing passes its pairs on to fresh
            # text rather than asking again of text the model made nothing of.
            part = ChunkOutcome(chunk.index, share, retries=0 if spare else min(retries, pool))
            await self._fill_chunk(piece, part)
            pool -= max(0, part.requests - 1) + part.judge_retries
            outcome.received += part.received
            outcome.requests += part.requests
            outcome.judge_retries += part.judge_retries
            if part.error is not None:
                failed = part
        if outcome.received >= outcome.requested or failed is None:
            return
        if failed.error is None or failed.error_kind is None:
            return
        if failed.error_kind in _SERVER_KINDS or not failed.reason:
            outcome.fail(failed.error, failed.error_kind)
            return
        outcome.fail(
            f"Got {outcome.received} of {outcome.requested} pairs from {len(pieces)} pieces "
            f"after {outcome.requests} requests: {failed.reason}.",
            failed.error_kind,
        )

    def _count_connect_failure(self, exc: ChatError, failures: int, budget: int) -> None:
        """Nothing answering is the server's state, not this chunk's: the run gets one budget
        of failures for it (and at least one retry), then stops rather than have every chunk
        knock in turn."""
        if exc.kind != ErrorKind.CONNECT:
            return
        self.connect_failures += 1
        tried = failures > 1 or budget == 0
        if tried and self.connect_failures > self.config.max_retries:
            raise exc

    def _take(
        self, chunk: Chunk, outcome: ChunkOutcome, reply: ChatReply, need: int
    ) -> tuple[str, ErrorKind]:
        """Keep the pairs of a reply that pass the checks; say why it fell short, if it did."""
        if reply.usage is not None:
            self.usage.add(reply.usage)
            self.events.usage_updated(Usage(**vars(self.usage)))
        got = self.collector.collect(chunk, reply, need)
        self.rejected.extend(got.rejected)
        if got.kept:
            outcome.received += len(got.kept)
            self._accept(chunk, got.kept)
        return got.reason, got.kind

    def _after_retryable(self, exc: ChatError) -> str:
        """The chunk's message if this failure is the last one its budget allows."""
        retries = self.config.max_retries
        if exc.kind == ErrorKind.RATE_LIMITED:
            return (
                f"Still rate-limited (429) after {retries} retries: lower the concurrency or "
                "try again later."
            )
        return str(exc)

    async def _wait_before_retry(
        self, exc: ChatError, failures: int, chunk: Chunk, *, retrying: bool
    ) -> None:
        """Sleep as the retry policy says; a wait over the quota cap raises instead."""
        wait = self.generator._retry.wait(
            failures, exc.retry_after, self.generator._rng, kind=exc.kind, status=exc.status
        )
        if isinstance(wait, QuotaWait):
            raise ChatError(wait.message, kind=ErrorKind.QUOTA, status=exc.status)
        if not retrying:
            return
        what = "Rate-limited" if exc.kind == ErrorKind.RATE_LIMITED else _short(exc)
        self.events.notice(f"{what}; retrying chunk {chunk.index + 1} in {_seconds(wait)}")
        await self.generator._sleep(wait)

    async def _ask(self, chunk: Chunk, need: int) -> ChatReply:
        """One request for ``need`` pairs. A 400 that refuses part of the request switches to
        what the server takes and asks again: no chunk's budget pays for that."""
        assert self.client is not None
        config = self.config
        while True:
            # The body is built once a slot is free, so it carries what the server was last
            # found to take.
            async with self.slots:
                shape = self.negotiation.shape()
                body = self._body(chunk, need, shape)
                try:
                    reply = await send_chat(
                        self.client,
                        config.endpoint,
                        config.api_key,
                        body,
                        self.events.reply_progress,
                    )
                except ChatError as exc:
                    notice = self.negotiation.after_refusal(exc, shape)
                    if notice is None:
                        raise
                    if notice:
                        self.events.notice(notice)
                    continue
            self.negotiation.succeeded(shape)
            return reply

    def _body(self, chunk: Chunk, need: int, shape: RequestShape) -> dict[str, Any]:
        return pairs_body(self.config, chunk.text, need, shape, self.generator._fit.extra)

    def _stop(self, message: str) -> None:
        """Stop every other chunk: the run cannot succeed (bad key, wrong URL, no quota)."""
        if self.fatal is not None:
            return
        self.fatal = message
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()


def _short(exc: ChatError) -> str:
    if exc.status:
        return f"Server error (HTTP {exc.status})"
    if exc.kind == ErrorKind.TIMEOUT:
        return "No answer in time"
    return "Connection failed"


def _seconds(wait: float) -> str:
    return f"{wait:.1f} s" if wait < 10 else f"{wait:.0f} s"
