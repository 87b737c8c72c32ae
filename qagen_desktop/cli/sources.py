"""``qagen``'s SOURCE arguments read into the run's sources, before any request is made.

Each argument is a file of a supported kind, a folder (its supported files), or ``-`` for
standard input. A file that cannot be used is one line and the others go on; only when none can
be used is it an error that stops the run (exit 2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO

from qagen_desktop.core.errors import ConfigError, ContextFileError
from qagen_desktop.core.sources import Source, SourceKind, expand_sources, read_source
from qagen_desktop.core.sources.text import decode_context

STDIN = "-"
STDIN_NAME = "standard input"


class NoSources(ConfigError):
    """No source could be used: ``str(error)`` is one line per refused source."""


@dataclass
class ReadSources:
    """The sources a run uses, in the order given, and one line for each that was refused."""

    sources: list[Source] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def read_sources(
    names: Sequence[str], *, stdin: IO[bytes] | None, stdin_is_tty: bool
) -> ReadSources:
    """Read every SOURCE argument (none, with a pipe for standard input, means ``-``).

    ConfigError when nothing was given and there is no pipe, or when no source could be used.
    """
    if not names:
        if stdin_is_tty:
            raise NoSources(
                "give a source: a file or folder (qagen generate manual.pdf notes/), "
                "or - to read standard input."
            )
        names = [STDIN]
    found = ReadSources()
    seen: set[Path] = set()
    stdin_read = False
    for name in names:
        if name == STDIN:
            if stdin_read:
                continue  # standard input is read once, however often - is given
            stdin_read = True
            _read_into(found, partial(_stdin_source, stdin))
            continue
        try:
            paths = expand_sources([name])
        except ContextFileError as exc:
            found.refused.append(str(exc))
            continue
        for path in paths:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                _read_into(found, partial(read_source, path))
    if not found.sources:
        raise NoSources("\n".join(found.refused))
    return found


def _read_into(found: ReadSources, read: Callable[[], Source]) -> None:
    """Append the source ``read()`` gives, or the line saying why it cannot be used."""
    try:
        found.sources.append(read())
    except ContextFileError as exc:
        found.refused.append(str(exc))


def _stdin_source(stdin: IO[bytes] | None) -> Source:
    if stdin is None:
        raise ContextFileError("There is no standard input to read: give a source file.")
    text = decode_context(stdin.read(), STDIN_NAME)
    if not text.strip():
        raise ContextFileError("Standard input holds no text: pipe in the text to use.")
    return Source(name=STDIN_NAME, path=None, kind=SourceKind.TEXT, text=text)
