"""One chat-completions request, and what its failures mean in plain words.

``send_chat`` sends one request (streamed replies read as server-sent events, anything else as a
plain JSON completion) and returns the reply's text, finish reason and token usage, or raises a
``ChatError`` that says what to fix and whether trying again can help. ``check_connection`` is the
"Test connection" button: one one-token request, one line saying whether URL, key and model work.
Redirects are never followed, so the key only ever goes to the configured host.
"""

from __future__ import annotations

import functools
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from httpx_sse import EventSource, SSEError

from qagen_desktop import __version__
from qagen_desktop.core.endpoint import Endpoint, is_loopback
from qagen_desktop.core.errors import ConfigError, ErrorKind, RequestError
from qagen_desktop.core.server_answers import (
    about_model,
    error_code,
    is_web_page,
    not_found_message,
    retry_after_seconds,
    server_text,
    web_page_message,
)
from qagen_desktop.core.serverinfo import ContextOverflow, context_overflow

USER_AGENT = f"qagen-desktop/{__version__}"
# Statuses worth trying again: the server may answer the same request later.
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
# How long an idle connection is kept for the next request. Below the 5 s after which llama.cpp
# (cpp-httplib), uvicorn (vLLM) and Node close one: a request sent on a connection the server is
# closing at that moment gets no answer at all.
KEEPALIVE_EXPIRY = 2.0


@dataclass
class Usage:
    """Token counts, summed over replies. ``cached_prompt_tokens``: the part of the prompt the
    server took from its prompt cache (counted in ``prompt_tokens`` too)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_prompt_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.total_tokens += other.total_tokens
        self.cached_prompt_tokens += other.cached_prompt_tokens

    @classmethod
    def from_json(cls, data: object, timings: object = None) -> Usage | None:
        """A reply's ``usage``; the cached part from OpenAI's
        ``prompt_tokens_details.cached_tokens``, else llama.cpp's ``timings.cache_n``."""
        if not isinstance(data, dict):
            return None
        prompt, completion = _count(data, "prompt_tokens"), _count(data, "completion_tokens")
        details = data.get("prompt_tokens_details")
        cached = _count(details, "cached_tokens") or _count(timings, "cache_n")
        return cls(prompt, completion, _count(data, "total_tokens") or prompt + completion, cached)


def _count(data: object, name: str) -> int:
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return int(value)


@dataclass
class ChatReply:
    """The assistant's text, why it stopped ("stop", "length", "content_filter", or None when
    the server did not say) and the usage the server reported. ``reasoning``: what a reasoning
    model thought aloud (``reasoning_content`` / ``reasoning`` deltas), kept apart from the
    content so that pairs are never parsed out of it."""

    content: str
    finish_reason: str | None
    usage: Usage | None
    reasoning: str = ""


@dataclass(frozen=True)
class StreamProgress:
    """How much of a streamed reply has come: characters of content, and of reasoning (a
    reasoning model "thinking" before it answers)."""

    content_chars: int
    reasoning_chars: int


ProgressCallback = Callable[[StreamProgress], None]


class ChatError(RequestError):
    """A failed request. ``retryable``: the same request may work later (after ``retry_after``
    seconds when the server said so). ``server_text`` is what the server said, redacted.
    ``partial``: what a streamed reply had carried before the connection broke or went silent.
    ``overflow``: for a request refused as longer than the context, the numbers the server gave."""

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        server_text: str = "",
    ) -> None:
        super().__init__(message, kind=kind, status=status)
        self.retryable = retryable
        self.retry_after = retry_after
        self.server_text = server_text
        self.partial: ChatReply | None = None
        self.overflow: ContextOverflow | None = None


