"""Saving a dataset when the file it was meant for cannot be written: the pairs go to the app's
``unsaved`` folder, else the current folder, and the caller says where. Nothing is lost quietly."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qagen_desktop.core import paths
from qagen_desktop.core.datasets import DatasetError, save_dataset
from qagen_desktop.core.records import QAPair


@dataclass(frozen=True)
class SaveOutcome:
    """Where the pairs went (None: nowhere could be written) and, if not to the path asked for,
    why that path failed (one sentence, no final stop)."""

    place: Path | None
    problem: str | None = None


def _fallback_places() -> list[Path]:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return [
        paths.unsaved_dir() / f"qa-{stamp}-{os.getpid()}.jsonl",
        Path.cwd() / f"qagen-unsaved-{int(time.time())}.jsonl",
    ]


def save_or_rescue(
    output: Path,
    pairs: list[QAPair],
    fmt: str,
    *,
    system_message: str = "",
    include_meta: bool = False,
    fallbacks: Callable[[], list[Path]] = _fallback_places,
) -> SaveOutcome:
    """Write the dataset atomically to ``output``, else to the first fallback that works."""
    try:
        save_dataset(output, pairs, fmt, system_message=system_message, include_meta=include_meta)
        return SaveOutcome(output)
    except (DatasetError, OSError) as exc:
        problem = str(exc).rstrip(".") or f"Cannot save {output}"
    for place in fallbacks():
        try:
            place.parent.mkdir(parents=True, exist_ok=True)
            save_dataset(
                place, pairs, fmt, system_message=system_message, include_meta=include_meta
            )
        except (DatasetError, OSError):
            continue
        return SaveOutcome(place, problem)
    return SaveOutcome(None, problem)
