"""Bounded replies, refused bounds, context windows and the split of a chunk that does not fit.

Every run here goes to a real HTTP server on 127.0.0.1 (``FakeLLMServer``, here taught llama.cpp's
``/props`` and its context refusal, in the server's own words).
"""

from __future__ import annotations

import json
import math
import threading
from typing import Any

from fake_server import (
    FakeLLMServer,
    RecordedRequest,
    Reply,
    _context_of,
    _Handler,
    _send_json,
)

from qagen_desktop.core.chunking import MIN_CHUNK_CHARS
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.generation import Generator, RunConfig, RunEvents, RunResult
from qagen_desktop.core.generation.config import AUTO_CHUNK_CHARS
from qagen_desktop.core.generation.fitting import fit_chunk_chars, fit_piece, prompt_tokens
from qagen_desktop.core.generation.negotiation import Refusal
from qagen_desktop.core.generation.request import REPLY_ALLOWANCE_TOKENS
from qagen_desktop.core.prompts import DEFAULT_TEMPLATE, build_messages, render_prompt
from qagen_desktop.core.session import RunFlags, assemble_run, remember_outcome
from qagen_desktop.core.settings import Settings

WORDS = [
    "river",
    "harbour",
    "lantern",
    "orchard",
    "granite",
    "meadow",
    "copper",
    "violin",
    "glacier",
    "falcon",
    "quarry",
]
TEXT = "\n\n".join(
    f"Section {n} says that " + " ".join(WORDS[(n + i) % len(WORDS)] for i in range(30)) + "."
    for n in range(40)
)
# The server's tokenizer, for these tests: 4 characters a token, as English runs.
SERVER_CHARS_PER_TOKEN = 4


class Notices(RunEvents):
    def __init__(self) -> None:
        self.notices: list[str] = []

    def notice(self, message: str) -> None:
        self.notices.append(message)


class LlamaLike(FakeLLMServer):
    """``FakeLLMServer`` with llama.cpp's ``/props`` (one slot's context ``n_ctx``) and its 400
    for a prompt longer than that context."""

    def __init__(self, n_ctx: int, **kwargs: Any) -> None:
        super().__init__(script=self._refuse_long, **kwargs)
        self.n_ctx = n_ctx
        self.overflows = 0
        self._count_lock = threading.Lock()

    def _answer(self, h: _Handler, method: str, req: RecordedRequest, number: int) -> None:
        if method == "GET" and req.path == "/props":
            settings = {"n_ctx": self.n_ctx, "params": {"n_predict": -1}}
            _send_json(h, 200, {"default_generation_settings": settings, "total_slots": 4})
            return
        super()._answer(h, method, req, number)

    def _refuse_long(self, n: int, body: dict[str, Any]) -> Reply | None:
        chars = sum(len(m["content"]) for m in body["messages"])
        tokens = math.ceil(chars / SERVER_CHARS_PER_TOKEN)
        if tokens <= self.n_ctx:
            return None
        with self._count_lock:
            self.overflows += 1
        message = (
            f"request ({tokens} tokens) exceeds the available context size ({self.n_ctx} "
            "tokens), try increasing it"
        )
        error = {
            "code": 400,
            "message": message,
            "type": "exceed_context_size_error",
            "n_prompt_tokens": tokens,
            "n_ctx": self.n_ctx,
        }
        return Reply(kind="status", status=400, body=json.dumps({"error": error}))


def run(server: FakeLLMServer, events: RunEvents | None = None, **config: Any) -> RunResult:
    config.setdefault("total_pairs", 12)
    config.setdefault("chunk_chars", 1500)
    run_config = RunConfig(endpoint=Endpoint(url=server.url, model="m"), **config)
    return Generator(run_config, events=events).run(TEXT)


def chat_requests(server: FakeLLMServer) -> list[RecordedRequest]:
    return [r for r in server.requests if r.path.endswith("/chat/completions")]


def asked(request: RecordedRequest) -> int:
    """The count a request asked for, as its prompt says it."""
    tail = request.prompt.rsplit('"""', 1)[1]
    return int(tail.split("Generate ", 1)[1].split()[0])


# -- bounded replies --------------------------------------------------------------------------