def new_async_client(
    timeout: float,
    connections: int,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    endpoint: Endpoint | None = None,
) -> httpx.AsyncClient:
    """The client every generation request goes through.

    The timeout applies to each connect and to each read: it is the longest silence allowed, not
    a cap on a long streamed answer. Redirects are never followed (the key stays with its host).
    """
    limits = httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        limits=limits,
        follow_redirects=False,
        transport=transport,
        headers={"user-agent": USER_AGENT},
        trust_env=_use_environment(endpoint, transport),
        verify=_tls_context(),
    )


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """httpx's default certificate checks, built once: loading the CA bundle takes a noticeable
    fraction of a second, and every run and every "Test connection" makes a new client."""
    return httpx.create_ssl_context()


def _use_environment(endpoint: Endpoint | None, transport: object) -> bool:
    """Honour HTTP(S)_PROXY and the like, except for a model on this machine: httpx would send
    even 127.0.0.1 through a corporate proxy, which cannot reach it."""
    if transport is not None:
        return False
    if endpoint is None:
        return True
    try:
        return not is_loopback(endpoint.host())
    except ConfigError:
        return True


async def send_chat(
    client: httpx.AsyncClient,
    endpoint: Endpoint,
    api_key: str | None,
    body: dict[str, Any],
    on_progress: ProgressCallback | None = None,
) -> ChatReply:
    """Send one chat request and read the whole reply; ChatError when it fails.

    ``on_progress`` hears of every streamed delta, content or reasoning: a reasoning model can
    think for minutes before its first word of content, and is alive all that time.
    """
    url = endpoint.chat_url()
    headers = endpoint.auth_headers(api_key)
    if body.get("stream"):
        headers["accept"] = "text/event-stream"
    for attempt in (1, 2):
        answered = False
        connected = False

        async def trace(event: str, info: dict[str, Any]) -> None:
            nonlocal connected
            if event.startswith("connection.connect_tcp"):
                connected = True

        try:
            async with client.stream(
                "POST", url, json=body, headers=headers, extensions={"trace": trace}
            ) as response:
                answered = True
                if response.status_code >= 300:
                    await response.aread()
                    raise error_for_response(response, endpoint, api_key)
                content_type = response.headers.get("content-type", "")
                if "text/event-stream" in content_type:
                    return await _read_events(response, api_key, endpoint, on_progress)
                await response.aread()
                return _read_completion(response.text, api_key)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            if attempt == 1 and not answered and not connected:
                # A kept-alive connection, closed before a byte of the answer: the server was
                # closing it (idle too long) as the request went out, and never read it. Sent
                # once more on a new connection, this costs no retry. (A new connection that
                # breaks so is the server's doing, and goes through the retries.)
                continue
            raise error_for_exception(exc, endpoint) from None
        except httpx.HTTPError as exc:
            raise error_for_exception(exc, endpoint) from None
    raise AssertionError("unreachable: the second attempt returns or raises")


async def _read_events(
    response: httpx.Response,
    api_key: str | None,
    endpoint: Endpoint,
    on_progress: ProgressCallback | None = None,
) -> ChatReply:
    parts: list[str] = []
    thoughts: list[str] = []
    content_chars = reasoning_chars = 0
    finish: str | None = None
    usage: Usage | None = None
    done = False
    try:
        async for event in EventSource(response).aiter_sse():
            data = event.data.strip()
            if done or not data:
                continue  # read on to the end, so the connection can be used again
            if data == "[DONE]":
                done = True
                continue
            try:
                payload = json.loads(data)
            except ValueError:
                continue
            if not isinstance(payload, dict):
                continue
            if payload.get("error") or event.event == "error":
                raise _stream_error(payload, api_key)
            usage = Usage.from_json(payload.get("usage"), payload.get("timings")) or usage
            for choice in payload.get("choices") or ():
                if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta") or choice.get("message") or {}
                if isinstance(delta, dict):
                    text = _text_of(delta.get("content"))
                    thought = _text_of(delta.get("reasoning_content") or delta.get("reasoning"))
                    parts.append(text)
                    thoughts.append(thought)
                    content_chars += len(text)
                    reasoning_chars += len(thought)
                    if on_progress is not None and (text or thought):
                        on_progress(StreamProgress(content_chars, reasoning_chars))
                finish = choice.get("finish_reason") or finish
    except httpx.TransportError as exc:
        if not done and finish is None:
            # Cut off mid-reply (dropped or silent past the timeout): the complete pairs it
            # carried are worth keeping, like those of a reply cut at the token limit.
            error = error_for_exception(exc, endpoint)
            error.partial = ChatReply("".join(parts), "length", usage, "".join(thoughts))
            raise error from None
        # The reply was whole (its finish reason or [DONE] had come); only the end of the
        # connection went wrong.
    except SSEError:  # pragma: no cover - the content type was checked before
        pass
    return ChatReply("".join(parts), finish, usage, "".join(thoughts))


