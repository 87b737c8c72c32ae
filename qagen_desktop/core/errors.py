"""Errors that carry one plain sentence a person can act on.

Every message here may be shown in the window or printed by ``qagen``; none ever holds the API key
(``redact`` is applied to anything that echoes a server's words).
"""

from __future__ import annotations

import re


class QagenError(Exception):
    """Base class: ``str(error)`` is a one-line message that names the fix."""


class ConfigError(QagenError):
    """Bad configuration or usage (a malformed URL, an invalid option): ``qagen`` exits 2."""


class ContextFileError(ConfigError):
    """A context file that is missing, empty, binary or not UTF-8."""


class RequestError(QagenError):
    """A request that failed for good (after any retries).

    ``kind`` is one of: auth, forbidden, not_found, bad_request, filtered, quota, connect, dns, tls,
    timeout, server, malformed, redirect, cancelled.
    """

    def __init__(self, message: str, *, kind: str, status: int | None = None) -> None:
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
