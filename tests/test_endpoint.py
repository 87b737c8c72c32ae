"""Every URL people paste resolves to the right chat-completions URL, or a clear ConfigError."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qagen_desktop.core.endpoint import Endpoint, guess_provider
from qagen_desktop.core.errors import ConfigError


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "http://127.0.0.1:5272/v1/chat/completions",
            "http://127.0.0.1:5272/v1/chat/completions",
        ),
        ("http://localhost:11434/v1", "http://localhost:11434/v1/chat/completions"),
        ("http://localhost:1234/v1/", "http://localhost:1234/v1/chat/completions"),
        ("  https://api.openai.com/v1  ", "https://api.openai.com/v1/chat/completions"),
        ("http://host:8000", "http://host:8000/chat/completions"),
        ("http://host:8080/v1/chat/completions?x=1", "http://host:8080/v1/chat/completions?x=1"),
    ],
)
def test_openai_urls_resolve_to_the_chat_completions_url(url: str, expected: str) -> None:
    assert Endpoint(provider="openai", url=url).chat_url() == expected


def test_azure_base_url_gets_deployment_path_and_api_version() -> None:
    endpoint = Endpoint(
        provider="azure",
        url="https://res.openai.azure.com",
        deployment="gpt4o",
        api_version="2024-06-01",
    )
    assert endpoint.chat_url() == (
        "https://res.openai.azure.com/openai/deployments/gpt4o/chat/completions"
        "?api-version=2024-06-01"
    )


def test_azure_full_url_is_used_as_given_with_its_query() -> None:
    url = (
        "https://res.openai.azure.com/openai/deployments/DEPLOY/chat/completions"
        "?api-version=2024-02-15-preview"
    )
    endpoint = Endpoint(provider="azure", url=url, deployment="other", api_version="2099-01-01")
    assert endpoint.chat_url() == url


def test_azure_base_url_without_deployment_asks_for_one() -> None:
    with pytest.raises(ConfigError, match="deployment"):
        Endpoint(provider="azure", url="https://res.openai.azure.com").chat_url()


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("", "empty"),
        ("127.0.0.1:5272/v1", "http"),
        ("ftp://host/v1", "http"),
        ("http:///v1/chat/completions", "no host"),
        ("http://my host/v1", "spaces"),
        ("http://host:notaport/v1", "not valid"),
    ],
)
def test_malformed_urls_are_refused_before_any_request(url: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        Endpoint(url=url).chat_url()


def test_openai_sends_a_bearer_token_and_azure_an_api_key_header() -> None:
    assert Endpoint(provider="openai").auth_headers("sk-1") == {"Authorization": "Bearer sk-1"}
    azure = Endpoint(provider="azure", url="https://r.openai.azure.com", deployment="d")
    assert azure.auth_headers("k-1") == {"api-key": "k-1"}


def test_no_key_sends_no_auth_header() -> None:
    assert Endpoint().auth_headers(None) == {}
    assert Endpoint().auth_headers("") == {}


def test_key_id_is_the_same_for_every_spelling_of_one_endpoint() -> None:
    base = Endpoint(url="http://LOCALHOST:11434/v1/")
    full = Endpoint(url="http://localhost:11434/v1/chat/completions")
    assert base.key_id() == full.key_id() == "http://localhost:11434/v1/chat/completions"


def test_key_id_leaves_out_the_api_version() -> None:
    old = Endpoint(
        provider="azure", url="https://r.openai.azure.com", deployment="d", api_version="2024-02-01"
    )
    new = replace(old, api_version="2024-06-01")
    assert old.key_id() == new.key_id()
    assert "api-version" not in old.key_id()


def test_plain_http_to_another_host_is_flagged_as_unencrypted() -> None:
    assert Endpoint(url="http://10.0.0.5:8000/v1").sends_key_unencrypted()
    assert not Endpoint(url="http://127.0.0.1:5272/v1").sends_key_unencrypted()
    assert not Endpoint(url="https://api.openai.com/v1").sends_key_unencrypted()


def test_azure_urls_are_recognised() -> None:
    assert guess_provider("https://res.openai.azure.com") == "azure"
    assert guess_provider("http://localhost:11434/v1") == "openai"
