"""Run the installed ``qagen`` command in a subprocess, as a person would, and read its output."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def qagen_command() -> list[str]:
    """The ``qagen`` script beside this interpreter, else the module run directly."""
    script = Path(sys.executable).with_name("qagen")
    if script.exists():
        return [str(script)]
    found = shutil.which("qagen")
    return [found] if found else [sys.executable, "-m", "qagen_desktop.cli"]


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_qagen(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float = 120,
) -> Done:
    """Run ``qagen ARGS`` in ``cwd`` with the test's environment plus ``env``."""
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(
        [*qagen_command(), *args],
        cwd=cwd,
        env=full_env,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return Done(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every line of a JSONL file, each parsed (fails the test on a torn or invalid line)."""
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n"), "the last line is not terminated"
    return [json.loads(line) for line in text.splitlines()]


def assert_plain_failure(done: Done, code: int) -> str:
    """The run failed with ``code``, said why on one ``qagen: error:`` line and no traceback."""
    assert done.code == code, f"exit {done.code}, wanted {code}\n{done.output}"
    assert "Traceback" not in done.output, done.output
    errors = [line for line in done.stderr.splitlines() if line.startswith("qagen: error: ")]
    assert errors, done.stderr
    return errors[0]


CONTEXT = """\
The Amazon River carries more water than any other river on Earth. It flows east across
South America from the Andes to the Atlantic Ocean.

Its basin covers about seven million square kilometres and holds the largest tropical
rainforest in the world. Thousands of species of fish live in its waters.

During the wet season the river floods wide areas of forest. The floods bring nutrients that
feed the plants and animals of the floodplain.
"""


def long_text(paragraphs: int) -> str:
    """A long document whose words seldom repeat, so every chunk gives distinct questions."""
    rng = random.Random(paragraphs)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "gu", "fe", "ha"]

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))

    out = []
    for i in range(paragraphs):
        sentences = [
            " ".join(word() for _ in range(rng.randint(6, 12))).capitalize() + "."
            for _ in range(rng.randint(2, 4))
        ]
        out.append(f"Station {i}: " + " ".join(sentences))
    return "\n\n".join(out) + "\n"
