"""Which key the window shows and saves: per endpoint, from the keyring or API_KEY."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fake_server import FakeLLMServer
from memory_keyring import MemoryKeyring
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, Dialogs

from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.keystore import KeyStore
from qagen_desktop.ui.main_window import MainWindow

pytestmark = OFFSCREEN_NOISE


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(api_key="sk-saved") as running:
        yield running


def make_window(qtbot: QtBot, backend: MemoryKeyring, url: str) -> MainWindow:
    from qagen_desktop.core.settings import Settings

    window = MainWindow(settings=Settings(endpoint=url), keystore=KeyStore(backend))
    qtbot.addWidget(window)
    window.show()
    return window


def key_id(url: str) -> str:
    return Endpoint(url=url).key_id()


def test_the_saved_key_for_the_endpoint_is_shown_at_start(
    qtbot: QtBot, keyring_backend: MemoryKeyring, server: FakeLLMServer, dialogs: Dialogs
) -> None:
    keyring_backend.saved[("qagen-desktop", key_id(server.url))] = "sk-saved"
    window = make_window(qtbot, keyring_backend, server.url)
    qtbot.waitUntil(lambda: window.endpoint_pane.api_key() == "sk-saved")
    window.close()


def test_generating_before_the_key_loaded_uses_the_saved_key_and_keeps_it(
    qtbot: QtBot, keyring_backend: MemoryKeyring, server: FakeLLMServer, dialogs: Dialogs
) -> None:
    keyring_backend.saved[("qagen-desktop", key_id(server.url))] = "sk-saved"
    window = make_window(qtbot, keyring_backend, server.url)
    window.context_pane.set_text("The Danube flows through ten countries. " * 30)
    window.pairsSpin.setValue(2)
    window.controller.run.generate()  # at once: before the delayed keyring load
    qtbot.waitUntil(lambda: not window.controller.run.running, timeout=10000)
    assert window.model.rowCount() == 2
    assert keyring_backend.saved[("qagen-desktop", key_id(server.url))] == "sk-saved"
    window.close()


def test_a_committed_key_is_saved_per_endpoint_and_follows_the_url(
    qtbot: QtBot, keyring_backend: MemoryKeyring, dialogs: Dialogs
) -> None:
    first, second = "http://127.0.0.1:9/v1", "http://127.0.0.1:10/v1"
    keyring_backend.saved[("qagen-desktop", key_id(second))] = "sk-second"
    window = make_window(qtbot, keyring_backend, first)
    qtbot.waitUntil(lambda: window.controller.keys.loaded_for is not None)
    key = window.endpoint_pane.apiKeyEdit
    qtbot.keyClicks(key, "sk-first")
    qtbot.keyClick(key, Qt.Key.Key_Return)
    # Saved on a worker thread: the window goes on meanwhile.
    qtbot.waitUntil(lambda: ("qagen-desktop", key_id(first)) in keyring_backend.saved)
    assert keyring_backend.saved[("qagen-desktop", key_id(first))] == "sk-first"

    url = window.endpoint_pane.endpointEdit
    url.setText(second)
    window.endpoint_pane.endpointChanged.emit()
    assert window.endpoint_pane.api_key() == ""  # at once: never the first host's key
    qtbot.waitUntil(lambda: window.endpoint_pane.api_key() == "sk-second")
    assert window.controller.keys.keyring_notices == 0
    window.close()


def test_a_key_from_api_key_is_used_but_never_saved(
    qtbot: QtBot,
    keyring_backend: MemoryKeyring,
    server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
    dialogs: Dialogs,
) -> None:
    monkeypatch.setenv("API_KEY", "sk-saved")
    window = make_window(qtbot, keyring_backend, server.url)
    qtbot.waitUntil(lambda: window.endpoint_pane.api_key() == "sk-saved")
    window.context_pane.set_text("The Danube flows through ten countries. " * 30)
    window.pairsSpin.setValue(2)
    window.controller.run.generate()
    qtbot.waitUntil(lambda: not window.controller.run.running, timeout=10000)
    assert window.model.rowCount() == 2
    window.controller.document.dirty = False
    window.close()
    assert keyring_backend.saved == {}


def test_a_key_typed_in_the_window_is_kept_out_of_the_log(
    qtbot: QtBot, keyring_backend: MemoryKeyring
) -> None:
    import io
    import logging

    from qagen_desktop.core.logging_setup import RedactingFilter

    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("qagen_desktop.test_log")
    logger.addHandler(handler)
    try:
        window = make_window(qtbot, keyring_backend, "http://127.0.0.1:9/v1")
        qtbot.keyClicks(window.endpoint_pane.apiKeyEdit, "sk-typed-4f9e2c")
        window.controller.keys.commit_key()
        logger.warning("the server echoed the header: Authorization: sk-typed-4f9e2c")
        logger.warning("and the key alone: sk-typed-4f9e2c.")
    finally:
        logger.removeHandler(handler)
    assert "sk-typed-4f9e2c" not in written.getvalue()
    assert written.getvalue().count("[redacted]") == 2


@pytest.mark.parametrize("switch", ["committed", "not committed"])
def test_switching_to_an_endpoint_with_no_saved_key_sends_it_no_key(
    qtbot: QtBot,
    keyring_backend: MemoryKeyring,
    server: FakeLLMServer,
    dialogs: Dialogs,
    switch: str,
) -> None:
    keyring_backend.saved[("qagen-desktop", key_id(server.url))] = "sk-saved"
    window = make_window(qtbot, keyring_backend, server.url)
    qtbot.waitUntil(lambda: window.endpoint_pane.api_key() == "sk-saved")
    with FakeLLMServer() as other_host:
        window.endpoint_pane.endpointEdit.setText(other_host.url)
        if switch == "committed":
            window.endpoint_pane.endpointChanged.emit()
            assert window.endpoint_pane.api_key() == ""
        window.context_pane.set_text("The Danube flows through ten countries. " * 30)
        window.pairsSpin.setValue(2)
        window.controller.run.generate()
        qtbot.waitUntil(lambda: not window.controller.run.running, timeout=10000)
        assert other_host.requests
        for request in other_host.requests:
            assert "authorization" not in request.headers and "api-key" not in request.headers
            assert "sk-saved" not in json.dumps(request.body)
    assert keyring_backend.saved[("qagen-desktop", key_id(server.url))] == "sk-saved"
    assert ("qagen-desktop", key_id(other_host.url)) not in keyring_backend.saved
    window.controller.document.dirty = False
    window.close()
