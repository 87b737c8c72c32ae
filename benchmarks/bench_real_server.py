"""The app against a real llama.cpp server, beside a plain client sending the same requests.

Generates pairs from a real licence text (the one that ships with Python) against a real
``llama-server`` with Gemma 3 270M (``QAGEN_LLAMA_URL``, else one started as tests/real_server.py
starts it), recording every request the app sends. Then sends those same requests again from a
plain httpx client with the same parallelism: a chunk's requests one after another, as the app
must send them (a re-ask waits for the reply it follows), the chunks side by side. That client
does nothing but read, the limit the app's tokens per second are measured against. Then once
more with no order at all, what the server gives when no request waits on another. Each client
has a llama-server started afresh (a cold prompt cache: a replay would otherwise be served from
the cache of the app's run). Prints the figures; not a test.

    python benchmarks/bench_real_server.py [--pairs 9] [--concurrency 4] [--chars 9000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# The real server's helpers live with the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import real_server

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


def chain_key(body: dict[str, Any]) -> str:
    """The chunk a request is for: its prompt up to the end of the chunk (the default template
    puts what changes between a chunk's requests, the count, after it)."""
    content = "".join(str(message.get("content", "")) for message in body.get("messages", []))
    return content.rsplit('"""', 1)[0]


def chains(bodies: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The requests grouped by chunk, each group in the order the app sent it."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for body in bodies:
        grouped.setdefault(chain_key(body), []).append(body)
    return list(grouped.values())


async def plain_client(
    url: str, groups: list[list[dict[str, Any]]], concurrency: int
) -> tuple[int, float]:
    """Send every body of ``groups`` with at most ``concurrency`` in flight, reading each
    stream to its end; a group's bodies go one after another (a chunk's re-ask follows its
    reply, as in the app), the groups side by side. Returns the completion tokens the server
    reported, and the wall time."""
    gate = asyncio.Semaphore(concurrency)
    # A new connection per request: llama-server closes an idle kept-alive one under the next
    # request ("Server disconnected without sending a response"), and this client has no
    # retries. A loopback connection costs well under a millisecond.
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=0)
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

    async def chain(client: httpx.AsyncClient, bodies: list[dict[str, Any]]) -> None:
        for body in bodies:
            await one(client, body)

    started = time.monotonic()
    async with httpx.AsyncClient(timeout=300, limits=limits, trust_env=False) as client:
        await asyncio.gather(*(chain(client, group) for group in groups))
    return completion, time.monotonic() - started


@dataclass
class Round:
    """One app run and the plain client's replays of its requests."""

    elapsed: float
    cpu: float
    requests: int
    accepted: int
    shortfall: int
    completion: int
    prompt: int
    cached: int
    groups: int
    parallel: int
    plain: tuple[int, float]
    free: tuple[int, float]


class Servers:
    """Where each client's requests go: ``QAGEN_LLAMA_URL`` when set (one server throughout,
    whose prompt cache then favours the replays: they ask what the app's run just asked), else
    a llama-server started afresh for each client, so that each begins with a cold cache."""

    def __init__(self) -> None:
        self.url = os.environ.get(real_server.URL_ENV) or ""
        self._server: real_server.LlamaServer | None = None

    @property
    def fresh(self) -> bool:
        return not os.environ.get(real_server.URL_ENV)

    def next(self) -> str:
        if self.fresh:
            self.stop()
            self._server = real_server.start_server(ctx_size=real_server.CI_CTX_SIZE, parallel=4)
            self.url = self._server.url
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def one_round(servers: Servers, args: argparse.Namespace) -> Round:
    transport = RecordingTransport()
    url = servers.next()
    config = RunConfig(
        endpoint=Endpoint(url=url, model=MODEL),
        total_pairs=args.pairs,
        concurrency=args.concurrency,
        max_retries=2,
        timeout=120,
    )
    cpu = time.process_time()
    result = Generator(config, transport=transport).run(licence_text(args.chars))
    cpu = time.process_time() - cpu
    parallel = max(1, transport.peak)
    # The same requests as the app's run had them: chunk by chunk in order (the limit of this
    # run's shape), then all side by side (what the server gives at that parallelism).
    groups = chains(transport.bodies)
    chat_url = servers.next().rstrip("/") + "/chat/completions"
    plain = asyncio.run(plain_client(chat_url, groups, parallel))
    chat_url = servers.next().rstrip("/") + "/chat/completions"
    free = asyncio.run(plain_client(chat_url, [[body] for body in transport.bodies], parallel))
    return Round(
        elapsed=result.elapsed,
        cpu=cpu,
        requests=len(transport.bodies),
        accepted=sum(p.status == PairStatus.ACCEPTED for p in result.pairs),
        shortfall=result.shortfall,
        completion=result.usage.completion_tokens,
        prompt=result.usage.prompt_tokens,
        cached=result.usage.cached_prompt_tokens,
        groups=len(groups),
        parallel=parallel,
        plain=plain,
        free=free,
    )


def rate(tokens: int, seconds: float) -> float:
    return tokens / seconds if seconds else 0.0


def report(rounds: list[Round], args: argparse.Namespace, url: str) -> None:
    print(
        f"real llama.cpp ({url}), {args.chars} chars, {args.pairs} pairs asked, "
        f"concurrency {args.concurrency}, {len(rounds)} round(s)"
    )
    for number, one in enumerate(rounds, 1):
        print(
            f"  round {number}: app {one.elapsed:.1f} s ({one.cpu:.1f} s of CPU in the app), "
            f"{one.requests} requests over {one.groups} chunks, {one.accepted} pairs accepted, "
            f"{one.shortfall} short; app {rate(one.completion, one.elapsed):.1f} tokens/s, "
            f"plain {rate(*one.plain):.1f}, plain all at once {rate(*one.free):.1f}"
        )
    elapsed = sum(one.elapsed for one in rounds)
    accepted = sum(one.accepted for one in rounds)
    completion = sum(one.completion for one in rounds)
    prompt = sum(one.prompt for one in rounds)
    cached = sum(one.cached for one in rounds)
    plain = (sum(one.plain[0] for one in rounds), sum(one.plain[1] for one in rounds))
    free = (sum(one.free[0] for one in rounds), sum(one.free[1] for one in rounds))
    print(f"  pairs per minute:    {accepted / (elapsed / 60) if elapsed else 0.0:.2f}")
    per_pair = completion / accepted if accepted else float("nan")
    print(f"  completion tokens per accepted pair: {per_pair:.0f}")
    print(f"  cached prompt tokens: {cached} of {prompt} ({cached / prompt if prompt else 0:.0%})")
    app_rate, plain_rate = rate(completion, elapsed), rate(*plain)
    print(
        f"  app tokens/s:        {app_rate:.1f} ({completion} completion tokens, {elapsed:.1f} s)"
    )
    print(
        f"  plain client tokens/s: {plain_rate:.1f} ({plain[0]} completion tokens, "
        f"{plain[1]:.1f} s: the same requests, a chunk's one after another as the app sends "
        "them, the chunks side by side, no more in flight than the app had)"
    )
    if plain_rate:
        print(f"  app / plain:         {app_rate / plain_rate:.0%} (target: at least 90 %)")
    print(
        f"  plain, all at once:  {rate(*free):.1f} tokens/s ({free[0]} completion tokens, "
        f"{free[1]:.1f} s: the same requests in no order, what the server gives when no "
        "request waits on another)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=9)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--chars", type=int, default=9000)
    parser.add_argument(
        "--rounds", type=int, default=2, help="app run and replays, one after another, summed"
    )
    args = parser.parse_args(argv)

    servers = Servers()
    try:
        rounds = [one_round(servers, args) for _ in range(max(1, args.rounds))]
    except real_server.Unavailable as exc:
        print(f"bench_real_server: {exc}", file=sys.stderr)
        return 1
    finally:
        servers.stop()
    url = "a fresh llama-server for each client" if servers.fresh else servers.url
    report(rounds, args, url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
