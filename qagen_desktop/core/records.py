"""The one record everything passes around: a question-answer pair, its origin and its verdict."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PairStatus(StrEnum):
    """A pair's verdict: what the checks, the judge or the person reviewing it decided."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EDITED = "edited"  # changed by hand: the person's word stands over the checks


@dataclass(slots=True)
class QAPair:
    """A question, its answer, the source chunk (index and text) it came from, and its verdict.

    ``chunk`` is None and ``source`` empty for pairs opened from a file or typed in by hand.
    ``document`` names the source the chunk belongs to (a file name, or "pasted text"), with the
    ``page`` (PDF, 1-based) or ``section`` where the chunk starts. ``score`` and ``reason`` are the
    judge's, where it rated the pair; ``rejection`` says why a rejected pair was rejected.
    """

    question: str
    answer: str
    chunk: int | None = None
    source: str = ""
    document: str = ""
    page: int | None = None
    section: str = ""
    status: PairStatus = PairStatus.ACCEPTED
    score: int | None = None
    reason: str = ""
    rejection: str = ""
