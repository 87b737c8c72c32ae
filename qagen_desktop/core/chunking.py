"""Split long text into chunks a model can take, and spread the requested pairs over them.

Chunks cover the text exactly: joining their texts gives the original back, whitespace included
(whitespace stays with the chunk it follows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

# Below this a chunk holds too little text for a model to write a grounded question about.
MIN_CHUNK_CHARS = 200


@cache
def _boundaries() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The paragraph, sentence, whitespace and any-boundary patterns, compiled at the first cut
    (compiling them costs 2 ms, paid by every start of the window when compiled on import)."""
    return (
        # A blank line (possibly holding spaces, or CRLF line ends) and the whitespace after it.
        re.compile(r"\n[^\S\n]*\n\s*"),
        # The end of a sentence: terminal punctuation, closing quotes or brackets, then
        # whitespace; CJK full stops need no space after them. One leading character class
        # keeps the scan fast.
        re.compile(r"[.!?…。！？]+[\"'”’»)\]」』）]*(?:\s+|(?<=[。！？」』）]))"),
        re.compile(r"\s+"),
        # Every boundary above holds one of these characters.
        re.compile(r"[\s。！？]"),
    )


@dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of the text: its position in the list, its offset in the text, and its text.

    In a run over several sources (``generation.plan``), ``index`` counts over the whole run,
    ``start`` is the offset in the chunk's own source, and ``document``, ``page`` and
    ``section`` say where the chunk starts, so each of its pairs carries them.
    """

    index: int
    start: int
    text: str
    document: str = ""
    page: int | None = None
    section: str = ""

    @property
    def content_length(self) -> int:
        """Characters that are not leading or trailing whitespace: the weight for allocate_pairs."""
        return len(self.text.strip())


def chunk_text(text: str, max_chars: int = 3000) -> list[Chunk]:
    """Split ``text`` into chunks of at most ``max_chars`` characters, losing nothing.

    Cuts at paragraph breaks, then sentence ends, then whitespace, and only as a last resort
    inside a word; small paragraphs are packed together up to ``max_chars``.
    """
    chunks: list[Chunk] = []
    start = 0
    for end in _cut_points(text, max_chars):
        chunks.append(Chunk(len(chunks), start, text[start:end]))
        start = end
    return chunks


def count_chunks(text: str, max_chars: int = 3000) -> int:
    """How many chunks ``chunk_text`` would make, without building them (for a live count)."""
    return sum(1 for _ in _cut_points(text, max_chars))


def _cut_points(text: str, max_chars: int) -> Iterator[int]:
    """Yield the end offset of every chunk, in order; the last one is ``len(text)``."""
    if max_chars < MIN_CHUNK_CHARS:
        raise ValueError(f"Chunk size must be at least {MIN_CHUNK_CHARS} characters.")
    length = len(text)
    cur = 0
    while length - cur > max_chars:
        cur = _best_cut(text, cur, cur + max_chars)
        yield cur
    if cur < length:
        yield length


def _best_cut(text: str, cur: int, limit: int) -> int:
    """Choose where the chunk starting at ``cur`` ends, at most at ``limit``.

    A boundary in the second half of the window wins by kind (paragraph, then sentence); a
    paragraph or sentence end early in the window still beats cutting mid-sentence, and a
    word boundary beats cutting inside a word.
    """
    paragraph, sentence, whitespace, any_boundary = _boundaries()
    if not any_boundary.search(text, cur, limit):
        return limit  # one endless word: nothing to choose between
    half = cur + (limit - cur) // 2
    return (
        _last_match_end(paragraph, text, half, limit)
        or _last_match_end(sentence, text, half, limit)
        or _last_match_end(paragraph, text, cur, half)
        or _last_match_end(sentence, text, cur, half)
        or _last_match_end(whitespace, text, cur, limit)
        or limit
    )


def _last_match_end(pattern: re.Pattern[str], text: str, lo: int, limit: int) -> int:
    """The end of the last match of ``pattern`` ending in ``text[lo:limit]``, else 0.

    Scans a short tail first and widens only when it finds nothing, so text dense with
    boundaries (a list of one-word lines) costs no more than sparse text.
    """
    for start in (max(lo, limit - 256), lo):
        end = 0
        for match in pattern.finditer(text, start, limit):
            end = match.end()
        if end > lo:
            return end
        if start == lo:
            break
    return 0


def allocate_pairs(lengths: Sequence[int], total: int) -> list[int]:
    """Spread ``total`` pairs over chunks in proportion to their length.

    ``lengths`` are content lengths (``Chunk.content_length``: whitespace-only chunks give 0 and
    get no pairs). When ``total`` covers every chunk with content, each gets at least one and the
    rest goes by the largest-remainder method; otherwise ``total`` chunks get one each, spread
    evenly over the text. The result sums to ``total`` unless no chunk has content (all zeros).
    """
    if total < 0:
        raise ValueError("The number of pairs cannot be negative.")
    shares = [0] * len(lengths)
    active = [i for i, n in enumerate(lengths) if n > 0]
    if not active or total == 0:
        return shares
    if total < len(active):
        # Integer form of round-down((k + 0.5) * m / total): distinct, centred, evenly spaced.
        m = len(active)
        for k in range(total):
            shares[active[((2 * k + 1) * m) // (2 * total)]] = 1
        return shares
    # Chunks whose proportional share is under one get exactly one; the others share the rest.
    floor_one: set[int] = set()
    while True:
        rest = [i for i in active if i not in floor_one]
        budget = total - len(floor_one)
        weight = sum(lengths[i] for i in rest)
        newly = {i for i in rest if budget * lengths[i] < weight}
        if not newly:
            break
        floor_one |= newly
    for i in floor_one:
        shares[i] = 1
    remainders = []
    for i in rest:
        shares[i], remainder = divmod(budget * lengths[i], weight)
        remainders.append((-remainder, i))
    for _, i in sorted(remainders)[: total - sum(shares)]:
        shares[i] += 1
    return shares
