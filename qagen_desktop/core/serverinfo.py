"""What servers tell about themselves: their context window, and when a request overflowed it.

Local servers are small and their windows short, so a run wants to know the window before it
cuts the text (``probe_server``, ``probe_context_window``), and to recognise the refusal of a
request that did not fit (``context_overflow``) so that it can split the chunk and go on. Each
server says both in its own way; the shapes read here are the ones the servers really send:

- llama.cpp: ``GET /props`` has ``default_generation_settings.n_ctx`` (the context of one slot)
  and ``total_slots``; an overflow is a 400 with ``type: exceed_context_size_error``,
  ``n_prompt_tokens`` and ``n_ctx``, and the message "request (647 tokens) exceeds the available
  context size (512 tokens), try increasing it".
- vLLM: ``GET /v1/models`` lists each model with ``max_model_len``; an overflow is a 400 saying
  "This model's maximum context length is 2048 tokens. However, your request has 8 input tokens
  ..." (older releases: "However, you requested 4120 tokens (3120 in the messages, 1000 in the
  completion)").
- OpenAI: no window to ask for; an overflow is a 400 with ``code: context_length_exceeded`` and
  "This model's maximum context length is 8192 tokens. However, your messages resulted in 8227
  tokens."
- Ollama: ``POST /api/show`` has ``model_info["<architecture>.context_length"]`` (what the model
  was trained for) and, where the model sets it, ``num_ctx`` in ``parameters`` (what Ollama runs
  it with; it cuts longer prompts silently, without an error).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from qagen_desktop.core.endpoint import CHAT_PATH, Endpoint
from qagen_desktop.core.errors import ConfigError

# A probe is a nicety: a server that does not answer one at once is treated as saying nothing.
PROBE_TIMEOUT = 5.0


class ServerKind(StrEnum):
    """The servers whose own interfaces tell their context window."""

    LLAMA_CPP = "llama.cpp"
    VLLM = "vllm"
    OLLAMA = "ollama"


@dataclass(frozen=True)
class ServerInfo:
    """What a server said about itself.

    ``context_window``: tokens one request may hold, prompt and reply together (llama.cpp: one
    slot's share; Ollama: its ``num_ctx`` where the model sets one, else the model's trained
    length). ``slots``: llama.cpp's parallel slots. ``trained_context``: the model's own limit,
    where the server tells it apart. ``num_ctx``: Ollama's setting, where the model has one.
    """

    kind: ServerKind
    context_window: int
    slots: int | None = None
    trained_context: int | None = None
    num_ctx: int | None = None


@dataclass(frozen=True)
class ContextOverflow:
    """A request refused as longer than the context, with the numbers the server gave.

    ``prompt_tokens``: the prompt's length; ``completion_tokens``: the reply asked for (where
    the server counts it in); ``context_tokens``: the window. None where the server did not say.
    """

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    context_tokens: int | None = None


# -- overflow -----------------------------------------------------------------------------------

_OVERFLOW_MARKS = (
    "exceeds the available context size",  # llama.cpp
    "is larger than the max context size",  # llama.cpp, for a prompt it cannot even truncate
    "maximum context length is",  # OpenAI, vLLM, DeepSeek and others copying OpenAI
    "context_length_exceeded",
    "exceed_context_size_error",
)
_CONTEXT_NUMBER = (
    re.compile(r"maximum context length is (\d+)", re.IGNORECASE),
    re.compile(r"available context size \((\d+) tokens?\)", re.IGNORECASE),
    re.compile(r"max context size \((\d+) tokens?\)", re.IGNORECASE),
)
_PROMPT_NUMBER = (
    re.compile(r"request \((\d+) tokens?\) exceeds", re.IGNORECASE),
    re.compile(r"input \((\d+) tokens?\) is larger", re.IGNORECASE),
    re.compile(r"(\d+) in the messages", re.IGNORECASE),
    re.compile(r"messages resulted in (\d+) tokens", re.IGNORECASE),
    re.compile(r"request has (\d+) input tokens", re.IGNORECASE),
)
_COMPLETION_NUMBER = (
    re.compile(r"(\d+) in the completion", re.IGNORECASE),
    re.compile(r"plus (\d+) 'max(?:_completion)?_tokens'", re.IGNORECASE),
    re.compile(r"'max_tokens' or 'max_completion_tokens' is too large: (\d+)", re.IGNORECASE),
)


def context_overflow(status: int | None, body: str) -> ContextOverflow | None:
    """The overflow a failed request's body describes, or None when it is another failure.

    ``status`` is the HTTP status, or None for an error event inside a stream (llama.cpp sends
    one when a slot finds the prompt too long after the reply has begun).
    """
    if status is not None and status < 400:
        return None
    error = _error_object(body)
    text = body if error is None else json.dumps(error)
    lowered = text.lower()
    if not any(mark in lowered for mark in _OVERFLOW_MARKS):
        return None
    message = str(error.get("message") or "") if error is not None else body
    fields = error or {}
    return ContextOverflow(
        prompt_tokens=_positive(fields.get("n_prompt_tokens")) or _first(_PROMPT_NUMBER, message),
        completion_tokens=_first(_COMPLETION_NUMBER, message),
        context_tokens=_positive(fields.get("n_ctx")) or _first(_CONTEXT_NUMBER, message),
    )


def is_context_overflow(status: int | None, body: str) -> bool:
    """True when the server refused the request as longer than its context window."""
    return context_overflow(status, body) is not None


def _error_object(body: str) -> dict[str, Any] | None:
    """The error object of an error body: ``{"error": {...}}`` or vLLM's older flat
    ``{"object": "error", "message": ...}``."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    if isinstance(error, dict):
        return error
    if payload.get("object") == "error" or isinstance(payload.get("message"), str):
        return payload
    return None


