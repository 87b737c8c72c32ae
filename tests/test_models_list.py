"""Pick the model from the server's /v1/models list; free typing stays."""

from __future__ import annotations

import json

import httpx
import pytest
from fake_server import FakeLLMServer
from pytestqt.qtbot import QtBot

from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError, RequestError
from qagen_desktop.core.models import list_models, models_url
from qagen_desktop.ui.main_window import MainWindow


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:5272/v1/chat/completions", "http://127.0.0.1:5272/v1/models"),
        ("http://localhost:11434/v1", "http://localhost:11434/v1/models"),
        ("http://localhost:11434/v1/", "http://localhost:11434/v1/models"),
    ],
)
def test_the_models_url_sits_beside_the_chat_path(url: str, expected: str) -> None:
    assert models_url(Endpoint(url=url)) == expected


def test_azure_is_not_asked_for_a_model_list() -> None:
    with pytest.raises(ConfigError, match="type the name"):
        models_url(Endpoint(provider="azure", url="https://res.openai.azure.com", deployment="d"))


def test_the_servers_models_are_listed_sorted_with_the_key_sent(
    llm_server: FakeLLMServer,
) -> None:
    llm_server.models = ("zephyr", "Llama-3", "phi-3")
    names = list_models(Endpoint(url=llm_server.url), "sk-test")
    assert names == ["Llama-3", "phi-3", "zephyr"]
    [request] = llm_server.requests
    assert request.method == "GET" and request.path.endswith("/v1/models")
    assert request.headers["authorization"] == "Bearer sk-test"


def test_ollamas_native_list_and_a_listless_answer() -> None:
    def ollama(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"models": [{"name": "qwen2.5:7b"}]})

    transport = httpx.MockTransport(ollama)
    assert list_models(Endpoint(url="http://h/v1"), None, transport=transport) == ["qwen2.5:7b"]

    def nothing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps({"ok": True}).encode())

    with pytest.raises(RequestError, match="no model list"):
        list_models(Endpoint(url="http://h/v1"), None, transport=httpx.MockTransport(nothing))


# The offscreen platform cannot raise a popup or grab the keyboard for it; real ones do.
@pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints",
    "does not support raise",
    "does not support grabbing the keyboard",
)
def test_list_offers_the_models_in_the_model_field(
    qtbot: QtBot, window: MainWindow, llm_server: FakeLLMServer
) -> None:
    llm_server.models = ("model-a", "model-b")
    pane = window.endpoint_pane
    pane.endpointEdit.setText(llm_server.url)
    pane.modelEdit.setText("typed-by-hand")
    pane.listModelsButton.click()
    qtbot.waitUntil(lambda: pane.listModelsButton.isEnabled(), timeout=10000)
    assert pane.modelList.stringList() == ["model-a", "model-b"]
    assert "lists 2 models" in pane.verdictLabel.text()
    assert pane.modelEdit.text() == "typed-by-hand"  # free typing kept
