"""Read question-answer pairs out of whatever a chat model replied.

Servers answer in many shapes: an object holding the list under any key, a bare array, a fenced
```json block, JSON inside chatty prose, a ``<think>`` block first, the old script's
``question: ... answer: ...`` lines, a Markdown table, or JSON cut off at the token limit.
``parse_pairs`` takes them all, keeps only complete pairs, and never raises.
"""

from __future__ import annotations

import json
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from json_repair import repair_json

log = logging.getLogger(__name__)

# Keys people and models use for the two halves of a pair, compared after _key().
_QUESTION_KEYS = ("question", "q", "instruction", "prompt", "query", "questiontext", "human")
_ANSWER_KEYS = ("answer", "a", "output", "response", "completion", "answertext", "reply", "gpt")
_QUESTION_LISTS = ("questions", "qs")
_ANSWER_LISTS = ("answers", "as")

# Deep enough for {"data": {"pairs": [{...}]}}; deeper structures are not pair lists.
_MAX_DEPTH = 5
# Bounds on the work spent on hostile input: brackets that fail to start JSON, and the text
# handed to json_repair.
_MAX_JSON_FAILURES = 400
_MAX_REPAIR_CHARS = 2_000_000

_REASONING_CLOSE = re.compile(r"</(?:think|thinking|reasoning)>", re.IGNORECASE)
_REASONING_OPEN = re.compile(r"\s*<(?:think|thinking|reasoning)>", re.IGNORECASE)
# A fenced block, with or without a language; an unclosed fence runs to the end (a cut reply).
_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.DOTALL)
_JSON_START = re.compile(r"[\[{]")
# A bracket that plausibly opens JSON (not "[1]" or "{n}" in prose), for what json_repair sees.
_LIKELY_JSON_START = re.compile(r"""\{\s*["'\w}]|\[\s*[\[{"'\]]""")
# Strings (possibly unterminated at the end of the text) and brackets, for finding where JSON ends.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*("?)|[\[\]{}]', re.DOTALL)

# "Question: ...", "1. Q: ...", "**Answer 2:** ...", "Q3." at the start of a line.
_LABEL = re.compile(
    r"""^[ \t]*(?:[-*•>][ \t]*)?(?:\#{1,6}[ \t]*)?(?:\(?\d{1,4}[.)][ \t]*)?
        (?:\*\*|__)?[ \t]*(?P<label>question|answer|q|a)[ \t]*
        (?:\#?\d{1,4}[ \t]*(?:\*\*|__)?[ \t]*[:：.)]|(?:\*\*|__)?[ \t]*[:：])
        [ \t]*(?:\*\*|__)?[ \t]*""",
    re.IGNORECASE | re.VERBOSE,
)
# An answer given on the question's own line: "question: Why? answer: Because."
_INLINE_ANSWER = re.compile(
    r"\s(?:\*\*|__)?(?:[Aa][Nn][Ss][Ww][Ee][Rr]|A)[ \t]*(?:\*\*|__)?[:：]\s*"
)
# Sign-off prose a chatty model appends after the last answer.
_SIGN_OFF = re.compile(
    r"\n\s*\n(?:I hope|Hope th|Let me know|Feel free to|These (?:questions|pairs) )"
    r"[^\n]*(?:\n[^\n]*)*\Z",
    re.IGNORECASE,
)

# A line break inside a Markdown table cell, and a pair in XML-like tags.
_TABLE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAGGED_PAIR = re.compile(
    r"<question>(.*?)</question>\s*<answer>(.*?)</answer>", re.IGNORECASE | re.DOTALL
)

# Punctuation only (Unicode category P): symbols such as "+" or "$" can change a question's sense.
_ASCII_PUNCTUATION = str.maketrans(
    "", "", "".join(ch for ch in map(chr, range(128)) if unicodedata.category(ch).startswith("P"))
)
_ASCII_PUNCTUATION_BYTES = bytes(
    ch for ch in range(128) if unicodedata.category(chr(ch)).startswith("P")
)


