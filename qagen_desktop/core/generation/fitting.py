"""Fitting requests into the server's context window: the "auto" chunk size, Ollama's
``num_ctx``, and the split of a chunk the server refused as too long.

Tokens are estimated from characters at ``CHARS_PER_TOKEN`` = 3. English prose runs near 4
characters a token on the Llama, Gemma and GPT tokenizers; 3 leaves room for names, numbers and
code, which cut into more tokens. Text in other scripts can run below 3: a chunk that still does
not fit is split when the server says so, so the estimate need not be exact, only rarely short.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

import httpx

from qagen_desktop.core.chunking import MIN_CHUNK_CHARS, Chunk, allocate_pairs, chunk_text
from qagen_desktop.core.client import new_async_client
from qagen_desktop.core.generation.config import (
    AUTO_CHUNK_CAP,
    DEFAULT_TOKENS_PER_PAIR,
    RunConfig,
)
from qagen_desktop.core.generation.request import REPLY_ALLOWANCE_TOKENS, reply_token_limit
from qagen_desktop.core.prompts import render_prompt
from qagen_desktop.core.serverinfo import PROBE_TIMEOUT, ServerInfo, ServerKind, probe_server

CHARS_PER_TOKEN = 3.0
# The chat template's role markers and start token around the messages.
TEMPLATE_TOKENS = 32
# "auto" never makes chunks longer than the fixed default: a long context is better spent on
# more chunks asked at once than on one long request.
# Ollama's num_ctx is sent in steps of this many tokens (each new value reloads the model).
NUM_CTX_STEP = 1024


def estimate_tokens(chars: int) -> int:
    """Tokens of ``chars`` characters, estimated on the high side."""
    return math.ceil(chars / CHARS_PER_TOKEN)


def prompt_tokens(config: RunConfig, chunk_chars: int, pairs: int) -> int:
    """The estimated prompt of a request for ``pairs`` from a chunk of ``chunk_chars``."""
    return TEMPLATE_TOKENS + estimate_tokens(_fixed_chars(config, pairs) + chunk_chars)


def request_tokens(config: RunConfig, chunk_chars: int, pairs: int) -> int:
    """Prompt plus the reply's limit: what the request may fill of the context."""
    per_pair = config.max_tokens_per_pair or DEFAULT_TOKENS_PER_PAIR
    reply = reply_token_limit(pairs, per_pair) or 0
    return prompt_tokens(config, chunk_chars, pairs) + reply


def fit_chunk_chars(
    context_tokens: int, config: RunConfig, text_chars: int, pairs: int | None = None
) -> int:
    """The longest chunk whose prompt and reply fit in ``context_tokens``, ``pairs`` (the run's
    total by default) being spread over ``text_chars`` by length (so a longer chunk owes more
    of them: one more allows for the rounding). At least ``MIN_CHUNK_CHARS``, at most
    ``AUTO_CHUNK_CAP``."""
    pairs = config.total_pairs if pairs is None else pairs
    per_pair = config.max_tokens_per_pair or DEFAULT_TOKENS_PER_PAIR
    room = context_tokens - prompt_tokens(config, 0, pairs)
    room -= REPLY_ALLOWANCE_TOKENS + per_pair
    pairs_per_char = pairs / max(text_chars, 1)
    chars = room / (1 / CHARS_PER_TOKEN + per_pair * pairs_per_char)
    return int(max(MIN_CHUNK_CHARS, min(AUTO_CHUNK_CAP, chars)))


def fit_piece(
    context_tokens: int,
    config: RunConfig,
    text_chars: int,
    need: int,
    chars_per_token: float = CHARS_PER_TOKEN,
) -> tuple[int, int]:
    """How to cut ``text_chars`` of text, owing ``need`` pairs, into pieces whose requests fit
    in ``context_tokens``: the longest piece, and the most pairs a piece is asked for. One pair a
    piece where the text makes pieces enough, so each piece gets the most text it can.
    ``chars_per_token``: as the server counts this text (``measured_chars_per_token``)."""
    per_pair = config.max_tokens_per_pair or DEFAULT_TOKENS_PER_PAIR
    most = 1
    while True:
        fixed = TEMPLATE_TOKENS + math.ceil(_fixed_chars(config, most) / chars_per_token)
        reply = reply_token_limit(most, per_pair) or 0
        chars = int((context_tokens - fixed - reply) * chars_per_token)
        pieces = math.ceil(text_chars / max(chars, MIN_CHUNK_CHARS))
        if chars <= MIN_CHUNK_CHARS or math.ceil(need / pieces) <= most:
            return max(chars, MIN_CHUNK_CHARS), most
        most += 1


