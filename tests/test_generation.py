"""Generation runs against the real loopback server: exact counts, retries, failures, cancel."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fake_server import SHAPES, FakeLLMServer, Reply

from qagen_desktop.core.chunking import chunk_text
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.generation import ChunkOutcome, Generator, RunConfig, RunEvents, RunResult
from qagen_desktop.core.parsing import normalise_question
from qagen_desktop.core.records import QAPair

KEY = "sk-test-0123456789abcdef"
WORDS = [
    *("river", "harbour", "lantern", "orchard", "granite", "meadow", "copper", "violin"),
    *("glacier", "falcon", "quarry", "saffron", "beacon", "tundra", "marble", "walnut"),
    *("comet", "ember", "prairie", "willow"),
]


def _paragraph(number: int) -> str:
    words = [WORDS[(number * 7 + i * 3) % len(WORDS)] for i in range(40)]
    return f"Section {number} notes that " + " ".join(words) + f" and ends here, part {number}."


# About 28 chunks of at most 600 characters.
LONG_TEXT = "\n\n".join(_paragraph(n) for n in range(60))
CHUNK_CHARS = 600


class Recorder(RunEvents):
    """Keeps every event, from the run's thread."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.pairs: list[QAPair] = []
        self.finished: list[tuple[ChunkOutcome, int, int]] = []
        self.notices: list[str] = []
        self.first_pairs = threading.Event()

    def started(self, chunks_total: int) -> None:
        self.total = chunks_total

    def pairs_received(self, pairs: list[QAPair]) -> None:
        self.pairs.extend(pairs)
        self.first_pairs.set()

    def chunk_finished(self, outcome: ChunkOutcome, done: int, total: int) -> None:
        self.finished.append((outcome, done, total))

    def notice(self, message: str) -> None:
        self.notices.append(message)


