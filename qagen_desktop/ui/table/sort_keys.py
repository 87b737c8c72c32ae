"""What the results table sorts by: one plain key per column, computed from the pair itself
(never through Qt's ``data()``), so sorting 100,000 rows is one ``list.sort`` in Python.

Text sorts case-insensitively (``casefold``) on its first ``KEY_CHARS`` characters (enough to
order any real question, without a second copy of every long answer); the score sorts as a
number. Empty cells and unscored pairs come last in either direction, as in a spreadsheet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.table.cells import (
    ANSWER,
    QUESTION,
    REASON,
    SCORE,
    SOURCE,
    STATUS,
    STATUS_WORDS,
    why,
)

KEY_CHARS = 100
SortKey = tuple[bool, Any]

_STATUS_KEYS = {status: word.casefold() for status, word in STATUS_WORDS.items()}


def _question(pair: QAPair) -> SortKey:
    return not pair.question, pair.question[:KEY_CHARS].casefold()


def _answer(pair: QAPair) -> SortKey:
    return not pair.answer, pair.answer[:KEY_CHARS].casefold()


def _source(pair: QAPair) -> SortKey:
    # The label reads "#3  text": by chunk number first (so #10 follows #9), then the text.
    missing = pair.chunk is None and not pair.source
    chunk = -1 if pair.chunk is None else pair.chunk
    return missing, (chunk, pair.source[:KEY_CHARS].casefold())


def _score(pair: QAPair) -> SortKey:
    return pair.score is None, 0 if pair.score is None else pair.score


def _status(pair: QAPair) -> SortKey:
    return False, _STATUS_KEYS[pair.status]


def _reason(pair: QAPair) -> SortKey:
    text = why(pair)
    return not text, text[:KEY_CHARS].casefold()


_VALUES: dict[int, Callable[[QAPair], SortKey]] = {
    QUESTION: _question,
    ANSWER: _answer,
    SOURCE: _source,
    SCORE: _score,
    STATUS: _status,
    REASON: _reason,
}


def sort_key(column: int) -> Callable[[QAPair], SortKey]:
    """The key that orders pairs by ``column``: (empty, value). The view sorts the values,
    either way, and puts the empty cells after them."""
    return _VALUES[column]
