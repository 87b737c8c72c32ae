"""The engine's review tools for pairs a person holds (the window's selected rows): have them
rated by the judge, or replaced by new pairs from their own chunks.

Both block like ``Generator.run``, on an event loop of their own, and stop on
``Generator.cancel``. The pairs handed in are changed in place (score, reason, status): a
caller that needs the old values (undo) passes copies.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol

import httpx

from qagen_desktop.core.chunking import Chunk
from qagen_desktop.core.client import ChatError, new_async_client
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.generation.config import RunConfig
from qagen_desktop.core.generation.judging import JudgeOutcome, JudgePass, by_chunk_text
from qagen_desktop.core.generation.results import RunResult
from qagen_desktop.core.generation.retry import QuotaWait, RetryPolicy
from qagen_desktop.core.quality import PairChecker
from qagen_desktop.core.records import QAPair

# How far a review job has got: (pairs done, pairs in all).
Progress = Callable[[int, int], None]


class _RunLike(Protocol):
    """What the review needs of the runner's per-run state (``runner._Run``)."""

    checker: PairChecker
    cancelled: bool

    async def main(self) -> None: ...

    def result(self, elapsed: float) -> RunResult: ...


class ReviewTools:
    """``Generator``'s review tools (see the module docstring); the Generator sets the state."""

    config: RunConfig
    _transport: httpx.AsyncBaseTransport | None
    _sleep: Callable[[float], Awaitable[Any]]
    _clock: Callable[[], float]
    _rng: random.Random
    _retry: RetryPolicy
    _lock: threading.Lock
    _loop: asyncio.AbstractEventLoop | None
    _task: asyncio.Task[None] | None
    _cancel_requested: bool
    _new_run: Callable[[list[tuple[Chunk, int]]], _RunLike]

    def judge_pairs(
        self, pairs: Sequence[QAPair], *, progress: Progress | None = None
    ) -> JudgeOutcome:
        """Rate ``pairs`` with the run's judge (``config.judge_endpoint``/``judge_model``, else
        the generation endpoint and model), one request per chunk text (``pair.source``).

        Blocks until done or cancelled. Each pair gets its score and reason; those under
        ``config.min_score`` are rejected (``LOW_SCORE``; pairs edited by hand keep their
        status). Pairs without a source text, or that the judge could not rate within
        ``max_retries`` further requests per chunk, are returned as unjudged (the latter with a
        reason starting "Not judged:"). The pairs are changed in place: pass copies to keep
        the old values (undo). The window's review calls this on selected rows.
        ``progress(done, total)`` is called, on the engine's thread, as each chunk's pairs are
        through (rated or given up on): ``done`` of the ``total`` pairs with a source text.
        """
        return judge_pairs(self, pairs, progress)

    def regenerate(self, pairs: Sequence[QAPair], *, others: Sequence[QAPair] = ()) -> RunResult:
        """New pairs to replace ``pairs``, each asked of its own chunk (``pair.chunk`` and
        ``pair.source``; document, page and section carried over), as many per chunk as were
        given, checked as a run checks them (and judged when ``config.judge`` is set).

        ``others`` are the dataset's other pairs: a replacement that repeats one of their
        questions, or one of ``pairs``, is rejected. Pairs without a source text cannot be
        regenerated: ConfigError before any request.
        """
        return regenerate(self, pairs, others)


def drive(generator: ReviewTools, main: Coroutine[Any, Any, None]) -> bool:
    """Run ``main`` to its end on a new event loop, cancellable by ``generator.cancel()`` from
    any thread; True when it was cancelled."""
    loop = asyncio.new_event_loop()
    cancelled = False
    try:
        task = loop.create_task(main)
        with generator._lock:
            generator._loop, generator._task = loop, task
            if generator._cancel_requested:
                task.cancel()
        try:
            loop.run_until_complete(task)
        except asyncio.CancelledError:
            cancelled = True
    finally:
        with generator._lock:
            generator._loop = generator._task = None
            generator._cancel_requested = False
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
    return cancelled