def _stream_error(payload: dict[str, Any], api_key: str | None) -> ChatError:
    """An error event inside a stream (llama.cpp, vLLM and OpenAI send ``{"error": {...}}`` as a
    data event), in the server's own words."""
    raw = json.dumps(payload)
    text = server_text(raw, api_key)
    overflow = context_overflow(None, raw)
    error = payload.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if overflow is not None:
        failure = ChatError(
            f"The text is too long for the model: lower the chunk size. The server said: {text}",
            kind=ErrorKind.TOO_LONG,
            server_text=text,
        )
        failure.overflow = overflow
        return failure
    if isinstance(code, int) and 400 <= code < 500 and code not in RETRY_STATUSES:
        return ChatError(
            f"The server refused the request while answering: {text}",
            kind=ErrorKind.BAD_REQUEST,
            status=code,
            server_text=text,
        )
    return ChatError(
        f"The server failed while answering: {text}",
        kind=ErrorKind.SERVER,
        retryable=True,
        server_text=text,
    )


def _read_completion(text: str, api_key: str | None = None) -> ChatReply:
    """A non-streamed completion; a body that is not a completion is taken as the reply text."""
    try:
        payload = json.loads(text)
    except ValueError:
        return ChatReply(text, None, None)
    if isinstance(payload, dict) and payload.get("error") and not payload.get("choices"):
        # Some proxies answer 200 with an error object.
        said = server_text(text, api_key)
        raise ChatError(
            f"The server failed while answering: {said}",
            kind=ErrorKind.SERVER,
            retryable=True,
            server_text=said,
        )
    if not isinstance(payload, dict) or not isinstance(payload.get("choices"), list):
        return ChatReply(text, None, None)
    usage = Usage.from_json(payload.get("usage"))
    for choice in payload["choices"]:
        if isinstance(choice, dict) and choice.get("index", 0) == 0:
            message = choice.get("message") or choice.get("delta") or {}
            content = _text_of(message.get("content")) if isinstance(message, dict) else ""
            if not content and isinstance(choice.get("text"), str):
                content = choice["text"]
            return ChatReply(content, choice.get("finish_reason"), usage)
    return ChatReply("", None, usage)


