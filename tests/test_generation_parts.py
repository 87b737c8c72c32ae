"""The parts of a run, each alone: config, retry policy, negotiation, pair collection, events."""

from __future__ import annotations

import random

import pytest

from qagen_desktop.core.chunking import MIN_CHUNK_CHARS, Chunk, chunk_text
from qagen_desktop.core.client import ChatError, ChatReply
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError, ErrorKind
from qagen_desktop.core.generation import (
    DEFAULTS,
    DuplicateQuestions,
    InvalidValue,
    PairCollector,
    ResponseMode,
    RetryPolicy,
    RunConfig,
)
from qagen_desktop.core.generation.events import GuardedEvents, RunEvents
from qagen_desktop.core.generation.negotiation import Negotiation, RequestShape
from qagen_desktop.core.generation.retry import QuotaWait
from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.core.settings import Settings


def _chunk() -> Chunk:
    return chunk_text("The river Thames flows through London. It is 346 km long.", 3000)[0]


def _reply(*questions: str, finish: str = "stop") -> ChatReply:
    items = ",".join(f'{{"question": "{q}", "answer": "An answer."}}' for q in questions)
    return ChatReply(f'{{"pairs": [{items}]}}', finish, None)


# config


def test_settings_take_their_defaults_from_the_run_config() -> None:
    settings = Settings()
    assert (settings.pairs, settings.chunk_chars, settings.concurrency) == (
        DEFAULTS.total_pairs,
        DEFAULTS.chunk_chars,
        DEFAULTS.concurrency,
    )
    assert (settings.max_retries, settings.timeout) == (DEFAULTS.max_retries, DEFAULTS.timeout)
    assert settings.prompt_template == DEFAULTS.prompt_template


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"total_pairs": 0}, "total_pairs"),
        ({"chunk_chars": MIN_CHUNK_CHARS - 1}, "chunk_chars"),
        ({"concurrency": 0}, "concurrency"),
        ({"max_retries": -1}, "max_retries"),
        ({"timeout": 0.0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
    ],
)
def test_validate_names_the_value_out_of_range(changes: dict[str, object], name: str) -> None:
    config = RunConfig(**changes)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue) as caught:
        config.validate()
    assert caught.value.name == name
    assert str(caught.value).endswith(")."), "one sentence, with the value given"


def test_validate_accepts_the_defaults_and_refuses_a_bad_url_or_mode() -> None:
    DEFAULTS.validate()
    with pytest.raises(ConfigError, match="http"):
        RunConfig(endpoint=Endpoint(url="localhost:1234")).validate()
    with pytest.raises(ConfigError, match="json_schema, json_object, plain"):
        RunConfig(response_mode="xml").validate()


# retry


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0)
    rng = random.Random(7)
    waits = [policy.backoff(n, rng) for n in range(1, 7)]
    for n, wait in enumerate(waits, start=1):
        ceiling = min(8.0, 2.0 ** (n - 1))
        assert ceiling * 0.5 <= wait < ceiling
    assert policy.backoff(3, random.Random(1)) == policy.backoff(3, random.Random(1))


def test_retry_after_wins_over_the_backoff() -> None:
    assert RetryPolicy().wait(5, 2.5, random.Random(0)) == 2.5


def test_a_wait_over_the_quota_cap_is_reported_not_slept() -> None:
    policy = RetryPolicy(quota_wait=120.0)
    assert policy.wait(1, 120.0, random.Random(0)) == 120.0
    over = policy.wait(1, 300.0, random.Random(0), kind=ErrorKind.RATE_LIMITED, status=429)
    assert isinstance(over, QuotaWait)
    assert "quota is exhausted" in over.message and "300 s" in over.message
    unavailable = policy.wait(1, 600.0, random.Random(0), status=503)
    assert isinstance(unavailable, QuotaWait) and "HTTP 503" in unavailable.message


# negotiation


def _bad_request(text: str = "", status: int = 400) -> ChatError:
    return ChatError("bad", kind=ErrorKind.BAD_REQUEST, status=status, server_text=text)


