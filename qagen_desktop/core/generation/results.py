"""What a run hands back: each chunk's outcome and the run's result."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from qagen_desktop.core.client import Usage
from qagen_desktop.core.errors import ErrorKind
from qagen_desktop.core.generation.negotiation import Refusal
from qagen_desktop.core.records import QAPair


@dataclass
class ChunkOutcome:
    """How one chunk went: pairs asked and received, and why it fell short if it did."""

    index: int
    requested: int
    received: int = 0
    error: str | None = None
    error_kind: ErrorKind | None = None
    reason: str = ""  # why it fell short of its pairs, without the count
    requests: int = 0
    retries: int | None = None  # further requests allowed; None: the run's max_retries
    judge_retries: int = 0  # judge requests sent again (a failure, an unreadable reply)
    unjudged: int = 0  # pairs kept without a score: the judge could not rate them

    @property
    def ok(self) -> bool:
        return self.error is None and self.received >= self.requested

    def fail(self, message: str, kind: ErrorKind) -> None:
        self.error, self.error_kind = message, kind


@dataclass
class RunResult:
    """The pairs (in text order), each chunk's outcome, the summed usage, and how it ended.

    ``rejected`` holds the pairs a check or the judge turned down, each with its ``rejection``
    reason. ``usage`` counts generation's tokens, ``judge_usage`` the judge's. ``unjudged``
    lists the pairs (also in ``pairs``) the judge was on for but could not rate: they carry no
    score and a ``reason`` starting "Not judged:", and their chunk is reported as failed.
    """

    pairs: list[QAPair]
    outcomes: list[ChunkOutcome]
    usage: Usage
    requested: int
    response_mode: str
    cancelled: bool = False
    elapsed: float = 0.0
    fatal: str | None = None
    rejected: list[QAPair] = field(default_factory=list)
    # The parts of a request the server refused (remembered per endpoint in the settings).
    refused: frozenset[Refusal] = frozenset()
    judge_usage: Usage = field(default_factory=Usage)
    unjudged: list[QAPair] = field(default_factory=list)

    def rejection_counts(self) -> dict[str, int]:
        """How many pairs were rejected for each reason, most first (ties in reason order)."""
        counts = Counter(str(pair.rejection) for pair in self.rejected)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    @property
    def shortfall(self) -> int:
        return max(0, self.requested - len(self.pairs))

    @property
    def failed(self) -> list[ChunkOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]