def test_every_request_bounds_its_reply_to_the_pairs_it_asks_for() -> None:
    with FakeLLMServer() as server:
        result = run(server, max_tokens_per_pair=100)
    assert len(result.pairs) == 12
    requests = chat_requests(server)
    assert requests
    for request in requests:
        n = asked(request)
        assert request.body["max_tokens"] == REPLY_ALLOWANCE_TOKENS + 100 * n
        schema = request.body["response_format"]["json_schema"]["schema"]
        items = schema["properties"]["pairs"]
        assert (items["minItems"], items["maxItems"]) == (n, n)
        strings = items["items"]["properties"]
        assert strings["question"]["maxLength"] > 0
        assert strings["answer"]["maxLength"] > strings["question"]["maxLength"]


def test_zero_tokens_per_pair_sends_no_limit() -> None:
    with FakeLLMServer() as server:
        run(server, max_tokens_per_pair=0)
    assert all("max_tokens" not in r.body for r in chat_requests(server))


def refuse(field: str) -> Any:
    """A script refusing any request that carries ``field`` (top level, or in the schema)."""

    def script(n: int, body: dict[str, Any]) -> Reply | None:
        if field in json.dumps(body):
            message = f"Unsupported parameter: '{field}' is not supported with this model."
            said = json.dumps({"error": {"message": message}})
            return Reply(kind="status", status=400, body=said)
        return None

    return script


def test_a_server_refusing_max_tokens_gets_max_completion_tokens_and_it_is_remembered() -> None:
    events = Notices()
    with FakeLLMServer(script=refuse("max_tokens")) as server:
        settings = Settings(endpoint=server.url, model="m", chunk_chars=1500, pairs=12)
        flags = RunFlags()
        plan = assemble_run(flags, environ={}, settings=settings, keystore=_NoKeys())
        result = Generator(plan.config, events=events).run(TEXT)
        assert len(result.pairs) == 12
        assert result.refused == {Refusal.MAX_TOKENS}
        accepted = [r for r in chat_requests(server) if "max_tokens" not in r.body]
        assert accepted and all("max_completion_tokens" in r.body for r in accepted)
        assert sum("max_tokens" in n for n in events.notices) == 1
        assert remember_outcome(settings, plan, result)
        # The next run starts without what was refused: no request is refused again.
        before = len(server.requests)
        plan = assemble_run(flags, environ={}, settings=settings, keystore=_NoKeys())
        assert plan.config.refused == {Refusal.MAX_TOKENS}
        Generator(plan.config).run(TEXT)
        assert all("max_tokens" not in r.body for r in server.requests[before:])


def test_a_server_refusing_both_token_limits_gets_none() -> None:
    def script(n: int, body: dict[str, Any]) -> Reply | None:
        return refuse("max_tokens")(n, body) or refuse("max_completion_tokens")(n, body)

    with FakeLLMServer(script=script) as server:
        result = run(server)
    assert len(result.pairs) == 12
    assert result.refused == {Refusal.MAX_TOKENS, Refusal.MAX_COMPLETION_TOKENS}


def test_a_server_refusing_a_schema_bound_gets_the_schema_without_bounds() -> None:
    with FakeLLMServer(script=refuse("maxLength")) as server:
        result = run(server)
    assert len(result.pairs) == 12
    assert result.refused == {Refusal.SCHEMA_BOUNDS}
    assert result.response_mode == "json_schema"  # the schema itself stays
    last = chat_requests(server)[-1]
    assert "maxItems" not in json.dumps(last.body)
    assert last.body["max_tokens"] > 0


class _NoKeys:
    def get(self, key_id: str) -> str | None:
        return None


# -- context windows ----------------------------------------------------------------------------


def test_auto_chunks_fit_the_probed_context_and_no_request_is_refused() -> None:
    with LlamaLike(n_ctx=512) as server:
        result = run(server, chunk_chars=AUTO_CHUNK_CHARS, total_pairs=9)
    assert len(result.pairs) == 9
    assert server.overflows == 0
    assert any(r.path == "/props" for r in server.requests)
    for request in chat_requests(server):
        prompt_chars = sum(len(m["content"]) for m in request.body["messages"])
        assert math.ceil(prompt_chars / 3) + request.body["max_tokens"] <= 512


def test_the_fitted_chunk_leaves_room_for_prompt_and_reply() -> None:
    config = RunConfig(total_pairs=9, max_tokens_per_pair=150)
    chars = fit_chunk_chars(512, config, 9000)
    assert MIN_CHUNK_CHARS <= chars < 512 * 3
    pairs = math.ceil(9 * chars / 9000)
    assert prompt_tokens(config, chars, pairs) + REPLY_ALLOWANCE_TOKENS + 150 * pairs <= 512
    # A long context is capped at the default chunk size, a fixed one is left as given.
    assert fit_chunk_chars(128_000, config, 9000) == RunConfig().chunk_chars


