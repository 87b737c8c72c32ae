"""The ``qagen`` command: the old one-file script's job, on the same core as the window (no Qt).

    qagen generate [CONTEXT_FILE | -] [-n N] [-o OUT] [--format qa|openai-chat|alpaca|sharegpt]
                   [--provider openai|azure] [--endpoint URL] [--model NAME] [--concurrency C]
                   [--chunk-chars K] [--max-retries R] [--timeout SECONDS]

Exit 0: exactly N pairs written. 1: a shortfall or failed chunks (the pairs that came are still
written). 2: bad usage or configuration, found before any request. 130: interrupted (Ctrl+C; 143
for SIGTERM), the pairs received so far written.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn

from qagen_desktop import __version__
from qagen_desktop.core import paths
from qagen_desktop.core.chunking import MIN_CHUNK_CHARS
from qagen_desktop.core.contextfile import decode_context, read_context_file
from qagen_desktop.core.datasets import DatasetError, save_dataset
from qagen_desktop.core.endpoint import (
    DEFAULT_AZURE_API_VERSION,
    DEFAULT_ENDPOINT,
    DEFAULT_MODEL,
    PROVIDERS,
    Endpoint,
    guess_provider,
)
from qagen_desktop.core.errors import ConfigError, redact
from qagen_desktop.core.generation import (
    FATAL_KINDS,
    ChunkOutcome,
    Generator,
    RunConfig,
    RunEvents,
    RunResult,
    Usage,
)
from qagen_desktop.core.keystore import KeyStore
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.settings import FORMATS, Environment, Settings, load_settings, save_settings

log = logging.getLogger(__name__)

PROG = "qagen"
EXIT_OK, EXIT_SHORTFALL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# Failures that end the whole run: reported once, as the run's error, not once per chunk.
_RUN_ENDING_KINDS = FATAL_KINDS | {"connect", "cancelled", "stopped"}
_CHUNK_PREFIX = re.compile(r"^chunk \d+:\s*", re.IGNORECASE)
# How long Ctrl+C waits for the run to hand back what it has; Generator.cancel promises < 1 s.
_CANCEL_WAIT = 0.8
_DEBUG_ENV = "QAGEN_DEBUG"


class UsageError(ConfigError):
    """A bad command line: exit 2 with one line."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one ``qagen: error:`` line, not a usage block."""

    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            # Echo only the option names: a value typed after an unknown flag may be a key.
            names = [word for word in message[len(prefix) :].split() if word.startswith("-")]
            message = prefix + (" ".join(names) or "(extra values)")
            if any("key" in name.lower() for name in names):
                raise UsageError(
                    f"{message} (the API key is never a flag: set API_KEY, or save it in the app)"
                )
        raise UsageError(f"{message} (see: {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Turn a text file into a question-answer dataset (JSONL) with any "
        "OpenAI-compatible chat-completions endpoint.",
        epilog="The API key comes from the API_KEY environment variable, else from the OS "
        "keyring entry the qagen-desktop window saved for the endpoint. It is never a flag.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    gen = commands.add_parser(
        "generate",
        help="generate question-answer pairs from a text file",
        description="Generate N question-answer pairs grounded in CONTEXT_FILE and write them as "
        "JSONL. Exit 0: exactly N written; 1: a shortfall or failed chunks (what came is "
        "written); 2: bad usage or configuration; 130: interrupted.",
    )
    gen.add_argument(
        "context",
        nargs="?",
        metavar="CONTEXT_FILE",
        help="UTF-8 text file to make questions from; - (or a pipe) reads standard input",
    )
    gen.add_argument(
        "-n", dest="pairs", type=int, default=5, metavar="N", help="pairs to make (default: 5)"
    )
    gen.add_argument(
        "-o",
        dest="output",
        default="qa.jsonl",
        metavar="OUT",
        help="output file (default: qa.jsonl)",
    )
    gen.add_argument(
        "--format",
        choices=FORMATS,
        default="qa",
        metavar="|".join(FORMATS),
        help="dataset line format (default: qa)",
    )
    gen.add_argument(
        "--provider",
        choices=PROVIDERS,
        default=None,
        metavar="|".join(PROVIDERS),
        help="openai (Bearer key) or azure (api-key header) (default: guessed from the URL)",
    )
    gen.add_argument(
        "--endpoint",
        default=None,
        metavar="URL",
        help=f"chat-completions or base URL (default: $API_ENDPOINT, else {DEFAULT_ENDPOINT})",
    )
    gen.add_argument(
        "--model",
        default=None,
        metavar="NAME",
        help=f"model name (default: $MODEL, else {DEFAULT_MODEL})",
    )
    gen.add_argument(
        "--concurrency", type=int, default=4, metavar="C", help="requests in flight (default: 4)"
    )
    gen.add_argument(
        "--chunk-chars",
        type=int,
        default=3000,
        metavar="K",
        help="longest chunk, in characters (default: 3000)",
    )
    gen.add_argument(
        "--max-retries",
        type=int,
        default=3,
        metavar="R",
        help="further requests per chunk (default: 3)",
    )
    gen.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="longest silence allowed from the server, not a cap on the whole answer (default: 60)",
    )
    gen.add_argument(
        "--deployment", default="", metavar="NAME", help="Azure deployment, for an Azure base URL"
    )
    gen.add_argument(
        "--api-version",
        default=DEFAULT_AZURE_API_VERSION,
        metavar="V",
        help=f"Azure api-version, when the URL has none (default: {DEFAULT_AZURE_API_VERSION})",
    )
    return parser


