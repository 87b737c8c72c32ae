"""The double-clickable Linux bundle: it builds, opens its window on Xvfb and closes cleanly.

Builds with packaging/build.py (about a minute or two), so it is marked slow; it still runs in
the default run. Outside CI it is skipped, with the reason, when PyInstaller, Xvfb or xdotool is
missing; in CI (CI=true) a missing tool fails it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
import select
import shutil
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pdf_writer import make_pdf

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the smoke test runs on Linux"),
]

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
SIZE_AIM_MB = 100


def require(available: bool, what: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing; .ci/run installs it")
    pytest.skip(f"{what} is missing")


def folder_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, figure: Callable[[str], None]) -> Path:
    """The one-folder build, made once for this module in a temporary folder."""
    require(
        importlib.util.find_spec("PyInstaller") is not None,
        'PyInstaller (pip install ".[package]")',
    )
    require(shutil.which("Xvfb") is not None, "Xvfb (Debian package xvfb)")
    require(shutil.which("xdotool") is not None, "xdotool (Debian package xdotool)")
    require(shutil.which("xprop") is not None, "xprop (Debian package x11-utils)")
    # PyInstaller reads and strips Linux binaries with binutils' objdump and strip.
    require(shutil.which("objdump") is not None, "objdump (Debian package binutils)")
    require(shutil.which("strip") is not None, "strip (Debian package binutils)")
    out = tmp_path_factory.mktemp("bundle")
    # PyInstaller's cache goes to a temporary folder too, not the user's ~/.cache.
    env = {**os.environ, "PYINSTALLER_CONFIG_DIR": str(out / "pyinstaller-config")}
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "build.py"),
            "--distpath",
            str(out / "dist"),
            "--workpath",
            str(out / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=1500,
        env=env,
        cwd=out,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    folder = out / "dist" / "qagen-desktop"
    figure(f"Bundle built in {time.monotonic() - started:.0f} s")
    return folder


@pytest.fixture
def xvfb(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A private X server on a display it picks itself; yields (DISPLAY, framebuffer file)."""
    fbdir = tmp_path / "framebuffer"
    fbdir.mkdir()
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            "1280x800x24",
            "-fbdir",
            str(fbdir),
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 30)
        assert ready, "Xvfb did not report its display within 30 s"
        number = os.read(read_end, 64).decode().strip()
        assert number.isdigit(), f"Xvfb reported {number!r}"
        yield f":{number}", fbdir / "Xvfb_screen0"
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(timeout=10)


def test_bundle_is_under_the_size_aim(bundle: Path) -> None:
    size_mb = folder_size(bundle) / 1_000_000
    print(f"Bundle size: {size_mb:.1f} MB")
    assert size_mb < SIZE_AIM_MB


def test_bundle_carries_keyring_backends_and_their_metadata(bundle: Path) -> None:
    internal = bundle / "_internal"
    entry_points = list(internal.glob("keyring-*.dist-info/entry_points.txt"))
    assert entry_points, "keyring's metadata is missing: it finds its backends through entry points"
    assert "keyring.backends" in entry_points[0].read_text()
    for requirement in ("jaraco.classes", "jaraco_functools", "jaraco_context", "secretstorage"):
        assert list(internal.glob(f"{requirement}-*.dist-info")), f"{requirement} metadata missing"
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(bundle / "qagen-desktop"))
    pyz_name = next(name for name in archive.toc if name.endswith(".pyz"))
    modules = set(archive.open_embedded_archive(pyz_name).toc)
    for module in (
        "keyring.backends.SecretService",
        "keyring.backends.fail",
        "keyring.backends.chainer",
        "qagen_desktop.ui.app",
        "qagen_desktop.ui.main_window",
        "httpx",
        "httpx_sse",
        "json_repair",
        "qagen_desktop.core.sources.pdf",
        "qagen_desktop.core.sources.html",
        "pypdf",
        "bs4",
    ):
        assert module in modules, f"{module} is not in the bundle"


