"""The HTTP client every request goes through, and ``send_chat``: one chat request sent, its reply
read (streamed as server-sent events or whole). Redirects are never followed, so the key only
ever goes to the configured host."""

from __future__ import annotations

import functools
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx

from qagen_desktop import __version__
from qagen_desktop.core.client.failures import error_for_exception, error_for_response
from qagen_desktop.core.client.replies import ChatReply, ProgressCallback
from qagen_desktop.core.client.stream import read_completion, read_events
from qagen_desktop.core.endpoint import Endpoint, is_loopback
from qagen_desktop.core.errors import ConfigError

USER_AGENT = f"qagen-desktop/{__version__}"
# How long an idle connection is kept for the next request. Below the 5 s after which llama.cpp
# (cpp-httplib), uvicorn (vLLM) and Node close one: a request sent on a connection the server is
# closing at that moment gets no answer at all.
KEEPALIVE_EXPIRY = 2.0


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
        verify=_verify(endpoint, transport),
    )


def new_sync_client(
    endpoint: Endpoint, timeout: float, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """The client of the one-off requests beside a run (Test connection, the model list): the
    same rules as ``new_async_client``, redirects never followed."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        transport=transport,
        headers={"user-agent": USER_AGENT},
        trust_env=_use_environment(endpoint, transport),
        verify=_verify(endpoint, transport),
    )


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """httpx's default certificate checks, built once: loading the CA bundle takes a noticeable
    fraction of a second, and every run and every "Test connection" makes a new client."""
    return httpx.create_ssl_context()


def _verify(endpoint: Endpoint | None, transport: object) -> ssl.SSLContext | bool:
    """The certificate checks, where a connection can use TLS. Plain http to this machine never
    does (no proxy either: ``_use_environment``), and loading the CA bundle holds the GIL for
    some 50 ms: a stall of the window at the start of every run against a local server."""
    if endpoint is not None and not _use_environment(endpoint, transport):
        try:
            if urlsplit(endpoint.chat_url()).scheme == "http":
                return False
        except ConfigError:
            pass
    return _tls_context()


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
                    return await read_events(response, api_key, endpoint, on_progress)
                await response.aread()
                return read_completion(response.text, api_key)
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
