"""The judge pass's steps in a run: held pairs, rating them per chunk, and what follows.

``JudgeSteps`` is a mixin of the runner's per-run state (``runner._Run``): the chunk loop calls
``_accept`` for pairs that passed the checks and ``_budget_left`` for its budget, and each chunk
goes through ``_fill_and_judge``. With the judge off, pairs count at once and nothing else
changes. With it on, a chunk's pairs wait in ``held`` until the judge has rated them; those
under ``min_score`` leave the run's question index and count as missing, so the chunk asks again
(within the one budget of ``max_retries`` further requests, generation and judge alike) and the
new pairs are rated in turn.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable

import httpx

from qagen_desktop.core.chunking import Chunk
from qagen_desktop.core.client import ChatError, Usage, new_async_client
from qagen_desktop.core.errors import ErrorKind
from qagen_desktop.core.generation.config import RunConfig
from qagen_desktop.core.generation.events import RunEvents
from qagen_desktop.core.generation.judging import JudgeOutcome, JudgePass
from qagen_desktop.core.generation.results import ChunkOutcome
from qagen_desktop.core.generation.retry import FATAL_KINDS
from qagen_desktop.core.quality import PairChecker
from qagen_desktop.core.records import QAPair


class JudgeSteps:
    """The judge's part of a run (see the module docstring); the runner sets the state."""

    config: RunConfig
    events: RunEvents
    transport: httpx.AsyncBaseTransport | None
    checker: PairChecker
    pairs: list[QAPair]
    rejected: list[QAPair]
    unjudged: list[QAPair]
    judging: JudgePass | None
    held: dict[int, list[QAPair]]
    judge_client: httpx.AsyncClient | None
    # Chunk index -> why some of its pairs could not be judged, for its outcome.
    judge_failures: dict[int, tuple[str, ErrorKind]]
    # The runner's chunk loop and its backoff.
    _fill_chunk: Callable[[Chunk, ChunkOutcome], Awaitable[None]]
    _wait_before_retry: Callable[..., Awaitable[None]]

    def _judge_client(
        self, client: httpx.AsyncClient
    ) -> contextlib.AbstractAsyncContextManager[object]:
        """The judge's client: the run's, or its own for a judge on another host (that host's
        proxy settings apply to it alone); closed with the run's."""
        judging = self.judging
        if judging is None or not judging.separate_host:
            self.judge_client = client
            return contextlib.nullcontext()
        self.judge_client = new_async_client(
            self.config.timeout,
            self.config.concurrency,
            self.transport,
            endpoint=judging.endpoint,
        )
        return self.judge_client

    def _accept(self, chunk: Chunk, pairs: list[QAPair]) -> None:
        """Count pairs that passed the checks: at once, or once rated, with the judge on."""
        if self.judging is not None:
            self.held.setdefault(chunk.index, []).extend(pairs)
            return
        self.pairs.extend(pairs)
        self.events.pairs_received(pairs)

    def _budget_left(self, outcome: ChunkOutcome) -> int:
        """Further requests the chunk may still make: one budget for generation and judge."""
        spent = max(0, outcome.requests - 1) + outcome.judge_retries
        allowed = self.config.max_retries if outcome.retries is None else outcome.retries
        return max(0, allowed - spent)

    async def _fill_and_judge(self, chunk: Chunk, outcome: ChunkOutcome) -> None:
        """Fill the chunk (its loop has each reply's pairs rated, ``_judge_held``); then rate
        any pairs left waiting (a partial reply's), asking again while the judge rejects some
        and the budget lasts. Pairs the judge could not rate fail the chunk, with a count."""
        await self._fill_chunk(chunk, outcome)
        while self.judging is not None and self.held.get(chunk.index):
            verdict = await self._judge_chunk(chunk, outcome)
            if not verdict.rejected or outcome.error is not None:
                break
            if self._budget_left(outcome) == 0:
                outcome.fail(
                    f"Got {outcome.received} of {outcome.requested} pairs after "
                    f"{outcome.requests} requests: {self._judge_reason()}.",
                    ErrorKind.REJECTED,
                )
                break
            await self._fill_chunk(chunk, outcome)
        failed = self.judge_failures.get(chunk.index)
        if failed is not None and outcome.error is None:
            outcome.fail(*failed)

    async def _judge_held(
        self, chunk: Chunk, outcome: ChunkOutcome, why: tuple[str, ErrorKind]
    ) -> tuple[str, ErrorKind]:
        """After a reply: have the chunk's new pairs rated (judge on); why it is still short."""
        if self.judging is None or not self.held.get(chunk.index):
            return why
        verdict = await self._judge_chunk(chunk, outcome)
        return (self._judge_reason(), ErrorKind.REJECTED) if verdict.rejected else why

    def _judge_reason(self) -> str:
        return f"the judge scored pairs under {self.config.min_score}"

    async def _judge_chunk(self, chunk: Chunk, outcome: ChunkOutcome) -> JudgeOutcome:
        """Rate the chunk's held pairs, and count what the judge decided."""
        judging = self.judging
        assert judging is not None and self.judge_client is not None
        retry = functools.partial(self._judge_retry, chunk, outcome)
        verdict = await judging.judge(self.judge_client, chunk.text, self.held[chunk.index], retry)
        del self.held[chunk.index]
        self._settle(outcome, verdict, judging.usage)
        if verdict.unjudged:
            outcome.unjudged += len(verdict.unjudged)
            self.judge_failures[chunk.index] = (
                f"{outcome.unjudged} pairs could not be judged: "
                f"{verdict.errors[0].split(': ', 1)[-1]}",
                verdict.error_kind or ErrorKind.MALFORMED,
            )
        return verdict

    def _settle(self, outcome: ChunkOutcome, verdict: JudgeOutcome, usage: Usage) -> None:
        """Pairs the judge rejected leave the run's index and count; the rest count."""
        for pair in verdict.rejected:
            self.checker.forget(pair)
        outcome.received -= len(verdict.rejected)
        self.rejected.extend(verdict.rejected)
        self.unjudged.extend(verdict.unjudged)
        counted = verdict.kept + verdict.unjudged
        if counted:
            self.pairs.extend(counted)
            self.events.pairs_received(counted)
        self.events.judge_usage_updated(Usage(**vars(usage)))

    async def _judge_retry(
        self, chunk: Chunk, outcome: ChunkOutcome, exc: ChatError | None, failures: int
    ) -> bool:
        """Whether the judge may ask again for this chunk (spending its budget), after the
        backoff; a failure that would end every request alike stops the run."""
        if exc is not None and not exc.retryable:
            if exc.kind in FATAL_KINDS:
                raise exc
            return False
        if self._budget_left(outcome) == 0:
            return False
        outcome.judge_retries += 1
        if exc is not None:
            await self._wait_before_retry(exc, failures, chunk, retrying=True)
        return True

    def _release_held(self) -> list[QAPair]:
        """Pairs still waiting for the judge when the run ended (cancelled or stopped): kept,
        as every pair received is, and marked as not judged. Every unjudged pair."""
        left = [pair for pairs in self.held.values() for pair in pairs]
        self.held.clear()
        for pair in left:
            pair.reason = "Not judged: the run stopped first."
        self.pairs.extend(left)
        self.unjudged.extend(left)
        return self.unjudged
