"""The judge pass: the request it sends, reading ratings as models write them, and applying them."""

from __future__ import annotations

import json

import httpx
import pytest
from fake_pairs import PairKind
from fake_server import FakeLLMServer
from qagen_process import CONTEXT

from qagen_desktop.core.chunking import Chunk
from qagen_desktop.core.parsing import parse_pairs
from qagen_desktop.core.prompts import DEFAULT_TEMPLATE, build_messages
from qagen_desktop.core.quality import (
    PairChecker,
    Rating,
    Rejection,
    apply_ratings,
    judge_messages,
    judge_response_format,
    parse_ratings,
)
from qagen_desktop.core.quality.judge import MIN_SCORE, RUBRIC, judge_max_tokens
from qagen_desktop.core.records import PairStatus, QAPair

PAIRS = [
    QAPair("Which way does the Amazon flow?", "East, from the Andes to the Atlantic."),
    QAPair("What do the floods bring?", 'Nutrients, "food" for the floodplain.'),
]


def test_the_request_puts_rubric_and_chunk_first_and_the_pairs_last_as_json() -> None:
    system, user = judge_messages(CONTEXT, PAIRS)
    assert system == {"role": "system", "content": RUBRIC}
    for words in ("grounded", "self-contained", "useful", "1 to 10", '{"ratings"'):
        assert words in RUBRIC
    assert user["role"] == "user"
    assert user["content"].startswith(f'Text:\n"""\n{CONTEXT}\n"""')
    array = user["content"][user["content"].rindex("\n[") + 1 :]
    assert json.loads(array) == [
        {"id": 1, "question": PAIRS[0].question, "answer": PAIRS[0].answer},
        {"id": 2, "question": PAIRS[1].question, "answer": PAIRS[1].answer},
    ]


def test_two_judge_requests_for_one_chunk_share_everything_before_the_pairs() -> None:
    first = judge_messages(CONTEXT, PAIRS[:1])
    second = judge_messages(CONTEXT, PAIRS)
    assert first[0] == second[0]
    prefix = f'Text:\n"""\n{CONTEXT}\n"""\n\nRate these '
    assert first[1]["content"].startswith(prefix) and second[1]["content"].startswith(prefix)


def test_the_schema_bounds_the_reply_to_the_pairs_asked_about() -> None:
    response_format = judge_response_format("json_schema", 3)
    assert response_format is not None
    assert response_format["json_schema"]["name"] == "qa_ratings"
    ratings = response_format["json_schema"]["schema"]["properties"]["ratings"]
    assert (ratings["minItems"], ratings["maxItems"]) == (3, 3)
    assert ratings["items"]["properties"]["score"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 10,
    }
    assert judge_response_format("json_object", 3) == {"type": "json_object"}
    assert judge_response_format("plain", 3) is None
    assert judge_max_tokens(10) > judge_max_tokens(1)


PLAIN = (
    '{"ratings": [{"id": 1, "score": 8, "reason": "Good."}, '
    '{"id": 2, "score": 3, "reason": "Off."}]}'
)


@pytest.mark.parametrize(
    "reply",
    [
        PLAIN,
        f"Here are my ratings:\n\n```json\n{PLAIN}\n```\nLet me know.",
        f"After reading the text carefully, {PLAIN} is my verdict.",
        f"<think>\nPair 1 is fine {{not json}}; pair 2 is off.\n</think>\n{PLAIN}",
        '[{"id": 1, "score": 8, "reason": "Good."}, {"id": 2, "score": 3, "reason": "Off."}]',
        '{"results": [{"id": "1", "score": "8", "reason": "Good."}, {"id": "2", "score": "3/10", '
        '"reason": "Off."}]}',
        '{"1": {"score": 8, "reason": "Good."}, "2": {"score": 3, "reason": "Off."}}',
        '{"ratings": [{"id": 1, "score": 8, "reason": "Good.",}, {"id": 2, "score": 3, '
        '"reason": "Off."},]}',
        '{"ratings": [{"pair_id": 1, "rating": 8.2, "explanation": "Good."}, {"pair_id": 2, '
        '"rating": 2.6, "explanation": "Off."}]}',
    ],
)
def test_ratings_are_read_in_the_shapes_models_write(reply: str) -> None:
    assert parse_ratings(reply, [1, 2]) == {1: Rating(8, "Good."), 2: Rating(3, "Off.")}