@dataclass
class ParsedReply:
    """The complete pairs found, whether the reply was cut short, and whether it held nothing."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    truncated: bool = False
    malformed: bool = False


def parse_pairs(reply: str, *, cut_off: bool = False) -> ParsedReply:
    """Every complete, non-empty pair in ``reply``; never raises.

    ``cut_off`` says the server stopped at its token limit (``finish_reason: "length"``): the
    last pair of a line-format reply is then dropped, since its answer may be incomplete (cut
    JSON is recognised from the text itself).
    """
    try:
        return _parse(reply, cut_off)
    except Exception:  # whatever the reply holds, the caller gets a verdict, not a traceback
        log.debug("Reply could not be parsed", exc_info=True)
        return ParsedReply([], truncated=cut_off, malformed=True)


def _parse(reply: str, cut_off: bool) -> ParsedReply:
    if not isinstance(reply, str):
        return ParsedReply([], truncated=cut_off, malformed=True)
    body, thinking_cut = _strip_reasoning(reply)
    if thinking_cut:
        return ParsedReply([], truncated=True, malformed=True)
    pairs, truncated = _pairs_from_json(body)
    if pairs:
        return ParsedReply(pairs, truncated=truncated or cut_off)
    pairs = _pairs_from_lines(body)
    if pairs:
        if cut_off:
            pairs.pop()
        return ParsedReply(pairs, truncated=cut_off, malformed=not pairs)
    # Rows and tags are whole only when closed, so a cut reply keeps every pair these find.
    pairs = _pairs_from_table(body) or _pairs_from_tags(body)
    return ParsedReply(pairs, truncated=truncated or cut_off, malformed=not pairs)


def _strip_reasoning(reply: str) -> tuple[str, bool]:
    """The answer after any reasoning block, and whether the reply stopped while still thinking."""
    closes = [match.end() for match in _REASONING_CLOSE.finditer(reply)]
    if closes:
        return reply[closes[-1] :], False
    if _REASONING_OPEN.match(reply):
        return "", True
    return reply, False


# ------------------------------------------------------------------------------------ JSON


def _pairs_from_json(text: str) -> tuple[list[tuple[str, str]], bool]:
    """Pairs from fenced blocks first, else from the JSON anywhere in ``text``, and whether the
    JSON was cut short."""
    truncated = False
    for block in _FENCE.finditer(text):
        pairs, cut = _pairs_from_json_text(block.group(1))
        if pairs:
            return pairs, cut
        truncated = truncated or cut
    pairs, cut = _pairs_from_json_text(text)
    return pairs, cut or (truncated and not pairs)


def _pairs_from_json_text(text: str) -> tuple[list[tuple[str, str]], bool]:
    first = _LIKELY_JSON_START.search(text)
    if first is None:
        return _scan_values(text), False
    try:
        pairs = _collect(json.loads(text))
    except (ValueError, RecursionError):
        pairs = []
    if pairs:
        return pairs, False
    end, last_close, unterminated = _json_extent(text, first.start())
    scanned = _scan_values(text)
    if unterminated:
        # Only objects already closed are whole; repair never sees the pair being written.
        candidate = text[first.start() : last_close] if last_close else ""
    else:
        candidate = text[first.start() : end]
    repaired = _repair(candidate) if candidate else []
    best = repaired if len(repaired) > len(scanned) else scanned
    return best, unterminated


def _json_extent(text: str, start: int) -> tuple[int, int, bool]:
    """Where the JSON value starting at ``start`` ends, where its last object closed, and
    whether the text ran out before it ended."""
    depth = 0
    last_close = 0
    for token in _JSON_TOKEN.finditer(text, start):
        kind = token.group()[0]
        if kind == '"':
            if not token.group(1):
                return len(text), last_close, True
        elif kind in "[{":
            depth += 1
        else:
            depth -= 1
            if kind == "}":
                last_close = token.end()
            if depth <= 0:
                return token.end(), last_close, False
    return len(text), last_close, True


def _scan_values(text: str) -> list[tuple[str, str]]:
    """Pairs from every JSON value that decodes somewhere in ``text`` (prose, JSON Lines, or the
    complete objects inside a list that was cut off)."""
    decoder = json.JSONDecoder()
    pairs: list[tuple[str, str]] = []
    pos = 0
    failures = 0
    while failures < _MAX_JSON_FAILURES:
        start = _JSON_START.search(text, pos)
        if start is None:
            break
        try:
            value, end = decoder.raw_decode(text, start.start())
        except (ValueError, RecursionError):
            failures += 1
            pos = start.start() + 1
            continue
        pairs.extend(_collect(value))
        pos = end
    return pairs


def _repair(candidate: str) -> list[tuple[str, str]]:
    """Pairs from almost-JSON (trailing commas, single quotes, missing brackets)."""
    if len(candidate) > _MAX_REPAIR_CHARS:
        return []
    try:
        value = repair_json(candidate, return_objects=True)
    except Exception:  # json_repair is best effort; a failure means "nothing salvaged"
        log.debug("json_repair gave up", exc_info=True)
        return []
    return _collect(value)


def _collect(value: Any, depth: int = 0) -> list[tuple[str, str]]:
    """Every pair in a decoded JSON value: a pair object, a list of them, or a list held under
    any key of an object (nested a level or two)."""
    pairs: list[tuple[str, str]] = []
    if depth > _MAX_DEPTH:
        return pairs
    if isinstance(value, str) and depth == 0 and value.lstrip()[:1] in ("{", "["):
        # A reply that is a JSON string holding the JSON (encoded twice).
        try:
            return _collect(json.loads(value), depth + 1)
        except (ValueError, RecursionError):
            return pairs
    if isinstance(value, dict):
        keys = {_key(k): v for k, v in value.items() if isinstance(k, str)}
        pair = _pair(_first(keys, _QUESTION_KEYS), _first(keys, _ANSWER_KEYS))
        if pair:
            return [pair]
        questions, answers = _first(keys, _QUESTION_LISTS), _first(keys, _ANSWER_LISTS)
        if isinstance(questions, list) and isinstance(answers, list):
            for question, answer in zip(questions, answers):  # noqa: B905 (extra items unpaired)
                pair = _pair(question, answer)
                if pair:
                    pairs.append(pair)
            return pairs
        for item in value.values():
            pairs.extend(_collect(item, depth + 1))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, list) and len(item) == 2:  # [["question", "answer"], ...]
                pair = _pair(item[0], item[1])
                if pair:
                    pairs.append(pair)
                    continue
            pairs.extend(_collect(item, depth + 1))
    return pairs


def _key(key: str) -> str:
    return key.strip().lower().replace("_", "").replace("-", "").replace(" ", "")


def _first(keys: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if name in keys:
            return keys[name]
    return None


def _pair(question: Any, answer: Any) -> tuple[str, str] | None:
    q, a = _LIST_NUMBER.sub("", _text(question), count=1), _text(answer)
    return (q, a) if q and a else None


# A list number a model wrote into the question itself ("1. What ...", "2) ...", "Q3: ...",
# "Question 4: ..."): it is no part of the question, and "1. What is X?" and "2. What is X?"
# are one question.
_LIST_NUMBER = re.compile(
    r"\A(?:\(?\d{1,3}[.)]|q\d{1,3}[ \t]*[.:)]|question[ \t]*\d{1,3}[ \t]*[.:)])\s+(?=\S)",
    re.IGNORECASE,
)


def _text(value: Any) -> str:
    """A field as trimmed text: strings, numbers, and lists of strings (an answer in points)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):  # not Infinity or NaN
        return str(value)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "\n".join(v.strip() for v in value).strip()
    return ""