def test_a_chunk_longer_than_the_context_is_split_and_its_pairs_still_come() -> None:
    events = Notices()
    with LlamaLike(n_ctx=300) as server:
        result = run(server, events=events, chunk_chars=3000, total_pairs=6)
    assert len(result.pairs) == 6
    assert all(outcome.ok for outcome in result.outcomes)
    assert server.overflows > 0
    split_notices = [n for n in events.notices if "longer than the server's context" in n]
    # Once per chunk, however many times it was halved.
    assert len(split_notices) == len(result.outcomes)
    # The chunks run side by side, so their notices come in any order.
    named = sorted(notice.split(" was ")[0] for notice in split_notices)
    assert named == sorted(f"Chunk {o.index + 1}" for o in result.outcomes)
    assert all("longer than the server's context (300 tokens)" in n for n in split_notices)
    # Every pair is grounded in its chunk's text.
    for pair in result.pairs:
        assert pair.chunk is not None


def test_a_split_chunks_pieces_are_sized_by_the_servers_own_count_of_its_tokens() -> None:
    events = Notices()
    with LlamaLike(n_ctx=600) as server:
        result = run(server, events=events, chunk_chars=3000, total_pairs=6)
    assert len(result.pairs) == 6
    # The server counts 4 characters a token: the pieces are cut by what it said of the chunk,
    # longer than the 3 a token assumed before the first refusal, and none is refused again.
    assert 0 < server.overflows <= len(result.outcomes)  # one refusal a chunk at most
    assumed, _ = fit_piece(600, RunConfig(total_pairs=6), 3000, 2)
    # The pieces' requests, and the short last chunk's: each holds its prompt and its reply.
    split = [r for r in chat_requests(server) if len(_context_of(r.prompt)) < 1000]
    assert split and max(len(_context_of(r.prompt)) for r in split) > assumed * 1.05
    for request in split:
        tokens = math.ceil(sum(len(m["content"]) for m in request.body["messages"]) / 4)
        assert tokens + request.body["max_tokens"] <= 600


# Every other section is one the model makes nothing of.
BARREN = "hollow"
PATCHY_TEXT = "\n\n".join(
    f"Section {n} says that "
    + " ".join(BARREN if n % 2 else WORDS[(n + i) % len(WORDS)] for i in range(30))
    + "."
    for n in range(40)
)


class BarrenLlama(LlamaLike):
    """``LlamaLike`` whose model answers any text holding the barren word with broken JSON."""

    def __init__(self, n_ctx: int) -> None:
        super().__init__(n_ctx)
        self.barren = 0

    def _refuse_long(self, n: int, body: dict[str, Any]) -> Reply | None:
        refused = super()._refuse_long(n, body)
        if refused is not None or BARREN not in body["messages"][-1]["content"]:
            return refused
        with self._count_lock:
            self.barren += 1
        return Reply(kind="broken_json")


def run_patchy(server: FakeLLMServer, **config: Any) -> RunResult:
    endpoint = Endpoint(url=server.url, model="m")
    return Generator(RunConfig(endpoint=endpoint, chunk_chars=3000, **config)).run(PATCHY_TEXT)


def test_what_one_piece_of_a_split_chunk_cannot_give_the_other_pieces_do() -> None:
    with BarrenLlama(n_ctx=300) as server:
        result = run_patchy(server, total_pairs=6, max_retries=3)
    assert server.overflows > 0 and server.barren > 0
    assert len(result.pairs) == 6
    assert all(outcome.ok for outcome in result.outcomes), result.outcomes
    assert all(BARREN not in pair.source for pair in result.pairs)


def test_the_pieces_of_a_split_chunk_share_its_budget() -> None:
    retries = 2
    with BarrenLlama(n_ctx=300) as server:
        result = run_patchy(server, total_pairs=60, max_retries=retries)
    assert len(result.pairs) < 60  # half the text is barren: the budget runs out
    for outcome in result.outcomes:
        # The request refused as too long, then a first request and the retries for each
        # piece that owed pairs (each owes one here), however they were spent.
        assert outcome.requests <= 1 + outcome.requested * (1 + retries), outcome


