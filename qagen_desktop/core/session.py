"""The one place a run is assembled, for the window and ``qagen`` alike.

Each value comes from the first of: a flag (``qagen``'s option, or the window's field), the
environment (``API_ENDPOINT``, ``MODEL``), the settings file, and ``RunConfig``'s defaults
(which the settings already start from). The key comes from a flag (the window's key field;
``qagen`` never takes one), else ``API_KEY`` when it is set (empty means no key), else the
keyring entry for the normalised endpoint URL. A key from the environment is used, never stored.

The judge uses the run's endpoint, model and key unless it is given its own endpoint or model.
A judge endpoint of its own gets the keyring entry saved for its URL, else, on the same host
(scheme, host and port) as the run's, the run's key; a judge on another host is never handed the
run's key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from qagen_desktop.core.endpoint import Endpoint, guess_provider
from qagen_desktop.core.generation.config import RunConfig
from qagen_desktop.core.generation.results import RunResult
from qagen_desktop.core.settings import Environment, Settings

_T = TypeVar("_T")


class KeyStoreLike(Protocol):
    """What a run needs of the keyring (``keystore.KeyStore``, or a dict-backed one in tests)."""

    def get(self, key_id: str) -> str | None: ...

    def set(self, key_id: str, key: str) -> bool: ...

    def delete(self, key_id: str) -> None: ...


@dataclass(frozen=True)
class RunFlags:
    """Values given for this run; None means "not given", so the next source decides.

    ``qagen`` fills it from its options, the window from its fields. ``api_key`` is the window's
    key field ("" for an empty one: no key); ``qagen`` leaves it None, as a key is never a flag.
    """

    provider: str | None = None
    endpoint: str | None = None
    model: str | None = None
    deployment: str | None = None
    api_version: str | None = None
    total_pairs: int | None = None
    chunk_chars: int | None = None
    max_tokens_per_pair: int | None = None
    concurrency: int | None = None
    max_retries: int | None = None
    timeout: float | None = None
    prompt_template: str | None = None
    system_message: str | None = None
    judge: bool | None = None
    min_score: int | None = None
    judge_model: str | None = None  # "" for the run's own model
    judge_endpoint: str | None = None  # a URL; "" for the run's own endpoint
    api_key: str | None = field(default=None, repr=False)


class KeySource(StrEnum):
    """Where the run's key came from: the window must not store one from the environment."""

    FLAG = "flag"
    ENVIRONMENT = "environment"
    KEYRING = "keyring"
    NONE = "none"


@dataclass(frozen=True)
class RunPlan:
    """A run ready to start: its configuration (endpoint and key included) and the key's origin."""

    config: RunConfig
    key_source: KeySource

    @property
    def endpoint(self) -> Endpoint:
        return self.config.endpoint

    @property
    def api_key(self) -> str | None:
        return self.config.api_key


def assemble_run(
    flags: RunFlags,
    *,
    environ: Mapping[str, str],
    settings: Settings,
    keystore: KeyStoreLike,
) -> RunPlan:
    """The run these values give; ConfigError (one sentence naming the fix) for one that cannot
    work. Reads the keyring only for a URL that can work; stores nothing."""
    endpoint = _endpoint(flags, Environment.read(environ), settings)
    endpoint.chat_url()  # raises ConfigError before the keyring is asked about a bad URL
    api_key, source = _api_key(flags, environ, endpoint, keystore)
    config = RunConfig(
        endpoint=endpoint,
        api_key=api_key,
        total_pairs=_first(flags.total_pairs, settings.pairs),
        chunk_chars=_first(flags.chunk_chars, settings.chunk_chars),
        concurrency=_first(flags.concurrency, settings.concurrency),
        max_retries=_first(flags.max_retries, settings.max_retries),
        timeout=_first(flags.timeout, settings.timeout),
        prompt_template=_first(flags.prompt_template, settings.prompt_template),
        system_message=_first(flags.system_message, settings.system_message),
        response_mode=settings.response_mode_for(endpoint),
        max_tokens_per_pair=_first(flags.max_tokens_per_pair, settings.max_tokens_per_pair),
        refused=settings.refusals_for(endpoint),
        **_judge_fields(flags, settings, endpoint, api_key, keystore),
    )
    config.validate()
    return RunPlan(config, source)


def remember_outcome(settings: Settings, plan: RunPlan, result: RunResult) -> bool:
    """Note in ``settings`` the response mode the server took, and what it refused (a token
    limit, schema bounds), so the next run starts with them.

    True when the settings changed (the caller saves them); a run that got no pairs proves
    nothing about the mode (a refusal is proved by the server's 400 alone).
    """
    changed = False
    if result.refused != plan.config.refused:
        settings.remember_refusals(plan.endpoint, result.refused)
        changed = True
    if not result.pairs or result.response_mode == plan.config.response_mode:
        return changed
    settings.remember_response_mode(plan.endpoint, result.response_mode)
    return True


def _judge_fields(
    flags: RunFlags,
    settings: Settings,
    endpoint: Endpoint,
    api_key: str | None,
    keystore: KeyStoreLike,
) -> dict[str, Any]:
    """The judge's RunConfig fields; the keyring is read only for a judge endpoint in use."""
    judge = _first(flags.judge, settings.judge)
    url = _first(flags.judge_endpoint, settings.judge_endpoint).strip()
    judge_endpoint = Endpoint(provider=guess_provider(url), url=url, model="") if url else None
    judge_key = None
    if judge and judge_endpoint is not None:
        judge_endpoint.chat_url()  # raises ConfigError before the keyring is asked
        judge_key = keystore.get(judge_endpoint.key_id()) or (
            api_key if _same_host(judge_endpoint, endpoint) else None
        )
    model = _first(flags.judge_model, settings.judge_model).strip()
    if judge_endpoint is not None and not model:
        model = endpoint.model  # another endpoint, the run's model unless one is named
    return {
        "judge": judge,
        "min_score": _first(flags.min_score, settings.min_score),
        "judge_model": model or None,
        "judge_endpoint": judge_endpoint,
        "judge_api_key": judge_key,
    }


def _same_host(one: Endpoint, other: Endpoint) -> bool:
    first, second = urlsplit(one.chat_url()), urlsplit(other.chat_url())
    return (first.scheme, first.netloc.lower()) == (second.scheme, second.netloc.lower())


def _first(given: _T | None, fallback: _T) -> _T:
    return fallback if given is None else given


def _endpoint(flags: RunFlags, env: Environment, settings: Settings) -> Endpoint:
    url = _first(flags.endpoint, env.endpoint)
    if url is None:
        url, provider = settings.endpoint, settings.provider
    else:
        provider = guess_provider(url)  # a URL given now says what kind it is
    return Endpoint(
        provider=_first(flags.provider, provider),
        url=url.strip(),
        model=_first(_first(flags.model, env.model), settings.model).strip(),
        deployment=_first(flags.deployment, settings.deployment).strip(),
        api_version=_first(flags.api_version, settings.api_version).strip(),
    )


def _api_key(
    flags: RunFlags, environ: Mapping[str, str], endpoint: Endpoint, keystore: KeyStoreLike
) -> tuple[str | None, KeySource]:
    if flags.api_key is not None:
        return flags.api_key or None, KeySource.FLAG
    env_key = Environment.read(environ).api_key
    if env_key is not None:
        return env_key or None, KeySource.ENVIRONMENT
    stored = keystore.get(endpoint.key_id())
    return (stored, KeySource.KEYRING) if stored else (None, KeySource.NONE)
