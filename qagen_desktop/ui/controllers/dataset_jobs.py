"""The dataset reads and writes the document runs on a worker thread (``ui.background``).

Each returns the file's fingerprint with its result, so the GUI thread never reads a large file
itself; ``datasets`` (and its encoders) load here, on the first open or save.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qagen_desktop.core.records import QAPair

if TYPE_CHECKING:
    from qagen_desktop.core.datasets import LoadedDataset
    from qagen_desktop.core.journal import FileRef


class CountedPairs:
    """The pairs to write, counting (for the progress shown) how many the writer has taken."""

    def __init__(self, pairs: list[QAPair]) -> None:
        self._pairs = pairs
        self.done = 0

    def __iter__(self) -> Iterator[QAPair]:
        for pair in self._pairs:
            self.done += 1
            yield pair


def read_dataset(path: Path) -> tuple[LoadedDataset, FileRef]:
    """On a worker thread: the dataset and the fingerprint of the file it came from."""
    from qagen_desktop.core.datasets import load_dataset
    from qagen_desktop.core.journal import FileRef

    return load_dataset(path), FileRef.of(path)


def write_dataset(path: Path, pairs: Iterable[QAPair], fmt: str, **options: Any) -> FileRef | None:
    """On a worker thread: write the dataset, then fingerprint the file (None if that fails)."""
    from qagen_desktop.core.datasets import save_dataset
    from qagen_desktop.core.journal import FileRef

    save_dataset(path, pairs, fmt, **options)
    try:
        return FileRef.of(path)
    except OSError:
        return None