@dataclass(frozen=True)
class _Options:
    """Everything one run needs, checked before any request is made."""

    endpoint: Endpoint
    api_key: str | None = field(repr=False)
    text: str = field(repr=False)
    output: Path
    fmt: str
    config: RunConfig = field(repr=False)
    settings: Settings = field(repr=False)


def _check_numbers(args: argparse.Namespace) -> None:
    if args.pairs < 1:
        raise UsageError(f"-n must be 1 or more (got {args.pairs}).")
    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be 1 or more (got {args.concurrency}).")
    if args.chunk_chars < MIN_CHUNK_CHARS:
        raise UsageError(
            f"--chunk-chars must be at least {MIN_CHUNK_CHARS} (got {args.chunk_chars})."
        )
    if args.max_retries < 0:
        raise UsageError(f"--max-retries must be 0 or more (got {args.max_retries}).")
    if not args.timeout > 0 or args.timeout == float("inf"):
        raise UsageError(f"--timeout must be a number of seconds above 0 (got {args.timeout:g}).")


def _read_context(name: str | None, stdin: IO[bytes] | None, stdin_is_tty: bool) -> str:
    if name is None and stdin_is_tty:
        raise UsageError(
            "give a context file (qagen generate ctx.txt), or - to read standard input."
        )
    if name is None or name == "-":
        if stdin is None:
            raise UsageError("there is no standard input to read: give a context file.")
        return decode_context(stdin.read(), "standard input")
    return read_context_file(name)


def _check_output(output: Path) -> None:
    if output.is_dir():
        raise UsageError(f"-o {output} is a folder: give a file name, e.g. {output / 'qa.jsonl'}.")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(
            f"The output folder {folder} does not exist: create it or choose another -o path."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"The output folder {folder} cannot be written: choose another -o path.")


def _api_key(endpoint: Endpoint, environ: Mapping[str, str]) -> str | None:
    """API_KEY when set (empty means no key), else the key the keyring holds for the endpoint."""
    env_key = Environment.read(environ).api_key
    if env_key is not None:
        return env_key or None
    return KeyStore().get(endpoint.key_id())


def prepare(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str],
    stdin: IO[bytes] | None,
    stdin_is_tty: bool,
) -> _Options:
    """Check the whole command line and read the context; ConfigError before any request."""
    _check_numbers(args)
    env = Environment.read(environ)
    url = (args.endpoint if args.endpoint is not None else env.endpoint or DEFAULT_ENDPOINT).strip()
    model = (args.model if args.model is not None else env.model or DEFAULT_MODEL).strip()
    provider = args.provider or guess_provider(url)
    if not model and provider != "azure":  # Azure names the model by its deployment.
        raise UsageError("--model is empty: give the model name the server knows.")
    endpoint = Endpoint(
        provider=provider,
        url=url,
        model=model,
        deployment=args.deployment.strip(),
        api_version=args.api_version.strip(),
    )
    endpoint.chat_url()  # Raises ConfigError for a URL that cannot work.
    output = Path(args.output)
    _check_output(output)
    text = _read_context(args.context, stdin, stdin_is_tty)

    settings = load_settings()
    api_key = _api_key(endpoint, environ)
    config = RunConfig(
        endpoint=endpoint,
        api_key=api_key,
        total_pairs=args.pairs,
        chunk_chars=args.chunk_chars,
        concurrency=args.concurrency,
        max_retries=args.max_retries,
        timeout=args.timeout,
        prompt_template=settings.prompt_template,
        system_message=settings.system_message,
        response_mode=settings.response_mode_for(endpoint),
    )
    return _Options(
        endpoint=endpoint,
        api_key=api_key,
        text=text,
        output=output,
        fmt=args.format,
        config=config,
        settings=settings,
    )


