"""The judge pass: a second request per chunk that rates the chunk's pairs against its text.

The request and the reading of ratings are ``core.quality.judge``'s pure functions; this module
sends them, on the judge's own endpoint (the run's by default), and turns the ratings into
verdicts: pairs under ``min_score`` are rejected (``Rejection.LOW_SCORE``, with the judge's
reason), and pairs the judge could not rate, after the chunk's budget of retries, are left
*unjudged*: kept, with no score and a reason that says they were not judged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from qagen_desktop.core.client import ChatError, ChatReply, Usage, send_chat
from qagen_desktop.core.errors import ErrorKind
from qagen_desktop.core.generation.config import RunConfig
from qagen_desktop.core.generation.negotiation import (
    Negotiation,
    RequestShape,
    ResponseMode,
    response_mode_or_default,
)
from qagen_desktop.core.quality.judge import (
    apply_ratings,
    judge_max_tokens,
    judge_messages,
    judge_response_format,
    parse_ratings,
)
from qagen_desktop.core.records import QAPair


@dataclass
class JudgeOutcome:
    """What a judge pass over some pairs gave.

    ``rated``: every pair the judge scored (``score`` and ``reason`` set), kept or not;
    ``rejected``: those of them under the minimum score (status rejected, ``LOW_SCORE``);
    ``unjudged``: pairs the judge could not rate (no score; ``reason`` starts "Not judged:");
    ``errors``: one sentence per chunk whose judging failed; ``usage``: the judge's tokens.
    """

    rated: list[QAPair] = field(default_factory=list)
    rejected: list[QAPair] = field(default_factory=list)
    unjudged: list[QAPair] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    error_kind: ErrorKind | None = None
    cancelled: bool = False

    @property
    def kept(self) -> list[QAPair]:
        """The rated pairs that reached the minimum score."""
        rejected = {id(pair) for pair in self.rejected}
        return [pair for pair in self.rated if id(pair) not in rejected]


# Called before the judge asks again for one chunk: the failed request's error (None: a reply
# that left pairs unrated) and the count of failures in a row. True grants the retry (after any
# backoff, spending the chunk's budget); False gives up; raising stops the run.
RetryGate = Callable[[ChatError | None, int], Awaitable[bool]]


class JudgePass:
    """The judge of one run or review: where its requests go, the request shape its server
    takes, and its tokens, counted apart from generation's. Requests share ``slots`` with the
    run's own, so ``concurrency`` bounds both."""

    def __init__(self, config: RunConfig, slots: asyncio.Semaphore) -> None:
        self.endpoint, self.api_key = config.judge_target()
        self.min_score = config.min_score
        self.slots = slots
        self.usage = Usage()
        # On the run's own endpoint the mode the run found holds for the judge too.
        start = config.response_mode if config.judge_endpoint is None else ResponseMode.JSON_SCHEMA
        self.negotiation = Negotiation(mode=response_mode_or_default(start))
        self.separate_host = (
            config.judge_endpoint is not None
            and urlsplit(config.judge_endpoint.chat_url()).netloc.lower()
            != urlsplit(config.endpoint.chat_url()).netloc.lower()
        )

    async def judge(
        self,
        client: httpx.AsyncClient,
        chunk_text: str,
        pairs: Sequence[QAPair],
        retry: RetryGate,
    ) -> JudgeOutcome:
        """Rate ``pairs`` against ``chunk_text``: one request, then, while ``retry`` allows,
        another for the pairs still unrated (a failed request, an unreadable reply)."""
        outcome = JudgeOutcome()
        left = list(pairs)
        failures = 0
        problem = ""
        while left:
            try:
                reply = await self._ask(client, chunk_text, left)
            except ChatError as exc:
                failures += 1
                problem, outcome.error_kind = str(exc).rstrip("."), exc.kind
                if await retry(exc, failures):
                    continue
                break
            failures = 0
            if reply.usage is not None:
                self.usage.add(reply.usage)
                outcome.usage.add(reply.usage)
            ratings = parse_ratings(reply.content, range(1, len(left) + 1))
            outcome.rated += [pair for n, pair in enumerate(left, start=1) if n in ratings]
            outcome.rejected += apply_ratings(left, ratings, self.min_score)
            left = [pair for n, pair in enumerate(left, start=1) if n not in ratings]
            if not left:
                break
            outcome.error_kind = ErrorKind.MALFORMED
            problem = (
                "the judge's reply could not be read as ratings"
                if not ratings
                else f"the judge left {len(left)} pairs unrated"
            )
            if not await retry(None, 1):
                break
        if left:
            for pair in left:
                pair.reason = f"Not judged: {problem}."
            outcome.unjudged = left
            outcome.errors.append(f"{len(left)} pairs could not be judged: {problem}.")
        return outcome

    async def _ask(
        self, client: httpx.AsyncClient, chunk_text: str, pairs: Sequence[QAPair]
    ) -> ChatReply:
        """One judge request; a 400 refusing part of it switches to what the server takes and
        asks again, at no cost to the budget (as generation's requests do)."""
        while True:
            async with self.slots:
                shape = self.negotiation.shape()
                body = self._body(chunk_text, pairs, shape)
                try:
                    reply = await send_chat(client, self.endpoint, self.api_key, body)
                except ChatError as exc:
                    if self.negotiation.after_refusal(exc, shape) is None:
                        raise
                    continue
            self.negotiation.succeeded(shape)
            return reply

    def _body(
        self, chunk_text: str, pairs: Sequence[QAPair], shape: RequestShape
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": judge_messages(chunk_text, pairs),
            "stream": True,
            "max_tokens": judge_max_tokens(len(pairs)),
        }
        if self.endpoint.model:
            body["model"] = self.endpoint.model
        if shape.include_usage:
            body["stream_options"] = {"include_usage": True}
        form = judge_response_format(shape.mode, len(pairs))
        if form is not None:
            body["response_format"] = form
        return body


def by_chunk_text(pairs: Sequence[QAPair]) -> dict[str, list[QAPair]]:
    """``pairs`` grouped by their chunk's text (``pair.source``), in first-seen order; pairs
    without one are under ""."""
    groups: dict[str, list[QAPair]] = {}
    for pair in pairs:
        groups.setdefault(pair.source, []).append(pair)
    return groups