def test_install_sh_in_the_bundle_adds_the_bundle_to_the_menu(bundle: Path, tmp_path: Path) -> None:
    data_home = tmp_path / "share"
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    result = subprocess.run(
        ["bash", str(bundle / "install.sh")], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    entry = (data_home / "applications" / "qagen-desktop.desktop").read_text().splitlines()
    assert f"Exec={bundle / 'qagen-desktop'}" in entry
    assert (data_home / "icons/hicolor/256x256/apps/qagen-desktop.png").is_file()
    assert (data_home / "icons/hicolor/scalable/apps/qagen-desktop.svg").is_file()


def test_bundle_answers_version_without_a_display(bundle: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [str(bundle / "qagen-desktop"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("qagen-desktop ")


def test_bundle_reads_pdf_and_html_and_sorts_with_its_trimmed_icu_data(
    bundle: Path, tmp_path: Path
) -> None:
    # pypdf and beautifulsoup4 are imported only when a file of theirs is read, and the bundle
    # carries ICU's collation tables alone (packaging/icu_data.py): the frozen app shows both work.
    page = tmp_path / "page.html"
    page.write_text(
        '<html><head><meta charset="utf-8"><title>Notes</title></head>'
        "<body><h1>Tides</h1><p>The moon pulls the sea.</p></body></html>",
        encoding="utf-8",
    )
    document = tmp_path / "document.pdf"
    document.write_bytes(make_pdf([["Rivers carry silt to the delta."]]))
    result = subprocess.run(
        [str(bundle / "qagen-desktop"), "--self-check", str(page), str(document)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert "HTML page.html: Tides The moon pulls the sea." in lines
    assert "PDF document.pdf: Rivers carry silt to the delta." in lines
    # Numeric collation (file2 before file10) and a language's own order (Swedish puts Ä after
    # Z) come from ICU's data; without it Qt falls back to comparing code points.
    assert "collation en_US: Äpfel apple file2 file10 zebra Zürich" in lines
    assert "collation sv_SE: apple file2 file10 zebra Zürich Äpfel" in lines


def test_bundle_opens_its_window_on_xvfb_and_closes_cleanly(
    figure: Callable[[str], None],
    bundle: Path,
    xvfb: tuple[str, Path],
    user_dirs: dict[str, Path],
    tmp_path: Path,
) -> None:
    display, framebuffer = xvfb
    env = bundle_environment(display, tmp_path) | {"QT_QPA_PLATFORM": "xcb"}
    output = tmp_path / "output.txt"
    with output.open("wb") as sink:
        app = subprocess.Popen(
            [str(bundle / "qagen-desktop")], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            window = find_window(display, app)
            geometry = window_geometry(display, window)
            icon = window_icon_property(display, window)
            shot = tmp_path / "qagen-desktop-on-xvfb.png"
            painted = wait_for_painted_window(framebuffer, geometry, shot)
            figure(f"Bundle screenshot: {shot} ({painted:.0%} of the window painted)")
            mapped = mapped_files(app.pid)
            send_wm_delete_window(display, window)
            code = app.wait(timeout=30)
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
    text = output.read_text(errors="replace")
    log_text = (user_dirs["state"] / "qagen-desktop" / "log" / "qagen-desktop.log").read_text()
    assert code == 0, f"exit {code}\n{text[-3000:]}\n{log_text[-3000:]}"
    assert "Exiting with code 0" in log_text
    for alarm in ("QThread: Destroyed", "Traceback", "Could not start"):
        assert alarm not in text, text[-3000:]
        assert alarm not in log_text, log_text[-3000:]
    assert icon.startswith("_NET_WM_ICON(CARDINAL) = "), f"the window has no icon: {icon}"
    # Every Qt library and plugin the window maps is the bundle's own: nothing it needs was left
    # out and then found elsewhere on this machine.
    folder = bundle.resolve()
    qt_files = [path for path in mapped if "libQt6" in path.name or "plugins" in path.parts]
    assert any(path.name == "libqxcb.so" for path in qt_files), qt_files
    outside = [path for path in qt_files if not path.is_relative_to(folder)]
    assert not outside, f"Qt files mapped from outside the bundle: {outside}"
    shared = [path for path in folder.rglob("*.so*") if path.is_file() and not path.is_symlink()]
    unmapped = sorted(str(path.relative_to(folder)) for path in set(shared) - set(mapped))
    figure(f"Bundle size: {folder_size(bundle) / 1_000_000:.1f} MB")
    figure(
        f"Bundle: {len(shared) - len(unmapped)} of {len(shared)} shared objects mapped with the"
        f" window open; not mapped: {', '.join(unmapped)}"
    )


def test_bundle_on_a_wayland_desktop_opens_through_xwayland(
    bundle: Path, xvfb: tuple[str, Path], user_dirs: dict[str, Path], tmp_path: Path
) -> None:
    # The bundle carries no Wayland plugin: on a Wayland session Qt must fall back to xcb (served
    # there by XWayland) rather than give up. Xvfb stands in for XWayland.
    display, _ = xvfb
    env = bundle_environment(display, tmp_path) | {
        "XDG_SESSION_TYPE": "wayland",
        "WAYLAND_DISPLAY": "wayland-qagen-test",  # no such socket in XDG_RUNTIME_DIR
    }
    app = subprocess.Popen(
        [str(bundle / "qagen-desktop")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        window = find_window(display, app)
        send_wm_delete_window(display, window)
        code = app.wait(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert code == 0


def bundle_environment(display: str, runtime_dir: Path) -> dict[str, str]:
    """This process's environment for the bundle on ``display``, away from the desktop's session."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "QT_QPA_PLATFORM")
    }
    return env | {"DISPLAY": display, "XDG_RUNTIME_DIR": str(runtime_dir)}


def mapped_files(pid: int) -> set[Path]:
    """The files a running process has mapped (/proc/PID/maps), resolved."""
    lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    paths = {line.split(maxsplit=5)[5] for line in lines if len(line.split(maxsplit=5)) == 6}
    return {Path(path).resolve() for path in paths if path.startswith("/")}


def window_icon_property(display: str, window: int) -> str:
    """The start of the window's _NET_WM_ICON as xprop prints it."""
    result = subprocess.run(
        ["xprop", "-id", str(window), "_NET_WM_ICON"],
        capture_output=True,
        text=True,
        timeout=10,
        env={**os.environ, "DISPLAY": display},
    )
    return result.stdout[:200]


def find_window(display: str, app: subprocess.Popen[bytes]) -> int:
    """The visible window whose title holds "qagen" (xdotool search --sync, with a time limit)."""
    env = {**os.environ, "DISPLAY": display}
    try:
        found = subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--name", "qagen"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"no qagen window within 60 s (app exit code {app.poll()})")
    assert found.returncode == 0, found.stderr
    return int(found.stdout.split()[0])


def window_geometry(display: str, window: int) -> tuple[int, int, int, int]:
    result = subprocess.run(
        ["xdotool", "getwindowgeometry", "--shell", str(window)],
        capture_output=True,
        text=True,
        timeout=10,
        env={**os.environ, "DISPLAY": display},
        check=True,
    )
    values = dict(line.split("=", 1) for line in result.stdout.split())
    return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])


def wait_for_painted_window(
    framebuffer: Path, geometry: tuple[int, int, int, int], shot: Path
) -> float:
    """Screenshot (Xvfb's own framebuffer file, XWD) until the window is painted; saves a PNG.

    Returns the share of the window's pixels that are not the black of an empty X screen.
    """
    x, y, width, height = geometry
    painted = 0.0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        screen_width, screen_height, rows = read_xwd(framebuffer.read_bytes())
        window = [row[x * 3 : (x + width) * 3] for row in rows[y : y + height : 4]]
        pixels = [row[i : i + 3] for row in window for i in range(0, len(row), 12)]
        painted = sum(pixel != b"\0\0\0" for pixel in pixels) / max(len(pixels), 1)
        if painted > 0.5 and len(set(pixels)) > 8:
            write_png(shot, screen_width, screen_height, rows)
            return painted
        time.sleep(0.5)
    write_png(shot, *read_xwd(framebuffer.read_bytes()))
    pytest.fail(f"the window stayed blank ({painted:.0%} painted); see {shot}")


def read_xwd(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of a 32-bit ZPixmap XWD image (what Xvfb -fbdir keeps)."""
    fields = struct.unpack(">25I", data[:100])
    header_size, width, height = fields[0], fields[4], fields[5]
    byte_order, bits_per_pixel, bytes_per_line, colours = (
        fields[7],
        fields[11],
        fields[12],
        fields[19],
    )
    assert bits_per_pixel == 32, f"unexpected XWD pixel size {bits_per_pixel}"
    start = header_size + 12 * colours
    # Each pixel is B, G, R, pad in LSBFirst order and pad, R, G, B in MSBFirst order.
    offsets = (2, 1, 0) if byte_order == 0 else (1, 2, 3)
    rows = []
    for row in range(height):
        line = data[start + row * bytes_per_line : start + row * bytes_per_line + width * 4]
        rgb = bytearray(width * 3)
        for channel, offset in enumerate(offsets):
            rgb[channel::3] = line[offset::4]
        rows.append(bytes(rgb))
    return width, height, rows


def write_png(path: Path, width: int, height: int, rows: list[bytes]) -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    raw = b"".join(b"\x00" + row for row in rows)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


def send_wm_delete_window(display: str, window: int) -> None:
    """Ask the window to close as a window manager's close button does (WM_DELETE_WINDOW).

    Xvfb runs no window manager, and this xdotool has no windowclose; libX11 sends the message.
    """
    name = ctypes.util.find_library("X11")
    require(name is not None, "libX11 (Debian package libx11-6)")
    x11 = ctypes.CDLL(name)
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSendEvent.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.c_void_p,
    ]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    connection = x11.XOpenDisplay(display.encode())
    assert connection, f"cannot open display {display}"
    try:
        event = _XEvent()
        message = event.xclient
        message.type = 33  # ClientMessage
        message.send_event = 1
        message.display = connection
        message.window = window
        message.message_type = x11.XInternAtom(connection, b"WM_PROTOCOLS", 0)
        message.format = 32
        message.data[0] = x11.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
        message.data[1] = 0  # CurrentTime
        assert x11.XSendEvent(connection, window, 0, 0, ctypes.byref(event)), "XSendEvent failed"
        x11.XFlush(connection)
    finally:
        x11.XCloseDisplay(connection)
