"""The ``qagen`` command: the old one-file script's job, on the same core as the window (no Qt).

    qagen generate [SOURCE ... | -] [-n N] [-o OUT] [--format qa|openai-chat|alpaca|sharegpt]
                   [--provider openai|azure] [--endpoint URL] [--model NAME] [--concurrency C]
                   [--chunk-chars K] [--max-retries R] [--timeout SECONDS]
                   [--judge] [--judge-model NAME] [--judge-endpoint URL] [--min-score S]
                   [--with-source] [--with-meta] [--rejected FILE] [--val-fraction F [--seed N]]

Exit 0: exactly N pairs written. 1: a shortfall, failed chunks, or a source that could not be
read while others could (the pairs that came are still written, and each failure is reported).
2: bad usage or configuration, or no source could be read, found before any request. 130:
interrupted (Ctrl+C; 143 for SIGTERM), the pairs received so far written.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from qagen_desktop.cli.export import (
    Export,
    report_rejections,
    summarise,
    usage_text,
    write_dataset,
    write_pairs,
    write_rejected,
)
from qagen_desktop.cli.parser import FLAG_OF_FIELD, UsageError, build_parser, flags_from_args
from qagen_desktop.cli.progress import Progress, describe_failure
from qagen_desktop.cli.sources import read_sources
from qagen_desktop.core.errors import ConfigError, ErrorKind, redact
from qagen_desktop.core.generation import Generator, InvalidValue, RunResult
from qagen_desktop.core.keystore import KeyStore
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.session import RunPlan, assemble_run, remember_outcome
from qagen_desktop.core.settings import load_settings, save_settings
from qagen_desktop.core.sources import Source

log = logging.getLogger(__name__)

EXIT_OK, EXIT_SHORTFALL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# How long Ctrl+C waits for the run to hand back what it has; Generator.cancel promises < 1 s.
_CANCEL_WAIT = 0.8
_DEBUG_ENV = "QAGEN_DEBUG"


@dataclass(frozen=True)
class _Options:
    """Everything one run needs, checked before any request is made.

    ``refused``: one line for each source that could not be read (the others go on).
    """

    plan: RunPlan = field(repr=False)
    sources: list[Source] = field(repr=False)
    export: Export
    refused: list[str] = field(default_factory=list)

    @property
    def output(self) -> Path:
        return self.export.output

    @property
    def fmt(self) -> str:
        return self.export.fmt

    @property
    def api_key(self) -> str | None:
        return self.plan.api_key


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


def prepare(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str],
    stdin: IO[bytes] | None,
    stdin_is_tty: bool,
) -> _Options:
    """Check the whole command line and read the sources; ConfigError before any request."""
    settings = load_settings()
    try:
        plan = assemble_run(
            flags_from_args(args), environ=environ, settings=settings, keystore=KeyStore()
        )
    except InvalidValue as exc:
        raise UsageError(
            f"{FLAG_OF_FIELD[exc.name]} must be {exc.rule} (got {exc.value})."
        ) from None
    endpoint = plan.endpoint
    if not endpoint.model and endpoint.provider != "azure":  # Azure names it by its deployment.
        raise UsageError("--model is empty: give the model name the server knows.")
    output = Path(args.output)
    _check_output(output)
    export = Export(
        output=output,
        fmt=args.format,
        system_message=plan.config.system_message,
        include_context=args.with_source,
        include_meta=args.with_meta,
        rejected=Path(args.rejected) if args.rejected else None,
        val_fraction=args.val_fraction,
        seed=args.seed,
    )
    try:
        export.check()
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    read = read_sources(args.sources, stdin=stdin, stdin_is_tty=stdin_is_tty)
    return _Options(plan=plan, sources=read.sources, export=export, refused=read.refused)


class _Worker(threading.Thread):
    """Runs the blocking Generator so the main thread stays free to catch Ctrl+C."""

    def __init__(self, generator: Generator, sources: list[Source]) -> None:
        super().__init__(name="qagen-run", daemon=True)
        self._generator = generator
        self._sources = sources
        self.result: RunResult | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self._generator.run(self._sources)
        except BaseException as exc:  # Handed to the main thread, which reports it.
            self.error = exc


def _remember_response_mode(options: _Options, result: RunResult) -> None:
    """Save the structured-output mode the server took, so the next run starts with it."""
    try:
        # Re-read: the window may have saved other settings since this run started.
        settings = load_settings()
        if remember_outcome(settings, options.plan, result):
            save_settings(settings)
    except Exception as exc:
        log.debug("Could not save the response mode: %s", type(exc).__name__)


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
    requested = options.plan.config.total_pairs
    secret = options.api_key
    endpoint = options.plan.endpoint
    if secret and endpoint.sends_key_unencrypted():
        err.write(
            f"qagen: warning: the API key travels unencrypted over plain http to "
            f"{endpoint.host()}; use an https:// endpoint.\n"
        )
    for line in options.refused:
        err.write(f"qagen: error: {redact(line, secret)}\n")
    progress = Progress(err, tty=err_is_tty, requested=requested, secret=secret)
    generator = Generator(options.plan.config, events=progress)
    worker = _Worker(generator, options.sources)
    stop_signal = _run_until_done_or_stopped(generator, worker, progress)

    if worker.error is not None and stop_signal is None:
        raise worker.error  # A ConfigError from the engine exits 2; anything else is unexpected.
    result = worker.result
    if stop_signal is not None:
        received = result.pairs if result is not None else progress.received
        return _save_interrupted(options, list(received)[:requested], err, stop_signal)
    assert result is not None
    _remember_response_mode(options, result)
    return _finish(options, result, progress, out, err)


def _run_until_done_or_stopped(
    generator: Generator, worker: _Worker, progress: Progress
) -> int | None:
    """Run on the worker thread, the main thread drawing progress; the signal that stopped
    the run (Ctrl+C or SIGTERM), or None when it ended by itself."""
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
        # A second signal must not cut the save of what came short.
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        generator.cancel()
        worker.join(_CANCEL_WAIT)
        return stop_signal
    finally:
        progress.close()
    return None


def _save_interrupted(
    options: _Options, pairs: list[QAPair], err: IO[str], stop_signal: int
) -> int:
    if pairs:
        export = options.export
        place = write_pairs(
            options.output,
            pairs,
            options.fmt,
            export.system_message,
            err,
            include_context=export.include_context,
            include_meta=export.include_meta,
        )
        if place is not None:
            err.write(f"qagen: interrupted; wrote the {len(pairs)} pairs received to {place}.\n")
    else:
        err.write(f"qagen: interrupted before any pair came; {options.output} not written.\n")
    err.flush()
    return 128 + stop_signal  # 130 for Ctrl+C, 143 for SIGTERM, as shells report them.


def _report_failures(
    result: RunResult, progress: Progress, err: IO[str], secret: str | None
) -> None:
    """Failures the progress did not show (those that ended the run), unless the run's error
    says the same; then the run's error."""
    fatal = redact(result.fatal, secret) if result.fatal else None
    quiet = (ErrorKind.CANCELLED, ErrorKind.STOPPED)
    for outcome in result.failed:
        shown = outcome.index in progress.reported or outcome.error_kind in quiet
        if not shown and (fatal is None or redact(outcome.error or "", secret) != fatal):
            err.write(f"qagen: {describe_failure(outcome, secret)}\n")
    if fatal:
        err.write(f"qagen: error: {fatal}\n")


