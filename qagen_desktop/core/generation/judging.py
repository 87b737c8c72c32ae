"""The judge pass: a second request per chunk that rates the chunk's pairs against its text.

The request and the reading of ratings are ``core.quality.judge``'s pure functions; this module
sends them, on the judge's own endpoint (the run's by default), and turns the ratings into
verdicts: pairs under ``min_score`` are rejected (``Rejection.LOW_SCORE``, with the judge's
reason), and pairs the judge could not rate, after the chunk's budget of retries, are left
*unjudged*: kept, with no score and a reason that says they were not judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qagen_desktop.core.client import Usage
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
    cancelled: bool = False

    @property
    def kept(self) -> list[QAPair]:
        """The rated pairs that reached the minimum score."""
        rejected = {id(pair) for pair in self.rejected}
        return [pair for pair in self.rated if id(pair) not in rejected]
