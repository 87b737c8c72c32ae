"""Errors that carry one plain sentence a person can act on.

Every message here may be shown in the window or printed by ``qagen``; none ever holds the API key
(``redact`` is applied to anything that echoes a server's words).
"""

from __future__ import annotations

import re
from enum import StrEnum


class QagenError(Exception):
    """Base class: ``str(error)`` is a one-line message that names the fix."""


class ConfigError(QagenError):
    """Bad configuration or usage (a malformed URL, an invalid option): ``qagen`` exits 2."""


class ContextFileError(ConfigError):
    """A context file that is missing, empty, binary or not UTF-8."""


class ErrorKind(StrEnum):
    """Why a request or a chunk failed. The values are the words logs and tests have always used."""

    # A request's failure, as the client classifies the server's answer.
    AUTH = "auth"  # 401: no key, or the key was rejected
    FORBIDDEN = "forbidden"  # 403
    NOT_FOUND = "not_found"  # 404: URL, deployment or api-version
    BAD_REQUEST = "bad_request"  # 400/422 that no fallback fixes
    TOO_LONG = "too_long"  # the request is longer than the model's context
    FILTERED = "filtered"  # the provider's content filter
    RATE_LIMITED = "rate_limited"  # 429
    SERVER = "server"  # 408, 409, 5xx, a broken stream
    TIMEOUT = "timeout"  # silence longer than the timeout
    CONNECT = "connect"  # nothing answering
    DNS = "dns"
    TLS = "tls"
    REDIRECT = "redirect"  # a redirect, never followed: the key stays with its host
    # A run's verdict on a chunk.
    QUOTA = "quota"  # the server asks for a wait over the quota cap
    MALFORMED = "malformed"  # replies that could not be read as pairs
    TRUNCATED = "truncated"  # replies cut off at the token limit
    DUPLICATES = "duplicates"  # the model repeated questions already asked
    SHORT = "short"  # fewer pairs than asked
    REJECTED = "rejected"  # pairs that failed a check
    STOPPED = "stopped"  # another chunk's failure ended the run
    CANCELLED = "cancelled"  # the person cancelled
    INTERNAL = "internal"  # a bug, reported on its chunk


class RequestError(QagenError):
    """A request that failed for good (after any retries); ``kind`` says why."""

    def __init__(self, message: str, *, kind: ErrorKind, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_HEADER = re.compile(r"(?i)((?:api-key|authorization|x-api-key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+")


def redact(text: str, secret: str | None = None) -> str:
    """Remove the key (and anything shaped like an auth header) from text meant for people."""
    if secret:
        text = text.replace(secret, "[redacted]")
    text = _BEARER.sub(r"\1[redacted]", text)
    return _HEADER.sub(r"\1[redacted]", text)