def _text_of(content: object) -> str:
    """Message content as text: a string, or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text") or "") for part in content if isinstance(part, dict))
    return ""


# -- what failures mean ----------------------------------------------------------------------


def error_for_response(
    response: httpx.Response, endpoint: Endpoint, api_key: str | None
) -> ChatError:
    """A plain message for a failed HTTP status (the response body already read)."""
    status = response.status_code
    page = is_web_page(response)
    # A web page's words are markup, not a message: never shown.
    text = "" if page else server_text(response.text, api_key)
    code = None if page else error_code(response.text)
    said = f" The server said: {text}" if text else ""
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        target = urlsplit(urljoin(str(response.request.url), location)).hostname or "elsewhere"
        return ChatError(
            f"The endpoint redirects to {target} ({status}): enter the address it redirects to "
            "as the endpoint URL; the key is never sent on.",
            kind=ErrorKind.REDIRECT,
            status=status,
        )
    if status == 401:
        if not api_key:
            return ChatError(
                "The server needs an API key (401): enter one.", kind=ErrorKind.AUTH, status=status
            )
        return ChatError(
            "The server rejected the API key (401): check the key.",
            kind=ErrorKind.AUTH,
            status=status,
        )
    if status == 403:
        return ChatError(
            f"Access denied (403): check that the key may use this endpoint and model.{said}",
            kind=ErrorKind.FORBIDDEN,
            status=status,
            server_text=text,
        )
    if page and status not in RETRY_STATUSES:
        # An ordinary web server (a 404 page, "501 Unsupported method") at the URL.
        return ChatError(
            web_page_message(str(response.request.url)),
            kind=ErrorKind.NOT_FOUND,
            status=status,
        )
    if status == 404:
        if about_model(text, code):
            return ChatError(
                f"The model {endpoint.model!r} was not found (404): check the model name.{said}",
                kind=ErrorKind.NOT_FOUND,
                status=status,
                server_text=text,
            )
        return ChatError(
            not_found_message(endpoint, str(response.request.url)),
            kind=ErrorKind.NOT_FOUND,
            status=status,
            server_text=text,
        )
    if status == 501:
        # "Not implemented" does not get better by asking again.
        return ChatError(
            f"The server does not take chat requests at this URL (HTTP 501): check the "
            f"endpoint URL.{said}",
            kind=ErrorKind.NOT_FOUND,
            status=status,
            server_text=text,
        )
    if code == "content_filter" or "ResponsibleAIPolicyViolation" in response.text:
        return ChatError(
            "The provider's content filter blocked this text.",
            kind=ErrorKind.FILTERED,
            status=status,
            server_text=text,
        )
    if status == 429:
        return ChatError(
            "The server is rate-limiting requests (429).",
            kind=ErrorKind.RATE_LIMITED,
            status=status,
            retryable=True,
            retry_after=retry_after_seconds(response.headers),
            server_text=text,
        )
    if status in RETRY_STATUSES or status >= 500:
        return ChatError(
            f"The server failed (HTTP {status}): try again later or check its logs.{said}",
            kind=ErrorKind.SERVER,
            status=status,
            retryable=True,
            retry_after=retry_after_seconds(response.headers),
            server_text=text,
        )
    overflow = context_overflow(status, response.text)
    if overflow is not None or "context length" in text.lower():
        too_long = ChatError(
            f"The text is too long for the model ({status}): lower the chunk size.{said}",
            kind=ErrorKind.TOO_LONG,
            status=status,
            server_text=text,
        )
        too_long.overflow = overflow
        return too_long
    return ChatError(
        f"The server refused the request (HTTP {status}).{said}",
        kind=ErrorKind.BAD_REQUEST,
        status=status,
        server_text=text,
    )


def error_for_exception(exc: httpx.HTTPError, endpoint: Endpoint) -> ChatError:
    """A plain message for a request that got no HTTP answer."""
    parts = urlsplit(str(exc.request.url)) if _has_request(exc) else urlsplit(endpoint.url)
    host = parts.hostname or "the server"
    where = f"{host}:{parts.port}" if parts.port else host
    detail = " ".join(_causes(exc)).lower()
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.ConnectTimeout):
            return ChatError(
                f"Could not connect to {where} in time: check the endpoint URL and that the "
                "server is running.",
                kind=ErrorKind.TIMEOUT,
                retryable=True,
            )
        return ChatError(
            f"The server at {where} went silent for longer than the timeout: check it is "
            "running, or raise the timeout.",
            kind=ErrorKind.TIMEOUT,
            retryable=True,
        )
    if _is_tls_failure(exc, detail):
        return ChatError(
            f"The secure connection to {host} failed (TLS): check http:// versus https:// and "
            "the server's certificate.",
            kind=ErrorKind.TLS,
        )
    if isinstance(exc, httpx.ConnectError):
        if any(
            mark in detail
            for mark in (
                "name or service not known",
                "nodename nor servname",
                "getaddrinfo failed",
                "temporary failure in name resolution",
                "no address associated",
                "name resolution",
                "errno -2",
                "errno -3",
                "errno -5",
                "11001",
            )
        ):
            return ChatError(
                f"The host name {host} could not be found: check the endpoint URL.",
                kind=ErrorKind.DNS,
            )
        if "refused" in detail or "errno 111" in detail or "10061" in detail:
            return ChatError(
                f"Nothing answers at {where} (connection refused): start the server, or check "
                "the endpoint URL and port.",
                kind=ErrorKind.CONNECT,
                retryable=True,
            )
        return ChatError(
            f"Could not connect to {where}: check the endpoint URL and your network.",
            kind=ErrorKind.CONNECT,
            retryable=True,
        )
    if isinstance(exc, httpx.UnsupportedProtocol):
        return ChatError(
            "The endpoint URL needs to start with http:// or https://.", kind=ErrorKind.BAD_REQUEST
        )
    return ChatError(
        f"The connection to {where} broke before the reply was complete: check the server.",
        kind=ErrorKind.SERVER,
        retryable=True,
    )


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018 - raises RuntimeError when there is none
    except RuntimeError:
        return False
    return True


def _causes(exc: BaseException) -> list[str]:
    texts = []
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        texts.append(f"{type(current).__name__} {current}")
        current = current.__cause__ or current.__context__
        seen += 1
    return texts


def _is_tls_failure(exc: BaseException, detail: str) -> bool:
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ssl.SSLError):
            return True
        current = current.__cause__ or current.__context__
    return "ssl" in detail and ("certificate" in detail or "handshake" in detail)


# -- "Test connection" -----------------------------------------------------------------------


@dataclass
class ConnectionVerdict:
    ok: bool
    message: str


def check_connection(
    endpoint: Endpoint,
    api_key: str | None,
    *,
    timeout: float = 15.0,
    transport: httpx.BaseTransport | None = None,
) -> ConnectionVerdict:
    """Send a one-token chat request to the configured URL and model; say which part is wrong."""
    try:
        url = endpoint.chat_url()
    except ConfigError as exc:
        return ConnectionVerdict(False, str(exc))
    body: dict[str, Any] = {
        "messages": [{"role": "user", "content": "Reply with the word OK."}],
        "max_tokens": 1,
        "stream": False,
    }
    if endpoint.model:
        body["model"] = endpoint.model
    name = endpoint.model or endpoint.deployment or "the model"
    with httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        transport=transport,
        headers={"user-agent": USER_AGENT},
        trust_env=_use_environment(endpoint, transport),
        verify=_tls_context(),
    ) as client:
        try:
            response = client.post(url, json=body, headers=endpoint.auth_headers(api_key))
            if response.status_code in (400, 422) and "max_tokens" in response.text:
                # Reasoning models refuse max_tokens; the probe works as well without it.
                del body["max_tokens"]
                response = client.post(url, json=body, headers=endpoint.auth_headers(api_key))
        except httpx.HTTPError as exc:
            return ConnectionVerdict(False, str(error_for_exception(exc, endpoint)))
    if response.status_code >= 300:
        error = error_for_response(response, endpoint, api_key)
        message = str(error)
        if error.kind == ErrorKind.AUTH and api_key:
            message = "The URL works, but the server rejected the API key (401): check the key."
        elif error.kind == ErrorKind.AUTH:
            message = "The URL works, but the server needs an API key (401): enter one."
        elif error.kind == ErrorKind.RATE_LIMITED:
            message = (
                "URL, key and model work, but the server is rate-limiting this key (429): "
                "wait and try again."
            )
        return ConnectionVerdict(False, message)
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if is_web_page(response):
        return ConnectionVerdict(False, web_page_message(url))
    if not isinstance(payload, dict) or "choices" not in payload:
        return ConnectionVerdict(
            False,
            "The URL answered, but not like a chat-completions endpoint: check the endpoint URL.",
        )
    answered = payload.get("model") if isinstance(payload.get("model"), str) else None
    return ConnectionVerdict(True, f"Connected: {answered or name} answered.")
