"""``qagen generate`` with bad pairs in the replies: checks, the judge, --with-meta, --rejected,
the summary of rejections by reason, and the seeded train/validation split. A real subprocess
against the loopback server (``FakeLLMServer(mix_bad=True)``), which knows what each pair is."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_pairs import PairKind
from fake_server import FakeLLMServer, Reply
from qagen_process import read_jsonl, run_qagen

from qagen_desktop.core.records import QAPair
from qagen_desktop.core.splitting import split_pairs

CHEAP_KINDS = {PairKind.ECHO, PairKind.NON_ANSWER, PairKind.OUTSIDE, PairKind.REWORDED}


@pytest.fixture
def bad_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(mix_bad=True) as server:
        yield server


def kind_of(server: FakeLLMServer, line: dict[str, Any]) -> PairKind | None:
    return server.pair_kinds.get((line["question"], line["answer"]))


def summary_counts(stdout: str) -> dict[str, int]:
    """``Rejected 7: 3 near-duplicate question, 2 non-answer.`` as {name: count}."""
    [line] = [line for line in stdout.splitlines() if line.startswith("Rejected")]
    counts = {}
    for part in line.split(": ", 1)[1].rstrip(".").split(", "):
        number, name = part.split(" ", 1)
        counts[name] = int(number)
    return counts


def test_forty_good_pairs_and_a_summary_of_what_was_rejected(
    bad_server: FakeLLMServer, ctx: Path, tmp_path: Path
) -> None:
    done = run_qagen(
        ["generate", "ctx.txt", "-n", "40", "--endpoint", bad_server.url], cwd=tmp_path
    )
    assert done.code == 0, done.output
    lines = read_jsonl(tmp_path / "qa.jsonl")
    assert len(lines) == 40
    assert not {kind_of(bad_server, line) for line in lines} & CHEAP_KINDS
    assert all(set(line) == {"question", "answer"} for line in lines), "no meta unless asked"
    counts = summary_counts(done.stdout)
    for name in ("answer repeating the question", "non-answer", "not supported by the text"):
        assert counts.get(name, 0) >= 1, counts
    assert "near-duplicate question" in counts


def test_the_judge_keeps_only_pairs_scored_at_least_the_minimum(
    bad_server: FakeLLMServer, ctx: Path, tmp_path: Path
) -> None:
    done = run_qagen(
        [
            *("generate", "ctx.txt", "-n", "40", "--endpoint", bad_server.url),
            *("--judge", "--min-score", "7", "--with-meta", "--rejected", "rejected.jsonl"),
        ],
        cwd=tmp_path,
    )
    assert done.code == 0, done.output
    lines = read_jsonl(tmp_path / "qa.jsonl")
    assert len(lines) == 40
    assert all(line["meta"]["score"] >= 7 for line in lines)
    assert all(line["meta"]["status"] == "accepted" and line["meta"]["reason"] for line in lines)
    assert {kind_of(bad_server, line) for line in lines} == {PairKind.GOOD}
    rejected = read_jsonl(tmp_path / "rejected.jsonl")
    assert all(line["meta"]["status"] == "rejected" for line in rejected)
    low = [line for line in rejected if line["meta"]["rejection"] == "low_score"]
    assert PairKind.WRONG_SENTENCE in {kind_of(bad_server, line) for line in low}
    assert all(line["meta"]["score"] < 7 and line["meta"]["reason"] for line in low)
    assert {line["meta"]["rejection"] for line in rejected} >= {"echo", "non_answer"}
    assert summary_counts(done.stdout)["scored under 7 by the judge"] == len(low)
    assert sum(summary_counts(done.stdout).values()) == len(rejected)
    assert f"Wrote the {len(rejected)} rejected pairs to rejected.jsonl" in done.stdout
    tokens = next(line for line in done.stdout.splitlines() if "tokens:" in line)
    assert "; judge: " in tokens, "the judge's tokens are reported apart"


def test_the_split_is_seeded_reproducible_and_written_as_two_files(
    bad_server: FakeLLMServer, ctx: Path, tmp_path: Path
) -> None:
    done = run_qagen(
        [
            *("generate", "ctx.txt", "-n", "20", "--endpoint", bad_server.url, "-o", "set.jsonl"),
            *("--val-fraction", "0.25", "--seed", "7"),
        ],
        cwd=tmp_path,
    )
    assert done.code == 0, done.output
    assert not (tmp_path / "set.jsonl").exists()
    train = read_jsonl(tmp_path / "set.train.jsonl")
    val = read_jsonl(tmp_path / "set.val.jsonl")
    assert (len(train), len(val)) == (15, 5)
    assert "set.train.jsonl (15) and set.val.jsonl (5)" in done.stdout
    # The same pairs, in any order, split the same way for the same seed.
    pairs = [QAPair(line["question"], line["answer"]) for line in train + val]
    random.Random(1).shuffle(pairs)
    again = split_pairs(pairs, 0.25, seed=7)
    assert {pair.question for pair in again.val} == {line["question"] for line in val}


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--min-score", "11"], "--min-score must be from 1 to 10"),
        (["--min-score", "0"], "--min-score must be from 1 to 10"),
        (["--val-fraction", "1.5"], "--val-fraction must be above 0 and below 1"),
        (["--rejected", "qa.jsonl"], "--rejected qa.jsonl is where the dataset goes"),
        (["--rejected", "nowhere/rejected.jsonl"], "--rejected nowhere/rejected.jsonl cannot"),
        (["--judge", "--judge-endpoint", "judge.example"], "http"),
    ],
)
def test_bad_quality_options_are_one_line_before_any_request(
    server: FakeLLMServer, ctx: Path, tmp_path: Path, args: list[str], named: str
) -> None:
    done = run_qagen(["generate", "ctx.txt", "--endpoint", server.url, *args], cwd=tmp_path)
    assert done.code == 2, done.output
    [line] = done.stderr.strip().splitlines()
    assert named in line
    assert not server.requests
    assert not (tmp_path / "qa.jsonl").exists()


def test_help_says_where_the_split_goes(tmp_path: Path) -> None:
    done = run_qagen(["generate", "--help"], cwd=tmp_path)
    assert done.code == 0
    flat = " ".join(done.stdout.split())
    assert ".train.jsonl" in flat and ".val.jsonl" in flat
    for option in ("--judge", "--judge-model", "--judge-endpoint", "--min-score", "--with-meta"):
        assert option in flat


def test_pairs_the_judge_could_not_rate_are_written_unscored_and_exit_1(
    ctx: Path, tmp_path: Path
) -> None:
    def script(number: int, body: dict[str, Any]) -> Reply | None:
        if "qa_ratings" in str(body.get("response_format")):
            return Reply(kind="broken_json")
        return None

    with FakeLLMServer(script=script) as server:
        done = run_qagen(
            [
                *("generate", "ctx.txt", "-n", "3", "--endpoint", server.url),
                *("--judge", "--with-meta", "--max-retries", "1"),
            ],
            cwd=tmp_path,
        )
    assert done.code == 1, done.output
    lines = read_jsonl(tmp_path / "qa.jsonl")
    assert len(lines) == 3, "nothing is lost"
    assert all("score" not in line["meta"] for line in lines)
    assert all(line["meta"]["reason"].startswith("Not judged:") for line in lines)
    assert "3 pairs could not be judged and are written without a score" in done.stderr


class EchoServer(FakeLLMServer):
    """A loopback server whose every answer only repeats its question."""

    def _make_pairs(self, context: str, count: int) -> list[tuple[str, str]]:
        return [
            (question, question.rstrip("?")) for question, _ in super()._make_pairs(context, count)
        ]


def test_a_run_whose_every_pair_fails_still_says_why_and_writes_the_rejected(
    ctx: Path, tmp_path: Path
) -> None:
    with EchoServer() as server:
        args = ["generate", "ctx.txt", "-n", "6", "--max-retries", "1", "--endpoint", server.url]
        done = run_qagen([*args, "--rejected", "rejected.jsonl"], cwd=tmp_path)
    assert done.code == 1, done.output
    assert not (tmp_path / "qa.jsonl").exists()
    rejected = read_jsonl(tmp_path / "rejected.jsonl")
    assert rejected and {line["meta"]["rejection"] for line in rejected} == {"echo"}
    assert summary_counts(done.stdout) == {"answer repeating the question": len(rejected)}
    assert f"Wrote the {len(rejected)} rejected pairs to rejected.jsonl" in done.stdout
    # Pairs came back, and the last line says so: every one was rejected, for the reasons above.
    assert f"no pair passed the checks: the {len(rejected)} that came back" in done.stderr
    assert "no pairs came back" not in done.stderr
    # What the run spent is said though nothing was kept.
    spent = re.search(r"Wrote no pairs in [\d.]+ s; tokens: (\d+) prompt", done.stdout)
    assert spent and int(spent.group(1)) > 0, done.stdout
