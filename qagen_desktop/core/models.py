"""The models a server offers, from its ``/v1/models`` list (Ollama, LM Studio, vLLM, llama.cpp's
server and OpenAI all answer it), so a person can pick one instead of typing it.

Only a help for the model field: "Test connection" still proves the chat path itself. Azure has
no such list for a resource's deployments under the same key, so it is not asked.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from qagen_desktop.core.client import (
    error_for_exception,
    error_for_response,
)
from qagen_desktop.core.client.transport import new_sync_client
from qagen_desktop.core.endpoint import CHAT_PATH, Endpoint
from qagen_desktop.core.errors import ConfigError, ErrorKind, RequestError
from qagen_desktop.core.server_answers import is_web_page, web_page_message

MODELS_PATH = "/models"


def models_url(endpoint: Endpoint) -> str:
    """``.../v1/models`` beside the endpoint's chat-completions URL."""
    if endpoint.provider == "azure":
        raise ConfigError("Azure lists deployments in its portal, not here: type the name.")
    parts = urlsplit(endpoint.chat_url())
    base = parts.path[: -len(CHAT_PATH)] if parts.path.endswith(CHAT_PATH) else parts.path
    return urlunsplit((parts.scheme, parts.netloc, base.rstrip("/") + MODELS_PATH, parts.query, ""))


def list_models(
    endpoint: Endpoint,
    api_key: str | None,
    *,
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> list[str]:
    """The model ids the server lists, sorted; RequestError (one plain line) when it cannot."""
    url = models_url(endpoint)
    with new_sync_client(endpoint, timeout, transport) as client:
        try:
            response = client.get(url, headers=endpoint.auth_headers(api_key))
        except httpx.HTTPError as exc:
            raise error_for_exception(exc, endpoint) from None
    if response.status_code >= 300:
        raise error_for_response(response, endpoint, api_key)
    if is_web_page(response):
        raise RequestError(web_page_message(url), kind=ErrorKind.NOT_FOUND)
    try:
        payload = response.json()
    except ValueError:
        payload = None
    ids = _model_ids(payload)
    if ids is None:
        raise RequestError(
            "The server answered, but with no model list: type the model name.",
            kind=ErrorKind.BAD_REQUEST,
        )
    return sorted(set(ids), key=str.lower)


def _model_ids(payload: Any) -> list[str] | None:
    """OpenAI's ``{"data": [{"id": ...}]}``; Ollama's native ``{"models": [{"name": ...}]}``."""
    if not isinstance(payload, dict):
        return None
    for key, field in (("data", "id"), ("models", "name")):
        entries = payload.get(key)
        if isinstance(entries, list):
            return [
                str(entry[field])
                for entry in entries
                if isinstance(entry, dict) and isinstance(entry.get(field), str | int)
            ]
    return None
