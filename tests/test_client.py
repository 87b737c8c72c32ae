"""One request and what its failures say: "Test connection", retry-after, plain messages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from fake_server import FakeLLMServer, Reply

from qagen_desktop.core.client import (
    ChatError,
    ChatReply,
    StreamProgress,
    Usage,
    check_connection,
    error_for_exception,
    new_async_client,
    retry_after_seconds,
    send_chat,
)
from qagen_desktop.core.endpoint import Endpoint

KEY = "sk-live-abcdef0123456789"


def test_a_working_endpoint_is_reported_connected() -> None:
    with FakeLLMServer(api_key=KEY, models=("phi-3",)) as server:
        verdict = check_connection(Endpoint(url=server.url, model="phi-3"), KEY)
    assert verdict.ok
    assert verdict.message == "Connected: phi-3 answered."
    (request,) = server.requests
    assert request.body["max_tokens"] == 1
    assert request.body["stream"] is False
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_a_wrong_key_is_blamed_on_the_key() -> None:
    with FakeLLMServer(api_key=KEY) as server:
        verdict = check_connection(Endpoint(url=server.url), "sk-wrong")
    assert not verdict.ok
    assert "key" in verdict.message
    assert "401" in verdict.message
    assert "sk-wrong" not in verdict.message


def test_an_unknown_model_is_blamed_on_the_model() -> None:
    with FakeLLMServer(models=("llama3",)) as server:
        verdict = check_connection(Endpoint(url=server.url, model="lama3"), None)
    assert not verdict.ok
    assert "model 'lama3' was not found" in verdict.message


def test_a_wrong_path_is_blamed_on_url_deployment_or_api_version() -> None:
    azure_404 = json.dumps(
        {
            "error": {
                "code": "DeploymentNotFound",
                "message": "The API deployment for this resource does not exist.",
            }
        }
    )
    missing = Reply(kind="status", status=404, body=azure_404)
    with FakeLLMServer(script=lambda n, body: missing) as server:
        endpoint = Endpoint(provider="azure", url=server.base, deployment="gtp4o")
        verdict = check_connection(endpoint, KEY)
    assert not verdict.ok
    assert verdict.message == (
        "Not found (404): check the URL, the deployment name and the api-version."
    )


def test_azure_test_connection_sends_the_api_key_header_and_version() -> None:
    with FakeLLMServer(api_key=KEY) as server:
        endpoint = Endpoint(provider="azure", url=server.base, deployment="gpt4o", model="")
        verdict = check_connection(endpoint, KEY)
    assert verdict.ok, verdict.message
    assert verdict.message == "Connected: fake-model answered."
    (request,) = server.requests
    assert request.headers["api-key"] == KEY
    assert "api-version" in request.params
    assert "model" not in request.body


def test_nothing_listening_is_blamed_on_the_url_or_server() -> None:
    with FakeLLMServer() as server:
        url = server.url
    verdict = check_connection(Endpoint(url=url), None, timeout=5)
    assert not verdict.ok
    assert "connection refused" in verdict.message
    assert "start the server" in verdict.message


def test_a_redirect_is_not_followed_and_the_key_never_reaches_the_target() -> None:
    with FakeLLMServer() as target, FakeLLMServer() as server:
        server.script = lambda n, body: Reply(kind="redirect", location=target.chat_url)
        verdict = check_connection(Endpoint(url=server.url), KEY)
    assert not verdict.ok
    assert "redirects to 127.0.0.1" in verdict.message
    assert target.request_count == 0
    assert KEY not in verdict.message


def test_a_page_that_is_not_an_api_is_recognised() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>Welcome to nginx</html>")

    verdict = check_connection(
        Endpoint(url="http://web.test/"), None, transport=httpx.MockTransport(handler)
    )
    assert not verdict.ok
    assert verdict.message.startswith("http://web.test/... answered with a web page")
    assert "<" not in verdict.message


def test_a_malformed_url_is_reported_without_a_request() -> None:
    verdict = check_connection(Endpoint(url="localhost:5272"), None)
    assert not verdict.ok
    assert "http://" in verdict.message


def test_reasoning_models_that_refuse_max_tokens_are_probed_without_it() -> None:
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if "max_tokens" in body:
            error = {"error": {"message": "Unsupported parameter: 'max_tokens'"}}
            return httpx.Response(400, json=error)
        return httpx.Response(200, json={"model": "o3", "choices": []})

    verdict = check_connection(
        Endpoint(url="http://o.test/v1", model="o3"), None, transport=httpx.MockTransport(handler)
    )
    assert verdict.ok
    assert len(seen) == 2


def _raising(exc: Exception) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            httpx.ConnectError("[Errno -2] Name or service not known"),
            "The host name nowhere.test could not be found: check the endpoint URL.",
        ),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            "The secure connection to nowhere.test failed (TLS)",
        ),
        (httpx.ConnectTimeout("timed out"), "Could not connect to nowhere.test:8443 in time"),
        (httpx.ReadTimeout("timed out"), "went silent for longer than the timeout"),
    ],
)
def test_network_failures_each_get_their_own_plain_message(exc: Exception, expected: str) -> None:
    endpoint = Endpoint(url="https://nowhere.test:8443/v1")
    verdict = check_connection(endpoint, KEY, transport=_raising(exc))
    assert not verdict.ok
    assert expected in verdict.message
    assert "\n" not in verdict.message


def test_a_tls_error_is_recognised_from_its_cause() -> None:
    request = httpx.Request("POST", "https://self-signed.test/v1/chat/completions")
    try:
        try:
            raise ssl.SSLCertVerificationError("self-signed certificate")
        except ssl.SSLError as cause:
            raise httpx.ConnectError("connection failed", request=request) from cause
    except httpx.ConnectError as exc:
        error = error_for_exception(exc, Endpoint(url="https://self-signed.test/v1"))
    assert error.kind == "tls"
    assert not error.retryable


def test_retry_after_ms_is_read_in_milliseconds() -> None:
    assert retry_after_seconds(httpx.Headers({"retry-after-ms": "250"})) == 0.25


def test_retry_after_is_read_in_seconds() -> None:
    assert retry_after_seconds(httpx.Headers({"retry-after": "12"})) == 12.0


def test_retry_after_is_read_as_an_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    wait = retry_after_seconds(httpx.Headers({"retry-after": later}), now=now.timestamp())
    assert wait == pytest.approx(30)


def test_an_unreadable_retry_after_is_ignored() -> None:
    assert retry_after_seconds(httpx.Headers({"retry-after": "soon"})) is None
    assert retry_after_seconds(httpx.Headers()) is None


def _send(handler: httpx.MockTransport, body: dict[str, object] | None = None) -> object:
    async def go() -> object:
        async with new_async_client(5, 1, handler) as client:
            return await send_chat(
                client, Endpoint(url="http://m.test/v1"), KEY, body or {"stream": True}
            )

    return asyncio.run(go())


def test_streamed_deltas_are_joined_and_usage_read() -> None:
    events = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        {"choices": [{"index": 0, "delta": {"content": "Hel"}}]},
        {"choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "length"}]},
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}},
    ]
    stream = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=stream, headers={"content-type": "text/event-stream"})

    reply = _send(httpx.MockTransport(handler))
    assert reply.content == "Hello"  # type: ignore[attr-defined]
    assert reply.finish_reason == "length"  # type: ignore[attr-defined]
    assert reply.usage.total_tokens == 5  # type: ignore[attr-defined]


def test_an_error_inside_the_stream_is_a_retryable_failure_without_the_key() -> None:
    stream = 'data: {"error": {"message": "overloaded, key ' + KEY + '"}}\n\n'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=stream, headers={"content-type": "text/event-stream"})

    with pytest.raises(ChatError) as caught:
        _send(httpx.MockTransport(handler))
    assert caught.value.retryable
    assert "overloaded" in str(caught.value)
    assert KEY not in str(caught.value)


def test_an_azure_content_filter_400_is_reported_as_filtered() -> None:
    body = {"error": {"code": "content_filter", "message": "filtered", "status": 400}}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json=body)

    with pytest.raises(ChatError) as caught:
        _send(httpx.MockTransport(handler))
    assert caught.value.kind == "filtered"
    assert not caught.value.retryable
    assert str(caught.value) == "The provider's content filter blocked this text."


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (400, "bad_request", False),
        (401, "auth", False),
        (403, "forbidden", False),
        (404, "not_found", False),
        (408, "server", True),
        (409, "server", True),
        (429, "rate_limited", True),
        (500, "server", True),
        (503, "server", True),
    ],
)
def test_statuses_are_classified(status: int, kind: str, retryable: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": {"message": f"{KEY} failed"}})

    with pytest.raises(ChatError) as caught:
        _send(httpx.MockTransport(handler))
    assert (caught.value.kind, caught.value.retryable) == (kind, retryable)
    assert KEY not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_prompt_too_long_for_the_model_says_to_lower_the_chunk_size() -> None:
    body = {"error": {"message": "This model's maximum context length is 4096 tokens"}}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json=body)

    with pytest.raises(ChatError) as caught:
        _send(httpx.MockTransport(handler))
    assert "lower the chunk size" in str(caught.value)


def test_an_error_object_in_a_200_reply_is_a_retryable_failure() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"error": {"message": "upstream timed out"}})

    with pytest.raises(ChatError) as caught:
        _send(httpx.MockTransport(handler), {"stream": False})
    assert caught.value.retryable
    assert "upstream timed out" in str(caught.value)


def test_test_connection_ignores_a_proxy_for_a_local_model(
    llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert check_connection(Endpoint(url=llm_server.url), None).ok


def test_a_server_that_needs_a_key_when_none_is_set_says_so() -> None:
    with FakeLLMServer(api_key=KEY) as server:
        verdict = check_connection(Endpoint(url=server.url), None)
    assert verdict.message == "The URL works, but the server needs an API key (401): enter one."


# -- streams as real servers send them -------------------------------------------------------


class _RawServer:
    """A loopback HTTP/1.1 server written on bare sockets, to send exactly the bytes (and the
    connection closes) that a real server does. ``answer(connection, request)`` gives the bytes
    for the ``request``-th request (from 1) on the ``connection``-th connection (from 1), or
    None to close that connection without answering. ``close_after``: close each connection
    once its answer is sent."""

    def __init__(
        self, answer: Callable[[int, int], bytes | None], *, close_after: bool = False
    ) -> None:
        self.answer = answer
        self.close_after = close_after
        self.connections = 0
        self.requests: list[tuple[int, int]] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn, self.connections))
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket, number: int) -> None:
        with conn, conn.makefile("rb") as reader:
            request = 0
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                length = re.search(rb"(?i)content-length:\s*(\d+)", head)
                reader.read(int(length.group(1)) if length else 0)
                request += 1
                self.requests.append((number, request))
                data = self.answer(number, request)
                if data is None:
                    return
                conn.sendall(data)
                if self.close_after:
                    return

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._sock.close()
        self._accepting.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)


def _sse(*events: object, done: bool = True) -> bytes:
    """A complete chunked text/event-stream response carrying ``events`` as data events."""
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
    if done:
        body += "data: [DONE]\n\n"
    return _chunked(body.encode())


def _chunked(body: bytes, *, end: bool = True) -> bytes:
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        b"transfer-encoding: chunked\r\nkeep-alive: timeout=5, max=100\r\n\r\n"
    )
    chunk = f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b""
    return head + chunk + (b"0\r\n\r\n" if end else b"")


def _delta(content: str = "", finish: str | None = None, **more: str) -> dict[str, object]:
    return {
        "choices": [{"index": 0, "delta": {"content": content, **more}, "finish_reason": finish}]
    }


def _run(coro: Callable[[httpx.AsyncClient], Awaitable[object]], timeout: float = 5) -> object:
    async def go() -> object:
        async with new_async_client(timeout, 1) as client:
            return await coro(client)

    return asyncio.run(go())


def test_a_kept_alive_connection_closed_by_the_server_as_the_request_arrives_is_not_an_error() -> (
    None
):
    # llama.cpp (cpp-httplib) closes a kept-alive connection after 5 s idle. A request sent at
    # that moment crosses the close: the server never reads it, the client gets no answer.
    def answer(connection: int, request: int) -> bytes | None:
        if request > 1:
            return None
        return _sse(_delta("fine", "stop"))

    server = _RawServer(answer)
    endpoint = Endpoint(url=server.url)

    async def twice(client: httpx.AsyncClient) -> list[ChatReply]:
        body = {"stream": True}
        return [await send_chat(client, endpoint, None, body) for _ in range(2)]

    try:
        replies = _run(twice)
    finally:
        server.close()
    assert [r.content for r in replies] == ["fine", "fine"]  # type: ignore[attr-defined]
    assert server.requests == [(1, 1), (1, 2), (2, 1)]


def test_a_new_connection_closed_before_an_answer_is_reported_for_the_retries() -> None:
    # Only the first request is answered; every later one is dropped, on any connection.
    def answer(connection: int, request: int) -> bytes | None:
        return _sse(_delta("fine", "stop")) if (connection, request) == (1, 1) else None

    server = _RawServer(answer)
    endpoint = Endpoint(url=server.url)

    async def twice(client: httpx.AsyncClient) -> None:
        for _ in range(2):
            await send_chat(client, endpoint, None, {"stream": True})

    try:
        with pytest.raises(ChatError) as caught:
            _run(twice)
    finally:
        server.close()
    assert caught.value.retryable
    # The reused connection's failure is sent once more; the new connection's is reported.
    assert server.requests == [(1, 1), (1, 2), (2, 1)]


def test_a_stream_that_finished_but_lost_its_done_marker_is_whole() -> None:
    # The final chunk (finish reason, usage) came; then the connection dropped before [DONE].
    events = [_delta("Hel"), _delta("lo", "stop")]
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events).encode()
    server = _RawServer(lambda connection, request: _chunked(body, end=False), close_after=True)
    try:
        reply = _run(lambda c: send_chat(c, Endpoint(url=server.url), None, {"stream": True}))
    finally:
        server.close()
    assert reply.content == "Hello"  # type: ignore[attr-defined]
    assert reply.finish_reason == "stop"  # type: ignore[attr-defined]


def _stream(*events: object) -> httpx.MockTransport:
    text = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})

    return httpx.MockTransport(handler)


def test_llama_cpp_overflow_inside_a_stream_is_too_long_in_its_own_words() -> None:
    error = {
        "code": 400,
        "message": "request (647 tokens) exceeds the available context size (512 tokens), "
        "try increasing it",
        "type": "exceed_context_size_error",
        "n_prompt_tokens": 647,
        "n_ctx": 512,
    }
    with pytest.raises(ChatError) as caught:
        _send(_stream(_delta("{"), {"error": error}))
    assert caught.value.kind == "too_long"
    assert not caught.value.retryable
    assert "request (647 tokens) exceeds the available context size (512 tokens)" in str(
        caught.value
    )
    assert caught.value.overflow is not None
    assert (caught.value.overflow.prompt_tokens, caught.value.overflow.context_tokens) == (647, 512)


def test_a_refusal_inside_a_stream_is_not_retried() -> None:
    error = {
        "code": 400,
        "message": "Invalid grammar: unknown keyword",
        "type": "invalid_request_error",
    }
    with pytest.raises(ChatError) as caught:
        _send(_stream({"error": error}))
    assert (caught.value.kind, caught.value.retryable) == ("bad_request", False)
    assert "Invalid grammar: unknown keyword" in str(caught.value)


def test_an_error_event_of_type_error_is_reported_in_the_servers_words() -> None:
    text = 'event: error\ndata: {"message": "model crashed, key ' + KEY + '"}\n\n'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})

    with pytest.raises(ChatError) as caught:
        _send(httpx.MockTransport(handler))
    assert "model crashed" in str(caught.value)
    assert KEY not in str(caught.value)


def test_reasoning_deltas_are_progress_and_never_content() -> None:
    thought = '{"pairs": [{"question": "not this?", "answer": "no"}]}'
    events = [
        _delta(reasoning_content="Let me think. "),
        _delta(reasoning=thought),
        _delta('{"pairs": []}', "stop"),
    ]
    heard: list[StreamProgress] = []

    async def go(client: httpx.AsyncClient) -> ChatReply:
        return await send_chat(
            client, Endpoint(url="http://m.test/v1"), None, {"stream": True}, heard.append
        )

    async def with_transport() -> ChatReply:
        async with new_async_client(5, 1, _stream(*events)) as client:
            return await go(client)

    reply = asyncio.run(with_transport())
    assert reply.content == '{"pairs": []}'
    assert reply.reasoning == "Let me think. " + thought
    assert [p.reasoning_chars for p in heard] == [14, 14 + len(thought), 14 + len(thought)]
    assert [p.content_chars for p in heard] == [0, 0, len('{"pairs": []}')]


def test_reasoning_keeps_a_stream_alive_past_the_idle_timeout() -> None:
    # Content comes only after 1.5 s of thinking; the timeout (0.5 s) is the longest silence.
    def answer(connection: int, request: int) -> bytes | None:
        return None  # replaced below

    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )

    class Thinking(_RawServer):
        def _serve(self, conn: socket.socket, number: int) -> None:
            with conn, conn.makefile("rb") as reader:
                while reader.readline() not in (b"\r\n", b""):
                    pass
                conn.sendall(head)
                for _ in range(6):
                    event = f"data: {json.dumps(_delta(reasoning_content='hmm '))}\n\n".encode()
                    conn.sendall(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                    self.paced.wait(0.25)
                done = f"data: {json.dumps(_delta('{}', 'stop'))}\n\ndata: [DONE]\n\n".encode()
                conn.sendall(f"{len(done):x}\r\n".encode() + done + b"\r\n0\r\n\r\n")

    server = Thinking(answer)
    server.paced = threading.Event()  # type: ignore[attr-defined]
    try:
        reply = _run(
            lambda c: send_chat(c, Endpoint(url=server.url), None, {"stream": True}), timeout=0.5
        )
    finally:
        server.close()
    assert reply.content == "{}"  # type: ignore[attr-defined]
    assert reply.reasoning == "hmm " * 6  # type: ignore[attr-defined]


def test_cached_prompt_tokens_are_read_from_openai_and_llama_cpp_usage() -> None:
    openai = {
        "choices": [],
        "usage": {
            "prompt_tokens": 100,
            "completion_tokens": 5,
            "prompt_tokens_details": {"cached_tokens": 64},
        },
    }
    llama = {
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 90, "completion_tokens": 7, "total_tokens": 97},
        "timings": {"cache_n": 80, "prompt_n": 10, "predicted_n": 7},
    }
    first = _send(_stream(_delta("a"), openai))
    second = _send(_stream(_delta("b"), llama))
    assert first.usage.cached_prompt_tokens == 64  # type: ignore[attr-defined]
    assert second.usage.cached_prompt_tokens == 80  # type: ignore[attr-defined]
    total = Usage()
    total.add(first.usage)  # type: ignore[attr-defined]
    total.add(second.usage)  # type: ignore[attr-defined]
    assert (total.prompt_tokens, total.cached_prompt_tokens) == (190, 144)


def test_a_400_overflow_carries_the_servers_numbers() -> None:
    body = {
        "error": {
            "message": "This model's maximum context length is 8192 tokens. However, your "
            "messages resulted in 8227 tokens. Please reduce the length of the messages.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json=body)

    with pytest.raises(ChatError) as caught:
        _send(httpx.MockTransport(handler))
    assert caught.value.kind == "too_long"
    assert caught.value.overflow is not None
    assert caught.value.overflow.context_tokens == 8192


def test_plain_http_to_this_machine_loads_no_certificates() -> None:
    # Loading the CA bundle holds the GIL for tens of milliseconds: a stall of the window at
    # the start of each run against a local server, which never speaks TLS.
    from qagen_desktop.core.client import transport

    transport._tls_context.cache_clear()
    local = Endpoint(url="http://127.0.0.1:8080/v1", model="m")
    hosted = Endpoint(url="https://api.example.com/v1", model="m")
    transport.new_async_client(10, 1, endpoint=local)
    transport.new_sync_client(local, 10)
    assert transport._tls_context.cache_info().misses == 0
    transport.new_async_client(10, 1, endpoint=hosted)
    transport.new_sync_client(hosted, 10)
    assert transport._tls_context.cache_info().misses == 1
