"""What the results table's read-only cells say: source chunk, score, status and why.

Plain functions of a pair (no Qt object), called once per painted cell.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from qagen_desktop.core.records import PairStatus, QAPair

QUESTION, ANSWER, SOURCE, SCORE, STATUS, REASON = range(6)
STATUS_WORDS = {
    PairStatus.ACCEPTED: "Accepted",
    PairStatus.REJECTED: "Rejected",
    PairStatus.EDITED: "Edited",
}
TOOLTIP_CHARS = 2000
LOW_SCORE = "low_score"  # core.quality.Rejection.LOW_SCORE, without loading the checks
_SOURCE_PREVIEW = 80
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)


def read_only_cell(pair: QAPair, column: int, role: int) -> Any:
    """The display or tooltip text of one of the read-only columns (SOURCE and after)."""
    if column == SOURCE:
        if role == _TOOLTIP:
            return pair.source[:TOOLTIP_CHARS] or None
        return _source_label(pair)
    if column == SCORE:
        if role == _TOOLTIP:
            return pair.reason[:TOOLTIP_CHARS] or None
        return "" if pair.score is None else str(pair.score)
    if column == STATUS:
        if role == _TOOLTIP:
            return why(pair) or None
        return STATUS_WORDS[pair.status]
    if column == REASON:
        text = why(pair)
        return (text[:TOOLTIP_CHARS] or None) if role == _TOOLTIP else text
    return None


def why(pair: QAPair) -> str:
    """In plain words, why the pair has its verdict: the rejection, and the judge's reason."""
    rejected = pair.status is PairStatus.REJECTED and bool(pair.rejection)
    if rejected and pair.rejection == LOW_SCORE and pair.reason:
        text = f"judge: {pair.reason}"  # the score column already says it was too low
    elif rejected:
        label = rejection_label(pair.rejection)
        text = f"{label}; judge: {pair.reason}" if pair.reason else label
    else:
        text = pair.reason
    return text[:1].upper() + text[1:]


_REJECTION_LABELS: dict[str, str] = {}


def rejection_label(rejection: str) -> str:
    """A rejection's plain words (``Rejection.label``); an unknown code shows as it is."""
    if not _REJECTION_LABELS:
        # The checks' module loads its word lists: imported on the first rejected pair shown,
        # not at start-up.
        from qagen_desktop.core.quality.checks import Rejection

        _REJECTION_LABELS.update({member.value: member.label for member in Rejection})
    return _REJECTION_LABELS.get(rejection, rejection)


def _source_label(pair: QAPair) -> str:
    if pair.chunk is None and not pair.source:
        return ""
    preview = " ".join(pair.source[: _SOURCE_PREVIEW * 2].split())[:_SOURCE_PREVIEW]
    if len(pair.source) > _SOURCE_PREVIEW:
        preview += "…"
    if pair.chunk is None:
        return preview
    return f"#{pair.chunk + 1}  {preview}" if preview else f"#{pair.chunk + 1}"
