"""Build the double-clickable qagen-desktop folder with PyInstaller.

    python packaging/build.py [--distpath DIR] [--workpath DIR]

Needs the package and PyInstaller installed (pip install ".[package]"). Writes
dist/qagen-desktop/ (and dist/qagen-desktop.app on macOS) and prints the folder's size. On Linux
the folder also gets install.sh and the .desktop entry, to add it to the applications menu.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "qagen-desktop.spec"
APP_NAME = "qagen-desktop"
SIZE_AIM_MB = 100


def folder_size(path: Path) -> int:
    """Bytes in every file under path (symbolic links not followed)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def executable(dist: Path) -> Path:
    """The built app's executable inside dist."""
    name = f"{APP_NAME}.exe" if sys.platform == "win32" else APP_NAME
    return dist / APP_NAME / name


def build(dist: Path, work: Path) -> Path:
    """Run PyInstaller on the spec; returns the one-folder build."""
    try:
        import PyInstaller.__main__
    except ImportError:
        raise SystemExit('PyInstaller is not installed: pip install ".[package]"') from None
    PyInstaller.__main__.run(
        [
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(SPEC),
        ]
    )
    folder = dist / APP_NAME
    if sys.platform.startswith("linux"):
        for name in ("install.sh", f"{APP_NAME}.desktop"):
            shutil.copy2(ROOT / "packaging" / "linux" / name, folder / name)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distpath", type=Path, default=ROOT / "dist", help="default: dist/")
    parser.add_argument("--workpath", type=Path, default=ROOT / "build", help="default: build/")
    args = parser.parse_args(argv)
    started = time.monotonic()
    folder = build(args.distpath.resolve(), args.workpath.resolve())
    elapsed = time.monotonic() - started
    size_mb = folder_size(folder) / 1_000_000
    print(f"Built {folder} in {elapsed:.0f} s")
    print(f"Executable: {executable(args.distpath.resolve())}")
    print(f"Folder size: {size_mb:.1f} MB (aim: under {SIZE_AIM_MB} MB)")
    if sys.platform == "darwin":
        app = args.distpath.resolve() / f"{APP_NAME}.app"
        print(f"App bundle: {app} ({folder_size(app) / 1_000_000:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