def _first(patterns: tuple[re.Pattern[str], ...], text: str) -> int | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


def _positive(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if value > 0 else None


# -- probes -------------------------------------------------------------------------------------


async def probe_context_window(
    client: httpx.AsyncClient, endpoint: Endpoint, api_key: str | None = None
) -> int | None:
    """The tokens one request may hold on this server, or None where it does not say."""
    info = await probe_server(client, endpoint, api_key)
    return info.context_window if info is not None else None


async def probe_server(
    client: httpx.AsyncClient, endpoint: Endpoint, api_key: str | None = None
) -> ServerInfo | None:
    """Ask the server what it is and how long its context is: llama.cpp's ``/props``, then
    vLLM's ``/v1/models``, then Ollama's ``/api/show``. None for a server that tells neither
    (OpenAI, Azure, LM Studio), or one that does not answer. Never raises.

    Every probe goes to the configured host with the configured key, and follows no redirect.
    """
    if endpoint.provider != "openai":
        return None
    try:
        chat_url = endpoint.chat_url()
    except ConfigError:
        return None
    headers = endpoint.auth_headers(api_key)
    api_base = chat_url.split("?", 1)[0].removesuffix(CHAT_PATH)
    root = _server_root(api_base)

    props = await _get_json(client, "GET", f"{root}/props", headers)
    info = _read_llama_props(props)
    if info is not None:
        return info
    models = await _get_json(client, "GET", f"{api_base}/models", headers)
    info = _read_vllm_models(models, endpoint.model)
    if info is not None:
        return info
    shown = await _get_json(client, "POST", f"{root}/api/show", headers, {"model": endpoint.model})
    return _read_ollama_show(shown)


def _server_root(api_base: str) -> str:
    """The server's own root under an OpenAI-style base: ``http://h:8080/v1`` -> ``http://h:8080``."""
    parts = urlsplit(api_base)
    path = parts.path.rstrip("/").removesuffix("/v1")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


async def _get_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> Any:
    try:
        response = await client.request(
            method,
            url,
            headers=headers,
            json=body,
            timeout=PROBE_TIMEOUT,
            follow_redirects=False,
        )
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _read_llama_props(payload: Any) -> ServerInfo | None:
    if not isinstance(payload, dict):
        return None
    settings = payload.get("default_generation_settings")
    if not isinstance(settings, dict):
        return None
    window = _positive(settings.get("n_ctx"))
    if window is None:
        return None
    return ServerInfo(ServerKind.LLAMA_CPP, window, slots=_positive(payload.get("total_slots")))


def _read_vllm_models(payload: Any, model: str) -> ServerInfo | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        return None
    entries = [entry for entry in payload["data"] if isinstance(entry, dict)]
    chosen = [entry for entry in entries if entry.get("id") == model] or entries[:1]
    for entry in chosen:
        window = _positive(entry.get("max_model_len"))
        if window is not None:
            return ServerInfo(ServerKind.VLLM, window, trained_context=window)
    return None


_NUM_CTX = re.compile(r"^\s*num_ctx\s+(\d+)\s*$", re.MULTILINE)


def _read_ollama_show(payload: Any) -> ServerInfo | None:
    if not isinstance(payload, dict):
        return None
    trained = None
    model_info = payload.get("model_info")
    if isinstance(model_info, dict):
        architecture = model_info.get("general.architecture")
        key = f"{architecture}.context_length"
        trained = _positive(model_info.get(key))
        if trained is None:
            lengths = (v for k, v in model_info.items() if k.endswith(".context_length"))
            trained = next((n for n in map(_positive, lengths) if n is not None), None)
    num_ctx = None
    parameters = payload.get("parameters")
    if isinstance(parameters, str):
        match = _NUM_CTX.search(parameters)
        num_ctx = int(match.group(1)) if match else None
    elif isinstance(parameters, dict):
        num_ctx = _positive(parameters.get("num_ctx"))
    window = num_ctx or trained
    if window is None:
        return None
    return ServerInfo(ServerKind.OLLAMA, window, trained_context=trained, num_ctx=num_ctx)
