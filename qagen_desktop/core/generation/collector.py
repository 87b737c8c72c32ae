"""Collecting one chunk's pairs from a reply: parse, check each pair, keep what passes.

Each pair goes through a list of ``PairCheck``s; the first that gives a reason rejects it. A
rejected pair is kept (status rejected, with its reason) but does not count, so its chunk asks
again for the rest. A run plugs in ``quality.PairChecker`` (every cheap check, and the run's
question index); ``DuplicateQuestions`` is the bare duplicate rule, the default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from qagen_desktop.core.chunking import Chunk
from qagen_desktop.core.client import ChatReply
from qagen_desktop.core.errors import ErrorKind
from qagen_desktop.core.parsing import normalise_question, parse_pairs
from qagen_desktop.core.quality import Rejection
from qagen_desktop.core.records import PairStatus, QAPair

DUPLICATE = "duplicate question"


class PairCheck(Protocol):
    """One rule a pair must pass: None keeps it, a string is the reason it is rejected."""

    def __call__(self, pair: QAPair, chunk: Chunk) -> str | None: ...


class DuplicateQuestions:
    """The run's questions so far, normalised (case, spacing, punctuation): a repeat is rejected.

    A question that passes is claimed at once, so this check goes last in the list: a pair that
    another check turns down must not block the same question asked again.
    """

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, pair: QAPair, chunk: Chunk) -> str | None:
        key = normalise_question(pair.question)
        if not key or key in self.seen:
            return DUPLICATE
        self.seen.add(key)
        return None


@dataclass
class Collected:
    """What one reply gave a chunk: the pairs kept, those rejected, and why it fell short (if
    it did: ``reason`` is meaningful only while the chunk still needs pairs)."""

    kept: list[QAPair] = field(default_factory=list)
    rejected: list[QAPair] = field(default_factory=list)
    reason: str = "the model gave fewer pairs than asked"
    kind: ErrorKind = ErrorKind.SHORT


class PairCollector:
    """Turns replies into checked pairs for the chunks of one run (the checks hold run state)."""

    def __init__(self, checks: Sequence[PairCheck] | None = None) -> None:
        self.checks: list[PairCheck] = (
            list(checks) if checks is not None else [DuplicateQuestions()]
        )

    def collect(self, chunk: Chunk, reply: ChatReply, need: int) -> Collected:
        """At most ``need`` new pairs that pass every check, from one reply for ``chunk``."""
        parsed = parse_pairs(reply.content, cut_off=reply.finish_reason == "length")
        got = Collected()
        for question, answer in parsed.pairs:
            question, answer = question.strip(), answer.strip()
            if not question or not answer:
                continue
            if len(got.kept) >= need:
                break
            pair = QAPair(question, answer, chunk.index, chunk.text)
            reason = self._first_rejection(pair, chunk)
            if reason is None:
                got.kept.append(pair)
            else:
                pair.status, pair.rejection = PairStatus.REJECTED, reason
                got.rejected.append(pair)
        unreadable = parsed.malformed and not parsed.pairs
        got.reason, got.kind = _shortfall(reply, unreadable, parsed.truncated, got)
        return got

    def _first_rejection(self, pair: QAPair, chunk: Chunk) -> str | None:
        for check in self.checks:
            reason = check(pair, chunk)
            if reason is not None:
                return reason
        return None


_REPEATS = {DUPLICATE, Rejection.DUPLICATE, Rejection.NEAR_DUPLICATE}


def _label(reason: str) -> str:
    """A check's reason in plain words (a ``Rejection``'s label; another check's own text)."""
    try:
        return Rejection(reason).label
    except ValueError:
        return reason


def _shortfall(
    reply: ChatReply, unreadable: bool, truncated: bool, got: Collected
) -> tuple[str, ErrorKind]:
    """Why a reply gave fewer pairs than asked, most telling first."""
    if reply.finish_reason == "content_filter":
        return "The provider's content filter blocked this text.", ErrorKind.FILTERED
    cut = "the model's replies were cut off at the token limit", ErrorKind.TRUNCATED
    if reply.finish_reason == "length":
        return cut
    if unreadable:
        return "the model's replies could not be read as question-answer pairs", ErrorKind.MALFORMED
    if truncated:
        return cut
    reasons = {pair.rejection for pair in got.rejected}
    if reasons and reasons <= _REPEATS:
        return "the model repeated questions it had already asked", ErrorKind.DUPLICATES
    if reasons:
        said = sorted(_label(reason) for reason in reasons)
        return f"pairs were rejected ({'; '.join(said)})", ErrorKind.REJECTED
    return "the model gave fewer pairs than asked", ErrorKind.SHORT
