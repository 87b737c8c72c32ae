"""The API key goes to the configured endpoint and nowhere else: no file, no output, no redirect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fake_server import FakeLLMServer, Reply
from qagen_process import Done, run_qagen

from qagen_desktop.core.endpoint import Endpoint

SENTINEL = "sk-SENTINEL-4b1d9e0c7a2f58d3"


def _files_holding_the_key(folders: list[Path]) -> list[Path]:
    found = []
    for folder in folders:
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            if path.is_file() and SENTINEL.encode() in path.read_bytes():
                found.append(path)
    return found


def _assert_no_leak(done: Done, user_dirs: dict[str, Path], work: Path) -> None:
    assert SENTINEL not in done.stdout
    assert SENTINEL not in done.stderr
    assert _files_holding_the_key([*user_dirs.values(), work]) == []


def test_key_is_sent_but_kept_out_of_every_file_and_output(
    ctx: Path, tmp_path: Path, user_dirs: dict[str, Path]
) -> None:
    # Rejecting json_schema makes the run save settings (the response mode), so a file is written.
    with FakeLLMServer(reject_response_formats=("json_schema",)) as server:
        done = run_qagen(
            ["generate", str(ctx), "-n", "3", "--endpoint", server.url],
            cwd=tmp_path,
            env={"API_KEY": SENTINEL},
        )
    assert done.code == 0, done.output
    assert all(r.headers.get("authorization") == f"Bearer {SENTINEL}" for r in server.requests)
    assert (user_dirs["config"] / "qagen-desktop" / "settings.json").exists()
    _assert_no_leak(done, user_dirs, tmp_path)


def test_key_echoed_by_a_rejecting_server_is_not_printed(
    ctx: Path, tmp_path: Path, user_dirs: dict[str, Path]
) -> None:
    # Some servers repeat the key they were given in the error body.
    body = json.dumps(
        {
            "error": {
                "message": f"Incorrect API key provided: {SENTINEL}. Check your key.",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        }
    )
    with FakeLLMServer(script=lambda n, b: Reply(kind="status", status=401, body=body)) as server:
        done = run_qagen(
            ["generate", str(ctx), "--endpoint", server.url],
            cwd=tmp_path,
            env={"API_KEY": SENTINEL},
        )
    assert done.code == 1, done.output
    assert "qagen: error:" in done.stderr
    _assert_no_leak(done, user_dirs, tmp_path)


def test_redirect_target_never_receives_the_key(
    ctx: Path, tmp_path: Path, user_dirs: dict[str, Path]
) -> None:
    with FakeLLMServer() as target, FakeLLMServer() as server:
        server.script = lambda n, b: Reply(kind="redirect", location=target.chat_url)
        done = run_qagen(
            ["generate", str(ctx), "--endpoint", server.url, "--max-retries", "1"],
            cwd=tmp_path,
            env={"API_KEY": SENTINEL},
        )
        assert server.request_count >= 1
        for request in target.requests:
            assert SENTINEL not in json.dumps(request.headers)
    assert done.code == 1, done.output
    assert "Traceback" not in done.output
    assert target.request_count == 0, "a redirect is not followed"
    _assert_no_leak(done, user_dirs, tmp_path)


def test_plain_http_to_another_host_warns_that_the_key_travels_unencrypted(
    ctx: Path, tmp_path: Path, user_dirs: dict[str, Path]
) -> None:
    # .invalid never resolves: the warning is printed and no traffic leaves the machine.
    done = run_qagen(
        ["generate", str(ctx), "--endpoint", "http://nonexistent.invalid/v1", "--max-retries", "0"],
        cwd=tmp_path,
        env={"API_KEY": SENTINEL},
    )
    warnings = [line for line in done.stderr.splitlines() if "unencrypted" in line]
    assert len(warnings) == 1
    assert "nonexistent.invalid" in warnings[0]
    _assert_no_leak(done, user_dirs, tmp_path)


def test_no_warning_for_a_loopback_server(ctx: Path, tmp_path: Path) -> None:
    with FakeLLMServer() as server:
        done = run_qagen(
            ["generate", str(ctx), "-n", "1", "--endpoint", server.url],
            cwd=tmp_path,
            env={"API_KEY": SENTINEL},
        )
    assert done.code == 0, done.output
    assert "unencrypted" not in done.stderr


@pytest.mark.keyring
def test_key_from_the_keyring_is_used_and_never_written_to_settings(
    secret_service: dict[str, str],
    ctx: Path,
    tmp_path: Path,
    user_dirs: dict[str, Path],
) -> None:
    with FakeLLMServer(reject_response_formats=("json_schema",)) as server:
        key_id = Endpoint(url=server.url).key_id()
        saved = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys\nfrom qagen_desktop.core.keystore import KeyStore\n"
                "assert KeyStore().set(sys.argv[1], sys.stdin.read())\n",
                key_id,
            ],
            input=SENTINEL,
            env={**os.environ, **secret_service},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert saved.returncode == 0, saved.stderr
        done = run_qagen(
            ["generate", str(ctx), "-n", "2", "--endpoint", server.url],
            cwd=tmp_path,
            env=secret_service,
        )
    assert done.code == 0, done.output
    assert server.requests[0].headers.get("authorization") == f"Bearer {SENTINEL}"
    settings_file = user_dirs["config"] / "qagen-desktop" / "settings.json"
    assert settings_file.exists()
    assert SENTINEL not in settings_file.read_text(encoding="utf-8")
    _assert_no_leak(done, user_dirs, tmp_path)


def test_a_worker_error_names_neither_the_run_key_nor_the_judge_key() -> None:
    from qagen_desktop.ui.worker import error_message

    exc = RuntimeError("sent sk-run-1234 and sk-judge-5678 with Authorization: Bearer sk-x")
    message = error_message(exc, "sk-run-1234", "sk-judge-5678")
    assert "sk-run-1234" not in message and "sk-judge-5678" not in message
    assert "sk-x" not in message
