"""The old home of the text reader, kept so its importers need no change: see ``sources.text``."""

from qagen_desktop.core.sources.text import decode_context, read_context_file

__all__ = ["decode_context", "read_context_file"]