def judge_pairs(
    generator: ReviewTools, pairs: Sequence[QAPair], progress: Progress | None = None
) -> JudgeOutcome:
    """See ``Generator.judge_pairs``."""
    config = generator.config
    config.validate()
    total = JudgeOutcome()
    groups = by_chunk_text(pairs)
    orphans = groups.pop("", [])
    if orphans:
        total.unjudged += orphans
        total.errors.append(
            f"{len(orphans)} pairs have no source text to judge against (opened from a file "
            "saved without meta, or typed in): regenerate them, or judge them by hand."
        )
    pending = [pair for group in groups.values() for pair in group]
    done = 0

    async def judge(
        judging: JudgePass, client: httpx.AsyncClient, text: str, group: list[QAPair]
    ) -> None:
        nonlocal done
        await _judge_group(generator, judging, client, text, group, total)
        done += len(group)
        if progress is not None:
            progress(done, len(pending))

    async def main() -> None:
        judging = JudgePass(config, asyncio.Semaphore(config.concurrency))
        async with new_async_client(
            config.timeout, config.concurrency, generator._transport, endpoint=judging.endpoint
        ) as client:
            await asyncio.gather(
                *(judge(judging, client, text, group) for text, group in groups.items())
            )

    total.cancelled = drive(generator, main())
    if total.cancelled:
        through = {id(pair) for pair in total.rated + total.unjudged}
        total.unjudged += [pair for pair in pending if id(pair) not in through]
    return total


async def _judge_group(
    generator: ReviewTools,
    judging: JudgePass,
    client: httpx.AsyncClient,
    text: str,
    group: list[QAPair],
    total: JudgeOutcome,
) -> None:
    """One chunk's pairs, with a budget of ``max_retries`` further judge requests."""
    budget = generator.config.max_retries

    async def retry(exc: ChatError | None, failures: int) -> bool:
        nonlocal budget
        if budget == 0 or (exc is not None and not exc.retryable):
            return False
        budget -= 1
        if exc is not None:
            wait = generator._retry.wait(
                failures, exc.retry_after, generator._rng, kind=exc.kind, status=exc.status
            )
            if isinstance(wait, QuotaWait):
                return False
            await generator._sleep(wait)
        return True

    verdict = await judging.judge(client, text, group, retry)
    total.rated += verdict.rated
    total.rejected += verdict.rejected
    total.unjudged += verdict.unjudged
    total.usage.add(verdict.usage)
    if verdict.errors and verdict.errors[0] not in total.errors:
        total.errors.append(verdict.errors[0])
        total.error_kind = total.error_kind or verdict.error_kind


def regenerate(
    generator: ReviewTools, pairs: Sequence[QAPair], others: Sequence[QAPair]
) -> RunResult:
    """See ``Generator.regenerate``."""
    config = generator.config
    config.validate()
    orphans = [pair for pair in pairs if not pair.source.strip()]
    if orphans:
        raise ConfigError(
            f"{len(orphans)} of the selected pairs have no source text (opened from a file "
            "saved without meta, or typed in), so they cannot be regenerated: select pairs "
            "that came from a run."
        )
    # One chunk per (chunk, text) the pairs came from, numbered for this run; ``origin`` maps
    # each back to a pair whose place (chunk index, document, page, section) the new ones take.
    groups: dict[tuple[int | None, str], list[QAPair]] = {}
    for pair in pairs:
        groups.setdefault((pair.chunk, pair.source), []).append(pair)
    work = [
        (Chunk(number, 0, text), len(group))
        for number, ((_, text), group) in enumerate(groups.items())
    ]
    origin = [group[0] for group in groups.values()]
    started = generator._clock()
    run = generator._new_run(work)
    for pair in [*others, *pairs]:
        run.checker.keep(pair)
    run.cancelled = drive(generator, run.main())
    result = run.result(generator._clock() - started)
    result.requested = len(pairs)
    for pair in [*result.pairs, *result.rejected]:
        if pair.chunk is not None and 0 <= pair.chunk < len(origin):
            source = origin[pair.chunk]
            pair.chunk, pair.document = source.chunk, source.document
            pair.page, pair.section = source.page, source.section
    for outcome in result.outcomes:
        outcome.index = origin[outcome.index].chunk or 0
    return result
