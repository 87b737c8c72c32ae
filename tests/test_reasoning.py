"""A reasoning model thinks aloud before it answers: the thinking keeps the request alive past
the idle timeout, shows as "thinking…", and no pair is ever parsed out of it.

The server is a real HTTP server on 127.0.0.1 that streams ``reasoning_content`` deltas, paced
so that the whole thinking lasts several times the client's timeout, then the content.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from qagen_desktop.cli.progress import Progress
from qagen_desktop.core.client import StreamProgress
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.generation import Generator, RunConfig

TIMEOUT = 0.5
# Each reasoning delta comes this long after the last: well inside the timeout, while all of
# them together last four times as long.
PACE = TIMEOUT / 4
THOUGHTS = 16
TEXT = "The lighthouse on the granite point was built in 1871 and its lamp burns oil. " * 4
# A pair that looks real, inside the reasoning: it must never be kept.
DECOY = '{"pairs": [{"question": "What is the decoy?", "answer": "A decoy."}]}'


def _answer(n: int) -> str:
    pairs = [
        {"question": f"When was the lighthouse built ({i})?", "answer": "In 1871."}
        for i in range(1, n + 1)
    ]
    return json.dumps({"pairs": pairs})


class _Thinker(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    released: threading.Event

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        prompt = body["messages"][-1]["content"]
        n = int(prompt.rsplit("Generate ", 1)[1].split()[0])
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for i in range(THOUGHTS):
            # The pacing of a slow model; the event is set only when the test ends early.
            if self.released.wait(PACE):
                return
            thought = DECOY if i == 0 else f" step {i} of thinking about the text."
            self._event({"choices": [{"index": 0, "delta": {"reasoning_content": thought}}]})
        self._event({"choices": [{"index": 0, "delta": {"content": _answer(n)}}]})
        self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    def _event(self, payload: dict[str, Any]) -> None:
        self._chunk(f"data: {json.dumps(payload)}\n\n".encode())

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def thinker() -> Iterator[str]:
    released = threading.Event()
    handler = type("Handler", (_Thinker,), {"released": released})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        released.set()
        server.shutdown()
        server.server_close()
        thread.join()


class Watch(Progress):
    """The CLI's progress, keeping each reply's progress as it came."""

    def __init__(self) -> None:
        super().__init__(io.StringIO(), tty=False, requested=3, secret=None)
        self.seen: list[StreamProgress] = []
        self.thinking_seen = False

    def reply_progress(self, progress: StreamProgress) -> None:
        self.seen.append(progress)
        super().reply_progress(progress)
        self.thinking_seen = self.thinking_seen or self.thinking


def test_long_reasoning_keeps_the_request_alive_and_shows_thinking(thinker: str) -> None:
    watch = Watch()
    config = RunConfig(
        endpoint=Endpoint(url=thinker, model="m"), total_pairs=3, timeout=TIMEOUT, max_retries=0
    )
    result = Generator(config, events=watch).run(TEXT)
    assert [o.error for o in result.outcomes] == [None]
    assert len(result.pairs) == 3
    assert all("decoy" not in pair.question.lower() for pair in result.pairs)
    assert watch.thinking_seen
    assert not watch.thinking  # the content came: no longer thinking
    assert watch.seen[-1].reasoning_chars > 0 and watch.seen[-1].content_chars > 0
    lines = watch._stream.getvalue()  # type: ignore[attr-defined]
    assert lines.count("thinking…") == 1
