"""What a run will ask for, before it starts: chunks, pairs per chunk, a token estimate, and
its cost where the user gives prices per million tokens.

The estimate is rough on purpose (about four characters per token, as for English text with
the common BPE tokenizers; a fixed reply size per pair): it tells a person whether a run costs a
thousand tokens or a million, not the exact bill. It also flags a request the text cannot serve
(fifty pairs from one sentence), which would end in repeats or a shortfall.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qagen_desktop.core.chunking import allocate_pairs, chunk_text
from qagen_desktop.core.prompts import DEFAULT_TEMPLATE, render_prompt

CHARS_PER_TOKEN = 4.0
REPLY_TOKENS_PER_PAIR = 60  # a question, an answer and their JSON
# More pairs than this many per sentence of text can only repeat themselves.
PAIRS_PER_SENTENCE = 2
# A full stop ends a sentence before a space or the end (not in "3.5" or "e.g.x"); the CJK
# stops need no space; a blank line ends a paragraph that has none.
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|[。！？]+|\n\s*\n")


@dataclass(frozen=True)
class RunEstimate:
    """The shape and rough cost of a run over one text."""

    pairs: int
    chunks: int
    chunks_used: int
    fewest_per_chunk: int
    most_per_chunk: int
    sentences: int
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def too_many_pairs(self) -> bool:
        """More pairs asked for than the text holds sentences to ground them in."""
        return self.pairs > self.sentences * PAIRS_PER_SENTENCE


def count_sentences(text: str) -> int:
    """Sentences (or paragraphs without a full stop) in ``text``; at least one if it has text."""
    return sum(1 for piece in _SENTENCE_END.split(text) if piece.strip())


def estimate_run(
    text: str, total_pairs: int, chunk_chars: int, template: str = DEFAULT_TEMPLATE
) -> RunEstimate:
    """The chunks ``text`` makes, how ``total_pairs`` spread over them, and the tokens asked."""
    chunks = chunk_text(text, chunk_chars) if text.strip() else []
    shares = allocate_pairs([chunk.content_length for chunk in chunks], total_pairs)
    used = [(chunk, share) for chunk, share in zip(chunks, shares, strict=True) if share > 0]
    prompt_chars = sum(len(render_prompt(template, chunk.text, share)) for chunk, share in used)
    pairs = sum(share for _chunk, share in used)
    return RunEstimate(
        pairs=pairs,
        chunks=len(chunks),
        chunks_used=len(used),
        fewest_per_chunk=min((share for _chunk, share in used), default=0),
        most_per_chunk=max((share for _chunk, share in used), default=0),
        sentences=count_sentences(text),
        prompt_tokens=round(prompt_chars / CHARS_PER_TOKEN),
        completion_tokens=pairs * REPLY_TOKENS_PER_PAIR,
    )


def first_prompt(
    text: str, total_pairs: int, chunk_chars: int, template: str = DEFAULT_TEMPLATE
) -> str | None:
    """The exact prompt the run's first request will carry (its first chunk with pairs)."""
    chunks = chunk_text(text, chunk_chars) if text.strip() else []
    shares = allocate_pairs([chunk.content_length for chunk in chunks], total_pairs)
    for chunk, share in zip(chunks, shares, strict=True):
        if share > 0:
            return render_prompt(template, chunk.text, share)
    return None


# The cost -----------------------------------------------------------------------------------

TOKENS_PER_PRICE = 1_000_000  # providers list prices per million tokens
NBSP = "\u00a0"


@dataclass(frozen=True)
class TokenPrices:
    """Dollars per million input (prompt) and output (completion) tokens, as providers list
    them; None where the user gave none, 0 for a free (local) server."""

    input: float | None = None
    output: float | None = None


def run_cost(estimate: RunEstimate, prices: TokenPrices) -> float | None:
    """What the estimated tokens cost at ``prices``; None unless both prices are given (a
    cost from one price alone would look complete and be too low)."""
    if prices.input is None or prices.output is None:
        return None
    spent = estimate.prompt_tokens * prices.input + estimate.completion_tokens * prices.output
    return spent / TOKENS_PER_PRICE


def format_cost(cost: float) -> str:
    """The cost as the estimate shows it: "≈ $0.42", "under $0.01", "free". The space before
    the "$" is a no-break space: a wrapped line never parts the amount from its word."""
    if cost <= 0:
        return "free"
    if cost < 0.01:
        return f"under{NBSP}$0.01"
    if cost < 100:
        return f"≈{NBSP}${cost:.2f}"
    return f"≈{NBSP}${cost:,.0f}"


def parse_price(text: str) -> float | None:
    """A price typed in a field ("0.15", "$2.50", "1,25"): None when empty or not a price."""
    cleaned = text.strip().removeprefix("$").strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        price = float(cleaned)
    except ValueError:
        return None
    return price if 0 <= price < float("inf") else None
