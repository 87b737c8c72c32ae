"""Shared test set-up: every test runs with its own user folders and no real keyring.

Nothing here touches the user's real config, data, cache or state folders, nor the network.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from qagen_process import CONTEXT

if TYPE_CHECKING:
    from fake_server import FakeLLMServer

pytest_plugins = ["fake_server"]

# Before anything imports Qt: no screen is needed for the window tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Path]]:
    """Point platformdirs (through the XDG variables) at fresh temporary folders.

    Also keeps the environment variables of the old script out of the way, and makes the keyring
    a backend that stores nothing unless a test asks for another.
    """
    root = tmp_path_factory.mktemp("home")
    folders = {
        "config": root / "config",
        "data": root / "data",
        "cache": root / "cache",
        "state": root / "state",
    }
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folders["config"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(folders["data"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(folders["cache"]))
    monkeypatch.setenv("XDG_STATE_HOME", str(folders["state"]))
    for name in ("API_ENDPOINT", "API_KEY", "MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    yield folders


@pytest.fixture
def server(llm_server: FakeLLMServer) -> FakeLLMServer:
    """The loopback chat-completions server, under the short name the command-line tests use."""
    return llm_server


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    """A context file of a few paragraphs, ``ctx.txt`` in the test's folder."""
    path = tmp_path / "ctx.txt"
    path.write_text(CONTEXT, encoding="utf-8")
    return path


_FIGURES: list[str] = []


@pytest.fixture(scope="session")
def figure() -> Callable[[str], None]:
    """Report a measured figure (a size, a duration) in the summary at the end of the run.

    Tests never assert on time; what they measured is shown here, so a CI log carries it.
    """
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("figures measured by the tests")
        for line in _FIGURES:
            terminalreporter.write_line(line)


# -- the real llama.cpp server (the real_model tier) ------------------------------------------
# Kept apart from the fixtures above: tests/real_server.py finds or starts it.


def _real_server_missing(reason: str) -> None:
    """Skip with the reason (never returns); under CI (CI=true) the tier must run, so fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"the real llama.cpp server is needed under CI: {reason}", pytrace=False)
    pytest.skip(f"no real llama.cpp server: {reason}")


@pytest.fixture(scope="session")
def llama_url() -> Iterator[str]:
    """The ``/v1`` URL of a real llama-server with Gemma 3 270M and 4 slots: the one named by
    ``QAGEN_LLAMA_URL`` (``.ci/run`` starts it), else one started here for the session."""
    import real_server

    given = os.environ.get(real_server.URL_ENV)
    if given:
        yield given.rstrip("/")
        return
    try:
        server = real_server.start_server(ctx_size=real_server.CI_CTX_SIZE, parallel=4)
    except real_server.Unavailable as exc:
        _real_server_missing(str(exc))
        return
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def small_llama() -> Iterator[object]:
    """A real llama-server started for one test with ``-c 2048 -np 4``: 512 tokens a slot."""
    import real_server

    try:
        server = real_server.start_server(ctx_size=2048, parallel=4)
    except real_server.Unavailable as exc:
        _real_server_missing(str(exc))
        return
    try:
        yield server
    finally:
        server.stop()