class _Progress(RunEvents):
    """Run events drawn on stderr: a redrawn bar on a terminal, one line per chunk otherwise.

    Called from the run's thread; the main thread redraws the bar so the clock keeps moving.
    """

    def __init__(self, stream: IO[str], *, tty: bool, requested: int, secret: str | None) -> None:
        self._stream = stream
        self._tty = tty
        self._requested = requested
        self._secret = secret
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._bar_width = 0  # Characters of the bar on screen now; 0 when none is shown.
        self.chunks_total = 0
        self.chunks_done = 0
        self.tokens = 0
        self.received: list[QAPair] = []
        self.failures: list[ChunkOutcome] = []
        self.reported: set[int] = set()

    # RunEvents, from the run's thread.
    def started(self, chunks_total: int) -> None:
        with self._lock:
            self.chunks_total = chunks_total
            if not self._tty:
                plural = "" if chunks_total == 1 else "s"
                self._line(f"Generating {self._requested} pairs from {chunks_total} chunk{plural}")
            self._draw()

    def pairs_received(self, pairs: list[QAPair]) -> None:
        with self._lock:
            self.received.extend(pairs)
            self._draw()

    def chunk_finished(self, outcome: ChunkOutcome, done: int, total: int) -> None:
        with self._lock:
            self.chunks_done, self.chunks_total = done, total
            if not outcome.ok:
                self.failures.append(outcome)
                if outcome.error_kind not in _RUN_ENDING_KINDS:
                    self.reported.add(outcome.index)
                    self._line(f"qagen: {describe_failure(outcome, self._secret)}")
            if not self._tty:
                self._line(
                    f"[{done}/{total} chunks] {len(self.received)}/{self._requested} pairs, "
                    f"{self.tokens} tokens, {self.elapsed():.1f} s"
                )
            self._draw()

    def usage_updated(self, usage: Usage) -> None:
        with self._lock:
            self.tokens = usage.total_tokens
            self._draw()

    def notice(self, message: str) -> None:
        with self._lock:
            self._line(f"qagen: {redact(message, self._secret)}")
            self._draw()

    # From the main thread.
    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def tick(self) -> None:
        with self._lock:
            self._draw()

    def close(self) -> None:
        with self._lock:
            self._clear()

    def _line(self, text: str) -> None:
        self._clear()
        self._stream.write(text + "\n")
        self._stream.flush()

    def _clear(self) -> None:
        # Spaces, not an ANSI erase: Windows consoles without VT mode print escapes as text.
        if self._bar_width:
            self._stream.write("\r" + " " * self._bar_width + "\r")
            self._stream.flush()
            self._bar_width = 0

    def _draw(self) -> None:
        if not self._tty:
            return
        total = max(self.chunks_total, 1)
        status = (
            f" {self.chunks_done}/{self.chunks_total} chunks, {len(self.received)}/"
            f"{self._requested} pairs, {self.tokens} tokens, {self.elapsed():.0f} s"
        )
        width = shutil.get_terminal_size((80, 24)).columns - 1
        bar_width = max(10, min(40, width - len(status) - 2))
        filled = round(bar_width * self.chunks_done / total)
        line = ("[" + "#" * filled + "-" * (bar_width - filled) + "]" + status)[:width]
        # Padding wipes what a longer previous line left behind.
        self._stream.write("\r" + line.ljust(self._bar_width))
        self._stream.flush()
        self._bar_width = max(len(line), self._bar_width)


def describe_failure(outcome: ChunkOutcome, secret: str | None) -> str:
    """``chunk 3 failed (2 of 5 pairs came): reason``: chunk numbers count from 1."""
    reason = _CHUNK_PREFIX.sub("", redact(outcome.error or "no pairs came back", secret))
    got = f" ({outcome.received} of {outcome.requested} pairs came)" if outcome.received else ""
    return f"chunk {outcome.index + 1} failed{got}: {reason}"


