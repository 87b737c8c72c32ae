"""The body of one request for pairs: the messages, and the bounds that keep its reply short.

A weak model that is not told where to stop writes on to the end of the server's context (3,000
tokens of nothing, per request). So every request carries a token limit sized to the pairs it
asks for, and a JSON schema, where the server takes one, bounded to exactly that many pairs of
bounded length: llama.cpp turns it into a grammar that ends the reply there.
"""

from __future__ import annotations

from typing import Any

from qagen_desktop.core.generation.config import RunConfig
from qagen_desktop.core.generation.negotiation import RequestShape, ResponseMode
from qagen_desktop.core.prompts import build_messages, response_format

# Tokens a reply may spend besides its pairs: the JSON around them, a model's short preface.
REPLY_ALLOWANCE_TOKENS = 64


def reply_token_limit(pairs: int, tokens_per_pair: int) -> int | None:
    """The token limit of a reply that asks for ``pairs``; None when no limit is wanted."""
    if tokens_per_pair <= 0:
        return None
    return REPLY_ALLOWANCE_TOKENS + pairs * tokens_per_pair


def pairs_body(
    config: RunConfig,
    text: str,
    need: int,
    shape: RequestShape,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The chat request for ``need`` pairs from ``text``, carrying what ``shape`` says the
    server takes. ``extra``: fields for this server alone (Ollama's ``options``)."""
    body: dict[str, Any] = {
        "messages": build_messages(config.prompt_template, config.system_message, text, need),
        "stream": True,
    }
    if config.endpoint.model:
        body["model"] = config.endpoint.model
    if shape.include_usage:
        body["stream_options"] = {"include_usage": True}
    limit = reply_token_limit(need, config.max_tokens_per_pair)
    if limit is not None and shape.token_field is not None:
        body[shape.token_field] = limit
    bounded = shape.mode is ResponseMode.JSON_SCHEMA and shape.schema_bounds
    form = response_format(shape.mode, need if bounded else None)
    if form is not None:
        body["response_format"] = form
    if extra:
        body.update(extra)
    return body