class Sleeps:
    """An injected backoff sleep that records the waits and does not wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


def generate(
    server: FakeLLMServer,
    text: str = LONG_TEXT,
    *,
    events: RunEvents | None = None,
    sleep: Sleeps | None = None,
    endpoint: Endpoint | None = None,
    **config: Any,
) -> RunResult:
    config.setdefault("chunk_chars", CHUNK_CHARS)
    config.setdefault("total_pairs", 40)
    run_config = RunConfig(endpoint=endpoint or Endpoint(url=server.url, model="m"), **config)
    return Generator(run_config, events=events, sleep=sleep or Sleeps()).run(text)


def assert_complete(result: RunResult, count: int) -> None:
    assert not result.failed, [outcome.error for outcome in result.failed]
    assert result.fatal is None
    assert len(result.pairs) == count
    questions = {normalise_question(pair.question) for pair in result.pairs}
    assert len(questions) == count


def test_long_text_is_spread_over_many_chunks() -> None:
    assert len(chunk_text(LONG_TEXT, CHUNK_CHARS)) >= 20


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "plain-json"])
@pytest.mark.parametrize("shape", SHAPES)
def test_every_reply_shape_gives_exactly_the_requested_count(shape: str, stream: bool) -> None:
    with FakeLLMServer(shape=shape, stream=stream) as server:
        result = generate(server, total_pairs=45, concurrency=4)
    assert_complete(result, 45)
    assert server.request_count == len(result.outcomes)  # no reply needed asking again


def test_pairs_carry_their_chunk_and_its_text(llm_server: FakeLLMServer) -> None:
    chunks = {chunk.index: chunk.text for chunk in chunk_text(LONG_TEXT, CHUNK_CHARS)}
    result = generate(llm_server, total_pairs=30)
    assert_complete(result, 30)
    for pair in result.pairs:
        assert pair.chunk is not None
        assert pair.source == chunks[pair.chunk]
    assert [pair.chunk for pair in result.pairs] == sorted(pair.chunk or 0 for pair in result.pairs)


def test_each_chunk_asks_for_its_share_and_the_shares_add_up(llm_server: FakeLLMServer) -> None:
    result = generate(llm_server, total_pairs=70)
    asked = sorted(request.asked for request in llm_server.requests)
    assert sum(asked) == 70
    assert sorted(outcome.requested for outcome in result.outcomes) == asked


def test_fewer_pairs_than_chunks_asks_only_some_chunks_for_one_each(
    llm_server: FakeLLMServer,
) -> None:
    result = generate(llm_server, total_pairs=3)
    assert_complete(result, 3)
    assert [request.asked for request in llm_server.requests] == [1, 1, 1]


def test_events_report_progress_pairs_and_usage(llm_server: FakeLLMServer) -> None:
    events = Recorder()
    result = generate(llm_server, events=events, total_pairs=40)
    assert events.total == len(result.outcomes)
    assert sorted(done for _, done, _ in events.finished) == list(range(1, events.total + 1))
    assert {total for _, _, total in events.finished} == {events.total}
    assert len(events.pairs) == 40


def test_usage_is_summed_over_every_reply(llm_server: FakeLLMServer) -> None:
    result = generate(llm_server, total_pairs=40)
    assert result.usage.total_tokens == llm_server.total_tokens > 0
    assert result.usage.prompt_tokens == llm_server.prompt_tokens
    assert result.usage.completion_tokens == llm_server.completion_tokens


def test_azure_sends_the_api_key_header_and_api_version_on_every_request() -> None:
    with FakeLLMServer(api_key=KEY) as server:
        endpoint = Endpoint(
            provider="azure", url=server.base, deployment="dep", api_version="2024-06-01"
        )
        result = generate(server, endpoint=endpoint, api_key=KEY, total_pairs=30)
    assert_complete(result, 30)
    for request in server.requests:
        assert request.path == "/openai/deployments/dep/chat/completions"
        assert request.params == {"api-version": "2024-06-01"}
        assert request.headers["api-key"] == KEY
        assert "authorization" not in request.headers


def test_azure_full_url_keeps_its_query() -> None:
    with FakeLLMServer() as server:
        url = server.base + "/openai/deployments/d/chat/completions?api-version=2024-02-15-preview"
        endpoint = Endpoint(provider="azure", url=url, api_version="2099-01-01")
        generate(server, endpoint=endpoint, api_key=KEY, total_pairs=5)
    assert {request.query for request in server.requests} == {"api-version=2024-02-15-preview"}


def test_openai_sends_a_bearer_token() -> None:
    with FakeLLMServer(api_key=KEY) as server:
        result = generate(server, api_key=KEY, total_pairs=5)
    assert_complete(result, 5)
    assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {KEY}"}


def test_no_key_sends_no_authorization_header(llm_server: FakeLLMServer) -> None:
    generate(llm_server, api_key=None, total_pairs=5)
    assert llm_server.requests
    for request in llm_server.requests:
        assert "authorization" not in request.headers
        assert "api-key" not in request.headers


def test_requests_stream_with_the_json_schema_by_default(llm_server: FakeLLMServer) -> None:
    generate(llm_server, total_pairs=2, system_message="You write exam questions.")
    body = llm_server.requests[0].body
    assert body["stream"] is True
    assert body["model"] == "m"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "qa_pairs"
    assert body["messages"][0] == {"role": "system", "content": "You write exam questions."}
    assert body["messages"][1]["role"] == "user"


def test_retry_after_is_honoured() -> None:
    sleeps = Sleeps()
    limited = {1: Reply(kind="status", status=429, headers={"retry-after": "7"})}
    with FakeLLMServer(script=lambda n, body: limited.get(n)) as server:
        result = generate(server, sleep=sleeps, total_pairs=5, concurrency=1)
    assert_complete(result, 5)
    assert sleeps.waits == [7.0]


def test_retry_after_ms_wins_over_retry_after() -> None:
    sleeps = Sleeps()
    headers = {"retry-after-ms": "1500", "retry-after": "9"}
    limited = {1: Reply(kind="status", status=429, headers=headers)}
    with FakeLLMServer(script=lambda n, body: limited.get(n)) as server:
        generate(server, sleep=sleeps, total_pairs=5, concurrency=1)
    assert sleeps.waits == [1.5]


def test_a_real_sleep_waits_the_time_the_server_asks() -> None:
    limited = {1: Reply(kind="status", status=429, headers={"retry-after": "0.4"})}
    with FakeLLMServer(script=lambda n, body: limited.get(n)) as server:
        config = RunConfig(endpoint=Endpoint(url=server.url), total_pairs=1)
        started = time.monotonic()
        result = Generator(config).run(LONG_TEXT)
        waited = time.monotonic() - started
    assert_complete(result, 1)
    assert waited >= 0.4


def test_an_exhausted_quota_stops_the_run_without_sleeping() -> None:
    sleeps = Sleeps()
    quota = Reply(kind="status", status=429, headers={"retry-after": "300"})
    with FakeLLMServer(script=lambda n, body: quota) as server:
        result = generate(server, sleep=sleeps, total_pairs=40, concurrency=2)
    assert sleeps.waits == []
    assert result.fatal is not None
    assert "quota is exhausted" in result.fatal
    assert "300 s" in result.fatal
    assert server.request_count <= 2
    assert result.shortfall == 40


def test_server_errors_are_retried_with_growing_backoff() -> None:
    sleeps = Sleeps()
    # 501 is left out: "not implemented" is not retried.
    failing = {
        n: Reply(kind="status", status=status) for n, status in ((1, 500), (2, 502), (3, 503))
    }
    with FakeLLMServer(script=lambda n, body: failing.get(n)) as server:
        result = generate(server, sleep=sleeps, total_pairs=1, max_retries=3)
    assert_complete(result, 1)
    assert len(sleeps.waits) == 3
    assert 0 < sleeps.waits[0] < sleeps.waits[2]


def test_a_chunk_that_keeps_failing_reports_the_error_after_its_budget() -> None:
    sleeps = Sleeps()
    with FakeLLMServer(script=lambda n, body: Reply(kind="status", status=503)) as server:
        result = generate(server, sleep=sleeps, total_pairs=1, max_retries=2)
    assert server.request_count == 3
    (outcome,) = result.failed
    assert outcome.error_kind == "server"
    assert "503" in (outcome.error or "")
    assert result.shortfall == 1
    assert result.fatal is None


@pytest.mark.parametrize("status", [401, 403, 404])
def test_auth_and_not_found_errors_stop_the_run_without_retrying(status: int) -> None:
    sleeps = Sleeps()
    failing = Reply(kind="status", status=status)
    with FakeLLMServer(script=lambda n, body: failing, latency=0.05) as server:
        result = generate(server, sleep=sleeps, total_pairs=40, concurrency=2)
    assert sleeps.waits == []
    assert server.request_count <= 2  # the rest of the chunks are never sent
    assert result.fatal is not None
    assert result.pairs == []


def test_a_rejected_key_says_to_check_the_key() -> None:
    with FakeLLMServer(api_key="the-right-key") as server:
        result = generate(server, api_key=KEY, total_pairs=5, concurrency=1)
    assert result.fatal == "The server rejected the API key (401): check the key."


def test_a_404_on_an_openai_url_says_to_check_the_url_and_the_model() -> None:
    with FakeLLMServer(script=lambda n, body: Reply(kind="status", status=404)) as server:
        result = generate(server, total_pairs=5)
    assert result.fatal == "Not found (404): check the endpoint URL and the model name."


def test_an_unknown_model_says_to_check_the_model_name() -> None:
    with FakeLLMServer(models=("llama3",)) as server:
        result = generate(server, total_pairs=5)
    assert result.fatal is not None
    assert "model 'm' was not found" in result.fatal


def test_a_redirect_is_never_followed_and_the_key_stays_home() -> None:
    with FakeLLMServer() as elsewhere, FakeLLMServer() as server:
        server.script = lambda n, body: Reply(kind="redirect", location=elsewhere.chat_url)
        result = generate(server, api_key=KEY, total_pairs=5)
    assert elsewhere.request_count == 0
    assert result.fatal is not None
    assert "redirects to 127.0.0.1" in result.fatal
    assert KEY not in result.fatal
    # Whichever chunk's reply comes back first stops the run; the others are marked stopped.
    kinds = [outcome.error_kind for outcome in result.outcomes]
    assert "redirect" in kinds
    assert set(kinds) <= {"redirect", "stopped"}


def test_a_hanging_reply_times_out_and_is_asked_again() -> None:
    sleeps = Sleeps()
    hang = {1: Reply(kind="hang")}
    with FakeLLMServer(script=lambda n, body: hang.get(n)) as server:
        result = generate(server, sleep=sleeps, total_pairs=10, timeout=0.5, concurrency=2)
    assert_complete(result, 10)
    assert len(sleeps.waits) == 1


@pytest.mark.parametrize("kind", ["break", "stall"])
def test_complete_pairs_of_a_stream_that_breaks_or_stalls_are_kept(kind: str) -> None:
    # One chunk, six pairs asked, no retries: the stream carries four whole pairs, then drops
    # the connection or goes silent past the timeout. Those four are the chunk's, not lost.
    cut = {1: Reply(kind=kind)}
    with FakeLLMServer(script=lambda n, body: cut.get(n)) as server:
        result = generate(
            server, LONG_TEXT[:500], total_pairs=6, max_retries=0, timeout=0.5, concurrency=1
        )
    assert len(result.pairs) == 4
    assert result.shortfall == 2
    (outcome,) = result.outcomes
    assert outcome.received == 4 and outcome.error


@pytest.mark.parametrize("kind", ["break", "stall"])
def test_a_broken_stream_is_topped_up_to_the_full_count(kind: str) -> None:
    with FakeLLMServer(script=first_request_per_chunk(Reply(kind=kind))) as server:
        result = generate(server, total_pairs=40, chunk_chars=3000, timeout=0.5)
    assert_complete(result, 40)
    # Each chunk's second request asks only for the two pairs the broken stream lacked.
    asked: dict[str, list[int]] = {}
    for request in server.requests:
        asked.setdefault(request.prompt.split('"""')[1], []).append(request.asked)
    assert [later for _, *later in asked.values()] == [[2]] * len(asked)