# ----------------------------------------------------------------------------------- lines


def _pairs_from_lines(text: str) -> list[tuple[str, str]]:
    """Pairs from ``question: ... / answer: ...`` lines (any case, numbered, in bold, Q/A);
    an answer runs until the next question and keeps its line breaks."""
    pairs: list[tuple[str, str]] = []
    question: list[str] = []
    answer: list[str] = []
    state = ""

    def finish() -> None:
        pair = _pair("\n".join(question), "\n".join(answer))
        if pair:
            pairs.append(pair)

    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        label = _LABEL.match(line)
        kind = label.group("label").lower()[0] if label else ""
        if kind == "q":
            if state:
                finish()
            rest = line[label.end() :] if label else ""
            inline = _INLINE_ANSWER.search(rest)
            if inline:
                question, answer, state = [rest[: inline.start()]], [rest[inline.end() :]], "a"
            else:
                question, answer, state = [rest], [], "q"
        elif kind == "a" and state == "q":
            answer, state = [line[label.end() :] if label else ""], "a"
        elif state == "q":
            question.append(line)
        elif state == "a":
            answer.append(line)
    if state:
        answer = [_SIGN_OFF.sub("", "\n".join(answer))]
        finish()
    return [(_unbold(q), _unbold(a)) for q, a in pairs]


def _pairs_from_table(text: str) -> list[tuple[str, str]]:
    """Pairs from a Markdown table with a question column and an answer column."""
    columns: tuple[int, int] | None = None
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():
        row = line.strip()
        if not (row.startswith("|") and row.endswith("|") and len(row) > 1):
            columns = None
            continue
        cells = [_unbold(cell.strip()) for cell in row[1:-1].split("|")]
        if columns is None:
            names = [_key(cell) for cell in cells]
            question = next((i for i, n in enumerate(names) if n in _QUESTION_KEYS), None)
            answer = next((i for i, n in enumerate(names) if n in _ANSWER_KEYS), None)
            if question is not None and answer is not None:
                columns = (question, answer)
            continue
        if all(set(cell) <= set(":- ") for cell in cells):
            continue  # the |---|---| rule under the header
        if max(columns) < len(cells):
            pair = _pair(*(_TABLE_BREAK.sub("\n", cells[i]) for i in columns))
            if pair:
                pairs.append(pair)
    return pairs


def _pairs_from_tags(text: str) -> list[tuple[str, str]]:
    """Pairs from ``<question>...</question><answer>...</answer>`` markup."""
    pairs = (_pair(m.group(1), m.group(2)) for m in _TAGGED_PAIR.finditer(text))
    return [pair for pair in pairs if pair]


def _unbold(text: str) -> str:
    """Drop the Markdown bold a model wrapped around a whole field."""
    for mark in ("**", "__"):
        if text.startswith(mark) and text.endswith(mark) and len(text) > 2 * len(mark):
            text = text[len(mark) : -len(mark)].strip()
    return text


# ------------------------------------------------------------------------------ duplicates


def normalise_question(question: str) -> str:
    """The question reduced for duplicate detection: case folded, punctuation dropped (in any
    script), spacing collapsed."""
    if question.isascii():  # NFKC keeps ASCII as it is; bytes delete in C, str looks each up
        text = question.lower().encode().translate(None, _ASCII_PUNCTUATION_BYTES).decode()
    else:
        text = unicodedata.normalize("NFKC", question).casefold().translate(_ASCII_PUNCTUATION)
        if not text.isascii():
            text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))
    return " ".join(text.split())  # str.split's whitespace is the regex's \s
