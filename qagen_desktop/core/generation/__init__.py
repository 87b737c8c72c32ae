"""A generation run: text in, exactly N grounded question-answer pairs out (or the shortfall)."""

from qagen_desktop.core.generation.runner import (
    FATAL_KINDS,
    ChunkOutcome,
    Generator,
    RunConfig,
    RunEvents,
    RunResult,
    Usage,
)

__all__ = [
    "FATAL_KINDS",
    "ChunkOutcome",
    "Generator",
    "RunConfig",
    "RunEvents",
    "RunResult",
    "Usage",
]