def _finish(
    options: _Options, result: RunResult, progress: Progress, out: IO[str], err: IO[str]
) -> int:
    """Report, write what came, and pick the exit code."""
    secret = options.api_key
    requested = options.plan.config.total_pairs
    pairs = result.pairs[:requested]
    failures = result.failed
    _report_failures(result, progress, err, secret)
    if not pairs:
        judge = result.judge_usage if options.plan.config.judge else None
        # What the run spent, though it kept nothing: a paid endpoint bills it all the same.
        out.write(
            f"Wrote no pairs in {result.elapsed:.1f} s; tokens: {usage_text(result.usage, judge)}\n"
        )
        if result.rejected and write_rejected(options.export, result.rejected, err):
            # Every pair failed a check: the reasons are what the user needs most.
            report_rejections(options.export, options.plan.config, result, out)
        if result.rejected and not result.fatal:
            # Pairs came, and every one failed a check: the summary above says which and why.
            count = len(result.rejected)
            err.write(
                f"qagen: error: no pair passed the checks: the {count} that came back were all "
                f"rejected (by reason above); {options.output} not written.\n"
            )
        elif not result.fatal:
            why = describe_failure(failures[0], secret) if failures else "the model gave none"
            err.write(f"qagen: error: no pairs came back ({why}); {options.output} not written.\n")
        else:
            err.write(f"qagen: no pairs came back; {options.output} was not written.\n")
        return EXIT_SHORTFALL
    written = write_dataset(options.export, pairs, err)
    rejected_ok = write_rejected(options.export, result.rejected, err)
    if not written:
        return EXIT_SHORTFALL
    summarise(options.export, options.plan.config, result, written, out, err)
    shortfall = requested - len(pairs)
    if shortfall > 0:
        failed = f"; {len(failures)} chunk(s) failed" if failures else ""
        err.write(f"qagen: {shortfall} of the {requested} pairs asked for are missing{failed}.\n")
    elif failures:
        err.write(f"qagen: {len(failures)} chunk(s) failed.\n")
    if options.refused:
        count = len(options.refused)
        err.write(f"qagen: {count} source(s) could not be read and were left out (see above).\n")
    expected = (
        [options.output]
        if options.export.val_fraction is None
        else list(options.export.split_paths())
    )
    misplaced = [place for place, _ in written] != expected
    incomplete = shortfall > 0 or failures or options.refused or misplaced or not rejected_ok
    return EXIT_SHORTFALL if incomplete else EXIT_OK


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
            raise UsageError("give a command: qagen generate SOURCE (see: qagen --help)")
        stdin = sys.stdin.buffer if sys.stdin is not None else None
        stdin_is_tty = sys.stdin is None or sys.stdin.isatty()
        options = prepare(args, environ=os.environ, stdin=stdin, stdin_is_tty=stdin_is_tty)
        secret = formatter.secret = options.api_key
        return generate(options, out, err, err_is_tty=err.isatty())
    except ConfigError as exc:
        # One line per problem (NoSources holds one per refused source).
        for line in redact(str(exc), secret).splitlines() or [""]:
            err.write(f"qagen: error: {line}\n")
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
