"""The judge pass as pure functions: the request that asks a model to rate a chunk's pairs, and
reading its ratings back, as real models write them.

The request puts what stays the same first, the rubric (a system message, the same for every
chunk) and then the chunk, and what changes last, the pairs, so every judge request for one
chunk, and the rubric across chunks, reuse the server's prompt cache. Pairs go as a JSON array
of ``{"id", "question", "answer"}`` with ids 1..n in the order given; the reply is
``{"ratings": [{"id", "score", "reason"}]}``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from json_repair import repair_json

from qagen_desktop.core.quality.checks import Rejection
from qagen_desktop.core.records import PairStatus, QAPair

MIN_SCORE = 7
SCHEMA_NAME = "qa_ratings"

RUBRIC = """\
You review question-answer pairs written from a text, for a fine-tuning dataset. Rate each pair \
from 1 to 10 against the text:
- grounded and correct: the answer is stated in the text, or follows from it, and is right;
- a clear, self-contained question: it makes sense without the text at hand and asks one thing;
- a useful answer: it answers that question, completely, without padding.
An answer from outside the text, a wrong answer, or an answer to a different question scores 1-3. \
A pair that meets all three scores 8-10.

Reply with JSON only, in this shape, one rating for every id:
{"ratings": [{"id": 1, "score": 8, "reason": "one short sentence"}]}"""


@dataclass(frozen=True, slots=True)
class Rating:
    """The judge's word on one pair: a score from 1 to 10 and a short reason."""

    score: int
    reason: str


def judge_messages(chunk_text: str, pairs: Sequence[QAPair]) -> list[dict[str, str]]:
    """The chat messages asking for ratings of ``pairs`` (ids 1..n) against ``chunk_text``."""
    items = [
        {"id": number, "question": pair.question, "answer": pair.answer}
        for number, pair in enumerate(pairs, start=1)
    ]
    user = (
        f'Text:\n"""\n{chunk_text}\n"""\n\n'
        f"Rate these {len(items)} pairs:\n{json.dumps(items, ensure_ascii=False, indent=1)}"
    )
    return [{"role": "system", "content": RUBRIC}, {"role": "user", "content": user}]


def ratings_schema(count: int) -> dict[str, Any]:
    """The JSON schema of the reply for ``count`` pairs (for response_format json_schema)."""
    return {
        "type": "object",
        "properties": {
            "ratings": {
                "type": "array",
                "minItems": count,
                "maxItems": count,
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer", "minimum": 1, "maximum": max(1, count)},
                        "score": {"type": "integer", "minimum": 1, "maximum": 10},
                        "reason": {"type": "string", "maxLength": 300},
                    },
                    "required": ["id", "score", "reason"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["ratings"],
        "additionalProperties": False,
    }


def judge_response_format(mode: str, count: int) -> dict[str, Any] | None:
    """``response_format`` for a judge request in the endpoint's mode (None: plain prompt)."""
    if mode == "json_schema":
        schema = ratings_schema(count)
        return {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": True},
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def judge_max_tokens(count: int) -> int:
    """A reply bound for ``count`` ratings: about 80 tokens each (a short reason) and slack."""
    return 64 + 80 * count


_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_SCORE_TEXT = re.compile(r"-?\d+(?:[.,]\d+)?")
_ID_KEYS = ("id", "pair_id", "pairid", "index", "pair", "number")
_SCORE_KEYS = ("score", "rating", "grade", "points")
_REASON_KEYS = ("reason", "explanation", "rationale", "comment", "justification", "why")


def parse_ratings(reply_text: str, ids: Iterable[int]) -> dict[int, Rating]:
    """The ratings in ``reply_text`` for the ``ids`` asked about; an id left out, or with a score
    that is no number, is unrated (absent). Reads fenced JSON, JSON inside prose, a
    ``<think>`` block first, a bare array, ratings under any key or keyed by id, ids and scores
    as strings ("8", "8/10", 8.5); scores are rounded and clamped to 1-10."""
    wanted = set(ids)
    found: dict[int, Rating] = {}
    for item in _rating_items(_json_value(_THINK.sub("", reply_text))):
        number = _number(_first(item, _ID_KEYS))
        score = _number(_first(item, _SCORE_KEYS))
        if number is None or score is None or int(number) != number:
            continue
        if int(number) in wanted and int(number) not in found:
            reason = _first(item, _REASON_KEYS)
            clamped = min(10, max(1, math.floor(score + 0.5)))
            found[int(number)] = Rating(clamped, str(reason).strip() if reason else "")
    return found


def apply_ratings(
    pairs: Sequence[QAPair], ratings: Mapping[int, Rating], min_score: int = MIN_SCORE
) -> list[QAPair]:
    """Give each rated pair (id = its 1-based place in ``pairs``) its score and reason, reject
    those under ``min_score``, and return the rejected ones. A pair edited by hand keeps its
    status: the person's word stands over the judge's. Unrated pairs are left as they are."""
    rejected = []
    for number, pair in enumerate(pairs, start=1):
        rating = ratings.get(number)
        if rating is None:
            continue
        pair.score = rating.score
        pair.reason = rating.reason
        if rating.score < min_score and pair.status is not PairStatus.EDITED:
            pair.status = PairStatus.REJECTED
            pair.rejection = Rejection.LOW_SCORE
            rejected.append(pair)
    return rejected


def _json_value(text: str) -> Any:
    """The JSON a reply holds: all of it, a fenced block, or the outermost braces in prose."""
    candidates = [text.strip()]
    candidates += [block.strip() for block in _FENCE.findall(text)]
    starts = [at for at in (text.find("{"), text.find("[")) if at >= 0]
    if starts:
        start = min(starts)
        end = max(text.rfind("}"), text.rfind("]"))
        candidates.append(text[start : end + 1] if end > start else text[start:])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    for candidate in candidates[1:]:
        value = repair_json(candidate, return_objects=True)
        if isinstance(value, (dict, list)) and value:
            return value
    return None


def _rating_items(value: Any, depth: int = 0) -> list[dict[str, Any]]:
    """The rating objects in ``value``: a list of them under any key, or a dict keyed by id."""
    if depth > 3:
        return []
    if isinstance(value, list):
        items = [v for v in value if isinstance(v, dict)]
        if any(_first(v, _SCORE_KEYS) is not None for v in items):
            return items
        return [item for v in value for item in _rating_items(v, depth + 1)]
    if not isinstance(value, dict):
        return []
    if _first(value, _SCORE_KEYS) is not None:
        return [value]
    if value and all(_number(k) is not None for k in value):
        return [_keyed(k, v) for k, v in value.items()]
    return [item for v in value.values() for item in _rating_items(v, depth + 1)]


def _keyed(key: str, value: Any) -> dict[str, Any]:
    """``{"1": 8}`` or ``{"1": {"score": 8, ...}}`` as a rating object with its id."""
    if isinstance(value, dict):
        return {"id": key, **value}
    return {"id": key, "score": value}


def _first(item: dict[str, Any], names: tuple[str, ...]) -> Any:
    lowered = {str(k).strip().lower(): v for k, v in item.items()}
    for name in names:
        if lowered.get(name) is not None:
            return lowered[name]
    return None


def _number(value: Any) -> float | None:
    """A finite number from an int, a float or text such as "8", "8/10" or "8.5"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        match = _SCORE_TEXT.search(value)
        if match:
            return float(match.group().replace(",", "."))
    return None
