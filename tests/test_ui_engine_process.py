"""The run's engine process: the key over the pipe only, cancel, a crash, and what comes back."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from fake_server import FakeLLMServer
from pytestqt.qtbot import QtBot

from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ErrorKind
from qagen_desktop.core.generation import ChunkOutcome, RunResult, Usage
from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.core.settings import Settings
from qagen_desktop.ui.engine_process import EngineProcess
from qagen_desktop.ui.engine_wire import RunReport, RunRequest, result_data

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

KEY = "sk-pipe-only-7d41"
TEXT = "The Danube flows through ten countries and four capital cities. " * 40

# Stands in for the engine: tells, as a notice, where it found the key, then finishes.
SPY = r"""
import json, os, sys
request = json.loads(sys.stdin.buffer.readline())
where = {"argv": KEY in " ".join(sys.argv), "environ": any(KEY in v for v in os.environ.values()),
         "pipe": request["api_key"] == KEY}
for line in (json.dumps({"event": "notice", "message": json.dumps(where)}),
             json.dumps({"event": "finished", "result": None})):
    sys.stdout.write(line + "\n")
sys.stdout.flush()
""".replace("KEY", repr(KEY))


def _request(url: str, *, key: str | None = KEY, pairs: int = 4) -> RunRequest:
    return RunRequest(Settings(), Endpoint(url=url, model="m"), key, pairs, TEXT)


def test_the_key_reaches_the_engine_over_its_pipe_not_its_command_line_or_environment(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY", KEY)  # the window's own environment holds it too
    engine = EngineProcess(
        _request("http://127.0.0.1:9/v1"), command=[sys.executable, "-c", SPY, "--", "x"]
    )
    notices: list[str] = []
    engine.notice.connect(notices.append)
    with qtbot.waitSignal(engine.stopped, timeout=30000):
        engine.start()
    assert notices == ['{"argv": false, "environ": false, "pipe": true}']


def test_a_run_in_the_engine_sends_every_pair_and_its_result(qtbot: QtBot, tmp_path: Path) -> None:
    with FakeLLMServer() as server:
        engine = EngineProcess(_request(server.url, key=None, pairs=4))
        arrived: list[QAPair] = []
        engine.pairsReceived.connect(arrived.extend)
        with qtbot.waitSignal(engine.finished, timeout=60000) as finished:
            engine.start()
        qtbot.waitUntil(lambda: not engine.running)
    report = finished.args[0]
    assert isinstance(report, RunReport)
    assert len(report.pairs) == 4 and not report.failed and report.shortfall == 0
    assert [pair.question for pair in arrived] == [pair.question for pair in report.pairs]
    assert report.usage.total_tokens > 0


def test_a_run_cancelled_before_the_engine_started_ends_cancelled(qtbot: QtBot) -> None:
    with FakeLLMServer(latency=0.5) as server:
        engine = EngineProcess(_request(server.url, key=None, pairs=40))
        with qtbot.waitSignal(engine.finished, timeout=60000) as finished:
            engine.start()
            engine.cancel()
        engine.wait()
    report = finished.args[0]
    assert isinstance(report, RunReport) and report.cancelled
    assert not engine.running


def test_an_engine_that_dies_is_an_error_and_the_run_still_finishes(qtbot: QtBot) -> None:
    engine = EngineProcess(
        _request("http://127.0.0.1:9/v1"),
        command=[sys.executable, "-c", "import sys; sys.stdin.readline(); sys.exit(3)"],
    )
    errors: list[str] = []
    engine.error.connect(errors.append)
    with qtbot.waitSignal(engine.finished, timeout=30000) as finished:
        engine.start()
    qtbot.waitUntil(lambda: not engine.running)
    assert finished.args == [None]
    assert len(errors) == 1 and "exited (3)" in errors[0] and "pairs received are kept" in errors[0]


def test_an_engine_that_cannot_start_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    engine = EngineProcess(_request("http://127.0.0.1:9/v1"), command=[str(tmp_path / "none")])
    errors: list[str] = []
    engine.error.connect(errors.append)
    with qtbot.waitSignal(engine.stopped, timeout=30000):
        engine.start()
    assert len(errors) == 1 and "could not start" in errors[0]


def test_a_result_crosses_the_pipe_whole() -> None:
    pairs = [
        QAPair("Q1?", "A1.", chunk=0, source="ctx", document="a.pdf", page=3, score=8),
        QAPair("Q2?", "A2.", chunk=1, status=PairStatus.EDITED, section="Intro"),
    ]
    failed = ChunkOutcome(2, requested=3, received=1)
    failed.fail("The server kept refusing.", ErrorKind.SERVER)
    result = RunResult(
        pairs=pairs,
        outcomes=[ChunkOutcome(0, 1, 1), ChunkOutcome(1, 1, 1), failed],
        usage=Usage(10, 5, 15),
        requested=5,
        response_mode="json_object",
        rejected=[QAPair("Q3?", "N/A", status=PairStatus.REJECTED, rejection="non-answer")],
    )
    import json

    report = RunReport.of(json.loads(json.dumps(result_data(result))))
    assert report.pairs == pairs and report.rejected == result.rejected
    assert [outcome.index for outcome in report.failed] == [2]
    assert report.failed[0].error == "The server kept refusing."
    assert report.shortfall == result.shortfall == 3
    assert (report.usage.total_tokens, report.response_mode) == (15, "json_object")
