"""``qagen generate`` end to end: a real subprocess against the loopback server."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_server import FakeLLMServer
from qagen_process import CONTEXT, assert_plain_failure, qagen_command, read_jsonl, run_qagen

from qagen_desktop import __version__
from qagen_desktop.core.endpoint import Endpoint


def test_generate_writes_seven_question_answer_lines(
    server: FakeLLMServer, ctx: Path, tmp_path: Path
) -> None:
    done = run_qagen(["generate", "ctx.txt", "-n", "7", "--endpoint", server.url], cwd=tmp_path)
    assert done.code == 0, done.output
    lines = read_jsonl(tmp_path / "qa.jsonl")
    assert len(lines) == 7
    assert all(set(line) == {"question", "answer"} for line in lines)
    assert all(line["question"] and line["answer"] for line in lines)
    assert "Wrote 7 pairs to qa.jsonl (format qa)" in done.stdout
    assert "tokens:" in done.stdout


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        (
            "openai-chat",
            lambda r: (
                [m["role"] for m in r["messages"]] == ["user", "assistant"]
                and all(m["content"] for m in r["messages"])
            ),
        ),
        (
            "alpaca",
            lambda r: set(r) == {"instruction", "input", "output"} and r["input"] == "",
        ),
        (
            "sharegpt",
            lambda r: [c["from"] for c in r["conversations"]] == ["human", "gpt"],
        ),
    ],
)
def test_each_format_writes_its_shape(
    server: FakeLLMServer, ctx: Path, tmp_path: Path, fmt: str, check: object
) -> None:
    out = tmp_path / f"{fmt}.jsonl"
    done = run_qagen(
        [
            "generate",
            str(ctx),
            "-n",
            "3",
            "-o",
            str(out),
            "--format",
            fmt,
            "--endpoint",
            server.url,
        ],
        cwd=tmp_path,
    )
    assert done.code == 0, done.output
    records = read_jsonl(out)
    assert len(records) == 3
    assert all(check(r) for r in records)  # type: ignore[operator]
    assert f"(format {fmt})" in done.stdout


def test_dash_reads_standard_input(server: FakeLLMServer, tmp_path: Path) -> None:
    done = run_qagen(
        ["generate", "-", "-n", "2", "--endpoint", server.chat_url],
        cwd=tmp_path,
        stdin=CONTEXT.encode("utf-8"),
    )
    assert done.code == 0, done.output
    assert len(read_jsonl(tmp_path / "qa.jsonl")) == 2
    assert "Amazon" in server.requests[0].prompt


def test_piped_input_without_a_file_argument_is_read(server: FakeLLMServer, tmp_path: Path) -> None:
    done = run_qagen(
        ["generate", "-n", "1", "--endpoint", server.url], cwd=tmp_path, stdin=CONTEXT.encode()
    )
    assert done.code == 0, done.output
    assert len(read_jsonl(tmp_path / "qa.jsonl")) == 1


def test_binary_standard_input_is_refused(server: FakeLLMServer, tmp_path: Path) -> None:
    done = run_qagen(
        ["generate", "-", "--endpoint", server.url], cwd=tmp_path, stdin=b"%PDF-1.4\x00\x01\x02"
    )
    assert "not a UTF-8 text file" in assert_plain_failure(done, 2)
    assert server.request_count == 0


def test_api_key_from_environment_is_sent_as_bearer(
    server: FakeLLMServer, ctx: Path, tmp_path: Path
) -> None:
    done = run_qagen(
        ["generate", str(ctx), "-n", "3", "--endpoint", server.url],
        cwd=tmp_path,
        env={"API_KEY": "sk-test-bearer-123"},
    )
    assert done.code == 0, done.output
    assert server.requests
    assert all(
        r.headers.get("authorization") == "Bearer sk-test-bearer-123" for r in server.requests
    )
    assert all("api-key" not in r.headers for r in server.requests)


def test_empty_api_key_sends_no_authorization(
    server: FakeLLMServer, ctx: Path, tmp_path: Path
) -> None:
    done = run_qagen(
        ["generate", str(ctx), "-n", "2", "--endpoint", server.url],
        cwd=tmp_path,
        env={"API_KEY": ""},
    )
    assert done.code == 0, done.output
    assert all("authorization" not in r.headers for r in server.requests)


def test_azure_url_sends_api_key_on_every_request_and_keeps_the_query(
    server: FakeLLMServer, ctx: Path, tmp_path: Path
) -> None:
    url = f"{server.base}/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01"
    done = run_qagen(
        ["generate", str(ctx), "-n", "6", "--chunk-chars", "200", "--endpoint", url],
        cwd=tmp_path,
        env={"API_KEY": "azure-key-456"},
    )
    assert done.code == 0, done.output
    assert len(server.requests) >= 2
    for request in server.requests:
        assert request.path == "/openai/deployments/gpt-4o/chat/completions"
        assert request.params == {"api-version": "2024-06-01"}
        assert request.headers.get("api-key") == "azure-key-456"
        assert "authorization" not in request.headers


def test_azure_base_url_with_deployment_and_api_version(
    server: FakeLLMServer, ctx: Path, tmp_path: Path
) -> None:
    done = run_qagen(
        [
            "generate",
            str(ctx),
            "-n",
            "2",
            "--provider",
            "azure",
            "--endpoint",
            server.base,
            "--deployment",
            "mydeploy",
            "--api-version",
            "2024-02-01",
        ],
        cwd=tmp_path,
        env={"API_KEY": "azure-key-789"},
    )
    assert done.code == 0, done.output
    request = server.requests[0]
    assert request.path == "/openai/deployments/mydeploy/chat/completions"
    assert request.params == {"api-version": "2024-02-01"}
    assert request.headers.get("api-key") == "azure-key-789"


def test_api_endpoint_and_model_environment_are_the_defaults(
    server: FakeLLMServer, ctx: Path, tmp_path: Path
) -> None:
    done = run_qagen(
        ["generate", str(ctx), "-n", "1"],
        cwd=tmp_path,
        env={"API_ENDPOINT": server.chat_url, "MODEL": "env-model"},
    )
    assert done.code == 0, done.output
    assert server.requests[0].body["model"] == "env-model"


def test_flags_win_over_the_environment(server: FakeLLMServer, ctx: Path, tmp_path: Path) -> None:
    done = run_qagen(
        ["generate", str(ctx), "-n", "1", "--endpoint", server.url, "--model", "flag-model"],
        cwd=tmp_path,
        env={"API_ENDPOINT": "http://127.0.0.1:9/v1", "MODEL": "env-model"},
    )
    assert done.code == 0, done.output
    assert server.requests[0].body["model"] == "flag-model"


def test_progress_lines_on_a_non_terminal_stderr(server: FakeLLMServer, tmp_path: Path) -> None:
    ctx = tmp_path / "long.txt"
    ctx.write_text((CONTEXT + "\n") * 4, encoding="utf-8")
    done = run_qagen(
        ["generate", str(ctx), "-n", "8", "--chunk-chars", "300", "--endpoint", server.url],
        cwd=tmp_path,
    )
    assert done.code == 0, done.output
    progress = [line for line in done.stderr.splitlines() if " chunks] " in line]
    assert len(progress) >= 2
    assert progress[-1].startswith(f"[{len(progress)}/{len(progress)} chunks] 8/8 pairs")
    assert "\r" not in done.stderr


def test_progress_bar_on_a_terminal_stderr(
    server: FakeLLMServer, ctx: Path, tmp_path: Path
) -> None:
    server.latency = 0.3
    main_fd, child_fd = pty.openpty()
    process = subprocess.Popen(
        [
            *qagen_command(),
            "generate",
            str(ctx),
            "-n",
            "4",
            "--chunk-chars",
            "200",
            "--endpoint",
            server.url,
        ],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=child_fd,
    )
    os.close(child_fd)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main_fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(main_fd, 4096)
            except OSError:
                break
            if not data:
                break
            seen += data
        elif process.poll() is not None:
            break
    os.close(main_fd)
    assert process.wait(timeout=30) == 0
    assert process.stdout is not None
    process.stdout.close()
    text = seen.decode("utf-8", "replace")
    assert "\r[" in text and "chunks" in text and "pairs" in text and "tokens" in text
    assert "4/4 pairs" in text


def test_remembers_the_response_mode_the_server_took(ctx: Path, tmp_path: Path) -> None:
    with FakeLLMServer(reject_response_formats=("json_schema",)) as server:
        first = run_qagen(["generate", str(ctx), "-n", "2", "--endpoint", server.url], cwd=tmp_path)
        assert first.code == 0, first.output
        settings_file = Path(os.environ["XDG_CONFIG_HOME"]) / "qagen-desktop" / "settings.json"
        saved = json.loads(settings_file.read_text(encoding="utf-8"))
        key_id = Endpoint(url=server.url).key_id()
        assert saved["response_modes"][key_id] == "json_object"
        asked_before = len(server.requests)
        second = run_qagen(
            ["generate", str(ctx), "-n", "2", "--endpoint", server.url], cwd=tmp_path
        )
        assert second.code == 0, second.output
        later = server.requests[asked_before:]
        assert later[0].body["response_format"]["type"] == "json_object"


def test_no_context_and_a_terminal_for_stdin_is_a_usage_error(tmp_path: Path) -> None:
    main_fd, child_fd = pty.openpty()
    try:
        done = subprocess.run(
            [*qagen_command(), "generate"],
            cwd=tmp_path,
            stdin=child_fd,
            capture_output=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(child_fd)
        os.close(main_fd)
    assert done.returncode == 2
    assert done.stderr.decode().startswith("qagen: error: give a source")
    assert b"Traceback" not in done.stderr


def test_version_prints_the_version(tmp_path: Path) -> None:
    done = run_qagen(["--version"], cwd=tmp_path)
    assert done.code == 0
    assert done.stdout.strip() == f"qagen {__version__}"


def test_no_command_is_a_usage_error(tmp_path: Path) -> None:
    assert "give a command" in assert_plain_failure(run_qagen([], cwd=tmp_path), 2)


def test_help_lists_every_flag(tmp_path: Path) -> None:
    done = run_qagen(["generate", "--help"], cwd=tmp_path)
    assert done.code == 0
    for flag in (
        "-n",
        "-o",
        "--format",
        "--provider",
        "--endpoint",
        "--model",
        "--concurrency",
        "--chunk-chars",
        "--max-retries",
        "--timeout",
        "--with-source",
        "--with-meta",
        "SOURCE",
    ):
        assert flag in done.stdout


def test_importing_the_cli_loads_no_qt() -> None:
    code = (
        "import sys, qagen_desktop.cli\n"
        "qt = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')]\n"
        "print(qt)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


class _BrokenGenerator:
    """Stands in for the engine with a bug: run() raises something nobody expected."""

    def __init__(self, config: object, **kwargs: object) -> None:
        self.config = config

    def run(self, text: str) -> object:
        raise RuntimeError("internal state went wrong near sk-SENTINEL-cli-unexpected")

    def cancel(self) -> None:
        pass


def test_unexpected_error_is_one_line_without_traceback(
    ctx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qagen_desktop.cli import run as cli

    monkeypatch.setattr(cli, "Generator", _BrokenGenerator)
    monkeypatch.setenv("API_KEY", "sk-SENTINEL-cli-unexpected")
    monkeypatch.chdir(tmp_path)
    code = cli.main(["generate", str(ctx), "--endpoint", "http://127.0.0.1:9/v1"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "unexpected error" in line]
    assert len(lines) == 1 and "QAGEN_DEBUG=1" in lines[0]
    assert "sk-SENTINEL-cli-unexpected" not in err


def test_debug_variable_shows_the_traceback_of_an_unexpected_error(
    ctx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qagen_desktop.cli import run as cli

    monkeypatch.setattr(cli, "Generator", _BrokenGenerator)
    monkeypatch.setenv("QAGEN_DEBUG", "1")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["generate", str(ctx), "--endpoint", "http://127.0.0.1:9/v1"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_a_failure_logged_inside_the_run_prints_no_traceback(
    server: FakeLLMServer,
    ctx: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from qagen_desktop.cli import run as cli
    from qagen_desktop.core.generation import collector as generation

    def broken_parser(*args: object, **kwargs: object) -> object:
        raise ValueError("parser bug")

    monkeypatch.setattr(generation, "parse_pairs", broken_parser)
    monkeypatch.chdir(tmp_path)
    code = cli.main(["generate", str(ctx), "-n", "2", "--endpoint", server.url])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert "qagen: chunk 1 failed: Unexpected error: parser bug" in err
    assert "chunk 0" not in err


def test_options_left_out_come_from_the_windows_settings(
    server: FakeLLMServer, ctx: Path, tmp_path: Path
) -> None:
    settings_file = Path(os.environ["XDG_CONFIG_HOME"]) / "qagen-desktop" / "settings.json"
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text(
        json.dumps({"endpoint": server.url, "model": "saved-model", "pairs": 3}), encoding="utf-8"
    )
    done = run_qagen(["generate", str(ctx)], cwd=tmp_path)
    assert done.code == 0, done.output
    assert len(read_jsonl(tmp_path / "qa.jsonl")) == 3
    assert {request.body["model"] for request in server.requests} == {"saved-model"}
    flagged = run_qagen(["generate", str(ctx), "-n", "2", "--model", "flag-model"], cwd=tmp_path)
    assert flagged.code == 0, flagged.output
    assert len(read_jsonl(tmp_path / "qa.jsonl")) == 2
    assert server.requests[-1].body["model"] == "flag-model"