def first_request_per_chunk(reply: Reply) -> Callable[[int, dict[str, Any]], Reply | None]:
    """A script giving ``reply`` to each chunk's first request, and normal answers after."""
    seen: set[str] = set()
    lock = threading.Lock()

    def script(n: int, body: dict[str, Any]) -> Reply | None:
        prompt = body["messages"][-1]["content"]
        # The chunk's text alone: the count asked comes after it, and changes on each re-ask.
        context = prompt[prompt.index('"""') : prompt.rindex('"""')]
        with lock:
            first = context not in seen
            seen.add(context)
        return reply if first else None

    return script


def test_replies_cut_at_the_token_limit_are_topped_up() -> None:
    with FakeLLMServer(script=first_request_per_chunk(Reply(kind="cut"))) as server:
        result = generate(server, total_pairs=40, chunk_chars=3000)
    assert_complete(result, 40)
    assert server.request_count == 2 * len(result.outcomes)
    # A top-up asks only for what the chunk still needs: the cut reply kept all but two.
    asked: dict[str, list[int]] = {}
    for request in server.requests:
        asked.setdefault(request.prompt.split('"""')[1], []).append(request.asked)
    assert [later for _, *later in asked.values()] == [[2]] * len(asked)


def test_duplicate_questions_are_dropped_and_topped_up() -> None:
    with FakeLLMServer(script=first_request_per_chunk(Reply(kind="duplicates"))) as server:
        result = generate(server, total_pairs=40, chunk_chars=3000)
    assert_complete(result, 40)
    assert server.request_count == 2 * len(result.outcomes)


