"""A test that hangs with the GIL held ends the run with every thread's stack, not a stall.

pytest-timeout's alarm is Python code, which never runs while the main thread is blocked in C;
the suite's ``hang_limit`` fixture (conftest) uses faulthandler's own C thread instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).parent

# A regular expression that backtracks for minutes, in C, holding the GIL throughout.
STUCK = """
import re


def test_stuck_in_c_with_the_gil_held():
    re.match(r"(a+)+$", "a" * 40 + "b")
"""


def _pytest(folder: Path, source: str, **env: str) -> subprocess.CompletedProcess[str]:
    """pytest, with the suite's conftest as a plugin, on one test file of ``source``."""
    (folder / "test_one.py").write_text(source, encoding="utf-8")
    path = os.pathsep.join([str(TESTS), *sys.path])
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q"],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": path, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_test_stuck_in_c_is_ended_with_the_stacks(tmp_path: Path) -> None:
    started = time.monotonic()
    # pytest-timeout off: only the hang limit can end it.
    done = _pytest(tmp_path, STUCK, QAGEN_TEST_HANG_LIMIT_S="2", PYTEST_ADDOPTS="-o timeout=0")
    assert done.returncode == 1, done.stdout + done.stderr
    assert time.monotonic() - started < 60
    report = (tmp_path / "hang-stacks.txt").read_text(encoding="utf-8")
    assert report.startswith("test_one.py::test_stuck_in_c_with_the_gil_held ran over 2 s:")
    assert "Timeout (0:00:02)!" in report, report
    assert 'test_one.py", line 6 in test_stuck_in_c_with_the_gil_held' in report, report


def test_a_run_that_does_not_hang_leaves_no_report(tmp_path: Path) -> None:
    done = _pytest(tmp_path, "def test_quick():\n    pass\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / "hang-stacks.txt").exists()
