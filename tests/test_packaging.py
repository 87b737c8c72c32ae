"""What an install gives people: both commands, the icons, a menu entry, a working installer."""

from __future__ import annotations

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree

import pytest

from qagen_desktop import __version__

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
DESKTOP_ENTRY = ROOT / "packaging" / "linux" / "qagen-desktop.desktop"
INSTALL_SH = ROOT / "packaging" / "linux" / "install.sh"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is missing (Debian package {package}); .ci/run installs it")
        pytest.skip(f"{name} is missing (Debian package {package})")
    return path


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG image"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def installed_command(name: str) -> Path:
    """A console or GUI script installed next to this interpreter (the venv's bin or Scripts)."""
    folder = Path(sys.executable).parent
    for candidate in (folder / name, folder / f"{name}.exe"):
        if candidate.exists():
            return candidate
    pytest.fail(f"{name} is not installed next to {sys.executable}: pip install .")


# Menu entry -----------------------------------------------------------------------------------


def test_desktop_entry_passes_desktop_file_validate() -> None:
    validate = require_tool("desktop-file-validate", "desktop-file-utils")
    result = subprocess.run([validate, str(DESKTOP_ENTRY)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error:" not in result.stdout + result.stderr


def test_desktop_entry_launches_the_gui_command_with_its_icon() -> None:
    lines = DESKTOP_ENTRY.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    entry = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "qagen-desktop"
    assert entry["Icon"] == "qagen-desktop"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].rstrip(";").split(";") == ["Development"]  # one main category


# Icons ----------------------------------------------------------------------------------------


def test_svg_icon_is_a_square_svg_document() -> None:
    root = ElementTree.parse(RESOURCES / "qagen-desktop.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 256 256"


@pytest.mark.parametrize("size", PNG_SIZES)
def test_png_icon_has_its_pixel_size(size: int) -> None:
    data = (RESOURCES / "icons" / f"qagen-desktop-{size}.png").read_bytes()
    assert png_size(data) == (size, size)


def test_ico_holds_a_png_for_every_windows_size() -> None:
    data = (RESOURCES / "qagen-desktop.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1), "not an ICO file"
    sizes = []
    for index in range(count):
        width, height, _, _, planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        side = width or 256
        assert height == width and planes == 1 and bits == 32
        assert offset + length <= len(data)
        assert png_size(data[offset : offset + length]) == (side, side)
        sizes.append(side)
    assert sorted(sizes) == [16, 24, 32, 48, 64, 128, 256]


def test_icns_holds_png_images_up_to_1024_pixels() -> None:
    data = (RESOURCES / "qagen-desktop.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    sizes, position = {}, 8
    while position < len(data):
        kind, length = (
            data[position : position + 4],
            struct.unpack(">I", data[position + 4 : position + 8])[0],
        )
        sizes[kind] = png_size(data[position + 8 : position + length])[0]
        position += length
    assert position == len(data)
    assert sizes[b"ic07"] == 128 and sizes[b"ic09"] == 512 and sizes[b"ic10"] == 1024
    assert sizes[b"icp4"] == 16


@pytest.mark.parametrize(
    ("name", "sizes"),
    [
        ("qagen-desktop.ico", [16, 24, 32, 48, 64, 128, 256]),
        ("qagen-desktop.icns", [16, 32, 64, 128, 256, 512, 1024, 32, 64, 256, 512]),
    ],
)
def test_qt_decodes_every_image_in_the_icon_containers(
    qapp: object, name: str, sizes: list[int]
) -> None:
    from PySide6.QtGui import QImageReader

    reader = QImageReader(str(RESOURCES / name))
    assert reader.imageCount() == len(sizes)
    decoded = []
    for index in range(reader.imageCount()):
        assert reader.jumpToImage(index)
        image = reader.read()
        assert not image.isNull(), reader.errorString()
        decoded.append((image.width(), image.height()))
    assert decoded == [(size, size) for size in sizes]


def test_installed_package_ships_the_icons() -> None:
    folder = resources.files("qagen_desktop.resources")
    names = ["qagen-desktop.svg", "qagen-desktop.ico", "qagen-desktop.icns"]
    names += [f"icons/qagen-desktop-{size}.png" for size in PNG_SIZES]
    for name in names:
        assert (folder / name).is_file(), f"{name} is not in the installed package"
    assert png_size((folder / "icons" / "qagen-desktop-48.png").read_bytes()) == (48, 48)


def test_wheel_holds_the_icons_and_both_commands(tmp_path: Path) -> None:
    # Built offline from a copy of the source with the installed setuptools (no build isolation).
    try:
        from setuptools.command.bdist_wheel import bdist_wheel  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail('setuptools>=70.1 is missing: pip install ".[test]"')
        pytest.skip("building a wheel offline needs setuptools>=70.1")
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("qagen_desktop", "resources"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore, symlinks=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    out = tmp_path / "wheel"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta; build_meta.build_wheel(sys.argv[1])",
            str(out),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = out.glob("qagen_desktop-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        commands = archive.read(entry_points).decode()
    for name in ("qagen-desktop.svg", "qagen-desktop.ico", "qagen-desktop.icns", "__init__.py"):
        assert f"qagen_desktop/resources/{name}" in names
    for size in PNG_SIZES:
        assert f"qagen_desktop/resources/icons/qagen-desktop-{size}.png" in names
    assert "[gui_scripts]\nqagen-desktop = qagen_desktop.launcher:main" in commands
    assert "[console_scripts]\nqagen = qagen_desktop.cli:main" in commands


# Installed commands ---------------------------------------------------------------------------


def test_installed_qagen_desktop_prints_its_version() -> None:
    result = subprocess.run(
        [str(installed_command("qagen-desktop")), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"qagen-desktop {__version__}"


def test_installed_qagen_answers_help() -> None:
    result = subprocess.run(
        [str(installed_command("qagen")), "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "generate" in result.stdout


# User-level install on Linux ------------------------------------------------------------------


@pytest.fixture
def bash() -> str:
    if not sys.platform.startswith("linux"):
        pytest.skip("install.sh is for Linux")
    return require_tool("bash", "bash")


def installed_files(data_home: Path) -> list[Path]:
    return (
        [data_home / "applications" / "qagen-desktop.desktop"]
        + [
            data_home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "qagen-desktop.png"
            for size in PNG_SIZES
        ]
        + [data_home / "icons" / "hicolor" / "scalable" / "apps" / "qagen-desktop.svg"]
    )


def run_install(
    bash: str, script: Path, data_home: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    return subprocess.run(
        [bash, str(script), *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_install_sh_adds_then_removes_the_menu_entry_and_icons(bash: str, tmp_path: Path) -> None:
    data_home = tmp_path / "share"
    executable = (
        tmp_path / "my apps" / "qagen-desktop"
    )  # a bundle's executable, in a folder with a space
    executable.parent.mkdir()
    executable.write_text("#!/bin/sh\necho qagen-desktop\n")
    executable.chmod(0o755)

    result = run_install(bash, INSTALL_SH, data_home, str(executable))
    assert result.returncode == 0, result.stderr
    for path in installed_files(data_home):
        assert path.is_file(), f"{path} was not installed"
    assert png_size((data_home / "icons/hicolor/48x48/apps/qagen-desktop.png").read_bytes()) == (
        48,
        48,
    )
    entry = (data_home / "applications" / "qagen-desktop.desktop").read_text()
    assert f'Exec="{executable}"' in entry.splitlines()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(data_home / "applications" / "qagen-desktop.desktop")],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout

    result = run_install(bash, INSTALL_SH, data_home, "--uninstall")
    assert result.returncode == 0, result.stderr
    for path in installed_files(data_home):
        assert not path.exists(), f"{path} was not removed"


def test_install_sh_finds_the_pip_installed_command_and_its_icons(
    bash: str, tmp_path: Path
) -> None:
    # Outside a checkout (the script copied elsewhere), the icons come from the installed package.
    elsewhere = tmp_path / "downloaded"
    elsewhere.mkdir()
    for source in (INSTALL_SH, DESKTOP_ENTRY):
        shutil.copy2(source, elsewhere / source.name)
    command = installed_command("qagen-desktop")
    data_home = tmp_path / "share"
    result = run_install(bash, elsewhere / "install.sh", data_home, str(command))
    assert result.returncode == 0, result.stderr
    for path in installed_files(data_home):
        assert path.is_file(), f"{path} was not installed"
    entry = (data_home / "applications" / "qagen-desktop.desktop").read_text().splitlines()
    assert f"Exec={command}" in entry


def test_install_sh_without_the_command_says_how_to_get_it(bash: str, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [bash, str(INSTALL_SH)], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert "qagen-desktop is not on PATH" in result.stderr
    assert not (tmp_path / "share").exists()


# The bundle's smaller ICU data (packaging/icu_data.py) --------------------------------------


def load_icu_data() -> ModuleType:
    spec = importlib.util.spec_from_file_location("icu_data", ROOT / "packaging" / "icu_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def qt_icu_library() -> Path:
    """PySide6's own libicudata (Linux wheels carry ICU next to Qt)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the ICU data is trimmed in the Linux bundle only")
    import PySide6

    found = sorted((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    if not found:
        pytest.skip("this PySide6 carries no libicudata")
    return found[0]


def test_icu_package_round_trips_through_read_and_write() -> None:
    icu_data = load_icu_data()
    header = _icu_header()
    items = [("icudt73l/b.res", b"B" * 20), ("icudt73l/coll/a.res", b"A" * 16)]
    package = icu_data.write_package(header, items)
    read_header, read_items = icu_data.read_items(package)
    assert read_header == header
    assert [name for name, _ in read_items] == [name for name, _ in items]
    # Each item starts 16-byte aligned and keeps its bytes (padded with zeros to 16).
    assert read_items[0][1] == b"B" * 20 + b"\0" * 12
    assert read_items[1][1] == b"A" * 16


def test_icu_package_that_is_not_one_is_refused() -> None:
    icu_data = load_icu_data()
    with pytest.raises(ValueError, match="not an ICU common data package"):
        icu_data.read_items(b"\x90\x00\xda\x28" + bytes(200))


def _icu_header() -> bytes:
    # headerSize 32, magic da 27, then UDataInfo: size, reserved, little-endian, ASCII, UChar 2.
    info = struct.pack("<HHBBBB", 20, 0, 0, 0, 2, 0) + b"CmnD" + bytes([1, 0, 0, 0]) + bytes(4)
    return struct.pack("<HBB", 32, 0xDA, 0x27) + info + bytes(32 - 4 - len(info))


def test_icu_trim_keeps_collation_and_drops_names_and_legacy_charsets(
    qt_icu_library: Path,
) -> None:
    icu_data = load_icu_data()
    require_tool("nm", "binutils")
    require_tool("readelf", "binutils")
    _, offset, size = icu_data.data_symbol(qt_icu_library)
    with qt_icu_library.open("rb") as library:
        library.seek(offset)
        package = library.read(size)
    trimmed, kept, dropped = icu_data.trim(package)
    assert len(trimmed) < len(package) / 3
    short = {name.partition("/")[2] for name in kept}
    assert {"root.res", "coll/root.res", "coll/ucadata.icu", "coll/sv.res", "pool.res"} <= short
    gone = {name.partition("/")[2] for name in dropped}
    assert {"lang/de.res", "curr/fr.res", "brkitr/root.res", "unames.icu", "de.res"} <= gone
    assert any(name.endswith(".cnv") for name in gone)
    assert not any(name.startswith("coll/") for name in gone)


def test_trimmed_icu_library_still_sorts_as_the_full_one(
    qt_icu_library: Path, tmp_path: Path
) -> None:
    # Qt's collator (what its file dialog sorts names with) gives the same order with the trimmed
    # library as with PySide6's own; LD_LIBRARY_PATH puts the trimmed one first.
    icu_data = load_icu_data()
    for tool, package in (("as", "binutils"), ("ld", "binutils"), ("nm", "binutils")):
        require_tool(tool, package)
    folder = tmp_path / "icu"
    folder.mkdir()
    icu_data.smaller_library(qt_icu_library, folder / qt_icu_library.name)
    script = (
        "from PySide6.QtCore import QCollator, QLocale\n"
        "names = ['file10', 'Zürich', 'file2', 'Äpfel', 'apple', 'zebra', '中国', '文件']\n"
        "for locale in ('en_US', 'sv_SE', 'de_DE', 'zh_CN'):\n"
        "    collator = QCollator(QLocale(locale))\n"
        "    collator.setNumericMode(True)\n"
        "    print(locale, sorted(names, key=collator.sortKey))\n"
        "maps = open('/proc/self/maps').read().split()\n"
        "print('icudata', sorted({p for p in maps if 'libicudata' in p}))\n"
    )

    def orders(extra_env: dict[str, str]) -> list[str]:
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **extra_env},
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    full, trimmed = orders({}), orders({"LD_LIBRARY_PATH": str(folder)})
    assert "sv_SE ['apple', 'file2', 'file10', 'zebra', 'Zürich', 'Äpfel', '中国', '文件']" in full
    assert trimmed[-1] == f"icudata {[str(folder / qt_icu_library.name)]}"
    assert trimmed[:-1] == full[:-1]