def test_malformed_replies_are_asked_again() -> None:
    broken = {1: Reply(kind="broken_json"), 2: Reply(kind="broken_json")}
    with FakeLLMServer(script=lambda n, body: broken.get(n)) as server:
        result = generate(server, total_pairs=6, concurrency=1, max_retries=3)
    assert_complete(result, 6)


def test_a_chunk_that_only_gets_malformed_replies_reports_why() -> None:
    with FakeLLMServer(script=lambda n, body: Reply(kind="broken_json")) as server:
        result = generate(server, total_pairs=1, max_retries=2)
    assert server.request_count == 3  # one budget per chunk, whatever the reason
    (outcome,) = result.failed
    assert outcome.error_kind == "malformed"
    assert outcome.error == (
        "Got 0 of 1 pairs after 3 requests: "
        "the model's replies could not be read as question-answer pairs."
    )
    assert result.shortfall == 1


def test_more_pairs_than_asked_are_cut_to_the_share() -> None:
    def too_many(n: int, body: dict[str, Any]) -> Reply:
        prompt = body["messages"][-1]["content"]
        body["messages"][-1]["content"] = prompt.replace("Generate 1 ", "Generate 4 ")
        return Reply()

    with FakeLLMServer(script=too_many) as server:
        result = generate(server, total_pairs=3)
    assert_complete(result, 3)
    assert {request.asked for request in server.requests} == {4}


