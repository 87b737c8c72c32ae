"""What the window and its engine process say to each other: one JSON object per line.

The window writes one request line to the engine's standard input (the key travels there, never
on a command line or in the child's environment), then a ``cancel`` line or end of input to stop
it. The engine answers on standard output with one event per line, ``finished`` last.

No Qt here, and none of the engine either: the window decodes events into the small report types
below, since importing the core's result types would load httpx onto the GUI thread mid-run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import QagenError, redact
from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.core.settings import Settings

if TYPE_CHECKING:
    from qagen_desktop.core.generation import ChunkOutcome, RunConfig, RunResult, Usage
    from qagen_desktop.core.session import RunFlags

CANCEL_LINE = b'{"cancel": true}\n'


class Event(StrEnum):
    """The kinds of line the engine writes."""

    STARTED = "started"
    PAIRS = "pairs"
    CHUNK = "chunk"
    USAGE = "usage"
    NOTICE = "notice"
    ERROR = "error"
    FINISHED = "finished"


@dataclass(frozen=True)
class RunRequest:
    """One run as the window asks for it: its settings (a copy), fields, key and text."""

    settings: Settings
    endpoint: Endpoint
    api_key: str | None
    total_pairs: int
    text: str

    def to_line(self) -> bytes:
        data = {
            "settings": asdict(self.settings),
            "endpoint": asdict(self.endpoint),
            "api_key": self.api_key,
            "total_pairs": self.total_pairs,
            "text": self.text,
        }
        return json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> RunRequest:
        data = json.loads(line)
        return cls(
            settings=Settings(**data["settings"]),
            endpoint=Endpoint(**data["endpoint"]),
            api_key=data["api_key"],
            total_pairs=int(data["total_pairs"]),
            text=str(data["text"]),
        )


def build_run_config(
    settings: Settings, endpoint: Endpoint, api_key: str | None, total_pairs: int
) -> RunConfig:
    """The run's whole configuration, assembled as ``qagen`` assembles its own."""
    import os

    from qagen_desktop.core.session import assemble_run

    flags = run_flags(endpoint, api_key, total_pairs)
    # The key is the field's (which the key controller filled from API_KEY or the keyring),
    # so the keyring is not asked again here.
    plan = assemble_run(flags, environ=os.environ, settings=settings, keystore=_NO_KEYRING)
    return plan.config


def run_flags(endpoint: Endpoint, api_key: str | None, total_pairs: int) -> RunFlags:
    """What the window's fields say about a run; everything else comes from the settings."""
    from qagen_desktop.core.session import RunFlags

    return RunFlags(
        provider=endpoint.provider,
        endpoint=endpoint.url,
        model=endpoint.model,
        deployment=endpoint.deployment,
        api_version=endpoint.api_version,
        total_pairs=total_pairs,
        api_key=api_key or "",
    )


class _NoKeyring:
    """A key store with nothing in it, for a run whose key the window has already decided."""

    def get(self, key_id: str) -> str | None:
        return None

    def set(self, key_id: str, key: str) -> bool:
        return False

    def delete(self, key_id: str) -> None:
        return None


_NO_KEYRING = _NoKeyring()


def error_message(exc: BaseException, secret: str | None = None) -> str:
    """One plain line for the window; never holds the key."""
    if isinstance(exc, QagenError):
        text = str(exc)
    else:
        text = f"Unexpected error ({type(exc).__name__}): {exc}"
    lines = redact(text, secret).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# The engine's side: events to lines -------------------------------------------------------------


def event_line(kind: Event, **values: Any) -> bytes:
    return json.dumps({"event": str(kind), **values}, ensure_ascii=False).encode("utf-8") + b"\n"


def pair_data(pair: QAPair) -> dict[str, Any]:
    return {name.name: getattr(pair, name.name) for name in fields(QAPair)}


def outcome_data(outcome: ChunkOutcome) -> dict[str, Any]:
    return {
        "index": outcome.index,
        "requested": outcome.requested,
        "received": outcome.received,
        "error": outcome.error,
        "error_kind": None if outcome.error_kind is None else str(outcome.error_kind),
        "requests": outcome.requests,
        "ok": outcome.ok,
    }


def usage_data(usage: Usage) -> dict[str, Any]:
    return asdict(usage)


def result_data(result: RunResult) -> dict[str, Any]:
    return {
        "pairs": [pair_data(pair) for pair in result.pairs],
        "outcomes": [outcome_data(outcome) for outcome in result.outcomes],
        "usage": usage_data(result.usage),
        "requested": result.requested,
        "response_mode": str(result.response_mode),
        "cancelled": result.cancelled,
        "elapsed": result.elapsed,
        "fatal": result.fatal,
        "rejected": [pair_data(pair) for pair in result.rejected],
        "shortfall": result.shortfall,
    }


# The window's side: lines to reports ------------------------------------------------------------


def decode_pair(data: dict[str, Any]) -> QAPair:
    known = {name.name for name in fields(QAPair)}
    values = {key: value for key, value in data.items() if key in known}
    values["status"] = PairStatus(values.get("status", PairStatus.ACCEPTED))
    return QAPair(**values)


@dataclass(frozen=True)
class UsageReport:
    """The token usage summed so far, as the engine counted it (``core.client.Usage``)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    # Counts a newer engine sends that this window does not name (cached prompt, judge, ...).
    other: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, data: dict[str, Any]) -> UsageReport:
        named = {name.name for name in fields(cls)} - {"other"}
        return cls(
            **{key: int(value) for key, value in data.items() if key in named},
            other={key: value for key, value in data.items() if key not in named},
        )


@dataclass(frozen=True)
class ChunkReport:
    """How one chunk went (``core.generation.ChunkOutcome``); ``ok`` as the engine judged it."""

    index: int
    requested: int
    received: int = 0
    error: str | None = None
    error_kind: str | None = None
    requests: int = 0
    ok: bool = True

    @classmethod
    def of(cls, data: dict[str, Any]) -> ChunkReport:
        return cls(**{name.name: data[name.name] for name in fields(cls) if name.name in data})


@dataclass(frozen=True)
class RunReport:
    """What a run handed back (``core.generation.RunResult``), with its shortfall worked out."""

    pairs: list[QAPair]
    outcomes: list[ChunkReport]
    usage: UsageReport
    requested: int
    response_mode: str
    cancelled: bool = False
    elapsed: float = 0.0
    fatal: str | None = None
    rejected: list[QAPair] = field(default_factory=list)
    shortfall: int = 0

    @property
    def failed(self) -> list[ChunkReport]:
        return [outcome for outcome in self.outcomes if not outcome.ok]

    @classmethod
    def of(cls, data: dict[str, Any]) -> RunReport:
        return cls(
            pairs=[decode_pair(pair) for pair in data["pairs"]],
            outcomes=[ChunkReport.of(outcome) for outcome in data["outcomes"]],
            usage=UsageReport.of(data["usage"]),
            requested=int(data["requested"]),
            response_mode=str(data["response_mode"]),
            cancelled=bool(data["cancelled"]),
            elapsed=float(data["elapsed"]),
            fatal=data["fatal"],
            rejected=[decode_pair(pair) for pair in data["rejected"]],
            shortfall=int(data["shortfall"]),
        )