def test_a_split_chunk_its_pieces_cannot_serve_says_how_far_it_got() -> None:
    with BarrenLlama(n_ctx=300) as server:
        result = run_patchy(server, total_pairs=60, max_retries=0)
    failed = [o for o in result.outcomes if not o.ok]
    assert failed and len(result.pairs) < 60
    for outcome in failed:
        said = f"Got {outcome.received} of {outcome.requested} pairs from "
        assert outcome.error is not None and outcome.error.startswith(said), outcome.error
        after = f" pieces after {outcome.requests} requests: the model's replies could not be"
        assert after in outcome.error


def test_a_chunk_that_cannot_be_cut_fails_with_the_servers_words() -> None:
    with LlamaLike(n_ctx=20) as server:
        result = run(server, total_pairs=2)
    assert not result.pairs
    assert all("too long" in (o.error or "") for o in result.outcomes)


# -- the prompt's order -------------------------------------------------------------------------


def test_the_default_prompt_puts_the_chunk_before_the_count() -> None:
    first = render_prompt(DEFAULT_TEMPLATE, "CHUNK TEXT", 5)
    again = render_prompt(DEFAULT_TEMPLATE, "CHUNK TEXT", 2)
    assert first.index("CHUNK TEXT") < first.index("5")
    shared = next(i for i, (a, b) in enumerate(zip(first, again, strict=False)) if a != b)
    assert shared > first.index("CHUNK TEXT") + len("CHUNK TEXT")


def test_a_custom_template_with_the_count_first_keeps_its_order() -> None:
    template = "Make {n} pairs.\n{context}"
    (message,) = build_messages(template, "", "Some text.", 3)
    assert message["content"] == "Make 3 pairs.\nSome text."


# -- the window's "auto" ------------------------------------------------------------------------


def test_the_windows_chunk_size_reads_auto_and_keeps_it(qtbot: Any) -> None:
    from qagen_desktop.ui.panes.endpoint_pane import EndpointPane

    pane = EndpointPane()
    qtbot.addWidget(pane)
    pane.load(Settings(chunk_chars=AUTO_CHUNK_CHARS))
    assert pane.chunkCharsSpin.text() == "auto"
    stored = Settings()
    pane.store(stored)
    assert stored.chunk_chars == AUTO_CHUNK_CHARS
    pane.chunkCharsSpin.setValue(1200)
    pane.store(stored)
    assert stored.chunk_chars == 1200


class OllamaLike(FakeLLMServer):
    """``FakeLLMServer`` answering Ollama's ``POST /api/show`` for a model trained for
    ``trained`` tokens and run with ``num_ctx`` 2048."""

    def __init__(self, trained: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.trained = trained

    def _answer(self, h: _Handler, method: str, req: RecordedRequest, number: int) -> None:
        if method == "POST" and req.path == "/api/show":
            info = {"general.architecture": "gemma3", "gemma3.context_length": self.trained}
            _send_json(h, 200, {"parameters": "num_ctx 2048", "model_info": info})
            return
        super()._answer(h, method, req, number)


def test_ollama_gets_a_num_ctx_that_holds_each_request() -> None:
    events = Notices()
    with OllamaLike(trained=32768) as server:
        result = run(server, events=events, chunk_chars=AUTO_CHUNK_CHARS, total_pairs=9)
    assert len(result.pairs) == 9
    requests = chat_requests(server)
    sizes = {r.body["options"]["num_ctx"] for r in requests}
    assert len(sizes) == 1  # one value for the run: each new one reloads the model
    (num_ctx,) = sizes
    for request in requests:
        prompt_chars = sum(len(m["content"]) for m in request.body["messages"])
        assert math.ceil(prompt_chars / 3) + request.body["max_tokens"] <= num_ctx
    assert not any("cuts them silently" in n for n in events.notices)


def test_ollama_with_a_context_too_short_for_the_prompt_is_warned_about() -> None:
    events = Notices()
    template = "Long instructions. " * 200 + "Generate {n} question-answer pairs.\n{context}"
    with OllamaLike(trained=512) as server:
        run(server, events=events, chunk_chars=AUTO_CHUNK_CHARS, prompt_template=template)
    warnings = [n for n in events.notices if "Ollama cuts them silently" in n]
    assert len(warnings) == 1
    assert "(512 tokens)" in warnings[0]