# A piece is sized by this share of the characters a token that the server's count of a
# refused prompt gives: the pieces are cut from that prompt's own text, but a piece may hold
# more names and figures than the whole did.
MEASURED_MARGIN = 0.85


def measured_chars_per_token(
    config: RunConfig, text: str, pairs: int, server_tokens: int | None
) -> float:
    """Characters a token of the request for ``pairs`` from ``text``, as the server counted its
    prompt in ``server_tokens`` (its refusal says so), less ``MEASURED_MARGIN``; the estimate
    ``CHARS_PER_TOKEN`` where the server gave no count."""
    if not server_tokens or server_tokens <= 0:
        return CHARS_PER_TOKEN
    chars = _fixed_chars(config, pairs) + len(text)
    return max(1.0, chars / server_tokens * MEASURED_MARGIN)


def _fixed_chars(config: RunConfig, pairs: int) -> int:
    """The characters of a request's messages besides its text."""
    return len(render_prompt(config.prompt_template, "", pairs)) + len(config.system_message)


@dataclass(frozen=True)
class Fit:
    """How a run's requests fit the server: the chunk size, fields every request carries for
    this server (Ollama's ``options``), and a warning to show once (empty when none)."""

    chunk_chars: int
    extra: dict[str, Any] | None = None
    warning: str = ""


def fit_run(config: RunConfig, text_chars: int, info: ServerInfo | None) -> Fit:
    """The chunk size and per-server fields for a run over ``text_chars`` of text."""
    if not config.auto_chunk:
        return Fit(config.chunk_chars)
    if info is None or info.context_window is None:
        return Fit(AUTO_CHUNK_CAP)
    if info.kind is ServerKind.OLLAMA:
        return _fit_ollama(config, text_chars, info)
    return Fit(fit_chunk_chars(info.context_window, config, text_chars))


def _fit_ollama(config: RunConfig, text_chars: int, info: ServerInfo) -> Fit:
    """Ollama cuts a prompt longer than its ``num_ctx`` without a word: fit to what the model
    was trained for, send a ``num_ctx`` that holds the longest request, and warn where even the
    trained length cannot hold it."""
    window = info.trained_context or info.context_window or 0
    chars = fit_chunk_chars(window, config, text_chars)
    pairs = math.ceil(config.total_pairs * chars / max(text_chars, 1)) + 1
    needed = request_tokens(config, chars, min(pairs, config.total_pairs))
    num_ctx = min(window, math.ceil(needed / NUM_CTX_STEP) * NUM_CTX_STEP)
    warning = ""
    if needed > window:
        warning = (
            f"A chunk and its prompt take about {needed} tokens, more than the model's context "
            f"({window} tokens): Ollama cuts them silently. Shorten the prompt template or ask "
            "for fewer pairs."
        )
    return Fit(chars, {"options": {"num_ctx": num_ctx}}, warning)


def probe(config: RunConfig, transport: httpx.AsyncBaseTransport | None) -> ServerInfo | None:
    """What the server says about itself, asked once before the run (only for "auto": a fixed
    chunk size needs no probe). Blocks; never raises."""
    if not config.auto_chunk:
        return None

    async def ask() -> ServerInfo | None:
        async with new_async_client(
            PROBE_TIMEOUT, 1, transport, endpoint=config.endpoint
        ) as client:
            return await probe_server(client, config.endpoint, config.api_key)

    return asyncio.run(ask())


def split_chunk(chunk: Chunk, need: int, fits: int | None = None) -> list[tuple[Chunk, int]]:
    """``chunk`` cut at paragraph or sentence ends into pieces of at most half its length, or
    of ``fits`` characters where that is smaller (what the server's context holds), with
    ``need`` spread over the pieces by length (a piece may get none); empty when the chunk is
    too short to cut."""
    if len(chunk.text) < 2 * MIN_CHUNK_CHARS:
        return []
    half = math.ceil(len(chunk.text) / 2)
    pieces = chunk_text(chunk.text, min(half, max(fits or half, MIN_CHUNK_CHARS)))
    if len(pieces) < 2:
        return []
    shares = allocate_pairs([piece.content_length for piece in pieces], need)
    return [
        (Chunk(chunk.index, chunk.start + piece.start, piece.text), share)
        for piece, share in zip(pieces, shares, strict=True)
    ]
