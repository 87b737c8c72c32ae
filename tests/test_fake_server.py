"""The loopback server the other tests rely on answers as promised."""

from __future__ import annotations

import json

import httpx
import pytest
from fake_server import SHAPES, FakeLLMServer, Reply

PROMPT = 'Generate 4 question-answer pairs grounded in the text below.\n"""\nAlpha beta gamma.\n"""'


def _ask(server: FakeLLMServer, *, stream: bool = False) -> httpx.Response:
    body = {"model": "m", "messages": [{"role": "user", "content": PROMPT}], "stream": stream}
    return httpx.post(server.chat_url, json=body, timeout=10)


def _streamed_content(response: httpx.Response) -> tuple[str, str | None, dict]:
    content, finish, usage = "", None, {}
    for line in response.text.splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        event = json.loads(line[6:])
        for choice in event["choices"]:
            content += choice["delta"].get("content") or ""
            finish = choice.get("finish_reason") or finish
        usage = event.get("usage") or usage
    return content, finish, usage


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_holds_the_asked_number_of_distinct_questions(shape: str) -> None:
    with FakeLLMServer(shape=shape) as server:
        plain = _ask(server).json()["choices"][0]["message"]["content"]
        streamed, finish, usage = _streamed_content(_ask(server, stream=True))
    for content in (plain, streamed):
        questions = {part.split("(point ")[1].split(")")[0] for part in content.split("What")[1:]}
        assert len(questions) == 4
    assert finish == "stop"
    assert usage["total_tokens"] > 0
    assert plain != streamed  # a second request never repeats the first one's pairs


def test_a_cut_reply_ends_at_the_token_limit(llm_server: FakeLLMServer) -> None:
    llm_server.script = lambda n, body: Reply(kind="cut")
    content, finish, _ = _streamed_content(_ask(llm_server, stream=True))
    assert finish == "length"
    assert content.count("(point ") == 2


def test_requests_are_recorded_with_headers_and_query(llm_server: FakeLLMServer) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": PROMPT}]}
    url = llm_server.base + "/openai/deployments/d/chat/completions?api-version=2024-02-15-preview"
    httpx.post(url, json=body, headers={"api-key": "k"}, timeout=10)
    (request,) = llm_server.requests
    assert request.headers["api-key"] == "k"
    assert request.params == {"api-version": "2024-02-15-preview"}
    assert request.asked == 4


def test_rejected_response_format_gets_a_400(llm_server: FakeLLMServer) -> None:
    llm_server.reject_response_formats = ("json_schema",)
    body = {"model": "m", "messages": [], "response_format": {"type": "json_schema"}}
    assert httpx.post(llm_server.chat_url, json=body, timeout=10).status_code == 400


def test_stop_releases_a_hanging_request() -> None:
    server = FakeLLMServer(script=lambda n, body: Reply(kind="hang")).start()
    try:
        with pytest.raises(httpx.ReadTimeout):
            _ask_with_timeout(server, 0.3)
        assert server.request_count == 1
    finally:
        server.stop()


def _ask_with_timeout(server: FakeLLMServer, timeout: float) -> httpx.Response:
    body = {"model": "m", "messages": [{"role": "user", "content": PROMPT}]}
    return httpx.post(server.chat_url, json=body, timeout=timeout)
