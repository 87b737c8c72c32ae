"""The window and ``qagen`` assemble a run through the same code, and get the same run."""

from __future__ import annotations

import pytest

from qagen_desktop.cli.parser import build_parser, flags_from_args
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.session import assemble_run
from qagen_desktop.core.settings import Settings
from qagen_desktop.ui.controllers.run import RunController

URL = "http://127.0.0.1:9/v1/chat/completions"


class DictKeys:
    def __init__(self, saved: dict[str, str]) -> None:
        self.saved = saved

    def get(self, key_id: str) -> str | None:
        return self.saved.get(key_id)

    def set(self, key_id: str, key: str) -> bool:
        self.saved[key_id] = key
        return True

    def delete(self, key_id: str) -> None:
        self.saved.pop(key_id, None)


def test_flags_environment_settings_and_keyring_give_the_same_run_in_both_faces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(
        system_message="Answer briefly.", chunk_chars=2000, concurrency=2, max_retries=5
    )
    endpoint = Endpoint(provider="openai", url=URL, model="m1")
    keys = DictKeys({endpoint.key_id(): "sk-saved"})
    environ = {"MODEL": "ignored-by-flag"}

    argv = ["generate", "ctx.txt", "-n", "7", "--endpoint", URL, "--model", "m1"]
    from_cli = assemble_run(
        flags_from_args(build_parser().parse_args(argv)),
        environ=environ,
        settings=settings,
        keystore=keys,
    )
    # The window's key field holds what the key controller loaded from the same keyring entry.
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    from_window = RunController._build_run(settings, endpoint, "sk-saved", 7)

    assert from_window == from_cli.config
    assert from_window.api_key == "sk-saved"
    assert (from_window.chunk_chars, from_window.concurrency, from_window.max_retries) == (
        2000,
        2,
        5,
    )
    assert from_window.system_message == "Answer briefly."


def test_an_empty_key_field_sends_no_key_whatever_the_keyring_holds() -> None:
    endpoint = Endpoint(provider="openai", url=URL, model="m1")
    config = RunController._build_run(Settings(), endpoint, None, 3)
    assert config.api_key is None
    assert config.total_pairs == 3
