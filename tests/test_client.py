"""One request and what its failures say: "Test connection", retry-after, plain messages."""

from __future__ import annotations

import asyncio
import json
import ssl
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from fake_server import FakeLLMServer, Reply

from qagen_desktop.core.client import (
    ChatError,
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
