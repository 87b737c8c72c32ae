"""Reading a reply: a stream of server-sent events (content and reasoning deltas, usage, error
events in the server's own words) or a plain JSON completion."""

from __future__ import annotations

import json
from typing import Any

import httpx
from httpx_sse import EventSource, SSEError

from qagen_desktop.core.client.failures import (
    RETRY_STATUSES,
    ChatError,
    error_for_exception,
)
from qagen_desktop.core.client.replies import ChatReply, ProgressCallback, StreamProgress, Usage
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ErrorKind
from qagen_desktop.core.server_answers import server_text
from qagen_desktop.core.serverinfo import context_overflow


async def read_events(
    response: httpx.Response,
    api_key: str | None,
    endpoint: Endpoint,
    on_progress: ProgressCallback | None = None,
) -> ChatReply:
    parts: list[str] = []
    thoughts: list[str] = []
    content_chars = reasoning_chars = 0
    finish: str | None = None
    usage: Usage | None = None
    done = False
    try:
        async for event in EventSource(response).aiter_sse():
            data = event.data.strip()
            if done or not data:
                continue  # read on to the end, so the connection can be used again
            if data == "[DONE]":
                done = True
                continue
            try:
                payload = json.loads(data)
            except ValueError:
                continue
            if not isinstance(payload, dict):
                continue
            if payload.get("error") or event.event == "error":
                raise _stream_error(payload, api_key)
            usage = Usage.from_json(payload.get("usage"), payload.get("timings")) or usage
            for choice in payload.get("choices") or ():
                if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta") or choice.get("message") or {}
                if isinstance(delta, dict):
                    text = _text_of(delta.get("content"))
                    thought = _text_of(delta.get("reasoning_content") or delta.get("reasoning"))
                    parts.append(text)
                    thoughts.append(thought)
                    content_chars += len(text)
                    reasoning_chars += len(thought)
                    if on_progress is not None and (text or thought):
                        on_progress(StreamProgress(content_chars, reasoning_chars))
                finish = choice.get("finish_reason") or finish
    except httpx.TransportError as exc:
        if not done and finish is None:
            # Cut off mid-reply (dropped or silent past the timeout): the complete pairs it
            # carried are worth keeping, like those of a reply cut at the token limit.
            error = error_for_exception(exc, endpoint)
            error.partial = ChatReply("".join(parts), "length", usage, "".join(thoughts))
            raise error from None
        # The reply was whole (its finish reason or [DONE] had come); only the end of the
        # connection went wrong.
    except SSEError:  # pragma: no cover - the content type was checked before
        pass
    return ChatReply("".join(parts), finish, usage, "".join(thoughts))


def _stream_error(payload: dict[str, Any], api_key: str | None) -> ChatError:
    """An error event inside a stream (llama.cpp, vLLM and OpenAI send ``{"error": {...}}`` as a
    data event), in the server's own words."""
    raw = json.dumps(payload)
    text = server_text(raw, api_key)
    overflow = context_overflow(None, raw)
    error = payload.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if overflow is not None:
        failure = ChatError(
            f"The text is too long for the model: lower the chunk size. The server said: {text}",
            kind=ErrorKind.TOO_LONG,
            server_text=text,
        )
        failure.overflow = overflow
        return failure
    if isinstance(code, int) and 400 <= code < 500 and code not in RETRY_STATUSES:
        return ChatError(
            f"The server refused the request while answering: {text}",
            kind=ErrorKind.BAD_REQUEST,
            status=code,
            server_text=text,
        )
    return ChatError(
        f"The server failed while answering: {text}",
        kind=ErrorKind.SERVER,
        retryable=True,
        server_text=text,
    )


def read_completion(text: str, api_key: str | None = None) -> ChatReply:
    """A non-streamed completion; a body that is not a completion is taken as the reply text."""
    try:
        payload = json.loads(text)
    except ValueError:
        return ChatReply(text, None, None)
    if isinstance(payload, dict) and payload.get("error") and not payload.get("choices"):
        # Some proxies answer 200 with an error object.
        said = server_text(text, api_key)
        raise ChatError(
            f"The server failed while answering: {said}",
            kind=ErrorKind.SERVER,
            retryable=True,
            server_text=said,
        )
    if not isinstance(payload, dict) or not isinstance(payload.get("choices"), list):
        return ChatReply(text, None, None)
    usage = Usage.from_json(payload.get("usage"))
    for choice in payload["choices"]:
        if isinstance(choice, dict) and choice.get("index", 0) == 0:
            message = choice.get("message") or choice.get("delta") or {}
            content = _text_of(message.get("content")) if isinstance(message, dict) else ""
            if not content and isinstance(choice.get("text"), str):
                content = choice["text"]
            return ChatReply(content, choice.get("finish_reason"), usage)
    return ChatReply("", None, usage)


def _text_of(content: object) -> str:
    """Message content as text: a string, or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text") or "") for part in content if isinstance(part, dict))
    return ""
