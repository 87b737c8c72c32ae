"""What ``qagen`` writes after a run: the dataset (whole, or split into train and validation),
the rejected pairs with their reasons, and the summary lines about them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

from qagen_desktop.core.client import Usage
from qagen_desktop.core.datasets import DatasetError, save_dataset
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.generation import RunConfig, RunResult
from qagen_desktop.core.quality import Rejection
from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.core.rescue import save_or_rescue
from qagen_desktop.core.splitting import check_fraction, split_pairs

# Each reason as the summary line counts it: "Rejected 7: 3 near-duplicate question, ...".
SUMMARY_NAMES = {
    Rejection.DUPLICATE: "repeated question",
    Rejection.NEAR_DUPLICATE: "near-duplicate question",
    Rejection.EMPTY: "empty answer",
    Rejection.NON_ANSWER: "non-answer",
    Rejection.DEBRIS: "JSON or markup debris",
    Rejection.CUT_OFF: "cut off mid-sentence",
    Rejection.ANSWER_ASKS: "answer asking a question",
    Rejection.NOT_A_QUESTION: "not a question",
    Rejection.NOT_SELF_CONTAINED: "question pointing to choices it does not give",
    Rejection.ECHO: "answer repeating the question",
    Rejection.YES_NO_TO_OPEN: "yes or no to a what or who question",
    Rejection.UNSUPPORTED: "not supported by the text",
    Rejection.LOW_SCORE: "scored under the minimum by the judge",
    Rejection.BY_HAND: "rejected by hand",
}


@dataclass(frozen=True)
class Export:
    """Where and how the run's pairs are written (checked before any request)."""

    output: Path
    fmt: str
    system_message: str = ""
    include_context: bool = False
    include_meta: bool = False
    rejected: Path | None = None
    val_fraction: float | None = None
    seed: int = 0

    def check(self) -> None:
        """ConfigError (a usage error) for options that cannot work together."""
        if self.val_fraction is not None:
            try:
                check_fraction(self.val_fraction)
            except ConfigError:
                raise ConfigError(
                    f"--val-fraction must be above 0 and below 1, e.g. 0.1 "
                    f"(got {self.val_fraction:g})."
                ) from None
        if self.rejected is not None:
            targets = {self.output.resolve(), *(p.resolve() for p in self.split_paths())}
            if self.rejected.resolve() in targets:
                raise ConfigError(
                    f"--rejected {self.rejected} is where the dataset goes: give another file."
                )
            if self.rejected.is_dir() or not self.rejected.parent.is_dir():
                raise ConfigError(
                    f"--rejected {self.rejected} cannot be written: give a file in a folder "
                    "that exists."
                )

    def split_paths(self) -> tuple[Path, Path]:
        """OUT's stem + ``.train.jsonl`` and ``.val.jsonl`` (``qa.jsonl``: ``qa.train.jsonl``)."""
        stem = self.output.with_suffix("") if self.output.suffix == ".jsonl" else self.output
        return (
            stem.with_name(stem.name + ".train.jsonl"),
            stem.with_name(stem.name + ".val.jsonl"),
        )


def write_pairs(
    output: Path,
    pairs: list[QAPair],
    fmt: str,
    system_message: str,
    err: IO[str],
    *,
    include_context: bool = False,
    include_meta: bool = False,
) -> Path | None:
    """Write the dataset; when OUT cannot be written, it goes elsewhere and stderr says where.

    Returns where the pairs went (None only if no place at all could be written).
    """
    saved = save_or_rescue(
        output,
        pairs,
        fmt,
        system_message=system_message,
        include_context=include_context,
        include_meta=include_meta,
    )
    if saved.place is None:
        err.write(
            f"qagen: error: {saved.problem}, nor could any fallback file; "
            f"{len(pairs)} pairs lost.\n"
        )
    elif saved.problem is not None:
        err.write(
            f"qagen: error: {saved.problem}; the {len(pairs)} pairs were saved to {saved.place} "
            "instead.\n"
        )
    return saved.place


