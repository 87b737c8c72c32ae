"""One chat-completions request, and what its failures mean in plain words.

``send_chat`` sends one request (streamed replies read as server-sent events, anything else as a
plain JSON completion) and returns the reply's text, finish reason and token usage, or raises a
``ChatError`` that says what to fix and whether trying again can help. ``check_connection`` is the
"Test connection" button: one one-token request, one line saying whether URL, key and model work.
Redirects are never followed, so the key only ever goes to the configured host.
"""

from qagen_desktop.core.client.check import ConnectionVerdict, check_connection
from qagen_desktop.core.client.failures import (
    RETRY_STATUSES,
    ChatError,
    error_for_exception,
    error_for_response,
)
from qagen_desktop.core.client.replies import ChatReply, ProgressCallback, StreamProgress, Usage
from qagen_desktop.core.client.transport import (
    KEEPALIVE_EXPIRY,
    USER_AGENT,
    new_async_client,
    send_chat,
)
from qagen_desktop.core.server_answers import retry_after_seconds

__all__ = [
    "KEEPALIVE_EXPIRY",
    "RETRY_STATUSES",
    "USER_AGENT",
    "ChatError",
    "ChatReply",
    "ConnectionVerdict",
    "ProgressCallback",
    "StreamProgress",
    "Usage",
    "check_connection",
    "error_for_exception",
    "error_for_response",
    "new_async_client",
    "retry_after_seconds",
    "send_chat",
]
