"""What a failed request means, in plain words: the HTTP status, the connection error, or the
server's own error text, each turned into a ``ChatError`` that says what to fix and whether
trying again can help."""

from __future__ import annotations

import ssl
from urllib.parse import urljoin, urlsplit

import httpx

from qagen_desktop.core.client.replies import ChatReply
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ErrorKind, RequestError
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

# Statuses worth trying again: the server may answer the same request later.
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


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
