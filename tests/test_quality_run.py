"""A run checks every pair, and with the judge on rates them, against the loopback server that
mixes bad pairs of every kind into its replies (``fake_pairs.PairKind``) and answers judge
requests: what is kept, what is rejected and why, the budget, and the judge's own tokens."""

from __future__ import annotations

import copy
import json
import threading
from collections import Counter
from typing import Any

import httpx
import pytest
from fake_pairs import PairKind
from fake_server import FakeLLMServer, Reply
from qagen_process import CONTEXT, long_text

from qagen_desktop.core.client import Usage
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.generation import Generator, RunConfig, RunEvents, RunResult
from qagen_desktop.core.quality import Rejection
from qagen_desktop.core.records import PairStatus, QAPair

CHEAP_KINDS = {PairKind.ECHO, PairKind.NON_ANSWER, PairKind.OUTSIDE, PairKind.REWORDED}


async def no_sleep(seconds: float) -> None:
    """Backoff without waiting: the tests count requests, not seconds."""


def run(server: FakeLLMServer, text: str = CONTEXT, **config: Any) -> RunResult:
    config.setdefault("total_pairs", 40)
    endpoint = config.pop("endpoint", None) or Endpoint(url=server.url, model="m")
    events = config.pop("events", None)
    return Generator(RunConfig(endpoint=endpoint, **config), events=events, sleep=no_sleep).run(
        text
    )


def kinds(server: FakeLLMServer, pairs: list[QAPair]) -> Counter[PairKind | None]:
    return Counter(server.pair_kinds.get((pair.question, pair.answer)) for pair in pairs)


def test_bad_pairs_are_rejected_with_their_reason_and_the_run_still_gets_forty() -> None:
    with FakeLLMServer(mix_bad=True) as server:
        result = run(server)
    assert not result.failed, [outcome.error for outcome in result.failed]
    assert len(result.pairs) == 40
    assert not set(kinds(server, result.pairs)) & CHEAP_KINDS
    rejected = {Rejection(pair.rejection) for pair in result.rejected}
    assert {Rejection.ECHO, Rejection.NON_ANSWER, Rejection.UNSUPPORTED} <= rejected
    assert Rejection.NEAR_DUPLICATE in rejected, "the reworded repeat is caught"
    assert all(pair.status is PairStatus.REJECTED for pair in result.rejected)
    assert sum(result.rejection_counts().values()) == len(result.rejected)
    # The cheap checks cannot know a real sentence answers another question: the judge can.
    assert kinds(server, result.pairs)[PairKind.WRONG_SENTENCE] >= 1