class _Worker(threading.Thread):
    """Runs the blocking Generator so the main thread stays free to catch Ctrl+C."""

    def __init__(self, generator: Generator, text: str) -> None:
        super().__init__(name="qagen-run", daemon=True)
        self._generator = generator
        self._text = text
        self.result: RunResult | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self._generator.run(self._text)
        except BaseException as exc:  # Handed to the main thread, which reports it.
            self.error = exc


def _fallback_path() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return paths.data_dir() / "unsaved" / f"qa-{stamp}-{os.getpid()}.jsonl"


def write_pairs(
    output: Path, pairs: list[QAPair], fmt: str, system_message: str, err: IO[str]
) -> Path | None:
    """Write the dataset atomically; when OUT cannot be written, save it elsewhere and say where.

    Returns where the pairs went (None only if no place at all could be written).
    """
    try:
        save_dataset(output, pairs, fmt, system_message=system_message)
        return output
    except (DatasetError, OSError) as exc:
        problem = str(exc).rstrip(".") or f"Cannot save {output}"
    for place in (_fallback_path(), Path.cwd() / f"qagen-unsaved-{int(time.time())}.jsonl"):
        try:
            place.parent.mkdir(parents=True, exist_ok=True)
            save_dataset(place, pairs, fmt, system_message=system_message)
        except (DatasetError, OSError):
            continue
        err.write(
            f"qagen: error: {problem}; the {len(pairs)} pairs were saved to {place} instead.\n"
        )
        return place
    err.write(f"qagen: error: {problem}, nor could any fallback file; {len(pairs)} pairs lost.\n")
    return None


def _remember_response_mode(options: _Options, result: RunResult) -> None:
    """Save the structured-output mode the server took, so the next run starts with it."""
    if not result.pairs or result.response_mode == options.config.response_mode:
        return
    try:
        # Re-read: the window may have saved other settings since this run started.
        settings = load_settings()
        settings.remember_response_mode(options.endpoint, result.response_mode)
        save_settings(settings)
    except Exception as exc:
        log.debug("Could not save the response mode: %s", type(exc).__name__)


def _usage_text(usage: Usage) -> str:
    return (
        f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion = "
        f"{usage.total_tokens}"
    )


