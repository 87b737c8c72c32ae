"""Planning a run over several sources: which chunks to ask, and how many pairs each owes.

N is spread over the sources in proportion to their length, then each source's share over its
own chunks, both by ``chunking.allocate_pairs`` (largest remainder; at least one each where N
allows, else evenly spread). Each source is cut on its own, so a chunk never spans two sources;
chunk indices count over the whole run, so a pair's ``chunk`` names one place in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from qagen_desktop.core.chunking import Chunk, allocate_pairs, chunk_text
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.sources import Source

# The work of a run: each chunk asked, with the number of pairs it owes (at least one).
Plan = list[tuple[Chunk, int]]

EMPTY_RUN = "The context is empty: paste some text or add a file with text to the Sources list."


def source_chunks(source: Source, chunk_chars: int, first_index: int = 0) -> list[Chunk]:
    """``source`` cut into chunks, numbered from ``first_index``, each knowing where it starts.

    The page and section are those of the chunk's first visible character: a chunk that opens
    with the blank line before a new page belongs to that page.
    """
    chunks = []
    for number, chunk in enumerate(chunk_text(source.text, chunk_chars)):
        lead = len(chunk.text) - len(chunk.text.lstrip())
        where = source.locate(chunk.start + lead)
        chunks.append(
            replace(
                chunk,
                index=first_index + number,
                document=source.name,
                page=where.page,
                section=where.section,
            )
        )
    return chunks


def plan_run(sources: Sequence[Source], total: int, chunk_chars: int) -> Plan:
    """The chunks of ``sources`` that get pairs, in source order, with the pairs each owes.

    ConfigError when no source holds any text. The shares sum to ``total``.
    """
    per_source: list[list[Chunk]] = []
    next_index = 0
    for source in sources:
        chunks = source_chunks(source, chunk_chars, next_index)
        next_index += len(chunks)
        per_source.append(chunks)
    weights = [sum(chunk.content_length for chunk in chunks) for chunks in per_source]
    if not any(weights):
        raise ConfigError(EMPTY_RUN)
    plan: Plan = []
    for chunks, share in zip(per_source, allocate_pairs(weights, total), strict=True):
        if share == 0:
            continue
        shares = allocate_pairs([chunk.content_length for chunk in chunks], share)
        plan.extend((chunk, owed) for chunk, owed in zip(chunks, shares, strict=True) if owed)
    return plan
