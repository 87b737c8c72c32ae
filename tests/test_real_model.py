"""Against the real thing: llama.cpp's server with Gemma 3 270M (a weak base model).

Every other test talks to a server we wrote. These run ``qagen`` and the client against a real
``llama-server`` (see tests/real_server.py): skipped with the reason where it cannot be had,
failed instead under CI (CI=true). What a run measured goes to the figures at the end.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sysconfig
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from qagen_process import read_jsonl, run_qagen
from real_server import LlamaServer

from qagen_desktop.core.client import ChatError, ChatReply, new_async_client, send_chat
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.prompts import ANSWER_MAX_CHARS
from qagen_desktop.core.serverinfo import ServerInfo, ServerKind, probe_server

pytestmark = [pytest.mark.real_model, pytest.mark.slow]

TEXT_CHARS = 9000
RUN_LIMIT = 180
MODEL = "gemma-3-270m"
# The 3-minute bound of issue 11 is about the app on a machine that gives the server its cores.
# Where the server writes slower than this (measured at 0.4-7 tokens/s on a 2-core machine
# running other test suites beside it), the bound says nothing about the app.
MIN_TOKENS_PER_SECOND = 8.0


def require_capacity(url: str) -> None:
    """Skip (fail under CI) where the server writes too slowly for the time bound to mean
    anything: one short request, timed by the server itself (``timings``)."""
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Count from one to twenty in words."}],
        "max_tokens": 24,
    }
    with httpx.Client(timeout=120, trust_env=False) as client:
        timings = client.post(url + "/chat/completions", json=body).json().get("timings") or {}
    rate = float(timings.get("predicted_per_second") or 0.0)
    if rate >= MIN_TOKENS_PER_SECOND:
        return
    reason = (
        f"the server writes {rate:.1f} tokens/s here (under {MIN_TOKENS_PER_SECOND:g}: the "
        "machine is busy), too slow for the 3-minute bound to say anything"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def licence_text(chars: int = TEXT_CHARS) -> str:
    """About ``chars`` characters of real prose: the licence that ships with this Python (or,
    failing that, the longest licence among the installed packages), cut at a paragraph."""
    candidates = [Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"]
    site = Path(sysconfig.get_paths()["purelib"])
    candidates += sorted(site.glob("*.dist-info/licenses/LICENSE*"))
    candidates += sorted(site.glob("*.dist-info/LICENSE*"))
    for path in candidates:
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if len(text) >= chars:
                cut = text.rfind("\n\n", 0, chars)
                return text[: cut if cut > chars // 2 else chars].strip() + "\n"
    pytest.skip("no licence text of 9,000 characters ships with this Python or its packages")


def _chat(url: str, body: dict[str, Any], timeout: float = 120) -> ChatReply:
    endpoint = Endpoint(url=url, model=MODEL)

    async def go() -> ChatReply:
        async with new_async_client(timeout, 1, endpoint=endpoint) as client:
            return await send_chat(client, endpoint, None, body)

    return asyncio.run(go())


# Issue 11's first "done when": the run ends within 3 minutes (it stops this test's clock too, to
# keep the tier under 5). Replies are bounded (max_tokens and a schema of exactly n pairs), so a
# weak model's reply ends where the pairs do instead of at the server's cap.
def test_qagen_generate_on_a_licence_text(llama_url: str, tmp_path: Path, figure: Any) -> None:
    require_capacity(llama_url)
    source = tmp_path / "licence.txt"
    source.write_text(licence_text(), encoding="utf-8")
    out = tmp_path / "qa.jsonl"
    started = time.monotonic()
    args = ["generate", str(source), "-n", "9", "--max-retries", "2"]
    args += ["--endpoint", llama_url, "--model", MODEL, "--timeout", "120", "-o", str(out)]
    try:
        done = run_qagen(args, cwd=tmp_path, timeout=RUN_LIMIT)
    except subprocess.TimeoutExpired as exc:
        said = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        figure(
            f"real llama.cpp, qagen generate -n 9: not done in {RUN_LIMIT} s; last said: "
            + " | ".join(said[-3:])
        )
        raise
    elapsed = time.monotonic() - started
    pairs = read_jsonl(out) if out.exists() else []
    tokens = re.search(r"tokens: .*", done.output)
    figure(
        f"real llama.cpp, qagen generate -n 9 on {TEXT_CHARS} chars: exit {done.code}, "
        f"{len(pairs)} pairs, {tokens.group(0) if tokens else 'tokens not reported'}, "
        f"{elapsed:.0f} s"
    )
    assert done.code in (0, 1), done.output
    assert "Traceback" not in done.output
    assert "broke before the reply was complete" not in done.output
    assert_no_junk(pairs)
    if done.code == 0:
        assert len(pairs) == 9
    else:
        # A plain account of what is missing, and why.
        assert re.search(r"\d+ of 9|fewer|shortfall|missing|failed", done.stderr), done.stderr


# The test's own rule for junk, apart from the product's checks: a question holds two words with
# letters (or four CJK characters) and names something (a word beyond the frame of any
# question, a number or a CJK character), carries no list number of its own ("1. What ...") and
# points to no choices it does not give ("Which of the following ...?"), an answer a letter or
# a digit (a bare yes or no only to a question that asks whether), and neither holds the
# reply's keys, a special token or a JSON fragment.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_JUNK = re.compile(
    r"""["'](?:question|answer)["']\s*:"""  # the reply's keys
    r"|<\|[^|]*\|>|</?s>|<(?:start|end)_of_turn>|\[/?INST\]"  # special tokens
    r"""|^\W*[{}\[\]"]\W*$""",  # nothing but JSON's punctuation
    re.IGNORECASE,
)
_FRAME_WORDS = frozenset(
    re.findall(
        r"\w+",
        "a an the is are was were be been this that these those it its he she they them there "
        "here what who whom which how why when where do does did of in on at to for so not or "
        "and text say says said",
    )
)
_OPEN_QUESTION_WORDS = {"what", "which", "who", "whom", "whose", "when", "where", "why", "how"}


