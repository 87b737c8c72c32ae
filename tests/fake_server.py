"""A real OpenAI-compatible chat-completions server on 127.0.0.1 for tests and benchmarks.

It answers with as many pairs as the prompt asks for ("Generate N question-answer pairs"), unique
and derived from the text between the prompt's triple quotes (``fake_pairs``), in every reply
shape real servers use, streamed (server-sent events) or not. With ``mix_bad`` it mixes bad pairs
of every kind into its replies (``fake_pairs.PairKind``; ``pair_kinds`` tells which is which),
and it answers judge requests (the ratings schema, or a prompt asking for ``{"ratings": ...}``)
with scores: low for the bad pairs, high for the good. A script can make any request slow,
rate-limited, failed, cut at the token limit, malformed, hanging or redirected. It records every
request and counts requests in flight.

    with FakeLLMServer(shape="fenced") as server:
        Endpoint(url=server.url) ...

Also a pytest fixture, ``llm_server`` (registered by ``pytest_plugins`` in conftest.py).
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fake_pairs import (
    BAD_KINDS,
    PairKind,
    bad_pair,
    is_judge_request,
    make_pairs,
    pairs_to_rate,
    rate,
)

SHAPES = ("object", "any_key", "bare_array", "fenced", "prose", "think", "lines")
KINDS = (
    "ok",
    "status",
    "hang",
    "broken_json",
    "cut",
    "redirect",
    "filtered",
    "drop",
    "duplicates",
    "stall",
    "break",
)
HANG_CAP = 60.0
_ANY_KEYS = ("items", "data", "qa_pairs", "questions", "results")
_GENERATE = re.compile(r"Generate\s+(\d+)\s+question-answer pairs", re.IGNORECASE)
_QUOTED = re.compile(r'"""\n?(.*?)\n?"""', re.DOTALL)
# At most this many bad pairs in one reply, and never more than half of it, so every chunk gets
# its good pairs within a few re-asks (5 of 40, 2 of 5, 1 of 2, none of 1).
MAX_BAD_PER_REPLY = 5


@dataclass
class Reply:
    """What one request gets; a script returning None means a normal answer.

    kind: ok | status | hang | broken_json | cut | redirect | filtered | drop | duplicates |
    stall | break ("duplicates": the second half of the pairs repeat the first half, differently
    spelt; "stall" and "break" stream part of the reply, then go silent or close the connection).
    """

    kind: str = "ok"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    shape: str | None = None
    stream: bool | None = None
    delay: float = 0.0
    location: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown reply kind {self.kind!r}")


@dataclass
class RecordedRequest:
    """One request as the server saw it (header names in lower case)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    @property
    def prompt(self) -> str:
        """The last user message's text."""
        for message in reversed(self.body.get("messages") or []):
            if isinstance(message, dict) and message.get("role") == "user":
                return str(message.get("content") or "")
        return ""

    @property
    def is_judge(self) -> bool:
        """Whether this asked for ratings of pairs rather than for pairs."""
        return is_judge_request(self.body)

    @property
    def asked(self) -> int:
        """How many pairs the prompt asked for (0 when it did not say)."""
        match = _GENERATE.search(self.prompt)
        return int(match.group(1)) if match else 0


Script = Callable[[int, dict[str, Any]], "Reply | None"]