def test_one_question_index_serves_every_chunk_of_the_run() -> None:
    # Two chunks of the same text; the second chunk's first reply asks the first chunk's
    # question in other words, which only an index shared by the run can catch.
    replies = iter(
        [
            ("What does the text say about the Amazon River?", "It carries the most water."),
            ("What is it that the text says regarding the Amazon River?", "It carries water."),
            ("Where does the river flow?", "East across South America to the Atlantic Ocean."),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        question, answer = next(replies)
        content = json.dumps({"pairs": [{"question": question, "answer": answer}]})
        return httpx.Response(200, json={"choices": [{"message": {"content": content}}]})

    config = RunConfig(
        endpoint=Endpoint(url="http://model.test/v1"),
        total_pairs=2,
        chunk_chars=450,
        concurrency=1,
    )
    result = Generator(config, transport=httpx.MockTransport(handler), sleep=no_sleep).run(
        CONTEXT + "\n\n" + CONTEXT
    )
    assert [pair.question for pair in result.pairs] == [
        "What does the text say about the Amazon River?",
        "Where does the river flow?",
    ]
    assert [(pair.chunk, pair.rejection) for pair in result.rejected] == [
        (1, Rejection.NEAR_DUPLICATE)
    ]


def test_the_judge_removes_what_it_marks_down_and_counts_its_tokens_apart() -> None:
    with FakeLLMServer(mix_bad=True) as server:
        result = run(server, judge=True, min_score=7)
        judge_requests = [req for req in server.requests if req.is_judge]
    assert not result.failed, [outcome.error for outcome in result.failed]
    assert len(result.pairs) == 40
    assert all(pair.score is not None and pair.score >= 7 for pair in result.pairs)
    assert set(kinds(server, result.pairs)) == {PairKind.GOOD}
    low = [pair for pair in result.rejected if pair.rejection == Rejection.LOW_SCORE]
    assert PairKind.WRONG_SENTENCE in kinds(server, low)
    assert all(pair.score is not None and pair.score < 7 and pair.reason for pair in low)
    assert judge_requests, "the judge was asked"
    assert result.judge_usage.total_tokens > 0
    both = result.usage.total_tokens + result.judge_usage.total_tokens
    assert both == server.total_tokens, "every token is counted once, on one side"
    assert result.usage.total_tokens < server.total_tokens


def test_judge_requests_carry_the_chunk_and_the_pairs_as_the_contract_says() -> None:
    with FakeLLMServer() as server:
        run(server, total_pairs=3, judge=True)
        judged = [req for req in server.requests if req.is_judge]
    assert len(judged) == 1, "one request per chunk"
    prompt = judged[0].prompt
    assert "Amazon River carries more water" in prompt
    assert '"id": 1' in prompt and '"question"' in prompt and '"answer"' in prompt
    assert judged[0].body["response_format"]["json_schema"]["name"] == "qa_ratings"


def test_pairs_wait_for_the_judge_before_they_are_reported() -> None:
    class Seen(RunEvents):
        def __init__(self) -> None:
            self.pairs: list[QAPair] = []
            self.judge_usage: list[Usage] = []

        def pairs_received(self, pairs: list[QAPair]) -> None:
            self.pairs += pairs

        def judge_usage_updated(self, usage: Usage) -> None:
            self.judge_usage.append(usage)

    seen = Seen()
    with FakeLLMServer(mix_bad=True) as server:
        result = run(server, judge=True, events=seen)
    assert all(pair.score is not None for pair in seen.pairs)
    assert PairKind.WRONG_SENTENCE not in kinds(server, seen.pairs)
    assert len(seen.pairs) == len(result.pairs)
    assert seen.judge_usage[-1] == result.judge_usage


def test_an_unreadable_judge_reply_is_asked_again_within_the_budget() -> None:
    judge_calls = 0

    def script(number: int, body: dict[str, Any]) -> Reply | None:
        nonlocal judge_calls
        if "qa_ratings" in str(body.get("response_format")):
            judge_calls += 1
            if judge_calls == 1:
                return Reply(kind="broken_json")
        return None

    with FakeLLMServer(script=script) as server:
        result = run(server, total_pairs=4, judge=True, max_retries=1)
    assert not result.failed, [outcome.error for outcome in result.failed]
    assert judge_calls == 2
    assert result.outcomes[0].judge_retries == 1
    assert all(pair.score == 9 for pair in result.pairs)
    assert not result.unjudged


def test_a_judge_that_fails_for_good_leaves_the_pairs_unjudged_and_says_so() -> None:
    def script(number: int, body: dict[str, Any]) -> Reply | None:
        if "qa_ratings" in str(body.get("response_format")):
            return Reply(kind="broken_json")
        return None

    with FakeLLMServer(script=script) as server:
        result = run(server, total_pairs=4, judge=True, max_retries=2)
        judge_calls = sum(req.is_judge for req in server.requests)
    assert judge_calls == 3, "the first request and the two retries the budget allows"
    assert len(result.pairs) == 4
    assert result.unjudged == result.pairs
    assert all(pair.score is None for pair in result.pairs)
    assert all(pair.reason.startswith("Not judged:") for pair in result.pairs)
    [failed] = result.failed
    assert failed.error is not None and "4 pairs could not be judged" in failed.error
    assert failed.unjudged == 4


def test_a_server_error_from_the_judge_is_retried_and_then_reported() -> None:
    def script(number: int, body: dict[str, Any]) -> Reply | None:
        if "qa_ratings" in str(body.get("response_format")):
            return Reply(kind="status", status=503)
        return None

    with FakeLLMServer(script=script) as server:
        result = run(server, total_pairs=2, judge=True, max_retries=1)
    [failed] = result.failed
    assert failed.error is not None and "could not be judged" in failed.error
    assert "503" in failed.error
    assert len(result.unjudged) == 2


def test_the_judge_can_use_its_own_model() -> None:
    with FakeLLMServer() as server:
        run(server, total_pairs=2, judge=True, judge_model="judge-model")
        models = {(req.is_judge, req.body.get("model")) for req in server.requests}
    assert models == {(False, "m"), (True, "judge-model")}


def test_a_judge_on_another_host_gets_its_own_key_and_never_the_runs() -> None:
    with (
        FakeLLMServer(api_key="sk-run-key") as generation,
        FakeLLMServer(api_key="sk-judge-key") as judge,
    ):
        judge_url = judge.url.replace("127.0.0.1", "localhost")
        result = run(
            generation,
            total_pairs=3,
            api_key="sk-run-key",
            judge=True,
            judge_endpoint=Endpoint(url=judge_url, model="j"),
            judge_api_key="sk-judge-key",
        )
        assert not result.failed, [outcome.error for outcome in result.failed]
        assert all(pair.score == 9 for pair in result.pairs)
        assert judge.requests and all(req.is_judge for req in judge.requests)
        assert not any(req.is_judge for req in generation.requests)
        sent_to_judge = str([req.headers for req in judge.requests])
        assert "sk-run-key" not in sent_to_judge


def test_a_low_min_score_keeps_what_a_high_one_rejects() -> None:
    with FakeLLMServer() as server:
        kept = run(server, total_pairs=3, judge=True, min_score=9)
        assert not kept.rejected and all(pair.score == 9 for pair in kept.pairs)
        strict = run(server, total_pairs=3, judge=True, min_score=10, max_retries=1)
    assert not strict.pairs
    assert all(pair.rejection == Rejection.LOW_SCORE for pair in strict.rejected)
    [failed] = strict.failed
    assert failed.error is not None and "judge scored pairs under 10" in failed.error


def test_min_score_out_of_range_is_refused_before_any_request() -> None:
    with FakeLLMServer() as server:
        with pytest.raises(ConfigError, match="minimum score"):
            run(server, judge=True, min_score=11)
        assert not server.requests


# The window's review tools.


def test_judge_pairs_rates_given_pairs_per_chunk_and_rejects_the_low_ones() -> None:
    text = long_text(6)
    with FakeLLMServer(mix_bad=True) as server:
        generated = run(server, text, total_pairs=12, chunk_chars=300)
        chunks = {pair.source for pair in generated.pairs}
        assert len(chunks) > 1
        pairs = copy.deepcopy(generated.pairs)
        pairs.append(QAPair("Typed in by hand?", "Yes, with no source."))
        before = len(server.requests)
        config = RunConfig(endpoint=Endpoint(url=server.url, model="m"))
        reported: list[tuple[int, int]] = []
        outcome = Generator(config, sleep=no_sleep).judge_pairs(
            pairs, progress=lambda done, total: reported.append((done, total))
        )
        judged = server.requests[before:]
    # One report per chunk, counting the pairs with a source text up to all of them.
    assert len(reported) == len(chunks)
    assert [total for _, total in reported] == [len(pairs) - 1] * len(chunks)
    assert [done for done, _ in reported] == sorted({done for done, _ in reported})
    assert reported[-1][0] == len(pairs) - 1
    assert len(judged) == len(chunks), "one request per chunk text"
    assert all(req.is_judge for req in judged)
    assert len(outcome.rated) == len(pairs) - 1
    assert [pair.question for pair in outcome.unjudged] == ["Typed in by hand?"]
    assert outcome.errors and "no source text" in outcome.errors[0]
    wrong = [
        pair
        for pair in pairs
        if server.pair_kinds.get((pair.question, pair.answer)) is not PairKind.GOOD and pair.source
    ]
    assert {id(pair) for pair in outcome.rejected} == {id(pair) for pair in wrong}
    assert all(pair.status is PairStatus.REJECTED for pair in wrong)
    assert outcome.usage.total_tokens > 0
    assert {id(pair) for pair in outcome.kept} == {
        id(pair) for pair in outcome.rated if pair not in wrong
    }


def test_regenerate_asks_each_pairs_own_chunk_and_repeats_no_question() -> None:
    text = long_text(6)
    with FakeLLMServer() as server:
        generated = run(server, text, total_pairs=8, chunk_chars=300)
        for pair in generated.pairs:
            pair.document, pair.page = "notes.pdf", 3
        chosen = [generated.pairs[0], generated.pairs[-1]]
        others = generated.pairs[1:-1]
        before = len(server.requests)
        config = RunConfig(endpoint=Endpoint(url=server.url, model="m"))
        fresh = Generator(config, sleep=no_sleep).regenerate(chosen, others=others)
        asked = server.requests[before:]
    assert not fresh.failed and fresh.requested == 2
    assert len(fresh.pairs) == 2
    assert {req.prompt.split('"""')[1].strip() for req in asked} == {
        pair.source.strip() for pair in chosen
    }
    for new, old in zip(fresh.pairs, chosen, strict=True):
        assert (new.chunk, new.source, new.document, new.page) == (
            old.chunk,
            old.source,
            "notes.pdf",
            3,
        )
    old_questions = {pair.question for pair in generated.pairs}
    assert not old_questions & {pair.question for pair in fresh.pairs}


def test_regenerate_refuses_pairs_without_a_source_text() -> None:
    config = RunConfig(endpoint=Endpoint(url="http://127.0.0.1:9/v1", model="m"))
    with pytest.raises(ConfigError, match="no source text"):
        Generator(config).regenerate([QAPair("Q?", "A.")])


def test_cancel_while_the_judge_is_out_keeps_the_pairs_as_unjudged() -> None:
    judge_asked = threading.Event()

    def script(number: int, body: dict[str, Any]) -> Reply | None:
        if "qa_ratings" in str(body.get("response_format")):
            judge_asked.set()
            return Reply(kind="hang")
        return None

    with FakeLLMServer(script=script) as server:
        config = RunConfig(endpoint=Endpoint(url=server.url, model="m"), total_pairs=3, judge=True)
        generator = Generator(config, sleep=no_sleep)
        results: list[RunResult] = []
        worker = threading.Thread(target=lambda: results.append(generator.run(CONTEXT)))
        worker.start()
        assert judge_asked.wait(30), "the judge was asked"
        generator.cancel()
        worker.join(30)
    [result] = results
    assert result.cancelled
    assert len(result.pairs) == 3 and result.unjudged == result.pairs
    assert all(pair.score is None for pair in result.pairs)
    assert all(pair.reason == "Not judged: the run stopped first." for pair in result.pairs)


def test_a_judge_server_that_refuses_the_schema_is_asked_as_it_takes_it() -> None:
    with FakeLLMServer(mix_bad=True, reject_response_formats=("json_schema",)) as server:
        result = run(server, total_pairs=10, judge=True, max_retries=4)
        judge_bodies = [req.body for req in server.requests if req.is_judge]
    assert not result.failed, [outcome.error for outcome in result.failed]
    assert all(pair.score is not None and pair.score >= 7 for pair in result.pairs)
    assert {str(body.get("response_format", {}).get("type")) for body in judge_bodies} >= {
        "json_object"
    }


def test_the_judges_retries_and_the_re_asks_share_one_budget() -> None:
    judge_calls = 0

    def script(number: int, body: dict[str, Any]) -> Reply | None:
        nonlocal judge_calls
        if "qa_ratings" in str(body.get("response_format")):
            judge_calls += 1
            if judge_calls == 1:
                return Reply(kind="broken_json")
        return None

    with FakeLLMServer(mix_bad=True, script=script) as server:
        result = run(server, total_pairs=10, judge=True, max_retries=1)
        asks = sum(not req.is_judge for req in server.requests)
    assert judge_calls == 2, "the unreadable reply was asked again"
    assert asks == 1, "that retry spent the chunk's one further request"
    [failed] = result.failed
    assert failed.error is not None and failed.error.startswith("Got ")
    assert len(result.pairs) < 10
