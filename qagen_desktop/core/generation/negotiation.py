"""Finding the request shape a server takes, one HTTP 400 at a time.

Structured output is asked for as ``json_schema``; a server that refuses it gets ``json_object``,
then the plain prompt. ``stream_options`` (usage in the stream) is dropped where refused, and so
are the reply bounds (``Refusal``): ``max_tokens`` gives way to ``max_completion_tokens`` (OpenAI's
reasoning models take only that), then to no limit; the schema's ``minItems``/``maxItems``/
``maxLength`` are left out for a server that names one of them. What a server refused is held
in one small state object, so a further fallback is one more field and one more branch in
``after_refusal``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from qagen_desktop.core.errors import ErrorKind, RequestError


class Refusal(StrEnum):
    """A part of the request a server refused; the values are what settings.json stores."""

    MAX_TOKENS = "max_tokens"
    MAX_COMPLETION_TOKENS = "max_completion_tokens"
    SCHEMA_BOUNDS = "schema_bounds"


# The schema keywords that bound a reply; a 400 naming one refuses them all.
SCHEMA_BOUND_KEYWORDS = ("minItems", "maxItems", "maxLength")


def refusals_from(values: object) -> frozenset[Refusal]:
    """Stored refusals as the enum; anything unknown is dropped (a damaged settings file)."""
    if not isinstance(values, (list, tuple, set, frozenset)):
        return frozenset()
    return frozenset(Refusal(str(v)) for v in values if str(v) in set(Refusal))


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
    refused: frozenset[Refusal] = frozenset()

    @property
    def token_field(self) -> str | None:
        """The name under which the reply's token limit is sent; None for no limit."""
        if Refusal.MAX_TOKENS not in self.refused:
            return "max_tokens"
        if Refusal.MAX_COMPLETION_TOKENS not in self.refused:
            return "max_completion_tokens"
        return None

    @property
    def schema_bounds(self) -> bool:
        return Refusal.SCHEMA_BOUNDS not in self.refused


@dataclass
class Negotiation:
    """What the server has refused so far, shared by every chunk of a run.

    ``confirmed`` is the mode of the first request that succeeded: it holds for the rest of the
    run, so a later 400 about something else is not read as a refusal of that mode.
    """

    mode: ResponseMode = ResponseMode.JSON_SCHEMA
    include_usage: bool = True
    confirmed: ResponseMode | None = None
    refused: frozenset[Refusal] = frozenset()

    def shape(self) -> RequestShape:
        return RequestShape(self.mode, self.include_usage, self.refused)

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
        bound = self._refused_bound(server_text, sent)
        if bound is not None:
            if bound in self.refused:
                return ""  # another chunk met the same refusal first
            self.refused = self.refused | {bound}
            return _BOUND_NOTICES[bound]
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

    def _refused_bound(self, server_text: str, sent: RequestShape) -> Refusal | None:
        """The reply bound a 400 names, if the request carried it."""
        field = sent.token_field
        if field is not None and field in server_text:
            return Refusal(field)
        schema_sent = sent.mode is ResponseMode.JSON_SCHEMA and sent.schema_bounds
        if schema_sent and any(word in server_text for word in SCHEMA_BOUND_KEYWORDS):
            return Refusal.SCHEMA_BOUNDS
        return None


_BOUND_NOTICES = {
    Refusal.MAX_TOKENS: "The server does not take max_tokens; trying max_completion_tokens.",
    Refusal.MAX_COMPLETION_TOKENS: (
        "The server takes no reply length limit; replies may run long (the server's own cap holds)."
    ),
    Refusal.SCHEMA_BOUNDS: (
        "The server does not take item counts or string lengths in the schema; sending it without."
    ),
}
