"""The one record everything passes around: a question-answer pair and where it came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class QAPair:
    """A question, its answer and the source chunk (index and text) it was generated from.

    ``chunk`` is None and ``source`` empty for pairs opened from a file or typed in by hand.
    """

    question: str
    answer: str
    chunk: int | None = None
    source: str = ""
