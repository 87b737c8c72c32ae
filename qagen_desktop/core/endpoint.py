"""Where requests go and how they authenticate: OpenAI-compatible servers and Azure OpenAI.

People paste every kind of URL: a full chat-completions URL, a ``/v1`` base URL, an Azure resource
URL. ``Endpoint.chat_url`` turns each into the one URL requests are sent to, or raises a
``ConfigError`` that says what is wrong before any request is made.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from qagen_desktop.core.errors import ConfigError

PROVIDERS = ("openai", "azure")
DEFAULT_PROVIDER = "openai"
DEFAULT_ENDPOINT = "http://127.0.0.1:5272/v1/chat/completions"
DEFAULT_MODEL = "Phi-3-mini-4k-cpu-int4-rtn-block-32-acc-level-4-onnx"
DEFAULT_AZURE_API_VERSION = "2024-02-15-preview"
CHAT_PATH = "/chat/completions"
_AZURE_HOST_SUFFIXES = (".openai.azure.com", ".cognitiveservices.azure.com", ".azure-api.net")


@dataclass(frozen=True)
class Endpoint:
    """A configured endpoint. Holds no key: the key lives in the keyring and is passed per call."""

    provider: str = DEFAULT_PROVIDER
    url: str = DEFAULT_ENDPOINT
    model: str = DEFAULT_MODEL
    deployment: str = ""
    api_version: str = DEFAULT_AZURE_API_VERSION

    def chat_url(self) -> str:
        """The chat-completions URL requests go to; ConfigError for a URL that cannot work."""
        if self.provider not in PROVIDERS:
            raise ConfigError(
                f"Unknown provider {self.provider!r}: choose one of {', '.join(PROVIDERS)}."
            )
        parts = _split_checked(self.url)
        path = parts.path.rstrip("/")
        if self.provider == "openai":
            if not path.endswith(CHAT_PATH):
                path += CHAT_PATH
            return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
        return self._azure_url(parts.scheme, parts.netloc, path, parts.query)

    def _azure_url(self, scheme: str, netloc: str, path: str, query: str) -> str:
        if not path.endswith(CHAT_PATH):
            if "/openai/deployments/" in path or path.endswith("/openai/v1"):
                path += CHAT_PATH
            else:
                deployment = self.deployment.strip()
                if not deployment:
                    raise ConfigError(
                        "Azure needs a deployment name: fill in Deployment, or paste the full "
                        "URL ending in /chat/completions?api-version=..."
                    )
                if any(ch in deployment for ch in " /?#"):
                    raise ConfigError(f"The Azure deployment name {deployment!r} is not valid.")
                base = path[: -len("/openai")] if path.endswith("/openai") else path
                path = f"{base}/openai/deployments/{deployment}{CHAT_PATH}"
        params = parse_qsl(query, keep_blank_values=True)
        if "/openai/v1/" not in path and not any(k == "api-version" for k, _ in params):
            version = self.api_version.strip() or DEFAULT_AZURE_API_VERSION
            params.append(("api-version", version))
        return urlunsplit((scheme, netloc, path, urlencode(params), ""))

    def key_id(self) -> str:
        """The keyring user name for this endpoint: its chat URL, normalised, without the query.

        The window and ``qagen`` both use it, so a key saved in one is found by the other.
        """
        parts = urlsplit(self.chat_url())
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        """Bearer for OpenAI-compatible servers, ``api-key`` for Azure; nothing without a key."""
        if not api_key:
            return {}
        if self.provider == "azure":
            return {"api-key": api_key}
        return {"Authorization": f"Bearer {api_key}"}

    def host(self) -> str:
        return urlsplit(self.chat_url()).hostname or ""

    def sends_key_unencrypted(self) -> bool:
        """True for plain http to a host other than this machine: a key would cross the network
        in the clear."""
        parts = urlsplit(self.chat_url())
        return parts.scheme == "http" and not is_loopback(parts.hostname or "")


def _split_checked(url: str) -> SplitResult:
    text = url.strip()
    if not text:
        raise ConfigError(f"The endpoint URL is empty: paste one, e.g. {DEFAULT_ENDPOINT}")
    if any(ch.isspace() for ch in text):
        raise ConfigError(f"The endpoint URL {text!r} contains spaces: remove them.")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise ConfigError(f"The endpoint URL {text!r} needs to start with http:// or https://.")
    try:
        hostname = parts.hostname
        _ = parts.port
    except ValueError as exc:
        raise ConfigError(f"The endpoint URL {text!r} is not valid: {exc}.") from None
    if not hostname:
        raise ConfigError(f"The endpoint URL {text!r} has no host name.")
    return parts


def is_loopback(host: str) -> bool:
    """This machine: localhost, 127.0.0.0/8 or ::1."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def guess_provider(url: str) -> str:
    """``azure`` for Azure OpenAI URLs, else ``openai``: the default when none is chosen."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower() if parts.scheme else ""
    if host.endswith(_AZURE_HOST_SUFFIXES) or "/openai/deployments/" in parts.path:
        return "azure"
    return "openai"