def test_modes_fall_back_schema_then_object_then_plain_then_give_up() -> None:
    talk = Negotiation()
    assert talk.after_refusal(_bad_request(), talk.shape()) == (
        "The server does not take json_schema output; using json_object."
    )
    assert talk.mode is ResponseMode.JSON_OBJECT
    assert "plain prompt" in (talk.after_refusal(_bad_request(), talk.shape()) or "")
    # Plain refused too: drop stream_options silently, then it is a real error.
    assert talk.after_refusal(_bad_request(), talk.shape()) == ""
    assert talk.shape() == RequestShape(ResponseMode.PLAIN, include_usage=False)
    assert talk.after_refusal(_bad_request(), talk.shape()) is None


def test_a_refusal_naming_stream_options_keeps_the_mode() -> None:
    talk = Negotiation()
    assert talk.after_refusal(_bad_request("unknown field stream_options"), talk.shape()) == ""
    assert talk.shape() == RequestShape(ResponseMode.JSON_SCHEMA, include_usage=False)


def test_a_confirmed_mode_is_not_dropped_by_a_later_400() -> None:
    talk = Negotiation()
    talk.succeeded(talk.shape())
    talk.include_usage = False
    assert talk.after_refusal(_bad_request(), talk.shape()) is None
    assert talk.mode is ResponseMode.JSON_SCHEMA


def test_only_a_400_or_422_bad_request_is_a_refusal() -> None:
    talk = Negotiation()
    assert talk.after_refusal(ChatError("x", kind=ErrorKind.AUTH, status=401), talk.shape()) is None
    assert talk.after_refusal(_bad_request(status=500), talk.shape()) is None
    assert talk.after_refusal(_bad_request(status=422), talk.shape()) is not None


def test_a_chunk_late_with_the_old_mode_does_not_skip_a_mode() -> None:
    talk = Negotiation()
    sent_earlier = talk.shape()
    talk.after_refusal(_bad_request(), talk.shape())
    assert talk.after_refusal(_bad_request(), sent_earlier) == ""
    assert talk.mode is ResponseMode.JSON_OBJECT


# collector


def test_duplicates_are_rejected_with_a_reason_and_count_as_missing() -> None:
    collector = PairCollector()
    first = collector.collect(_chunk(), _reply("How long is the Thames?"), 1)
    assert [p.question for p in first.kept] == ["How long is the Thames?"]
    again = collector.collect(_chunk(), _reply("how long is the  Thames", "Where is it?"), 2)
    assert [p.question for p in again.kept] == ["Where is it?"]
    assert [(p.question, p.status, p.rejection) for p in again.rejected] == [
        ("how long is the  Thames", PairStatus.REJECTED, "duplicate question")
    ]
    assert again.kind is ErrorKind.DUPLICATES


def test_a_check_in_the_list_rejects_and_the_duplicate_rule_does_not_claim_it() -> None:
    def no_numbers(pair: QAPair, chunk: Chunk) -> str | None:
        return "mentions a number" if any(c.isdigit() for c in pair.question) else None

    collector = PairCollector([no_numbers, DuplicateQuestions()])
    got = collector.collect(_chunk(), _reply("Is it 346 km?", "Where does it flow?"), 2)
    assert [p.question for p in got.kept] == ["Where does it flow?"]
    assert got.rejected[0].rejection == "mentions a number"
    assert got.kind is ErrorKind.REJECTED


def test_the_collector_keeps_no_more_than_needed() -> None:
    got = PairCollector().collect(_chunk(), _reply("A?", "B?", "C?"), 2)
    assert [p.question for p in got.kept] == ["A?", "B?"]


def test_why_a_reply_fell_short() -> None:
    collector = PairCollector()
    assert collector.collect(_chunk(), ChatReply("no json", "stop", None), 2).kind is (
        ErrorKind.MALFORMED
    )
    assert collector.collect(_chunk(), _reply("X?", finish="length"), 2).kind is (
        ErrorKind.TRUNCATED
    )
    assert collector.collect(_chunk(), _reply(finish="content_filter"), 2).kind is (
        ErrorKind.FILTERED
    )
    assert collector.collect(_chunk(), _reply("Y?"), 2).kind is ErrorKind.SHORT


# events


def test_a_listener_that_raises_does_not_stop_the_others_events() -> None:
    seen: list[str] = []

    class Listener(RunEvents):
        def started(self, chunks_total: int) -> None:
            raise RuntimeError("listener bug")

        def notice(self, message: str) -> None:
            seen.append(message)

    events = GuardedEvents(Listener())
    events.started(3)
    events.notice("retrying")
    assert seen == ["retrying"]
