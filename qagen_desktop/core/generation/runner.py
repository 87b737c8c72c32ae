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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from qagen_desktop.core.chunking import MIN_CHUNK_CHARS, Chunk, allocate_pairs, chunk_text
from qagen_desktop.core.client import ChatError, ChatReply, Usage, new_async_client, send_chat
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError, ErrorKind
from qagen_desktop.core.parsing import normalise_question, parse_pairs
from qagen_desktop.core.prompts import (
    DEFAULT_TEMPLATE,
    build_messages,
    check_template,
    response_format,
)
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.settings import RESPONSE_MODES

__all__ = [
    "ChunkOutcome",
    "Generator",
    "RunConfig",
    "RunEvents",
    "RunResult",
    "Usage",
]

log = logging.getLogger(__name__)

# A server asking for a longer wait than this has run out of quota: say so, do not sleep.
QUOTA_WAIT = 120.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 20.0
# Failures after which sending the rest of the run is pointless: every request would fail alike.
FATAL_KINDS = frozenset(
    {"auth", "forbidden", "not_found", "quota", "redirect", "dns", "tls", "connect"}
)

Sleep = Callable[[float], Awaitable[Any]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class RunConfig:
    """Everything one run needs, as plain values (read from the settings by the caller)."""

    endpoint: Endpoint
    api_key: str | None = None
    total_pairs: int = 5
    chunk_chars: int = 3000
    concurrency: int = 4
    max_retries: int = 3
    timeout: float = 60.0
    prompt_template: str = DEFAULT_TEMPLATE
    system_message: str = ""
    response_mode: str = "json_schema"


@dataclass
class ChunkOutcome:
    """How one chunk went: pairs asked and received, and why it fell short if it did."""

    index: int
    requested: int
    received: int = 0
    error: str | None = None
    error_kind: str | None = None
    requests: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None and self.received >= self.requested


@dataclass
class RunResult:
    """The pairs (in text order), each chunk's outcome, the summed usage, and how it ended."""

    pairs: list[QAPair]
    outcomes: list[ChunkOutcome]
    usage: Usage
    requested: int
    response_mode: str
    cancelled: bool = False
    elapsed: float = 0.0
    fatal: str | None = None

    @property
    def shortfall(self) -> int:
        return max(0, self.requested - len(self.pairs))

    @property
    def failed(self) -> list[ChunkOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]


class RunEvents:
    """What a run reports while it goes; every method is called on the run's thread."""

    def started(self, chunks_total: int) -> None:
        """The run is about to send requests for this many chunks."""

    def pairs_received(self, pairs: list[QAPair]) -> None:
        """New unique pairs, as each reply is accepted."""

    def chunk_finished(self, outcome: ChunkOutcome, done: int, total: int) -> None:
        """A chunk got its share or gave up; ``done`` of ``total`` chunks are finished."""

    def usage_updated(self, usage: Usage) -> None:
        """The token usage summed so far."""

    def notice(self, message: str) -> None:
        """Something worth a line in the status bar: a retry, a fallback."""


class Generator:
    """Runs one generation; see the module docstring.

    ``transport`` replaces the network (tests), ``sleep`` the backoff sleep (an awaitable), and
    ``clock`` the monotonic clock that times the run.
    """

    def __init__(
        self,
        config: RunConfig,
        *,
        events: RunEvents | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.events = events or RunEvents()
        self._transport = transport
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock: Clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._cancel_requested = False

    def run(self, text: str) -> RunResult:
        """Generate the pairs; blocks until done or cancelled. ConfigError before any request."""
        work = self._plan(text)
        started = self._clock()
        run = _Run(self.config, self.events, self._transport, self._sleep, work)
        loop = asyncio.new_event_loop()
        try:
            task = loop.create_task(run.main())
            with self._lock:
                self._loop, self._task = loop, task
                if self._cancel_requested:
                    task.cancel()
            try:
                loop.run_until_complete(task)
            except asyncio.CancelledError:
                run.cancelled = True
        finally:
            with self._lock:
                self._loop = self._task = None
                self._cancel_requested = False
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
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

    def _plan(self, text: str) -> list[tuple[Chunk, int]]:
        """Check the configuration and the text; the chunks to ask and the pairs each owes."""
        config = self.config
        config.endpoint.chat_url()  # raises ConfigError for a URL that cannot work
        if config.total_pairs < 1:
            raise ConfigError("The number of pairs must be at least 1.")
        if config.concurrency < 1:
            raise ConfigError("Concurrency must be at least 1.")
        if config.max_retries < 0:
            raise ConfigError("Max retries cannot be negative.")
        if config.timeout <= 0:
            raise ConfigError("The timeout must be more than 0 seconds.")
        if config.chunk_chars < MIN_CHUNK_CHARS:
            raise ConfigError(f"The chunk size must be at least {MIN_CHUNK_CHARS} characters.")
        if config.response_mode not in RESPONSE_MODES:
            raise ConfigError(
                f"Unknown response mode {config.response_mode!r}: use one of "
                f"{', '.join(RESPONSE_MODES)}."
            )
        problem = check_template(config.prompt_template)
        if problem:
            raise ConfigError(problem)
        if not text.strip():
            raise ConfigError("The context is empty: paste or open some text first.")
        chunks = chunk_text(text, config.chunk_chars)
        shares = allocate_pairs([chunk.content_length for chunk in chunks], config.total_pairs)
        return [(chunk, share) for chunk, share in zip(chunks, shares, strict=True) if share > 0]


class _Run:
    """The state one run shares between its chunks (all on the run's event loop)."""

    def __init__(
        self,
        config: RunConfig,
        events: RunEvents,
        transport: httpx.AsyncBaseTransport | None,
        sleep: Sleep,
        work: list[tuple[Chunk, int]],
    ) -> None:
        self.config = config
        self.events = events
        self.transport = transport
        self.sleep = sleep
        self.work = work
        self.outcomes = [ChunkOutcome(chunk.index, share) for chunk, share in work]
        self.pairs: list[QAPair] = []
        self.seen: set[str] = set()
        self.usage = Usage()
        # Structured-output mode in use; the mode a server accepted once holds for every chunk.
        self.mode = config.response_mode
        self.confirmed_mode: str | None = None
        self.include_usage = True
        self.connect_failures = 0
        self.fatal: str | None = None
        self.cancelled = False
        self.done = 0
        self.tasks: list[asyncio.Task[None]] = []
        self.client: httpx.AsyncClient | None = None
        self.slots = asyncio.Semaphore(config.concurrency)

    async def main(self) -> None:
        self._emit("started", len(self.work))
        client = new_async_client(
            self.config.timeout,
            self.config.concurrency,
            self.transport,
            endpoint=self.config.endpoint,
        )
        async with client:
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
        pairs = sorted(self.pairs, key=lambda pair: pair.chunk or 0)  # stable: text order
        return RunResult(
            pairs=pairs,
            outcomes=self.outcomes,
            usage=self.usage,
            requested=self.config.total_pairs,
            response_mode=self.confirmed_mode or self.config.response_mode,
            cancelled=self.cancelled,
            elapsed=elapsed,
            fatal=self.fatal,
        )

    async def _chunk_task(self, chunk: Chunk, outcome: ChunkOutcome) -> None:
        try:
            await self._fill_chunk(chunk, outcome)
        except asyncio.CancelledError:
            if self.fatal is not None and not self.cancelled:
                outcome.error, outcome.error_kind = "Not finished: the run stopped.", "stopped"
            else:
                outcome.error, outcome.error_kind = "Cancelled.", "cancelled"
            raise
        except ChatError as exc:
            outcome.error, outcome.error_kind = str(exc), exc.kind
            self._stop(str(exc))
        except Exception as exc:  # a bug must not hang the run: report it on this chunk
            log.exception("chunk %d failed", chunk.index)
            outcome.error, outcome.error_kind = f"Unexpected error: {exc}", "internal"
        self.done += 1
        self._emit("chunk_finished", outcome, self.done, len(self.work))

    async def _fill_chunk(self, chunk: Chunk, outcome: ChunkOutcome) -> None:
        """Ask until the chunk has its share or its budget is spent; ChatError = stop the run."""
        budget = self.config.max_retries
        failures = 0
        reason, reason_kind = "", ""
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
                if exc.retryable:
                    if exc.partial is not None and exc.partial.content:
                        self._take(chunk, outcome, exc.partial, need)
                        if outcome.received >= outcome.requested:
                            continue
                    failures += 1
                    if exc.kind == "connect":
                        # Nothing answering is the server's state, not this chunk's: the run
                        # gets one budget of failures for it (and at least one retry), then
                        # stops rather than have every chunk knock in turn.
                        self.connect_failures += 1
                        tried = failures > 1 or budget == 0
                        if tried and self.connect_failures > self.config.max_retries:
                            raise
                    reason, reason_kind = self._after_retryable(exc), exc.kind
                    wait = self._wait_before_retry(exc, failures)
                    if budget > 0:
                        what = "Rate-limited" if exc.kind == "rate_limited" else _short(exc)
                        self._emit(
                            "notice",
                            f"{what}; retrying chunk {chunk.index + 1} in {_seconds(wait)}",
                        )
                        await self.sleep(wait)
                    continue
                if exc.kind in FATAL_KINDS:
                    raise
                outcome.error, outcome.error_kind = str(exc), exc.kind
                return
            failures = 0
            self.connect_failures = 0
            reason, reason_kind = self._take(chunk, outcome, reply, need)
            if reason_kind == "filtered":
                outcome.error, outcome.error_kind = reason, reason_kind
                return
        if outcome.received >= outcome.requested:
            return
        if reason_kind in ("rate_limited", "server", "timeout", "connect"):
            outcome.error, outcome.error_kind = reason, reason_kind
            return
        outcome.error = (
            f"Got {outcome.received} of {outcome.requested} pairs after {outcome.requests} "
            f"requests: {reason}."
        )
        outcome.error_kind = reason_kind or "short"

    def _take(
        self, chunk: Chunk, outcome: ChunkOutcome, reply: ChatReply, need: int
    ) -> tuple[str, str]:
        """Keep the new unique pairs of a reply; say why it fell short, if it did."""
        if reply.usage is not None:
            self.usage.add(reply.usage)
            self._emit("usage_updated", Usage(**vars(self.usage)))
        parsed = parse_pairs(reply.content, cut_off=reply.finish_reason == "length")
        fresh: list[QAPair] = []
        repeated = 0
        for question, answer in parsed.pairs:
            question, answer = question.strip(), answer.strip()
            if not question or not answer:
                continue
            key = normalise_question(question)
            if not key or key in self.seen:
                repeated += 1
                continue
            if len(fresh) >= need:
                break
            self.seen.add(key)
            fresh.append(QAPair(question, answer, chunk.index, chunk.text))
        if fresh:
            outcome.received += len(fresh)
            self.pairs.extend(fresh)
            self._emit("pairs_received", fresh)
        if reply.finish_reason == "content_filter":
            return "The provider's content filter blocked this text.", "filtered"
        cut = "the model's replies were cut off at the token limit", "truncated"
        if reply.finish_reason == "length":
            return cut
        if parsed.malformed and not parsed.pairs:
            return "the model's replies could not be read as question-answer pairs", "malformed"
        if parsed.truncated:
            return cut
        if repeated:
            return "the model repeated questions it had already asked", "duplicates"
        return "the model gave fewer pairs than asked", "short"

    def _after_retryable(self, exc: ChatError) -> str:
        """The chunk's message if this failure is the last one its budget allows."""
        retries = self.config.max_retries
        if exc.kind == "rate_limited":
            return (
                f"Still rate-limited (429) after {retries} retries: lower the concurrency or "
                "try again later."
            )
        return str(exc)

    def _wait_before_retry(self, exc: ChatError, failures: int) -> float:
        """The server's retry-after, else exponential backoff with jitter; a wait longer than
        QUOTA_WAIT raises: the run reports it rather than sleeping through it."""
        if exc.retry_after is not None:
            wait = exc.retry_after
        else:
            wait = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (failures - 1)) * random.uniform(0.5, 1)
        if wait <= QUOTA_WAIT:
            return wait
        if exc.kind == "rate_limited":
            message = (
                f"The provider's quota is exhausted: it asks to wait {wait:.0f} s; try again "
                "later or raise the quota."
            )
        else:
            message = (
                f"The server is unavailable (HTTP {exc.status}) and asks to wait {wait:.0f} s: "
                "try again later."
            )
        raise ChatError(message, kind=ErrorKind.QUOTA, status=exc.status)

    async def _ask(self, chunk: Chunk, need: int) -> ChatReply:
        """One request for ``need`` pairs. A 400 that rejects response_format or stream_options
        switches to what the server takes and asks again: no chunk's budget pays for that."""
        assert self.client is not None
        config = self.config
        while True:
            # The body is built once a slot is free, so it carries what the server was last
            # found to take.
            async with self.slots:
                mode, include_usage = self.mode, self.include_usage
                body = self._body(chunk, need, mode, include_usage)
                try:
                    reply = await send_chat(self.client, config.endpoint, config.api_key, body)
                except ChatError as exc:
                    if not self._adapt(exc, mode, include_usage):
                        raise
                    continue
            if self.confirmed_mode is None:
                self.confirmed_mode = mode
            return reply

    def _body(self, chunk: Chunk, need: int, mode: str, include_usage: bool) -> dict[str, Any]:
        config = self.config
        body: dict[str, Any] = {
            "messages": build_messages(
                config.prompt_template, config.system_message, chunk.text, need
            ),
            "stream": True,
        }
        if config.endpoint.model:
            body["model"] = config.endpoint.model
        if include_usage:
            body["stream_options"] = {"include_usage": True}
        form = response_format(mode)
        if form is not None:
            body["response_format"] = form
        return body

    def _adapt(self, exc: ChatError, mode: str, include_usage: bool) -> bool:
        """After a 400: change what requests carry and return True, or False (a real error)."""
        if exc.kind != "bad_request" or exc.status not in (400, 422):
            return False
        if include_usage and "stream_options" in exc.server_text:
            self.include_usage = False
            return True
        if mode != "plain" and self.confirmed_mode != mode:
            if self.mode == mode:
                self.mode = RESPONSE_MODES[RESPONSE_MODES.index(mode) + 1]
                follow = "the plain prompt" if self.mode == "plain" else self.mode
                self._emit("notice", f"The server does not take {mode} output; using {follow}.")
            return True
        if include_usage:
            # Older servers reject stream_options without naming it.
            self.include_usage = False
            return True
        return False

    def _stop(self, message: str) -> None:
        """Stop every other chunk: the run cannot succeed (bad key, wrong URL, no quota)."""
        if self.fatal is not None:
            return
        self.fatal = message
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()

    def _emit(self, name: str, *args: Any) -> None:
        try:
            getattr(self.events, name)(*args)
        except Exception:  # a broken listener must not break the run
            log.exception("RunEvents.%s failed", name)


def _short(exc: ChatError) -> str:
    if exc.status:
        return f"Server error (HTTP {exc.status})"
    if exc.kind == "timeout":
        return "No answer in time"
    return "Connection failed"


def _seconds(wait: float) -> str:
    return f"{wait:.1f} s" if wait < 10 else f"{wait:.0f} s"