def test_response_format_falls_back_from_json_schema_to_json_object_to_plain() -> None:
    events = Recorder()
    with FakeLLMServer(reject_response_formats=("json_schema", "json_object")) as server:
        result = generate(server, events=events, total_pairs=40, concurrency=2)
    assert_complete(result, 40)
    assert result.response_mode == "plain"
    # Once learned, every later request goes without response_format: no chunk tries again.
    formats = [r.body.get("response_format", {}).get("type") for r in server.requests]
    assert formats.count("json_schema") <= 2
    assert formats.count("json_object") <= 2
    assert formats[-5:] == [None] * 5
    assert any("json_schema" in notice for notice in events.notices)


def test_a_server_without_json_schema_settles_on_json_object() -> None:
    with FakeLLMServer(reject_response_formats=("json_schema",)) as server:
        result = generate(server, total_pairs=10, max_retries=0)
    assert_complete(result, 10)
    assert result.response_mode == "json_object"


def test_a_remembered_plain_mode_sends_no_response_format(llm_server: FakeLLMServer) -> None:
    result = generate(llm_server, total_pairs=5, response_mode="plain")
    assert result.response_mode == "plain"
    assert all("response_format" not in r.body for r in llm_server.requests)


def test_a_server_rejecting_stream_options_still_reports_and_works() -> None:
    with FakeLLMServer(reject_stream_options=True) as server:
        result = generate(server, total_pairs=10, max_retries=0)
    assert_complete(result, 10)
    assert result.response_mode == "json_schema"


def test_a_bad_request_in_plain_mode_is_a_real_error_without_the_key() -> None:
    echo = Reply(
        kind="status",
        status=400,
        body='{"error": {"message": "Invalid value for temperature (key ' + KEY + ')"}}',
    )
    with FakeLLMServer(script=lambda n, body: echo) as server:
        result = generate(server, api_key=KEY, total_pairs=1, response_mode="plain")
    (outcome,) = result.failed
    assert outcome.error_kind == "bad_request"
    assert "Invalid value for temperature" in (outcome.error or "")
    assert KEY not in (outcome.error or "")


def test_content_filtered_text_fails_its_chunk_only() -> None:
    sleeps = Sleeps()
    filtered = {1: Reply(kind="filtered")}
    with FakeLLMServer(script=lambda n, body: filtered.get(n)) as server:
        result = generate(server, sleep=sleeps, total_pairs=40, concurrency=1)
    (outcome,) = result.failed
    assert outcome.error == "The provider's content filter blocked this text."
    assert outcome.requests == 1
    assert result.fatal is None
    assert len(result.pairs) == 40 - outcome.requested
    assert sleeps.waits == []


def test_requests_in_flight_never_exceed_the_concurrency_and_reach_it() -> None:
    with FakeLLMServer(latency=0.15) as server:
        result = generate(server, total_pairs=20, concurrency=3)
    assert_complete(result, 20)
    assert len(result.outcomes) > 3
    assert server.max_in_flight == 3


def cancel_while_running(
    generator: Generator, ready: Callable[[], None]
) -> tuple[RunResult, float]:
    """Run in a thread, cancel from this one once ``ready`` returns; the result and how long
    the run took to return after the cancel."""
    results: list[RunResult] = []
    worker = threading.Thread(target=lambda: results.append(generator.run(LONG_TEXT)))
    worker.start()
    ready()
    cancelled_at = time.monotonic()
    generator.cancel()
    worker.join(10)
    took = time.monotonic() - cancelled_at
    (result,) = results
    return result, took


def test_cancel_from_another_thread_returns_quickly_and_keeps_the_pairs() -> None:
    events = Recorder()
    # The first replies come at once, every later one hangs: cancel must not wait for them.
    with FakeLLMServer(script=lambda n, body: None if n <= 2 else Reply(kind="hang")) as server:
        config = RunConfig(
            endpoint=Endpoint(url=server.url), total_pairs=40, chunk_chars=CHUNK_CHARS
        )
        generator = Generator(config, events=events)

        def hanging() -> None:
            assert events.first_pairs.wait(10)
            while server.request_count < 4:
                time.sleep(0.01)

        result, took = cancel_while_running(generator, hanging)
    assert result.cancelled
    assert took < 1.5
    assert len(result.pairs) == len(events.pairs) > 0
    assert {pair.question for pair in result.pairs} == {pair.question for pair in events.pairs}


