"""A generation run: text in, exactly N grounded question-answer pairs out (or the shortfall).

``config`` (what a run needs, defaults once), ``retry`` (backoff and waits), ``negotiation``
(the request shape a server takes), ``collector`` (checked pairs per chunk), ``judging`` (the
judge's requests) and ``judge_steps`` (the judge pass in a run), ``events`` (what a run
reports), ``results`` (what it hands back), ``review`` (judging and regenerating given pairs)
and ``runner`` (the orchestration).

The names load on first use (PEP 562): ``settings`` needs only ``config``, and the window's
first paint must not wait for httpx, json-repair and asyncio, which the runner brings in.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qagen_desktop.core.client import Usage
    from qagen_desktop.core.generation.collector import (
        DuplicateQuestions,
        PairCheck,
        PairCollector,
    )
    from qagen_desktop.core.generation.config import DEFAULTS, InvalidValue, RunConfig
    from qagen_desktop.core.generation.events import RunEvents
    from qagen_desktop.core.generation.judging import JudgeOutcome
    from qagen_desktop.core.generation.negotiation import ResponseMode
    from qagen_desktop.core.generation.results import ChunkOutcome, RunResult
    from qagen_desktop.core.generation.retry import RetryPolicy
    from qagen_desktop.core.generation.runner import FATAL_KINDS, Generator

_HOMES = {
    "Usage": "qagen_desktop.core.client",
    "DuplicateQuestions": "qagen_desktop.core.generation.collector",
    "PairCheck": "qagen_desktop.core.generation.collector",
    "PairCollector": "qagen_desktop.core.generation.collector",
    "DEFAULTS": "qagen_desktop.core.generation.config",
    "InvalidValue": "qagen_desktop.core.generation.config",
    "RunConfig": "qagen_desktop.core.generation.config",
    "RunEvents": "qagen_desktop.core.generation.events",
    "JudgeOutcome": "qagen_desktop.core.generation.judging",
    "ResponseMode": "qagen_desktop.core.generation.negotiation",
    "ChunkOutcome": "qagen_desktop.core.generation.results",
    "RunResult": "qagen_desktop.core.generation.results",
    "RetryPolicy": "qagen_desktop.core.generation.retry",
    "FATAL_KINDS": "qagen_desktop.core.generation.runner",
    "Generator": "qagen_desktop.core.generation.runner",
}

__all__ = [
    "DEFAULTS",
    "FATAL_KINDS",
    "ChunkOutcome",
    "DuplicateQuestions",
    "Generator",
    "InvalidValue",
    "JudgeOutcome",
    "PairCheck",
    "PairCollector",
    "ResponseMode",
    "RetryPolicy",
    "RunConfig",
    "RunEvents",
    "RunResult",
    "Usage",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # the next lookup is a plain global
    return value