def test_missing_ids_and_invalid_scores_are_unrated_and_scores_are_clamped() -> None:
    reply = json.dumps(
        {
            "ratings": [
                {"id": 1, "score": 0, "reason": "Awful."},
                {"id": 2, "score": 15, "reason": "Great."},
                {"id": 3, "score": "excellent", "reason": "No number."},
                {"id": 4, "score": None},
                {"id": 9, "score": 8, "reason": "Not asked about."},
                {"id": 5.5, "score": 8},
                {"score": 8, "reason": "No id."},
            ]
        }
    )
    ratings = parse_ratings(reply, range(1, 7))
    assert ratings == {1: Rating(1, "Awful."), 2: Rating(10, "Great.")}


@pytest.mark.parametrize("reply", ["", "I cannot rate these.", "{", '{"ratings": []}', "[1, 2]"])
def test_a_reply_without_ratings_rates_nothing(reply: str) -> None:
    assert parse_ratings(reply, [1, 2]) == {}


def test_applying_ratings_scores_every_rated_pair_and_rejects_those_under_the_minimum() -> None:
    pairs = [QAPair("Q1?", "A1."), QAPair("Q2?", "A2."), QAPair("Q3?", "A3."), QAPair("Q4?", "A4.")]
    pairs[3].status = PairStatus.EDITED
    ratings = {1: Rating(MIN_SCORE, "Fine."), 2: Rating(6, "Vague."), 4: Rating(2, "Wrong.")}
    rejected = apply_ratings(pairs, ratings)
    assert rejected == [pairs[1]]
    assert (pairs[0].status, pairs[0].score, pairs[0].reason) == (PairStatus.ACCEPTED, 7, "Fine.")
    assert (pairs[1].status, pairs[1].rejection, pairs[1].reason) == (
        PairStatus.REJECTED,
        Rejection.LOW_SCORE,
        "Vague.",
    )
    assert (pairs[2].score, pairs[2].status) == (None, PairStatus.ACCEPTED)  # unrated
    assert (pairs[3].score, pairs[3].status) == (2, PairStatus.EDITED)  # the person's word stands
    assert apply_ratings([QAPair("Q?", "A.")], {1: Rating(8, "")}, min_score=9)[0].score == 8


@pytest.mark.parametrize("structured", [True, False])
def test_the_loopback_judge_marks_down_every_bad_pair_the_cheap_checks_let_through(
    structured: bool,
) -> None:
    checker = PairChecker()
    chunk = Chunk(0, 0, CONTEXT)
    kept: list[QAPair] = []
    with FakeLLMServer(mix_bad=True, shape="prose") as server:
        for _ in range(3):
            body = {"model": "m", "messages": build_messages(DEFAULT_TEMPLATE, "", CONTEXT, 12)}
            reply = httpx.post(server.chat_url, json=body, timeout=10).json()
            for question, answer in parse_pairs(reply["choices"][0]["message"]["content"]).pairs:
                pair = QAPair(question, answer)
                if checker(pair, chunk) is None:
                    kept.append(pair)
        judge = {"model": "m", "messages": judge_messages(CONTEXT, kept)}
        if structured:
            judge["response_format"] = judge_response_format("json_schema", len(kept))
        reply = httpx.post(server.chat_url, json=judge, timeout=10).json()
        assert server.requests[-1].is_judge and not server.requests[0].is_judge
        kinds = {id(pair): server.pair_kinds[(pair.question, pair.answer)] for pair in kept}
    ratings = parse_ratings(reply["choices"][0]["message"]["content"], range(1, len(kept) + 1))
    assert len(ratings) == len(kept)
    rejected = apply_ratings(kept, ratings)
    wrong = [pair for pair in kept if kinds[id(pair)] is PairKind.WRONG_SENTENCE]
    assert wrong and rejected == wrong
    assert all(
        pair.score is not None and pair.score >= MIN_SCORE for pair in kept if pair not in wrong
    )