def test_cancel_before_the_run_starts_sends_nothing(llm_server: FakeLLMServer) -> None:
    generator = Generator(RunConfig(endpoint=Endpoint(url=llm_server.url), total_pairs=5))
    generator.cancel()
    result = generator.run(LONG_TEXT)
    assert result.cancelled
    assert result.pairs == []
    assert llm_server.request_count == 0


def test_connection_refused_stops_the_run_with_a_plain_message() -> None:
    with FakeLLMServer() as server:
        url = server.url
    sleeps = Sleeps()
    config = RunConfig(endpoint=Endpoint(url=url), total_pairs=40, chunk_chars=CHUNK_CHARS)
    result = Generator(config, sleep=sleeps).run(LONG_TEXT)
    assert result.fatal is not None
    assert "connection refused" in result.fatal
    assert "start the server" in result.fatal
    # One retry, not a whole budget per chunk: nothing answers anyway.
    assert len(sleeps.waits) <= len(result.outcomes)
    assert len([o for o in result.outcomes if o.error_kind == "connect"]) == 1


@pytest.mark.parametrize(
    ("changes", "text", "complaint"),
    [
        ({}, "   \n\t ", "context is empty"),
        ({"total_pairs": 0}, LONG_TEXT, "pairs must be 1 or more"),
        ({"endpoint": Endpoint(url="localhost:1234/v1")}, LONG_TEXT, "http"),
        ({"concurrency": 0}, LONG_TEXT, "Concurrency"),
        ({"prompt_template": "Write questions."}, LONG_TEXT, "{n}"),
        ({"response_mode": "xml"}, LONG_TEXT, "response mode"),
    ],
)
def test_bad_configuration_is_refused_before_any_request(
    llm_server: FakeLLMServer, changes: dict[str, Any], text: str, complaint: str
) -> None:
    config = {"endpoint": Endpoint(url=llm_server.url), **changes}
    with pytest.raises(ConfigError, match=complaint):
        Generator(RunConfig(**config)).run(text)
    assert llm_server.request_count == 0


def test_a_broken_event_listener_does_not_break_the_run(llm_server: FakeLLMServer) -> None:
    class Broken(RunEvents):
        def pairs_received(self, pairs: list[QAPair]) -> None:
            raise RuntimeError("listener bug")

    result = generate(llm_server, events=Broken(), total_pairs=5)
    assert_complete(result, 5)


def test_a_mock_transport_can_stand_in_for_the_network() -> None:
    content = '{"pairs": [{"question": "Who wrote it?", "answer": "Ada Lovelace wrote it."}]}'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"choices": [{"index": 0, "message": {"content": content}}]}
        )

    config = RunConfig(endpoint=Endpoint(url="http://model.test/v1"), total_pairs=1)
    result = Generator(config, transport=httpx.MockTransport(handler)).run(
        "Ada Lovelace wrote the first program."
    )
    assert [(p.question, p.answer) for p in result.pairs] == [
        ("Who wrote it?", "Ada Lovelace wrote it.")
    ]