def assert_no_junk(pairs: list[dict[str, Any]]) -> None:
    for pair in pairs:
        question, answer = pair["question"].strip(), pair["answer"].strip()
        assert question and answer, pair
        assert question.lower() != answer.lower(), pair
        worded = [piece for piece in question.split() if any(ch.isalpha() for ch in piece)]
        assert len(worded) >= 2 or len(_CJK.findall(question)) >= 4, pair
        # It names something: one word beyond the words every question is made of.
        named = set(re.findall(r"[^\W\d_]+", question.lower())) - _FRAME_WORDS
        assert named or re.search(r"\d|" + _CJK.pattern, question), pair
        assert not re.match(r"\(?\d{1,3}[.)]\s", question), pair  # the model's list number
        if "of the following" in question.lower():
            assert re.search(r"[:\n]|\bor\b", question), pair  # its choices are given
        assert any(ch.isalnum() for ch in answer), pair
        assert len(answer) < ANSWER_MAX_CHARS, pair  # not a runaway cut by the schema's grammar
        if re.fullmatch(r"\W*(?:yes|no)\W*", answer.lower()):  # it answers a "whether"
            assert question.split()[0].lower() not in _OPEN_QUESTION_WORDS, pair
        assert not answer.endswith("?"), pair  # an answer asking back (the licence quotes none)
        for text in (question, answer):
            assert not _JUNK.search(text), pair
            assert text.count("{") == text.count("}"), pair


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("1. What is the name of the program?", "Python 2.x"),
        ("Which of the following is not a Python version of Python?", "Python 1.6.1"),
        ("is this an", "yes"),
        ("Which one?", "yes"),
        ("python", "python"),
        ('"question": "What is it?"', "X"),
    ],
)
def test_the_tiers_junk_rule_fails_on_junk_real_runs_kept(question: str, answer: str) -> None:
    with pytest.raises(AssertionError):
        assert_no_junk([{"question": question, "answer": answer}])


def test_the_tiers_junk_rule_passes_real_pairs() -> None:
    assert_no_junk(
        [
            {"question": "Which licence covers Python 1.6.1?", "answer": "The CNRI licence."},
            {"question": "Which of the following came first: 1.6.1 or 2.0?", "answer": "1.6.1"},
            {"question": "Is Python 1.6.1 GPL-compatible?", "answer": "No"},
        ]
    )


