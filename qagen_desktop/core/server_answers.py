"""What a server's failed answer says: its error code and message, whether it is a web page,
the likely fix for a 404, and the wait it asks for. Plain functions over an httpx response;
``client`` turns them into a ``ChatError`` with one sentence that names the fix.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import redact

_SERVER_TEXT_LIMIT = 200


def is_web_page(response: httpx.Response) -> bool:
    """True when the body is an HTML page (a web server or a proxy), not an API's JSON."""
    if "html" in response.headers.get("content-type", "").lower():
        return True
    start = response.text[:200].lstrip().lower()
    return start.startswith(("<!doctype html", "<html"))


def web_page_message(url: str) -> str:
    """One line for a URL where a web page answers instead of a chat-completions API."""
    parts = urlsplit(url)
    where = f"{parts.scheme}://{parts.netloc}/..." if parts.netloc else "The URL"
    return (
        f"{where} answered with a web page, not a chat-completions API: check the endpoint "
        "URL (it usually ends in /v1 or /v1/chat/completions)."
    )


def not_found_message(endpoint: Endpoint, url: str) -> str:
    """A 404 that is not about the model: say the likely fix for this kind of endpoint."""
    if endpoint.provider == "azure":
        return "Not found (404): check the URL, the deployment name and the api-version."
    path = urlsplit(url).path
    if "/v1/" not in path + "/":
        parts = urlsplit(url)
        suggested = f"{parts.scheme}://{parts.netloc}/v1/chat/completions"
        return (
            f"Not found (404): the URL may be missing /v1 (try {suggested}); "
            "else check the model name."
        )
    return "Not found (404): check the endpoint URL and the model name."


def about_model(text: str, code: str | None) -> bool:
    lowered = text.lower()
    if code in ("model_not_found",):
        return True
    return "model" in lowered and "deployment" not in lowered


def error_code(body: str) -> str | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        inner = error.get("innererror")
        if isinstance(inner, dict) and inner.get("code") == "ResponsibleAIPolicyViolation":
            return "content_filter"
        return str(code) if code is not None else None
    return None


def server_text(body: str, api_key: str | None) -> str:
    """What the server said, on one line, short and without the key."""
    text = body
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict) and error.get("message"):
            text = str(error["message"])
        elif isinstance(error, str):
            text = error
        elif isinstance(payload.get("message"), str):
            text = payload["message"]
        elif isinstance(payload.get("detail"), str):
            text = payload["detail"]
    text = " ".join(redact(text, api_key).split())
    if len(text) > _SERVER_TEXT_LIMIT:
        text = text[: _SERVER_TEXT_LIMIT - 1] + "…"
    return text


def retry_after_seconds(headers: httpx.Headers, now: float | None = None) -> float | None:
    """The wait a server asks for: ``retry-after-ms``, else ``retry-after`` (seconds or date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