def write_dataset(export: Export, pairs: list[QAPair], err: IO[str]) -> list[tuple[Path, int]]:
    """Write the accepted (and edited) pairs: to OUT, or split into its two files. Where each
    part went and how many pairs it holds; a part that could not be written anywhere is
    missing from the list."""
    kept = [pair for pair in pairs if pair.status is not PairStatus.REJECTED]
    if export.val_fraction is None:
        parts = [(export.output, kept)]
    else:
        split = split_pairs(kept, export.val_fraction, export.seed)
        train, val = export.split_paths()
        parts = [(train, split.train), (val, split.val)]
    written = []
    for path, part in parts:
        place = write_pairs(
            path,
            part,
            export.fmt,
            export.system_message,
            err,
            include_context=export.include_context,
            include_meta=export.include_meta,
        )
        if place is not None:
            written.append((place, len(part)))
    return written


def write_rejected(export: Export, rejected: list[QAPair], err: IO[str]) -> bool:
    """Write the rejected pairs, each with its meta (why it was rejected), to --rejected."""
    if export.rejected is None:
        return True
    try:
        save_dataset(
            export.rejected,
            rejected,
            export.fmt,
            system_message=export.system_message,
            include_meta=True,
        )
    except (DatasetError, OSError) as exc:
        err.write(f"qagen: error: {str(exc).rstrip('.')}; the rejected pairs were not written.\n")
        return False
    return True


def rejection_summary(counts: dict[str, int], min_score: int | None = None) -> str:
    """``Rejected 7: 3 near-duplicate question, 2 not supported by the text, ...`` (most first),
    or ``Rejected none.``"""
    total = sum(counts.values())
    if not total:
        return "Rejected none."
    parts = [f"{count} {_summary_name(reason, min_score)}" for reason, count in counts.items()]
    return f"Rejected {total}: {', '.join(parts)}."


def _summary_name(reason: str, min_score: int | None) -> str:
    if reason == Rejection.LOW_SCORE and min_score is not None:
        return f"scored under {min_score} by the judge"
    try:
        return SUMMARY_NAMES[Rejection(reason)]
    except (ValueError, KeyError):
        return reason


def usage_text(usage: Usage, judge: Usage | None = None) -> str:
    """Generation's tokens, then the judge's apart (when it ran)."""
    # Cached tokens are part of the prompt's count: shown beside it, not added to the sum.
    cached = f" ({usage.cached_prompt_tokens} cached)" if usage.cached_prompt_tokens else ""
    text = (
        f"{usage.prompt_tokens} prompt{cached} + {usage.completion_tokens} completion = "
        f"{usage.total_tokens}"
    )
    if judge is not None:
        text += (
            f"; judge: {judge.prompt_tokens} prompt + {judge.completion_tokens} completion = "
            f"{judge.total_tokens}"
        )
    return text


def report_rejections(export: Export, config: RunConfig, result: RunResult, out: IO[str]) -> None:
    """The rejections by reason, and where the rejected pairs went (``--rejected``)."""
    out.write(rejection_summary(result.rejection_counts(), config.min_score) + "\n")
    if export.rejected is not None:
        out.write(f"Wrote the {len(result.rejected)} rejected pairs to {export.rejected}\n")
    out.flush()


def summarise(
    export: Export,
    config: RunConfig,
    result: RunResult,
    written: list[tuple[Path, int]],
    out: IO[str],
    err: IO[str],
) -> None:
    """The summary lines: where the pairs went, the tokens (the judge's apart), rejections by
    reason, and pairs the judge could not rate."""
    where = " and ".join(f"{place} ({count})" for place, count in written)
    total = sum(count for _, count in written)
    judge = result.judge_usage if config.judge else None
    out.write(
        f"Wrote {total} pairs to {where if len(written) > 1 else written[0][0]} "
        f"(format {export.fmt}) in {result.elapsed:.1f} s; "
        f"tokens: {usage_text(result.usage, judge)}\n"
    )
    report_rejections(export, config, result, out)
    if result.unjudged:
        marked = (
            'their meta reason says "Not judged"'
            if export.include_meta
            else "add --with-meta to mark them in the file"
        )
        err.write(
            f"qagen: {len(result.unjudged)} pairs could not be judged and are written without "
            f"a score; {marked}.\n"
        )
