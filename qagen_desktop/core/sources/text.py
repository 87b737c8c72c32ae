"""Reading the text a run works on: plain UTF-8 only, with a plain message for anything else.

People drop in empty files, folders and PDFs renamed ``.txt``; each gets one line that names the
fix instead of a garbled prompt sent to the model.
"""

from __future__ import annotations

import os
from pathlib import Path

from qagen_desktop.core.errors import ContextFileError

_UTF8_BOM = b"\xef\xbb\xbf"


def read_context_file(path: str | os.PathLike[str]) -> str:
    """The file's text (a UTF-8 BOM removed); ContextFileError when it cannot be used as context."""
    target = Path(path)
    name = str(path)
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        raise ContextFileError(f"The context file {name} does not exist: check the path.") from None
    except IsADirectoryError:
        raise ContextFileError(f"{name} is a folder: give the path of a text file.") from None
    except PermissionError:
        raise ContextFileError(
            f"The context file {name} cannot be read (permission denied): check its permissions."
        ) from None
    except OSError as exc:
        if target.is_dir():
            raise ContextFileError(f"{name} is a folder: give the path of a text file.") from None
        reason = exc.strerror or type(exc).__name__
        raise ContextFileError(f"The context file {name} cannot be read ({reason}).") from None
    return decode_context(data, name)


def decode_context(data: bytes, name: str) -> str:
    """Checks shared by files and standard input: not empty, no NUL bytes, valid UTF-8."""
    not_text = (
        f"{name} is not a UTF-8 text file: save or export it as plain UTF-8 text "
        "(a PDF or Word document needs converting first)."
    )
    if b"\x00" in data:
        raise ContextFileError(not_text)
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ContextFileError(not_text) from None
    if not text.strip():
        raise ContextFileError(
            f"{name} is empty: give a file with the text to make questions from."
        )
    return text
