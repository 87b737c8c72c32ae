"""The API key lives in the OS keyring, or for this session only when no keyring works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import pytest
from memory_keyring import MemoryKeyring

from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.keystore import SERVICE, KeyStore

SENTINEL = "sk-SENTINEL-keystore-7f3a9c"


class _LockedKeyring(MemoryKeyring):
    """A backend whose collection is locked: every call fails."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"could not store {password}")


def test_fail_backend_is_unavailable_and_keeps_the_key_for_the_session() -> None:
    store = KeyStore(keyring.backends.fail.Keyring())
    assert store.available is False
    assert store.set("http://127.0.0.1:5272/v1/chat/completions", SENTINEL) is False
    assert store.get("http://127.0.0.1:5272/v1/chat/completions") == SENTINEL
    assert "\n" not in store.unavailable_message and "session" in store.unavailable_message


def test_null_backend_is_unavailable() -> None:
    assert KeyStore(keyring.backends.null.Keyring()).available is False


def test_chainer_with_nothing_to_chain_is_unavailable() -> None:
    class EmptyChainer(keyring.backends.chainer.ChainerBackend):
        backends = []  # type: ignore[assignment]  # noqa: RUF012

    store = KeyStore(EmptyChainer())
    assert store.available is False
    assert store.set("id", SENTINEL) is False
    assert store.get("id") == SENTINEL


def test_chainer_with_a_working_backend_is_available() -> None:
    class OneChainer(keyring.backends.chainer.ChainerBackend):
        backends = [MemoryKeyring()]  # type: ignore[assignment]  # noqa: RUF012

    assert KeyStore(OneChainer()).available is True


def test_deleting_forgets_a_session_key() -> None:
    store = KeyStore(keyring.backends.fail.Keyring())
    store.set("id", SENTINEL)
    store.delete("id")
    assert store.get("id") is None


def test_default_backend_in_tests_is_the_fail_backend() -> None:
    store = KeyStore()
    assert store.available is False
    assert store.get("https://api.example.com/v1/chat/completions") is None


def test_working_backend_saves_under_the_service_and_endpoint() -> None:
    backend = MemoryKeyring()
    store = KeyStore(backend)
    key_id = Endpoint(url="https://api.example.com/v1").key_id()
    assert store.available is True
    assert store.set(key_id, SENTINEL) is True
    assert backend.saved == {(SERVICE, key_id): SENTINEL}
    assert KeyStore(backend).get(key_id) == SENTINEL
    store.delete(key_id)
    assert backend.saved == {}
    assert store.get(key_id) is None


def test_locked_keyring_falls_back_to_the_session_without_logging_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = KeyStore(_LockedKeyring())
    assert store.set("id", SENTINEL) is False
    assert store.get("id") == SENTINEL
    assert SENTINEL not in caplog.text
    assert "could not save" in caplog.text


def test_unreadable_keyring_gives_no_key() -> None:
    assert KeyStore(_LockedKeyring()).get("id") is None


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.keyring
def test_key_saved_in_one_process_is_read_in_another(
    secret_service: dict[str, str],
    user_dirs: dict[str, Path],
) -> None:
    key_id = Endpoint(url="https://api.example.com/v1").key_id()
    saved = _run(
        "from qagen_desktop.core.keystore import KeyStore\n"
        "from qagen_desktop.core.settings import Settings, save_settings\n"
        "store = KeyStore()\n"
        f"assert store.available, store\n"
        f"assert store.set({key_id!r}, {SENTINEL!r})\n"
        "save_settings(Settings(endpoint='https://api.example.com/v1'))\n",
        secret_service,
    )
    assert saved.returncode == 0, saved.stderr
    read = _run(
        f"from qagen_desktop.core.keystore import KeyStore\nprint(KeyStore().get({key_id!r}))\n",
        secret_service,
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == SENTINEL
    settings_file = user_dirs["config"] / "qagen-desktop" / "settings.json"
    assert json.loads(settings_file.read_text(encoding="utf-8"))["endpoint"]
    assert SENTINEL not in settings_file.read_text(encoding="utf-8")
