"""The context editor's text, kept between sessions so nothing typed or pasted is lost.

It lives under the user data folder (``paths.draft_file``), apart from the settings file: the
text can be long and private, and settings are meant to be small and shareable. A write is
atomic (``atomicfile``), so a crash mid-save leaves the previous draft, never a torn one; the file
is readable by its owner only.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from qagen_desktop.core import paths
from qagen_desktop.core.atomicfile import atomic_write_bytes

log = logging.getLogger(__name__)


class ContextDraft:
    """Loads and saves one text file; ``path`` defaults to the user's draft file."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        # Asked each time, not at construction: tests point the user folders elsewhere.
        return self._path if self._path is not None else paths.draft_file()

    def load(self) -> str:
        """The saved text, or "" when there is none or it cannot be read (logged, not raised)."""
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("The saved context text could not be read (%s).", exc)
            return ""

    def save(self, text: str) -> bool:
        """Keep ``text`` (an empty text removes the draft). False, logged, when it cannot."""
        path = self.path
        try:
            if not text:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                return True
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, text.encode("utf-8"))
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)  # the user's own text; later saves keep this mode
        except OSError as exc:
            log.warning("The context text could not be kept (%s).", exc)
            return False
        return True
