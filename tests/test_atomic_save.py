"""A process killed mid-save leaves the complete old dataset or the complete new one, never a mix.

A child process saves two large datasets in turn; the test SIGKILLs it, both at a moment it
knows to be mid-write and at random moments, and checks the file after each kill.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from qagen_desktop.core.datasets import encode_lines
from qagen_desktop.core.records import QAPair

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

PAIRS = 30_000

_CHILD = rf"""
import sys, time
from qagen_desktop.core.datasets import save_dataset
from qagen_desktop.core.records import QAPair

path, pause = sys.argv[1], sys.argv[2] == "pause"

def pairs(tag):
    for n in range({PAIRS}):
        if n == {PAIRS} // 2:
            print("mid", tag, flush=True)
            if pause:
                time.sleep(5)  # the parent kills us here, halfway through the write
        yield QAPair(f"{{tag}} question {{n}}: what does the text say about item {{n}}?",
                     f"{{tag}} answer {{n}}: " + "it says a good deal about it. " * 6)

tag = "B"
while True:
    save_dataset(path, pairs(tag))
    print("saved", tag, flush=True)
    tag = "A" if tag == "B" else "B"
"""


def _content(tag: str) -> bytes:
    def pairs():  # type: ignore[no-untyped-def]
        for n in range(PAIRS):
            yield QAPair(
                f"{tag} question {n}: what does the text say about item {n}?",
                f"{tag} answer {n}: " + "it says a good deal about it. " * 6,
            )

    return b"".join(encode_lines(pairs()))


def _start(path: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), mode],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _kill(child: subprocess.Popen[str]) -> list[str]:
    child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate(timeout=30)
    return rest.splitlines()


@pytest.fixture()
def target(tmp_path: Path) -> Path:
    path = tmp_path / "dataset.jsonl"
    path.write_bytes(_content("A"))
    return path


def test_kill_halfway_through_a_save_leaves_the_old_file_whole(target: Path) -> None:
    old = target.read_bytes()
    for _ in range(3):
        child = _start(target, "pause")
        assert child.stdout is not None
        assert child.stdout.readline().split() == ["mid", "B"]
        _kill(child)
        assert target.read_bytes() == old
        # The kill left the half-written temporary file behind, never the target.
        leftovers = [p for p in target.parent.iterdir() if p != target]
        assert leftovers
        for leftover in leftovers:
            assert len(leftover.read_bytes()) < len(old)
            leftover.unlink()


def test_kill_at_random_moments_leaves_a_complete_old_or_new_file(target: Path) -> None:
    versions = {_content("A"): "A", _content("B"): "B"}
    rng = random.Random(1234)
    seen: set[str] = set()
    for _ in range(5):
        child = _start(target, "run")
        assert child.stdout is not None
        # Let it get into its loop (a first save under way), then kill at a random moment.
        assert child.stdout.readline().startswith("mid")
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=rng.uniform(0.0, 1.5))
        _kill(child)
        content = target.read_bytes()
        assert content in versions, f"torn file of {len(content)} bytes after SIGKILL"
        seen.add(versions[content])
    assert seen  # at least one complete version each time; which one depends on timing
