"""A private, unlocked Secret Service (D-Bus session bus + gnome-keyring) for keyring tests.

conftest.py loads it as a plugin, so a test asks for ``secret_service`` by name. It yields
the environment a subprocess needs to use that keyring; nothing touches the user's own keyring.
Without the daemons the tests skip with the reason, except on CI (``CI=true``), where the daemons
are installed and their absence is a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

BACKEND = "keyring.backends.SecretService.Keyring"
_PASSWORD = b"qagen-test-keyring-password"
_START_TIMEOUT = 15.0


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI needs a Secret Service for the keyring tests: {reason}")
    pytest.skip(reason)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End a daemon this fixture started, and anything it spawned in its process group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _secrets_name_has_owner(address: str) -> bool:
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    bus = DBusAddress(
        "/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus"
    )
    try:
        with open_dbus_connection(bus=address) as connection:
            message = new_method_call(bus, "NameHasOwner", "s", ("org.freedesktop.secrets",))
            reply = connection.send_and_get_reply(message, timeout=2)
    except Exception:
        return False
    return bool(reply.body and reply.body[0])


def _collection_unlocked(env: dict[str, str]) -> str:
    """Round-trip one entry through a fresh process: empty when the keyring works."""
    probe = (
        "import keyring\n"
        "keyring.set_password('qagen-desktop-probe', 'probe', 'ready')\n"
        "assert keyring.get_password('qagen-desktop-probe', 'probe') == 'ready'\n"
        "keyring.delete_password('qagen-desktop-probe', 'probe')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, timeout=30, check=False
    )
    if done.returncode == 0:
        return ""
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else f"exit {done.returncode}"


@pytest.fixture
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Start dbus-daemon and an unlocked gnome-keyring; yield env additions for subprocesses."""
    for binary in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(binary) is None:
            _missing(
                f"{binary} is not installed (Debian/Ubuntu: apt-get install dbus gnome-keyring)"
            )

    root = tmp_path_factory.mktemp("secret-service")
    home, data, runtime = root / "home", root / "data", root / "runtime"
    for folder in (home, data, runtime):
        folder.mkdir(mode=0o700)
    daemon_env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(data),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    daemon_env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    daemon_env.pop("DISPLAY", None)  # No prompt window: the collection is unlocked up front.

    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=daemon_env,
        start_new_session=True,
    )
    keyring_daemon: subprocess.Popen[bytes] | None = None
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
        if not address:
            _missing("dbus-daemon did not start a session bus")
        daemon_env["DBUS_SESSION_BUS_ADDRESS"] = address
        keyring_daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=daemon_env,
            start_new_session=True,
        )
        assert keyring_daemon.stdin is not None
        # The password creates and unlocks the login collection without a prompt.
        keyring_daemon.stdin.write(_PASSWORD)
        keyring_daemon.stdin.close()

        deadline = time.monotonic() + _START_TIMEOUT
        while not _secrets_name_has_owner(address):
            if keyring_daemon.poll() is not None:
                _missing(f"gnome-keyring-daemon exited with status {keyring_daemon.returncode}")
            if time.monotonic() > deadline:
                _missing("the Secret Service did not appear on the private session bus")
            time.sleep(0.05)

        env = {"DBUS_SESSION_BUS_ADDRESS": address, "PYTHON_KEYRING_BACKEND": BACKEND}
        problem = _collection_unlocked({**os.environ, **env})
        if problem:
            _missing(f"the private Secret Service does not store secrets: {problem}")
        yield env
    finally:
        if keyring_daemon is not None:
            _stop(keyring_daemon)
        _stop(bus)
        if bus.stdout is not None:
            bus.stdout.close()
