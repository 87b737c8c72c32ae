"""The rule that the core never imports Qt covers every core module, present and future."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import qagen_desktop

ROOT = Path(__file__).resolve().parents[1]
# Modules allowed to import Qt: the window and what starts it.
QT_SIDE = {"qagen_desktop.ui", "qagen_desktop.launcher", "qagen_desktop.__main__"}


def _core_modules() -> set[str]:
    package = Path(qagen_desktop.__file__).parent
    names = {f"qagen_desktop.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    return names - QT_SIDE


def test_import_contract_lists_every_core_module() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    assert "PySide6" in contract["forbidden_modules"]
    missing = _core_modules() - set(contract["source_modules"])
    assert not missing, f"add these core modules to the import-linter contract: {sorted(missing)}"


def test_importing_the_command_line_loads_no_qt() -> None:
    code = (
        "import sys, qagen_desktop.cli, qagen_desktop.generation, qagen_desktop.datasets\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
