"""``qagen``'s command line: the options, their help (defaults shown from RunConfig), and the
run flags they give. An option left out is None, so the session takes the next source."""

from __future__ import annotations

import argparse
from typing import NoReturn

from qagen_desktop import __version__
from qagen_desktop.core.endpoint import DEFAULT_AZURE_API_VERSION, DEFAULT_ENDPOINT, PROVIDERS
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.generation import DEFAULTS
from qagen_desktop.core.generation.config import AUTO_CHUNK_CHARS
from qagen_desktop.core.session import RunFlags
from qagen_desktop.core.settings import FORMATS
from qagen_desktop.core.sources import SUPPORTED_SUFFIXES

PROG = "qagen"
# The option that sets each RunConfig number, for messages that name what to change.
FLAG_OF_FIELD = {
    "total_pairs": "-n",
    "chunk_chars": "--chunk-chars",
    "max_tokens_per_pair": "--max-tokens-per-pair",
    "concurrency": "--concurrency",
    "max_retries": "--max-retries",
    "timeout": "--timeout",
    "min_score": "--min-score",
}


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
        description="Turn documents and text into a question-answer dataset (JSONL) with any "
        "OpenAI-compatible chat-completions endpoint.",
        epilog="The API key comes from the API_KEY environment variable, else from the OS "
        "keyring entry the qagen-desktop window saved for the endpoint. It is never a flag. "
        "Options left out come from $API_ENDPOINT and $MODEL, then from the window's settings.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    gen = commands.add_parser(
        "generate",
        help="generate question-answer pairs from documents or text",
        description="Generate N question-answer pairs grounded in the SOURCEs and write them as "
        "JSONL; N is spread over the sources by their length. A file that cannot be read is "
        "reported and the others go on. Exit 0: exactly N written; 1: a shortfall, failed "
        "chunks or a source left out (what came is written); 2: bad usage or configuration, "
        "or no source could be read; 130: interrupted.",
    )
    gen.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help=f"a file ({', '.join(SUPPORTED_SUFFIXES)}) or a folder of them; - (or a pipe) "
        "reads standard input",
    )
    _add_run_options(gen)
    gen.add_argument(
        "--with-source",
        action="store_true",
        help="write the source chunk with each pair (a context key; alpaca: its input field)",
    )
    return parser


def _add_run_options(gen: argparse.ArgumentParser) -> None:
    gen.add_argument(
        "-n",
        dest="pairs",
        type=int,
        metavar="N",
        help=f"pairs to make (default: {DEFAULTS.total_pairs})",
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
        metavar="|".join(PROVIDERS),
        help="openai (Bearer key) or azure (api-key header) (default: guessed from the URL)",
    )
    gen.add_argument(
        "--endpoint",
        metavar="URL",
        help=f"chat-completions or base URL (default: $API_ENDPOINT, else {DEFAULT_ENDPOINT})",
    )
    gen.add_argument(
        "--model",
        metavar="NAME",
        help=f"model name (default: $MODEL, else {DEFAULTS.endpoint.model})",
    )
    gen.add_argument(
        "--concurrency",
        type=int,
        metavar="C",
        help=f"requests in flight (default: {DEFAULTS.concurrency})",
    )
    gen.add_argument(
        "--chunk-chars",
        type=_chunk_chars,
        metavar="K",
        help="longest chunk, in characters, or auto: fitted to the server's context "
        f"(default: {DEFAULTS.chunk_chars})",
    )
    gen.add_argument(
        "--max-tokens-per-pair",
        type=int,
        metavar="T",
        help="a reply's token limit per pair asked, plus a fixed allowance; 0 sends no limit "
        f"(default: {DEFAULTS.max_tokens_per_pair})",
    )
    gen.add_argument(
        "--max-retries",
        type=int,
        metavar="R",
        help=f"further requests per chunk (default: {DEFAULTS.max_retries})",
    )
    gen.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="longest silence allowed from the server, not a cap on the whole answer "
        f"(default: {DEFAULTS.timeout:g})",
    )
    gen.add_argument("--deployment", metavar="NAME", help="Azure deployment, for an Azure base URL")
    _add_quality_options(gen)


def _add_quality_options(gen: argparse.ArgumentParser) -> None:
    quality = gen.add_argument_group(
        "quality and export",
        "Every pair is checked (echoes, non-answers, answers not in the text, repeated "
        "questions) and rejected pairs are asked for again; the judge adds a second request "
        "per chunk that scores each pair from 1 to 10.",
    )
    quality.add_argument(
        "--judge",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="have a model score every pair against its text; pairs under --min-score are "
        "rejected and asked for again (default: the window's setting, else off)",
    )
    quality.add_argument(
        "--judge-model",
        metavar="NAME",
        help="the judge's model (default: the --model in use)",
    )
    quality.add_argument(
        "--judge-endpoint",
        metavar="URL",
        help="the judge's chat-completions or base URL (default: the --endpoint in use); its "
        "key is the one the window saved for that URL (on the same host: the run's key)",
    )
    quality.add_argument(
        "--min-score",
        type=int,
        metavar="S",
        help=f"lowest judge score kept, 1-10 (default: {DEFAULTS.min_score})",
    )
    quality.add_argument(
        "--with-meta",
        action="store_true",
        help="add a meta object to each line: source, page or section, chunk, status, and "
        "score and reason where judged",
    )
    quality.add_argument(
        "--rejected",
        metavar="FILE",
        help="also write the rejected pairs to FILE (same format, with meta: why each was "
        "rejected)",
    )
    quality.add_argument(
        "--val-fraction",
        type=float,
        metavar="F",
        help="split the pairs into OUT's stem + .train.jsonl and + .val.jsonl (F of them, "
        "e.g. 0.1, for validation) instead of writing OUT; the same pairs split the same way "
        "for the same --seed, whatever their order",
    )
    quality.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="the split's seed (default: 0)",
    )
    gen.add_argument(
        "--api-version",
        metavar="V",
        help=f"Azure api-version, when the URL has none (default: {DEFAULT_AZURE_API_VERSION})",
    )


def flags_from_args(args: argparse.Namespace) -> RunFlags:
    """The run flags the command line gave (None where an option was left out)."""
    return RunFlags(
        provider=args.provider,
        endpoint=args.endpoint,
        model=args.model,
        deployment=args.deployment,
        api_version=args.api_version,
        total_pairs=args.pairs,
        chunk_chars=args.chunk_chars,
        max_tokens_per_pair=args.max_tokens_per_pair,
        concurrency=args.concurrency,
        max_retries=args.max_retries,
        timeout=args.timeout,
        judge=args.judge,
        min_score=args.min_score,
        judge_model=args.judge_model,
        judge_endpoint=args.judge_endpoint,
    )


def _chunk_chars(value: str) -> int:
    """``--chunk-chars``: a number, or "auto" (``AUTO_CHUNK_CHARS``)."""
    if value.strip().lower() == "auto":
        return AUTO_CHUNK_CHARS
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a number of characters: give one, or auto"
        ) from None
