"""Reading the documents a run works on: one reader per kind, behind one entry point.

``read_source(path)`` gives a ``Source`` (its name, text, page count and the marks where each page
or heading starts); ``expand_sources(paths)`` turns folders into the files they hold; a file that
cannot be used raises ``SourceError`` with one line that names it and the fix.
"""

from qagen_desktop.core.sources.files import DEFAULT_MAX_BYTES
from qagen_desktop.core.sources.reader import expand_sources, kind_of, read_source
from qagen_desktop.core.sources.source import (
    PASTED_NAME,
    SUPPORTED_SUFFIXES,
    Location,
    Mark,
    Progress,
    Source,
    SourceError,
    SourceKind,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "PASTED_NAME",
    "SUPPORTED_SUFFIXES",
    "Location",
    "Mark",
    "Progress",
    "Source",
    "SourceError",
    "SourceKind",
    "expand_sources",
    "kind_of",
    "read_source",
]
