"""What a chat request gives back: the reply, its token usage, and progress while it streams."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Usage:
    """Token counts, summed over replies. ``cached_prompt_tokens``: the part of the prompt the
    server took from its prompt cache (counted in ``prompt_tokens`` too)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_prompt_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.total_tokens += other.total_tokens
        self.cached_prompt_tokens += other.cached_prompt_tokens

    @classmethod
    def from_json(cls, data: object, timings: object = None) -> Usage | None:
        """A reply's ``usage``; the cached part from OpenAI's
        ``prompt_tokens_details.cached_tokens``, else llama.cpp's ``timings.cache_n``."""
        if not isinstance(data, dict):
            return None
        prompt, completion = _count(data, "prompt_tokens"), _count(data, "completion_tokens")
        details = data.get("prompt_tokens_details")
        cached = _count(details, "cached_tokens") or _count(timings, "cache_n")
        return cls(prompt, completion, _count(data, "total_tokens") or prompt + completion, cached)


def _count(data: object, name: str) -> int:
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return int(value)


@dataclass
class ChatReply:
    """The assistant's text, why it stopped ("stop", "length", "content_filter", or None when
    the server did not say) and the usage the server reported. ``reasoning``: what a reasoning
    model thought aloud (``reasoning_content`` / ``reasoning`` deltas), kept apart from the
    content so that pairs are never parsed out of it."""

    content: str
    finish_reason: str | None
    usage: Usage | None
    reasoning: str = ""


@dataclass(frozen=True)
class StreamProgress:
    """How much of a streamed reply has come: characters of content, and of reasoning (a
    reasoning model "thinking" before it answers)."""

    content_chars: int
    reasoning_chars: int


ProgressCallback = Callable[[StreamProgress], None]
