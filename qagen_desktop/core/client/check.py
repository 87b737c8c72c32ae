"""The "Test connection" button: one one-token request, one line saying whether URL, key and
model work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from qagen_desktop.core.client.failures import error_for_exception, error_for_response
from qagen_desktop.core.client.transport import new_sync_client
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError, ErrorKind
from qagen_desktop.core.server_answers import is_web_page, web_page_message


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
    with new_sync_client(endpoint, timeout, transport) as client:
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
