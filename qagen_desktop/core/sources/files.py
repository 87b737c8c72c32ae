"""A source file's bytes, with one plain line for each way reading them fails."""

from __future__ import annotations

import os
from pathlib import Path

from qagen_desktop.core.sources.source import SourceError

# Big enough for a long manual or a book of scans' worth of text, small enough that one stray
# disk image dropped on the list cannot exhaust memory.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


def too_big(name: str, size: int, max_bytes: int) -> SourceError:
    """The message for a file (or an archive's content) over the limit."""
    return SourceError(
        f"{name} is too big to read ({size / 1048576:.1f} MB; the limit is "
        f"{max_bytes / 1048576:.1f} MB): split it into smaller files."
    )


def read_bytes(path: str | os.PathLike[str], max_bytes: int | None = DEFAULT_MAX_BYTES) -> bytes:
    """The whole file; SourceError when it is missing, a folder, unreadable or too big."""
    target = Path(path)
    name = str(path)
    try:
        size = target.stat().st_size
        if target.is_dir():
            raise IsADirectoryError(name)
        if max_bytes is not None and size > max_bytes:
            raise too_big(name, size, max_bytes)
        return target.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"The file {name} does not exist: check the path.") from None
    except IsADirectoryError:
        raise SourceError(f"{name} is a folder: give the path of a file.") from None
    except PermissionError:
        raise SourceError(
            f"The file {name} cannot be read (permission denied): check its permissions."
        ) from None
    except OSError as exc:
        if target.is_dir():
            raise SourceError(f"{name} is a folder: give the path of a file.") from None
        reason = exc.strerror or type(exc).__name__
        raise SourceError(f"The file {name} cannot be read ({reason}).") from None