def test_a_proxy_in_the_environment_is_not_used_for_a_model_on_this_machine(
    llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    result = generate(llm_server, total_pairs=5)
    assert_complete(result, 5)


def test_streamed_replies_are_read_to_the_end_so_connections_are_reused(
    llm_server: FakeLLMServer,
) -> None:
    result = generate(llm_server, total_pairs=10, concurrency=1)
    assert_complete(result, 10)
    assert llm_server.connection_count == 1


def test_pairs_received_before_a_fatal_error_are_kept() -> None:
    def script(n: int, body: dict[str, Any]) -> Reply | None:
        return None if n <= 2 else Reply(kind="status", status=401)

    with FakeLLMServer(script=script) as server:
        result = generate(server, api_key=KEY, total_pairs=40, concurrency=1)
    assert result.fatal == "The server rejected the API key (401): check the key."
    assert len(result.pairs) == sum(outcome.received for outcome in result.outcomes) > 0
    assert server.request_count == 3
    stopped = [o for o in result.outcomes if o.error_kind == "stopped"]
    assert len(stopped) == len(result.outcomes) - 3


def test_a_server_that_always_goes_silent_fails_the_chunk_with_the_timeout_message() -> None:
    with FakeLLMServer(script=lambda n, body: Reply(kind="hang")) as server:
        result = generate(server, sleep=Sleeps(), total_pairs=1, timeout=0.3, max_retries=1)
    assert server.request_count == 2
    (outcome,) = result.failed
    assert outcome.error_kind == "timeout"
    assert "went silent for longer than the timeout" in (outcome.error or "")
    assert result.fatal is None


def test_an_unknown_host_stops_the_run_at_once() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    config = RunConfig(
        endpoint=Endpoint(url="http://no-such-host.test/v1"),
        total_pairs=40,
        chunk_chars=CHUNK_CHARS,
        concurrency=1,
    )
    result = Generator(config, transport=httpx.MockTransport(handler)).run(LONG_TEXT)
    assert len(calls) == 1
    assert result.fatal == (
        "The host name no-such-host.test could not be found: check the endpoint URL."
    )


def test_a_dropped_connection_is_retried() -> None:
    sleeps = Sleeps()
    dropped = {1: Reply(kind="drop")}
    with FakeLLMServer(script=lambda n, body: dropped.get(n)) as server:
        result = generate(server, sleep=sleeps, total_pairs=5, concurrency=1)
    assert_complete(result, 5)
    assert len(sleeps.waits) == 1


def test_an_exhausted_quota_is_reported_even_without_retries_left() -> None:
    quota = Reply(kind="status", status=429, headers={"retry-after": "3600"})
    with FakeLLMServer(script=lambda n, body: quota) as server:
        result = generate(server, total_pairs=40, max_retries=0, concurrency=1)
    assert result.fatal is not None
    assert "quota is exhausted" in result.fatal
    assert server.request_count == 1


def test_without_retries_a_dead_server_stops_the_run_at_the_first_refusal() -> None:
    with FakeLLMServer() as server:
        url = server.url
    config = RunConfig(
        endpoint=Endpoint(url=url), total_pairs=40, chunk_chars=CHUNK_CHARS, max_retries=0
    )
    result = Generator(config, sleep=Sleeps()).run(LONG_TEXT)
    assert result.fatal is not None
    assert "connection refused" in result.fatal
    assert len([o for o in result.outcomes if o.error_kind == "stopped"]) >= 30


def test_cancel_interrupts_a_backoff_sleep() -> None:
    limited = Reply(kind="status", status=429, headers={"retry-after": "60"})
    with FakeLLMServer(script=lambda n, body: limited) as server:
        config = RunConfig(endpoint=Endpoint(url=server.url), total_pairs=3)
        generator = Generator(config)

        def sleeping() -> None:
            while server.request_count < 3:
                time.sleep(0.01)
            time.sleep(0.1)  # the chunks are asleep now, for a minute

        result, took = cancel_while_running(generator, sleeping)
    assert result.cancelled
    assert took < 1.5


@pytest.mark.parametrize("seed", range(6))
def test_whatever_the_server_does_the_run_never_overshoots_and_accounts_for_every_pair(
    seed: int,
) -> None:
    chooser = random.Random(seed)
    lock = threading.Lock()
    replies = [
        None,
        None,
        Reply(kind="cut"),
        Reply(kind="duplicates"),
        Reply(kind="broken_json"),
        Reply(kind="status", status=500),
        Reply(kind="status", status=429, headers={"retry-after": "0"}),
        Reply(kind="drop"),
        Reply(shape="lines"),
        Reply(shape="think", stream=False),
    ]

    def script(n: int, body: dict[str, Any]) -> Reply | None:
        with lock:
            return chooser.choice(replies)

    with FakeLLMServer(script=script, api_key=KEY) as server:
        result = generate(
            server, sleep=Sleeps(), api_key=KEY, total_pairs=60, concurrency=3, max_retries=2
        )
    assert len(result.pairs) + result.shortfall == 60
    assert sum(outcome.received for outcome in result.outcomes) == len(result.pairs)
    assert all(o.received <= o.requested for o in result.outcomes)
    assert len({normalise_question(p.question) for p in result.pairs}) == len(result.pairs)
    assert server.max_in_flight <= 3
    for outcome in result.failed:
        assert outcome.error
        assert KEY not in outcome.error
        assert "\n" not in outcome.error
