"""How close concurrent generation comes to the ideal against a slow model.

Starts the loopback fake server (tests/fake_server.py, in a process of its own) with a fixed
latency per reply, cuts real documentation prose (the standard library's pydoc topics) into 40
chunks and generates with concurrency 8.
The ideal wall time is ceil(chunks / concurrency) x latency. Prints the figures; not a test.

    python benchmarks/bench_generation.py [--chunks 40] [--concurrency 8] [--latency 1.0]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import time
from pathlib import Path

# The fake server lives with the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from pydoc_data.topics import topics

from fake_server import FakeLLMServer

from qagen_desktop.core.chunking import chunk_text
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.generation import Generator, RunConfig, RunResult

CHUNK_CHARS = 3000
PAIRS_PER_CHUNK = 3


def document(chunks: int) -> str:
    """Real prose that makes exactly ``chunks`` chunks (a prefix ending at a chunk boundary)."""
    text = "\n\n".join(topics.values())
    pieces = chunk_text(text, CHUNK_CHARS)
    if len(pieces) < chunks:
        raise SystemExit(f"Only {len(pieces)} chunks of documentation are available.")
    return "".join(piece.text for piece in pieces[:chunks])


class ServerProcess:
    """The fake server in a process of its own, as a real model server would be: its work does
    not compete with the client for this process's interpreter lock."""

    def __init__(self, latency: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._commands: multiprocessing.Queue[str] = context.Queue()
        self._answers: multiprocessing.Queue[object] = context.Queue()
        self._process = context.Process(
            target=_serve, args=(latency, self._commands, self._answers), daemon=True
        )
        self.url = ""
        self.max_in_flight = 0
        self.request_count = 0

    def __enter__(self) -> ServerProcess:
        self._process.start()
        self.url = str(self._answers.get(timeout=30))
        return self

    def __exit__(self, *exc: object) -> None:
        self._commands.put("stop")
        self.max_in_flight, self.request_count = self._answers.get(timeout=30)  # type: ignore[misc]
        self._process.join(timeout=10)


def _serve(
    latency: float, commands: multiprocessing.Queue[str], answers: multiprocessing.Queue[object]
) -> None:
    with FakeLLMServer(latency=latency) as server:
        answers.put(server.url)
        commands.get()
        answers.put((server.max_in_flight, server.request_count))


def generate(server: ServerProcess, text: str, concurrency: int, pairs: int) -> RunResult:
    config = RunConfig(
        endpoint=Endpoint(url=server.url, model="bench"),
        total_pairs=pairs,
        chunk_chars=CHUNK_CHARS,
        concurrency=concurrency,
        max_retries=0,
    )
    result = Generator(config).run(text)
    if result.failed or len(result.pairs) != pairs:
        raise SystemExit(f"The run fell short: {[o.error for o in result.failed]}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per reply")
    parser.add_argument(
        "--baseline-chunks", type=int, default=8, help="chunks for the sequential baseline"
    )
    args = parser.parse_args()

    text = document(args.chunks)
    chunks = len(chunk_text(text, CHUNK_CHARS))
    with ServerProcess(args.latency) as server:
        started = time.perf_counter()
        generate(server, text, args.concurrency, chunks * PAIRS_PER_CHUNK)
        wall = time.perf_counter() - started
    in_flight = server.max_in_flight

    ideal = math.ceil(chunks / args.concurrency) * args.latency
    baseline_text = document(args.baseline_chunks)
    with ServerProcess(args.latency) as server:
        started = time.perf_counter()
        generate(server, baseline_text, 1, args.baseline_chunks * PAIRS_PER_CHUNK)
        sequential = (time.perf_counter() - started) / args.baseline_chunks * chunks

    print(f"text:                {len(text):,} characters of pydoc topics")
    print(
        f"chunks:              {chunks} (chunk_chars {CHUNK_CHARS}), {PAIRS_PER_CHUNK} pairs each"
    )
    print(f"latency per reply:   {args.latency:.2f} s")
    print(f"concurrency:         {args.concurrency}")
    print(f"wall time:           {wall:.2f} s")
    print(f"ideal:               {ideal:.2f} s  (ceil(chunks / concurrency) x latency)")
    print(f"ratio wall / ideal:  {wall / ideal:.3f}  (target <= 1.2)")
    print(f"max in flight seen:  {in_flight}")
    print(
        f"sequential:          {sequential:.2f} s  (concurrency 1, measured on "
        f"{args.baseline_chunks} chunks and scaled to {chunks})"
    )
    print(f"speed-up:            {sequential / wall:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
