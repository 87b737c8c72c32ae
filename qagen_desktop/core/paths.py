"""Every folder and file of the user's that the app reads or writes: one module owns them all.

The functions ask platformdirs each time (never at import), so tests can point the XDG variables
at a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from qagen_desktop import APP_NAME


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME))


def settings_file() -> Path:
    """Non-secret settings (JSON). Never holds the API key."""
    return config_dir() / "settings.json"


def unsaved_dir() -> Path:
    """Where a dataset goes when the file it was meant for cannot be written."""
    return data_dir() / "unsaved"


def recovery_dir() -> Path:
    """Where the recovery journal lives between a crash and the next start."""
    return data_dir() / "recovery"


def draft_file() -> Path:
    """The context editor's text between sessions (never in the settings file)."""
    return data_dir() / "draft" / "context.txt"
