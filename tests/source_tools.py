"""Command-line tools the source tests make documents with (pandoc, qpdf)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def require_tool(name: str) -> str:
    """The tool's path; skips the test without it, and fails instead under CI=true."""
    found = shutil.which(name)
    if found is None:
        reason = f"{name} is not installed (apt-get install {name})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def pandoc(markdown: str, out: Path, *extra: str) -> Path:
    """Convert Markdown to the format ``out``'s suffix names (docx, epub)."""
    source = out.with_suffix(".src.md")
    source.write_text(markdown, encoding="utf-8")
    subprocess.run([require_tool("pandoc"), str(source), "-o", str(out), *extra], check=True)
    return out


def qpdf_encrypt(pdf: Path, out: Path, user_password: str) -> Path:
    """An AES-256 copy of ``pdf``; an empty user password locks only editing."""
    subprocess.run(
        [require_tool("qpdf"), "--encrypt", user_password, "owner-pw", "256", "--", pdf, out],
        check=True,
    )
    return out
