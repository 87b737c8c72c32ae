"""The `qagen` command: a second face on the core, with no Qt."""

from qagen_desktop.cli.run import main

__all__ = ["main"]
