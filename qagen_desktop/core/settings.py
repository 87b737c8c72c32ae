"""Non-secret settings: a typed declaration with defaults, read and written as JSON.

The file never holds the API key. Read on the GUI thread (or by ``qagen``) and passed to workers
as values.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qagen_desktop.core import paths
from qagen_desktop.core.atomicfile import atomic_write_bytes
from qagen_desktop.core.endpoint import (
    DEFAULT_AZURE_API_VERSION,
    DEFAULT_ENDPOINT,
    DEFAULT_MODEL,
    DEFAULT_PROVIDER,
    Endpoint,
    guess_provider,
)
from qagen_desktop.core.generation.config import DEFAULTS

if TYPE_CHECKING:
    # Loaded by the methods that use them: the window's first start asks neither.
    from qagen_desktop.core.generation.negotiation import Refusal, ResponseMode

log = logging.getLogger(__name__)

FORMATS = ("qa", "openai-chat", "alpaca", "sharegpt")
MAX_RECENT_FILES = 10


@dataclass
class Settings:
    """Everything the app remembers between runs, with the script's defaults."""

    provider: str = DEFAULT_PROVIDER
    endpoint: str = DEFAULT_ENDPOINT
    model: str = DEFAULT_MODEL
    deployment: str = ""
    api_version: str = DEFAULT_AZURE_API_VERSION

    # The run's numbers and prompt start from the defaults RunConfig declares.
    pairs: int = DEFAULTS.total_pairs
    concurrency: int = DEFAULTS.concurrency
    chunk_chars: int = DEFAULTS.chunk_chars  # 0: "auto", fitted to the server's context
    max_tokens_per_pair: int = DEFAULTS.max_tokens_per_pair
    max_retries: int = DEFAULTS.max_retries
    timeout: float = DEFAULTS.timeout
    prompt_template: str = DEFAULTS.prompt_template
    system_message: str = DEFAULTS.system_message
    # The judge pass: "" for the run's own endpoint or model.
    judge: bool = DEFAULTS.judge
    min_score: int = DEFAULTS.min_score
    judge_model: str = ""
    judge_endpoint: str = ""
    # Dollars per million input and output tokens, for the cost in the pre-run estimate:
    # None shows no cost, 0 is a free (local) server.
    input_price: float | None = None
    output_price: float | None = None

    export_format: str = "qa"
    include_context: bool = False
    selected_only: bool = False
    # A second Generate with pairs in the table: "ask", or the remembered "replace" / "add".
    generate_again: str = "ask"

    # Endpoint key_id -> the structured-output mode that server accepted last time.
    response_modes: dict[str, str] = field(default_factory=dict)
    # Endpoint key_id -> the parts of a request that server refused (``Refusal`` values).
    refusals: dict[str, list[str]] = field(default_factory=dict)
    recent_files: list[str] = field(default_factory=list)
    # Window geometry and splitter state, base64 text written by the window.
    window: dict[str, str] = field(default_factory=dict)

    def to_endpoint(self) -> Endpoint:
        return Endpoint(
            provider=self.provider,
            url=self.endpoint,
            model=self.model,
            deployment=self.deployment,
            api_version=self.api_version,
        )

    def response_mode_for(self, endpoint: Endpoint) -> ResponseMode:
        """The mode that worked for this endpoint before; json_schema for a new one."""
        from qagen_desktop.core.generation.negotiation import (
            ResponseMode,
            response_mode_or_default,
        )

        try:
            return response_mode_or_default(self.response_modes.get(endpoint.key_id()))
        except Exception:  # an endpoint whose URL cannot work has no key_id
            return ResponseMode.JSON_SCHEMA

    def remember_response_mode(self, endpoint: Endpoint, mode: str) -> None:
        self.response_modes[endpoint.key_id()] = str(mode)

    def refusals_for(self, endpoint: Endpoint) -> frozenset[Refusal]:
        """What this endpoint refused before; nothing for a new one."""
        from qagen_desktop.core.generation.negotiation import refusals_from

        try:
            return refusals_from(self.refusals.get(endpoint.key_id()))
        except Exception:  # an endpoint whose URL cannot work has no key_id
            return frozenset()

    def remember_refusals(self, endpoint: Endpoint, refused: frozenset[Refusal]) -> None:
        self.refusals[endpoint.key_id()] = sorted(str(r) for r in refused)

    def add_recent_file(self, path: str) -> None:
        resolved = str(Path(path).resolve())
        self.recent_files = [resolved] + [p for p in self.recent_files if p != resolved]
        del self.recent_files[MAX_RECENT_FILES:]


_FIELD_TYPES: dict[str, Any] = {
    "provider": str,
    "endpoint": str,
    "model": str,
    "deployment": str,
    "api_version": str,
    "pairs": int,
    "concurrency": int,
    "chunk_chars": int,
    "max_tokens_per_pair": int,
    "max_retries": int,
    "timeout": (int, float),
    "prompt_template": str,
    "system_message": str,
    "judge": bool,
    "min_score": int,
    "judge_model": str,
    "judge_endpoint": str,
    "input_price": (int, float, type(None)),
    "output_price": (int, float, type(None)),
    "export_format": str,
    "include_context": bool,
    "selected_only": bool,
    "generate_again": str,
    "response_modes": dict,
    "refusals": dict,
    "recent_files": list,
    "window": dict,
}


def load_settings(path: Path | None = None) -> Settings:
    """Read settings, keeping defaults for anything missing, mistyped or unreadable.

    A damaged file never stops the app from starting; it is logged and the defaults are used.
    """
    path = path or paths.settings_file()
    settings = Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return settings
    except (OSError, ValueError) as exc:
        log.warning("Settings file %s could not be read (%s); using defaults.", path, exc)
        return settings
    if not isinstance(raw, dict):
        return settings
    known = {f.name for f in fields(Settings)}
    for name, value in raw.items():
        expected = _FIELD_TYPES.get(name)
        if name not in known or expected is None:
            continue
        # bool is an int: keep a stray true/false out of the number fields.
        if isinstance(value, bool) and expected is not bool:
            continue
        if isinstance(value, expected):
            setattr(settings, name, value)
    if settings.export_format not in FORMATS:
        settings.export_format = "qa"
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write settings atomically. The key is not a field, so it cannot be written."""
    path = path or paths.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(asdict(settings), indent=2, ensure_ascii=False, sort_keys=True)
    atomic_write_bytes(path, (data + "\n").encode("utf-8"))


@dataclass(frozen=True)
class Environment:
    """What the old script read from the environment: API_ENDPOINT, API_KEY and MODEL.

    ``api_key`` is None when API_KEY is unset, and "" when it is set but empty (no key: a local
    server). A key from the environment is used but never stored.
    """

    endpoint: str | None = None
    api_key: str | None = None
    model: str | None = None

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None) -> Environment:
        env = os.environ if environ is None else environ
        return cls(
            endpoint=env.get("API_ENDPOINT") or None,
            api_key=env.get("API_KEY"),
            model=env.get("MODEL") or None,
        )

    def apply(self, settings: Settings) -> Settings:
        """Settings with the environment's endpoint and model as starting values."""
        if self.endpoint:
            settings.endpoint = self.endpoint.strip()
            settings.provider = guess_provider(settings.endpoint)
        if self.model:
            settings.model = self.model.strip()
        return settings