# Issue 11's second "done when": with 512 tokens a slot, a 3,000-character chunk does not fit.
# The same run as above splits such chunks into pieces that fit, instead of failing each, and
# every chunk's pieces are answered with pairs. A 512-token slot leaves a piece a few hundred
# characters beside the prompt and the reply's room, and of the base model's pairs from so
# little text about 3 in 100 pass the checks (a CI run once kept none of 45): which of them
# pass is the checks' call, so the pairs kept are reported as a figure and held to the junk
# rule, and the pairs written here are the kept and the rejected ones (`--rejected`).
def test_qagen_generate_splits_chunks_to_fit_a_small_context(
    small_llama: LlamaServer, tmp_path: Path, figure: Any
) -> None:
    require_capacity(small_llama.url)
    source = tmp_path / "licence.txt"
    source.write_text(licence_text(TEXT_CHARS), encoding="utf-8")
    out, rejected_file = tmp_path / "qa.jsonl", tmp_path / "rejected.jsonl"
    started = time.monotonic()
    args = ["generate", str(source), "-n", "9", "--max-retries", "2", "--with-meta"]
    args += ["--endpoint", small_llama.url, "--model", MODEL, "--timeout", "120", "-o", str(out)]
    args += ["--rejected", str(rejected_file)]
    done = run_qagen(args, cwd=tmp_path, timeout=RUN_LIMIT)
    pairs = read_jsonl(out) if out.exists() else []
    rejected = read_jsonl(rejected_file) if rejected_file.exists() else []
    tokens = re.search(r"tokens: .*", done.output)
    figure(
        f"real llama.cpp -c 2048 -np 4, qagen generate -n 9 on {TEXT_CHARS} chars: exit "
        f"{done.code}, {len(pairs)} pairs kept and {len(rejected)} rejected, "
        f"{tokens.group(0) if tokens else 'no tokens'}, {time.monotonic() - started:.0f} s"
    )
    assert done.code in (0, 1), done.output
    chunks = len(
        re.findall(r"longer than the server's context \(512 tokens\): split in", done.stderr)
    )
    assert chunks == 3, done.output  # each 3,000-character chunk, once
    assert "exceeds the available context size" not in done.stderr  # no chunk failed so
    assert "too long" not in done.stderr, done.output  # nor a piece
    answered = {pair["meta"]["chunk"] for pair in pairs + rejected}
    assert answered == {0, 1, 2}, done.output  # every chunk's pieces came back with pairs
    assert_no_junk(pairs)


def test_the_real_props_give_each_slot_a_quarter_of_the_context(llama_url: str) -> None:
    endpoint = Endpoint(url=llama_url, model=MODEL)

    async def go() -> ServerInfo | None:
        async with new_async_client(10, 1, endpoint=endpoint) as client:
            return await probe_server(client, endpoint)

    info = asyncio.run(go())
    assert info is not None
    assert info.kind is ServerKind.LLAMA_CPP
    assert info.slots == 4
    assert info.context_window == 16384 // 4


def test_a_small_context_refusal_is_recognised_with_its_numbers(small_llama: LlamaServer) -> None:
    body = {
        "messages": [{"role": "user", "content": licence_text(4000)}],
        "stream": True,
        "max_tokens": 8,
    }
    with pytest.raises(ChatError) as caught:
        _chat(small_llama.url, body)
    assert caught.value.kind == "too_long"
    assert caught.value.status == 400
    assert "exceeds the available context size (512 tokens)" in caught.value.server_text
    assert caught.value.overflow is not None
    assert caught.value.overflow.context_tokens == 512
    assert (caught.value.overflow.prompt_tokens or 0) > 512


def test_a_repeated_prompt_is_served_from_the_cache_and_counted(llama_url: str) -> None:
    prompt = "Name one river. " + licence_text(1500)
    body = {
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 4,
    }
    first = _chat(llama_url, body)
    second = _chat(llama_url, body)
    assert first.usage is not None and second.usage is not None
    assert second.usage.prompt_tokens == first.usage.prompt_tokens
    assert second.usage.cached_prompt_tokens > second.usage.prompt_tokens // 2


def test_requests_on_connections_the_server_keeps_alive_all_get_answers(llama_url: str) -> None:
    # Against llama-server, a request sent at once after one that followed an idle spell used
    # to fail as "Server disconnected without sending a response" (nothing in the server's log).
    endpoint = Endpoint(url=llama_url, model=MODEL)
    body = {"messages": [{"role": "user", "content": "Hi"}], "stream": True, "max_tokens": 2}

    async def go() -> list[str]:
        outcomes = []
        async with new_async_client(60, 1, endpoint=endpoint) as client:
            for idle in (0.0, 3.0, 0.0, 4.5, 0.0, 1.9, 0.0):
                # The idle spell is the condition under test, not a wait for a result.
                await asyncio.sleep(idle)
                try:
                    await send_chat(client, endpoint, None, body)
                    outcomes.append("ok")
                except ChatError as exc:
                    outcomes.append(str(exc))
        return outcomes

    assert asyncio.run(go()) == ["ok"] * 7