class FakeLLMServer:
    """The server; start()/stop() or use it as a context manager.

    ``shape``, ``stream``, ``latency`` and ``script`` may be changed while it runs.
    ``api_key``: when set, requests without it (Bearer or api-key) get 401.
    ``models``: when set, a request for another model gets 404 model_not_found.
    ``reject_stream_options``: a 400 for requests carrying ``stream_options`` (older servers).
    ``mix_bad``: replies mix in bad pairs of every kind; ``pair_kinds`` maps every
    (question, answer) given to its ``PairKind``.
    ``port``: 0 picks a free one.
    """

    def __init__(
        self,
        *,
        shape: str = "object",
        stream: bool | None = None,
        latency: float = 0.0,
        script: Script | None = None,
        reject_response_formats: tuple[str, ...] = (),
        api_key: str | None = None,
        models: tuple[str, ...] | None = None,
        reject_stream_options: bool = False,
        mix_bad: bool = False,
        port: int = 0,
    ) -> None:
        if shape not in SHAPES:
            raise ValueError(f"unknown shape {shape!r}")
        self.shape = shape
        self.stream = stream
        self.latency = latency
        self.script = script
        self.reject_response_formats = tuple(reject_response_formats)
        self.api_key = api_key
        self.models = models
        self.reject_stream_options = reject_stream_options
        self.mix_bad = mix_bad
        self._port = port
        self.pair_kinds: dict[tuple[str, str], PairKind] = {}
        self._bad_turn = 0
        self.requests: list[RecordedRequest] = []
        self.max_in_flight = 0
        self.in_flight = 0
        self.request_count = 0
        self.connection_count = 0
        # Sum of the usage reported in every reply that carried pairs.
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.total_tokens = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        # Numbers every pair the server ever gives, so no two replies repeat a question.
        self._next_point = 1
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_url(self) -> str:
        return self.url + "/chat/completions"

    @property
    def base(self) -> str:
        """Scheme and host only (for Azure-style base URLs)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeLLMServer:
        self._stopped.clear()
        httpd = _Server(("127.0.0.1", self._port), _Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        httpd.fake = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging and delayed handlers are released at once."""
        self._stopped.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling --------------------------------------------------------------------

    def _handle(self, handler: _Handler, method: str) -> None:
        parts = urlsplit(handler.path)
        raw = b""
        length = int(handler.headers.get("content-length") or 0)
        if length:
            raw = handler.rfile.read(length)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        recorded = RecordedRequest(
            method=method,
            path=parts.path,
            query=parts.query,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(recorded)
            self.request_count += 1
            number = self.request_count
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._answer(handler, method, recorded, number)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            handler.close_connection = True
        finally:
            with self._lock:
                self.in_flight -= 1

    def _authorised(self, req: RecordedRequest) -> bool:
        if self.api_key is None:
            return True
        bearer = req.headers.get("authorization", "")
        token = bearer[7:] if bearer[:7].lower() == "bearer " else ""
        given = req.headers.get("api-key") or token
        return given == self.api_key

    def _answer(self, h: _Handler, method: str, req: RecordedRequest, number: int) -> None:
        if method == "GET" and req.path.endswith("/models"):
            names = self.models or ("fake-model",)
            data = [{"id": name, "object": "model"} for name in names]
            _send_json(h, 200, {"object": "list", "data": data})
            return
        if method != "POST" or not req.path.endswith("/chat/completions"):
            _send_json(h, 404, _error("Resource not found", "not_found", "404"))
            return
        if not self._authorised(req):
            _send_json(h, 401, _error("Incorrect API key provided.", "invalid_api_key", "401"))
            return
        model = str(req.body.get("model") or "")
        if self.models is not None and model not in self.models:
            message = f"The model `{model}` does not exist or you do not have access to it."
            _send_json(h, 404, _error(message, "model_not_found", "model_not_found"))
            return
        response_format = req.body.get("response_format")
        if isinstance(response_format, dict) and response_format.get("type") in (
            self.reject_response_formats
        ):
            message = f"response_format type '{response_format.get('type')}' is not supported"
            _send_json(h, 400, _error(message, "invalid_request_error", None, "response_format"))
            return
        if self.reject_stream_options and "stream_options" in req.body:
            message = "Unrecognized request argument supplied: stream_options"
            _send_json(h, 400, _error(message, "invalid_request_error", None, "stream_options"))
            return

        script = self.script
        reply = script(number, req.body) if script is not None else None
        if reply is None:
            reply = Reply()
        if not self._wait(h, self.latency + reply.delay):
            h.close_connection = True
            return

        if reply.kind == "status":
            body = reply.body if reply.body is not None else json.dumps(_status_error(reply.status))
            _send(h, reply.status, body.encode(), "application/json", reply.headers)
        elif reply.kind == "hang":
            self._wait(h, HANG_CAP)
            h.close_connection = True
        elif reply.kind == "drop":
            h.close_connection = True
        elif reply.kind == "redirect":
            headers = {"location": reply.location, **reply.headers}
            _send(h, 307, b"", "text/plain", headers)
        elif reply.kind == "filtered":
            message = (
                "The response was filtered due to the prompt triggering Azure OpenAI's content "
                "management policy."
            )
            error = _error(message, None, "content_filter", "prompt")
            error["error"]["status"] = 400
            _send_json(h, 400, error)
        elif req.is_judge:
            self._answer_judge(h, req, reply, number)
        else:
            self._answer_pairs(h, req, reply, number)

    def _answer_judge(self, h: _Handler, req: RecordedRequest, reply: Reply, number: int) -> None:
        context = _context_of(req.prompt)
        with self._lock:
            kinds = dict(self.pair_kinds)
        ratings = rate(pairs_to_rate(req.prompt), context, kinds)
        content = render_ratings(ratings, reply.shape or self.shape)
        self._send_content(h, req, reply, number, content, "stop")

    def _answer_pairs(self, h: _Handler, req: RecordedRequest, reply: Reply, number: int) -> None:
        asked = req.asked or 3
        context = _context_of(req.prompt)
        kind = reply.kind
        if kind == "duplicates":
            unique = self._make_pairs(context, (asked + 1) // 2)
            repeats = [(_respell(q), a) for q, a in unique[: asked - len(unique)]]
            pairs = unique + repeats
        elif self.mix_bad and kind == "ok":
            pairs = self._mixed_pairs(context, asked)
        else:
            pairs = self._make_pairs(context, asked)
        shape = reply.shape or self.shape
        content = render_shape(pairs, shape, number)
        self._send_content(h, req, reply, number, content, "stop", pairs)

    def _send_content(
        self,
        h: _Handler,
        req: RecordedRequest,
        reply: Reply,
        number: int,
        content: str,
        finish: str,
        pairs: list[tuple[str, str]] | None = None,
    ) -> None:
        kind = reply.kind
        if kind in ("cut", "stall", "break"):
            content = _cut(content, pairs or [])
            finish = "length"
        elif kind == "broken_json":
            content = '{"pairs": [[[ question ::: answer }}} not json <<<'
        usage = {
            "prompt_tokens": max(1, len(req.prompt) // 4),
            "completion_tokens": max(1, len(content) // 4),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        with self._lock:
            self.prompt_tokens += usage["prompt_tokens"]
            self.completion_tokens += usage["completion_tokens"]
            self.total_tokens += usage["total_tokens"]
        model = str(req.body.get("model") or "fake-model")
        stream = reply.stream
        if stream is None:
            stream = self.stream if self.stream is not None else bool(req.body.get("stream"))
        if kind in ("stall", "break"):
            _send_stream(h, model, content, finish, usage, reply.headers, ending=kind)
            if kind == "stall":
                self._wait(h, HANG_CAP)
            h.close_connection = True
        elif stream:
            _send_stream(h, model, content, finish, usage, reply.headers)
        else:
            completion = {
                "id": f"chatcmpl-fake-{number}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": finish,
                    }
                ],
                "usage": usage,
            }
            _send(h, 200, json.dumps(completion).encode(), "application/json", reply.headers)

    def _make_pairs(self, context: str, count: int) -> list[tuple[str, str]]:
        """``count`` good pairs never given before, built from the words of ``context``."""
        with self._lock:
            first = self._next_point
            self._next_point += count
            pairs = make_pairs(context, first, count)
            for pair in pairs:
                self.pair_kinds.setdefault(pair, PairKind.GOOD)
        return pairs

    def _mixed_pairs(self, context: str, count: int) -> list[tuple[str, str]]:
        """``count`` pairs, up to ``MAX_BAD_PER_REPLY`` of them bad (at most half), each after a
        good one, the kinds taken in turn over the server's life."""
        bad = min(MAX_BAD_PER_REPLY, count // 2)
        good = self._make_pairs(context, count - bad)
        pairs = list(good)
        with self._lock:
            for slot in range(bad):
                number = self._next_point
                self._next_point += 1
                turn = self._bad_turn
                self._bad_turn += 1
                earlier = good[min(slot, len(good) - 1)]
                kind = BAD_KINDS[turn % len(BAD_KINDS)]
                question, answer, made = bad_pair(kind, context, number, earlier, turn // 5)
                self.pair_kinds.setdefault((question, answer), made)
                pairs.insert(2 * slot + 1, (question, answer))
        return pairs

    def _wait(self, h: _Handler, seconds: float) -> bool:
        """Wait, interruptibly: False when the server stops or the client goes away."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            if self._stopped.wait(min(left, 0.05)):
                return False
            if _client_gone(h.connection):
                return False


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops the SYNs of a larger burst of new connections,
    # and the kernel resends them a whole second later.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client closing a kept-alive connection is normal; anything else is a bug to see.
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        fake = self.server.fake  # type: ignore[attr-defined]
        with fake._lock:
            fake.connection_count += 1
        # Streamed replies are many small writes: without this, Nagle's algorithm and delayed
        # ACKs add tens of milliseconds to each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        self.server.fake._handle(self, "POST")  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self.server.fake._handle(self, "GET")  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass


# -- reply shapes --------------------------------------------------------------------------


def render_shape(pairs: list[tuple[str, str]], shape: str, number: int = 1) -> str:
    """The reply text of one shape holding ``pairs``."""
    items = [{"question": q, "answer": a} for q, a in pairs]
    if shape == "object":
        return json.dumps({"pairs": items})
    if shape == "any_key":
        return json.dumps({_ANY_KEYS[number % len(_ANY_KEYS)]: items})
    if shape == "bare_array":
        return json.dumps(items, indent=1)
    if shape == "fenced":
        block = json.dumps({"pairs": items}, indent=2)
        return (
            f"Sure! Here are {len(items)} pairs from the text:\n\n```json\n{block}\n```\n\n"
            "Let me know if you need more."
        )
    if shape == "prose":
        return f"Here is what I came up with: {json.dumps({'pairs': items})} I hope these help!"
    if shape == "think":
        thoughts = (
            f"The user wants {len(items)} pairs. I should read the text carefully,\n"
            "pick facts it states, and answer from the text only."
        )
        return f"<think>\n{thoughts}\n</think>\n\n{json.dumps({'pairs': items})}"
    if shape == "lines":
        blocks = []
        for index, (question, answer) in enumerate(pairs):
            if index % 2:
                head, _, tail = answer.partition(", ")
                blocks.append(f"question: {question}\nanswer: {head},\n{tail}")
            else:
                blocks.append(f"Question: {question}\nAnswer: {answer}")
        return "\n\n".join(blocks)
    raise ValueError(f"unknown shape {shape!r}")


def render_ratings(ratings: list[dict[str, Any]], shape: str) -> str:
    """A judge's reply holding ``ratings``, in the way the given reply shape writes JSON."""
    block = json.dumps({"ratings": ratings})
    if shape == "fenced":
        return f"Here are my ratings:\n\n```json\n{block}\n```"
    if shape == "prose":
        return f"After reading the text, my ratings are {block} as requested."
    if shape == "think":
        return f"<think>\nCheck each answer against the text.\n</think>\n\n{block}"
    return block


def _cut(content: str, pairs: list[tuple[str, str]]) -> str:
    """The reply stopped at the token limit in the middle of the second-last pair's question."""
    victim = pairs[max(0, len(pairs) - 2)][0] if pairs else ""
    at = content.find(victim) if victim else -1
    if at < 0:
        return content[: len(content) // 2]
    return content[: at + len(victim) // 2]


def _respell(question: str) -> str:
    """The same question after normalising case, spacing and punctuation, spelt differently."""
    return "  " + question.upper().replace("?", " ?!").replace(",", "") + " "


def _context_of(prompt: str) -> str:
    match = _QUOTED.search(prompt)
    return match.group(1) if match else prompt


def _error(
    message: str, type_: str | None, code: str | None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _status_error(status: int) -> dict[str, Any]:
    messages = {
        400: "Bad request.",
        401: "Incorrect API key provided.",
        403: "You are not allowed to use this resource.",
        404: "Resource not found.",
        408: "Request timed out.",
        409: "Conflict.",
        429: "Rate limit reached. Please retry after a while.",
        500: "The server had an error while processing your request.",
        502: "Bad gateway.",
        503: "The server is overloaded.",
    }
    return _error(messages.get(status, f"Error {status}."), "fake_error", str(status))


# -- HTTP writing ----------------------------------------------------------------------------


def _send(
    h: _Handler, status: int, body: bytes, content_type: str, headers: dict[str, str]
) -> None:
    h.send_response(status)
    h.send_header("content-type", content_type)
    h.send_header("content-length", str(len(body)))
    for name, value in headers.items():
        h.send_header(name, value)
    h.end_headers()
    h.wfile.write(body)
    h.wfile.flush()


def _send_json(h: _Handler, status: int, payload: dict[str, Any]) -> None:
    _send(h, status, json.dumps(payload).encode(), "application/json", {})


def _send_stream(
    h: _Handler,
    model: str,
    content: str,
    finish: str,
    usage: dict[str, int],
    headers: dict[str, str],
    *,
    ending: str = "done",
) -> None:
    """Stream ``content`` as SSE deltas; ``ending`` other than "done" stops after the content,
    with no finish_reason, usage or [DONE] (the caller then stalls or drops the connection)."""
    h.send_response(200)
    h.send_header("content-type", "text/event-stream; charset=utf-8")
    h.send_header("transfer-encoding", "chunked")
    h.send_header("cache-control", "no-cache")
    for name, value in headers.items():
        h.send_header(name, value)
    h.end_headers()
    created = int(time.time())

    def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        payload = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": choices,
            **extra,
        }
        return f"data: {json.dumps(payload)}\n\n".encode()

    def write(data: bytes) -> None:
        h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        h.wfile.flush()

    write(event([{"index": 0, "delta": {"role": "assistant", "content": ""}}]))
    for piece in _pieces(content):
        write(event([{"index": 0, "delta": {"content": piece}, "finish_reason": None}]))
    if ending != "done":
        return
    write(event([{"index": 0, "delta": {}, "finish_reason": finish}]))
    write(event([], usage=usage))
    write(b"data: [DONE]\n\n")
    h.wfile.write(b"0\r\n\r\n")
    h.wfile.flush()


def _pieces(content: str) -> Iterator[str]:
    """Small deltas of varying size, as a model streams them."""
    sizes = (7, 3, 12, 5, 16, 9)
    at = 0
    turn = 0
    while at < len(content):
        size = sizes[turn % len(sizes)]
        yield content[at : at + size]
        at += size
        turn += 1


def _client_gone(connection: socket.socket) -> bool:
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        if not readable:
            return False
        return connection.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


try:
    import pytest
except ImportError:  # the benchmark runs without pytest too
    pass
else:

    @pytest.fixture
    def llm_server() -> Iterator[FakeLLMServer]:
        """A started FakeLLMServer with default settings, stopped after the test."""
        server = FakeLLMServer().start()
        try:
            yield server
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl+C, to try the app or ``qagen`` without a model."""
    import argparse

    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible chat server.")
    parser.add_argument("--port", type=int, default=5272)
    parser.add_argument("--shape", choices=SHAPES, default="object")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds before each reply")
    parser.add_argument(
        "--bad-pairs", action="store_true", help="mix bad pairs of every kind into the replies"
    )
    args = parser.parse_args(argv)
    with FakeLLMServer(
        shape=args.shape, latency=args.latency, port=args.port, mix_bad=args.bad_pairs
    ) as server:
        print(f"Serving {server.chat_url} (Ctrl+C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
