"""The app against a real llama.cpp server, beside a plain client sending the same requests.

Generates pairs from a real licence text (the one that ships with Python) against a real
``llama-server`` with Gemma 3 270M (``QAGEN_LLAMA_URL``, else one started as tests/real_server.py
starts it), recording every request the app sends. Then sends those same requests again from a
plain httpx client with the same parallelism: what the server gives a client that does nothing
but read, the limit the app's tokens per second are measured against. Prints the figures; not a
test.

    python benchmarks/bench_real_server.py [--pairs 9] [--concurrency 4] [--chars 9000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

# The real server's helpers live with the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import real_server

from qagen_desktop.core.client import KEEPALIVE_EXPIRY
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.generation import Generator, RunConfig
from qagen_desktop.core.records import PairStatus

MODEL = "gemma-3-270m"


class RecordingTransport(httpx.AsyncHTTPTransport):
    """The real transport, keeping the body of every chat request that goes through it and the
    most requests it had in flight at once (the parallelism the run really reached)."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[dict[str, Any]] = []
        self.in_flight = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/chat/completions"):
            return await super().handle_async_request(request)
        self.bodies.append(json.loads(request.content))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            response = await super().handle_async_request(request)
        except BaseException:
            self.in_flight -= 1
            raise
        response.stream = _Counted(response.stream, self)
        return response


class _Counted(httpx.AsyncByteStream):
    """A response body that tells the transport when it is closed (the request is over)."""

    def __init__(self, inner: Any, owner: RecordingTransport) -> None:
        self._inner = inner
        self._owner = owner
        self._open = True

    async def __aiter__(self) -> Any:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            self._owner.in_flight -= 1
        await self._inner.aclose()


def licence_text(chars: int) -> str:
    import sysconfig

    text = (Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt").read_text(encoding="utf-8")
    cut = text.rfind("\n\n", 0, chars)
    return text[: cut if cut > chars // 2 else chars]


async def plain_client(
    url: str, bodies: list[dict[str, Any]], concurrency: int
) -> tuple[int, float]:
    """Send ``bodies`` with ``concurrency`` in flight, reading each stream to its end; the
    completion tokens the server reported, and the wall time."""
    gate = asyncio.Semaphore(concurrency)
    # Idle connections kept no longer than the app keeps them: past llama-server's 5 s a reused
    # connection is closed under the request ("Server disconnected without sending a response").
    limits = httpx.Limits(
        max_connections=concurrency,
        max_keepalive_connections=concurrency,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )
    completion = 0

    async def one(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        nonlocal completion
        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        async with gate, client.stream("POST", url, json=body) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                usage = json.loads(line[6:]).get("usage")
                if isinstance(usage, dict):
                    completion += int(usage.get("completion_tokens") or 0)

    started = time.monotonic()
    async with httpx.AsyncClient(timeout=300, limits=limits, trust_env=False) as client:
        await asyncio.gather(*(one(client, body) for body in bodies))
    return completion, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=9)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--chars", type=int, default=9000)
    args = parser.parse_args(argv)

    server = None
    url = os.environ.get(real_server.URL_ENV)
    if not url:
        try:
            server = real_server.start_server(ctx_size=real_server.CI_CTX_SIZE, parallel=4)
        except real_server.Unavailable as exc:
            print(f"bench_real_server: {exc}", file=sys.stderr)
            return 1
        url = server.url
    try:
        transport = RecordingTransport()
        config = RunConfig(
            endpoint=Endpoint(url=url, model=MODEL),
            total_pairs=args.pairs,
            concurrency=args.concurrency,
            max_retries=2,
            timeout=120,
        )
        result = Generator(config, transport=transport).run(licence_text(args.chars))
        accepted = [p for p in result.pairs if p.status == PairStatus.ACCEPTED]
        usage = result.usage
        chat_url = url.rstrip("/") + "/chat/completions"
        parallel = max(1, transport.peak)
        plain_tokens, plain_elapsed = asyncio.run(
            plain_client(chat_url, transport.bodies, parallel)
        )
    finally:
        if server is not None:
            server.stop()

    minutes = result.elapsed / 60
    app_rate = usage.completion_tokens / result.elapsed if result.elapsed else 0.0
    plain_rate = plain_tokens / plain_elapsed if plain_elapsed else 0.0
    print(
        f"real llama.cpp ({url}), {args.chars} chars, {args.pairs} pairs asked, "
        f"concurrency {args.concurrency}"
    )
    print(
        f"  run:                 {result.elapsed:.1f} s, {len(transport.bodies)} requests, "
        f"{len(accepted)} pairs accepted, {result.shortfall} short"
    )
    print(f"  pairs per minute:    {len(accepted) / minutes if minutes else 0.0:.2f}")
    per_pair = usage.completion_tokens / len(accepted) if accepted else float("nan")
    print(f"  completion tokens per accepted pair: {per_pair:.0f}")
    share = usage.cached_prompt_tokens / usage.prompt_tokens if usage.prompt_tokens else 0.0
    print(
        f"  cached prompt tokens: {usage.cached_prompt_tokens} of {usage.prompt_tokens} "
        f"({share:.0%})"
    )
    print(f"  app tokens/s:        {app_rate:.1f} ({usage.completion_tokens} completion tokens)")
    print(
        f"  plain client tokens/s: {plain_rate:.1f} ({plain_tokens} completion tokens, "
        f"{plain_elapsed:.1f} s, same {len(transport.bodies)} requests, {parallel} in flight "
        "as the app had at most)"
    )
    if plain_rate:
        print(f"  app / plain:         {app_rate / plain_rate:.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
