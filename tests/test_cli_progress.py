"""qagen's progress on stderr: a bar on a terminal (even one that reports no size), lines
otherwise; what a server said is redacted in both."""

from __future__ import annotations

import io
import os
import pty

import pytest

from qagen_desktop.cli.progress import Progress
from qagen_desktop.core.errors import ErrorKind
from qagen_desktop.core.generation import ChunkOutcome
from qagen_desktop.core.records import QAPair


def _drive(progress: Progress) -> None:
    progress.started(2)
    progress.pairs_received([QAPair("Q?", "A.")])
    progress.notice("Rate-limited; key sk-SECRET-progress was refused")
    failed = ChunkOutcome(1, 2, received=1, error="broke", error_kind=ErrorKind.SERVER)
    progress.chunk_finished(ChunkOutcome(0, 1, received=1), 1, 2)
    progress.chunk_finished(failed, 2, 2)
    progress.tick()
    progress.close()


def test_plain_lines_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=False, requested=3, secret="sk-SECRET-progress")
    _drive(progress)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "Generating 3 pairs from 2 chunks"
    assert "qagen: chunk 2 failed (1 of 2 pairs came): broke" in lines
    assert lines[-1].startswith("[2/2 chunks] 1/3 pairs")
    assert "\r" not in stream.getvalue()
    assert "sk-SECRET-progress" not in stream.getvalue()
    assert progress.reported == {1}


def test_a_bar_on_a_terminal_that_reports_no_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # A known width keeps the output well inside what the pty buffers while nobody reads.
    monkeypatch.setenv("COLUMNS", "80")
    main_fd, child_fd = pty.openpty()  # a fresh pty says 0 x 0
    with open(child_fd, "w", encoding="utf-8") as stream:
        _drive(Progress(stream, tty=True, requested=3, secret="sk-SECRET-progress"))
    # The slave is closed: read until the master reports the end (EIO on Linux).
    data = b""
    while True:
        try:
            piece = os.read(main_fd, 65536)
        except OSError:
            break
        if not piece:
            break
        data += piece
    os.close(main_fd)
    text = data.decode("utf-8", "replace")
    assert "\r[" in text and "2/2 chunks, 1/3 pairs" in text
    assert "qagen: chunk 2 failed" in text
    assert "sk-SECRET-progress" not in text