def generate(options: _Options, out: IO[str], err: IO[str], *, err_is_tty: bool) -> int:
    """Run, show progress, write what came, and pick the exit code."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _generate(options, out, err, err_is_tty=err_is_tty)
    finally:
        with contextlib.suppress(ValueError, TypeError):
            for sig, handler in handlers.items():
                signal.signal(sig, handler)


def _generate(options: _Options, out: IO[str], err: IO[str], *, err_is_tty: bool) -> int:
    requested = options.config.total_pairs
    secret = options.api_key
    if secret and options.endpoint.sends_key_unencrypted():
        err.write(
            f"qagen: warning: the API key travels unencrypted over plain http to "
            f"{options.endpoint.host()}; use an https:// endpoint.\n"
        )
    progress = _Progress(err, tty=err_is_tty, requested=requested, secret=secret)
    generator = Generator(options.config, events=progress)
    worker = _Worker(generator, options.text)
    interrupted = False
    stop_signal = signal.SIGINT

    def on_terminate(signum: int, frame: object) -> None:
        nonlocal stop_signal
        stop_signal = signal.SIGTERM
        raise KeyboardInterrupt

    # A job runner's SIGTERM gets what Ctrl+C gets: what came is saved.
    with contextlib.suppress(ValueError):  # Not the main thread (an embedding host).
        signal.signal(signal.SIGTERM, on_terminate)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
            progress.tick()
    except KeyboardInterrupt:
        interrupted = True
        # A second signal must not cut the save of what came short.
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        generator.cancel()
        worker.join(_CANCEL_WAIT)
    progress.close()

    if worker.error is not None and not interrupted:
        raise worker.error  # A ConfigError from the engine exits 2; anything else is unexpected.
    result = worker.result
    pairs = list(result.pairs if result is not None else progress.received)[:requested]
    elapsed = result.elapsed if result is not None else progress.elapsed()
    usage = result.usage if result is not None else Usage(total_tokens=progress.tokens)

    if interrupted:
        if pairs:
            place = write_pairs(
                options.output, pairs, options.fmt, options.settings.system_message, err
            )
            if place is not None:
                err.write(
                    f"qagen: interrupted; wrote the {len(pairs)} pairs received to {place}.\n"
                )
        else:
            err.write(f"qagen: interrupted before any pair came; {options.output} not written.\n")
        err.flush()
        return 128 + stop_signal  # 130 for Ctrl+C, 143 for SIGTERM, as shells report them.

    assert result is not None
    _remember_response_mode(options, result)
    failures = result.failed
    fatal = redact(result.fatal, secret) if result.fatal else None
    for outcome in failures:
        # Failures the progress did not show (those that ended the run), unless the run's error
        # says the same.
        shown = outcome.index in progress.reported or outcome.error_kind in ("cancelled", "stopped")
        if not shown and (fatal is None or redact(outcome.error or "", secret) != fatal):
            err.write(f"qagen: {describe_failure(outcome, secret)}\n")
    if fatal:
        err.write(f"qagen: error: {fatal}\n")
    if not pairs:
        if not fatal:
            why = describe_failure(failures[0], secret) if failures else "the model gave none"
            err.write(f"qagen: error: no pairs came back ({why}); {options.output} not written.\n")
        else:
            err.write(f"qagen: no pairs came back; {options.output} was not written.\n")
        return EXIT_SHORTFALL
    place = write_pairs(options.output, pairs, options.fmt, options.settings.system_message, err)
    if place is None:
        return EXIT_SHORTFALL
    out.write(
        f"Wrote {len(pairs)} pairs to {place} (format {options.fmt}) in {elapsed:.1f} s; "
        f"tokens: {_usage_text(usage)}\n"
    )
    out.flush()
    shortfall = requested - len(pairs)
    if shortfall > 0 or failures or place != options.output:
        if shortfall > 0:
            failed = f"; {len(failures)} chunk(s) failed" if failures else ""
            err.write(
                f"qagen: {shortfall} of the {requested} pairs asked for are missing{failed}.\n"
            )
        elif failures:
            err.write(f"qagen: {len(failures)} chunk(s) failed.\n")
        return EXIT_SHORTFALL
    return EXIT_OK


class _LogFormatter(logging.Formatter):
    """Log records as one ``qagen:`` line; tracebacks only with QAGEN_DEBUG=1; the key redacted."""

    def __init__(self, secret: str | None, debug: bool) -> None:
        super().__init__("qagen: %(message)s")
        self.secret = secret
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        if self.debug:
            return redact(super().format(record), self.secret)
        line = (record.getMessage().splitlines() or [""])[0]
        if record.exc_info and record.exc_info[1] is not None:
            line += f" ({type(record.exc_info[1]).__name__}; set {_DEBUG_ENV}=1 for details)"
        return "qagen: " + redact(line, self.secret)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``qagen``; returns the exit code."""
    err = sys.stderr
    secret = os.environ.get("API_KEY") or None
    formatter = _LogFormatter(secret, debug=bool(os.environ.get(_DEBUG_ENV)))
    handler = logging.StreamHandler(err)
    handler.setFormatter(formatter)
    handler.setLevel(logging.WARNING)
    if not formatter.debug:
        # The run reports every failure through its outcomes, which qagen prints; its own log
        # lines would say the same twice.
        handler.addFilter(
            lambda record: not record.name.startswith("qagen_desktop.core.generation")
        )
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        return _main(argv, sys.stdout, err, formatter)
    finally:
        root.removeHandler(handler)


def _main(argv: Sequence[str] | None, out: IO[str], err: IO[str], formatter: _LogFormatter) -> int:
    secret = formatter.secret
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
        except SystemExit as exit_:  # --help and --version print and stop here.
            return exit_.code if isinstance(exit_.code, int) else EXIT_OK
        if args.command is None:
            raise UsageError("give a command: qagen generate CONTEXT_FILE (see: qagen --help)")
        stdin = sys.stdin.buffer if sys.stdin is not None else None
        stdin_is_tty = sys.stdin is None or sys.stdin.isatty()
        options = prepare(args, environ=os.environ, stdin=stdin, stdin_is_tty=stdin_is_tty)
        secret = formatter.secret = options.api_key
        return generate(options, out, err, err_is_tty=err.isatty())
    except ConfigError as exc:
        err.write(f"qagen: error: {redact(str(exc), secret)}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("qagen: interrupted.\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get(_DEBUG_ENV):
            err.write(redact(traceback.format_exc(), secret))
        detail = redact(str(exc), secret).splitlines()
        err.write(
            f"qagen: unexpected error: {type(exc).__name__}: {detail[0] if detail else ''} "
            f"(set {_DEBUG_ENV}=1 for details)\n"
        )
        return EXIT_SHORTFALL


if __name__ == "__main__":
    sys.exit(main())
