"""A generation run: text in, exactly N grounded question-answer pairs out (or the shortfall).

``config`` (what a run needs, defaults once), ``retry`` (backoff and waits), ``negotiation``
(the request shape a server takes), ``collector`` (checked pairs per chunk), ``judging`` (the
judge's requests) and ``judge_steps`` (the judge pass in a run), ``events`` (what a run
reports), ``results`` (what it hands back), ``review`` (judging and regenerating given pairs)
and ``runner`` (the orchestration).
"""

from qagen_desktop.core.client import Usage
from qagen_desktop.core.generation.collector import DuplicateQuestions, PairCheck, PairCollector
from qagen_desktop.core.generation.config import DEFAULTS, InvalidValue, RunConfig
from qagen_desktop.core.generation.events import RunEvents
from qagen_desktop.core.generation.judging import JudgeOutcome
from qagen_desktop.core.generation.negotiation import ResponseMode
from qagen_desktop.core.generation.results import ChunkOutcome, RunResult
from qagen_desktop.core.generation.retry import RetryPolicy
from qagen_desktop.core.generation.runner import FATAL_KINDS, Generator

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
