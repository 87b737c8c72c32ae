"""Finding the request shape a server takes, one HTTP 400 at a time.

Structured output is asked for as ``json_schema``; a server that refuses it gets ``json_object``,
then the plain prompt. ``stream_options`` (usage in the stream) is dropped where refused. What a
server refused is held in one small state object, so a further fallback is one more field and
one more branch in ``after_refusal``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from qagen_desktop.core.errors import ErrorKind, RequestError


class ResponseMode(StrEnum):
    """How a request asks for JSON; the values are what settings.json stores per endpoint."""

    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    PLAIN = "plain"

    def fallback(self) -> ResponseMode | None:
        """The next mode to try when a server refuses this one; None after the plain prompt."""
        order = list(ResponseMode)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


def response_mode_or_default(value: object) -> ResponseMode:
    """A stored mode as the enum; json_schema for anything unknown (a damaged settings file)."""
    try:
        return ResponseMode(str(value))
    except ValueError:
        return ResponseMode.JSON_SCHEMA


@dataclass(frozen=True)
class RequestShape:
    """What a request carries that a server may refuse."""

    mode: ResponseMode
    include_usage: bool = True


@dataclass
class Negotiation:
    """What the server has refused so far, shared by every chunk of a run.

    ``confirmed`` is the mode of the first request that succeeded: it holds for the rest of the
    run, so a later 400 about something else is not read as a refusal of that mode.
    """

    mode: ResponseMode = ResponseMode.JSON_SCHEMA
    include_usage: bool = True
    confirmed: ResponseMode | None = None

    def shape(self) -> RequestShape:
        return RequestShape(self.mode, self.include_usage)

    def succeeded(self, shape: RequestShape) -> None:
        if self.confirmed is None:
            self.confirmed = shape.mode

    def after_refusal(self, error: RequestError, sent: RequestShape) -> str | None:
        """After a failed request sent as ``sent``: change what requests carry and return a
        notice ("" when nothing worth saying), or None when the error is not a refusal we can
        work around (then it is a real error)."""
        if error.kind != ErrorKind.BAD_REQUEST or error.status not in (400, 422):
            return None
        server_text = getattr(error, "server_text", "")
        if sent.include_usage and "stream_options" in server_text:
            self.include_usage = False
            return ""
        follow = sent.mode.fallback()
        if follow is not None and self.confirmed != sent.mode:
            if self.mode != sent.mode:
                return ""  # another chunk already moved on from the refused mode
            self.mode = follow
            name = "the plain prompt" if follow is ResponseMode.PLAIN else str(follow)
            return f"The server does not take {sent.mode} output; using {name}."
        if sent.include_usage:
            # Older servers reject stream_options without naming it.
            self.include_usage = False
            return ""
        return None
