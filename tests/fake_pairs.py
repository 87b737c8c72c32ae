"""What the loopback server's model writes: good pairs from the text's words, bad pairs of every
kind the quality checks and the judge must catch, and a judge's ratings.

Pure functions, so tests can make the server's pairs without a server (the property test that
the checks never reject a good pair uses ``make_pairs`` directly).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")
ANSWER_WORDS = 12


class PairKind(StrEnum):
    """What the server meant a pair to be: good, or one kind of bad."""

    GOOD = "good"
    ECHO = "echo"  # the answer repeats the question
    NON_ANSWER = "non_answer"  # "The text does not say."
    OUTSIDE = "outside"  # an answer whose words are not in the text
    REWORDED = "reworded"  # an earlier question asked again in other words
    WRONG_SENTENCE = "wrong_sentence"  # a real sentence of the text, answering something else


BAD_KINDS = tuple(kind for kind in PairKind if kind is not PairKind.GOOD)

NON_ANSWERS = (
    "The text does not say.",
    "I don't know.",
    "N/A",
    "Le texte ne le dit pas.",
    "文中没有提到。",
    "Not mentioned in the text.",
)
OUTSIDE_ANSWERS = (
    "It was founded by Napoleon Bonaparte in 1802 near Marseille.",
    "Roughly 4,700 kilograms of saffron, shipped from Zanzibar every winter.",
    "A Byzantine monastery guarded by seventeen Tibetan mastiffs.",
    "The quokka population of Rottnest Island doubled during 1987.",
)

# Scores the fake judge gives each kind of pair, with its reason.
VERDICTS: dict[PairKind, tuple[int, str]] = {
    PairKind.GOOD: (9, "Grounded in the text and answers the question."),
    PairKind.ECHO: (1, "The answer only repeats the question."),
    PairKind.NON_ANSWER: (1, "The answer says nothing."),
    PairKind.OUTSIDE: (2, "The answer is not in the text."),
    PairKind.REWORDED: (3, "The question repeats an earlier one in other words."),
    PairKind.WRONG_SENTENCE: (2, "The sentence is from the text but answers a different question."),
}


def words_of(context: str) -> list[str]:
    return _WORD.findall(context) or ["nothing"]


def good_pair(context: str, number: int) -> tuple[str, str]:
    """The good pair numbered ``number``: a question about three words of the text, answered by
    the text's words from there on (so it is grounded and adds to the question)."""
    words = words_of(context)
    start = (number * 3) % len(words)
    ring = words * (1 + (start + ANSWER_WORDS) // len(words))
    topic = " ".join(ring[start : start + 3])
    answer = " ".join(ring[start : start + ANSWER_WORDS])
    return (
        f"What does the text say about {topic} (point {number})?",
        answer[:1].upper() + answer[1:] + ".",
    )


def make_pairs(context: str, first: int, count: int) -> list[tuple[str, str]]:
    """``count`` good pairs numbered from ``first``, built from the words of ``context``."""
    return [good_pair(context, number) for number in range(first, first + count)]


def reword(question: str) -> str:
    """The same question in other words, as a model repeats itself."""
    reworded = question.replace("What does the text say about", "What is it that the text says")
    if reworded == question:
        return "Could you tell me " + question[:1].lower() + question[1:]
    return reworded.replace(" says ", " says regarding ", 1)


def bad_pair(
    kind: PairKind, context: str, number: int, earlier: tuple[str, str], turn: int
) -> tuple[str, str, PairKind]:
    """A bad pair of ``kind`` numbered ``number`` (``earlier``: a good pair already given, for a
    reworded repeat; ``turn`` picks among the variants). Falls back to OUTSIDE where the text has
    no sentence that fits a wrong answer."""
    question = good_pair(context, number)[0]
    if kind is PairKind.ECHO:
        if turn % 2:
            topic = question.split(" about ", 1)[1].split(" (point")[0]
            return topic, topic, kind
        return question, question.rstrip("?"), kind
    if kind is PairKind.NON_ANSWER:
        return question, NON_ANSWERS[turn % len(NON_ANSWERS)], kind
    if kind is PairKind.REWORDED:
        return reword(earlier[0]), earlier[1], kind
    if kind is PairKind.WRONG_SENTENCE:
        topic = {w.casefold() for w in _WORD.findall(question.split(" about ", 1)[1])}
        for sentence in _SENTENCE_END.split(context.strip()):
            said = {w.casefold() for w in _WORD.findall(sentence)}
            if len(said) >= 4 and not said & topic:
                return question, sentence.strip(), kind
    return question, OUTSIDE_ANSWERS[turn % len(OUTSIDE_ANSWERS)], PairKind.OUTSIDE


def is_judge_request(body: Mapping[str, Any]) -> bool:
    """A judge request: the ratings schema, or a prompt asking for ``{"ratings": ...}``."""
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        schema = response_format.get("json_schema")
        if isinstance(schema, dict) and schema.get("name") == "qa_ratings":
            return True
    return any(
        isinstance(m, dict) and '{"ratings"' in str(m.get("content") or "")
        for m in body.get("messages") or []
    )


def pairs_to_rate(prompt: str) -> list[dict[str, Any]]:
    """The ``[{"id", "question", "answer"}]`` array at the end of a judge prompt."""
    at = prompt.rfind("\n[")
    try:
        items = json.loads(prompt[at + 1 :]) if at >= 0 else []
    except ValueError:
        return []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def rate(
    items: Iterable[Mapping[str, Any]], context: str, kinds: Mapping[tuple[str, str], PairKind]
) -> list[dict[str, Any]]:
    """The fake judge's ratings: by the kind the server gave a pair, or, for a pair it never
    wrote, high when the answer's words are all in the text and it shares a word with the
    question, low otherwise."""
    said = {w.casefold() for w in _WORD.findall(context)}
    ratings = []
    for item in items:
        question, answer = str(item.get("question", "")), str(item.get("answer", ""))
        kind = kinds.get((question, answer))
        if kind is None:
            asked = {w.casefold() for w in _WORD.findall(question) if len(w) > 3}
            given = {w.casefold() for w in _WORD.findall(answer)}
            grounded = bool(given) and given <= said and bool(given & asked)
            kind = PairKind.GOOD if grounded and given != asked else PairKind.OUTSIDE
        score, reason = VERDICTS[kind]
        ratings.append({"id": item.get("id"), "score": score, "reason": reason})
    return ratings
