"""Time opening and saving a large dataset (100,000 pairs by default) in every format.

Run: python benchmarks/bench_datasets.py [--pairs N] [--format FMT ...] [--context]

Prints, per format: file size, load time, save time, whether the saved file is byte-identical
to the one opened, and the peak memory Python allocated while loading and while saving.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from qagen_desktop.datasets import FORMATS, load_dataset, save_dataset
from qagen_desktop.records import QAPair

_WORDS = (
    "the cell membrane protein energy nucleus transport gradient signal enzyme molecule "
    "structure function pathway receptor reaction regulation binding process water oxygen "
    "carbon layer surface density of and in to which is by"
).split()
# One pair in ten holds a word outside ASCII, as English datasets with names and terms do.
_NON_ASCII = ("équilibre", "Zelle", "細胞", "naïve", "µm")


def make_pairs(count: int, seed: int = 7) -> list[QAPair]:
    """Realistic pairs: a ~80-character question, a ~220-character answer, a 400-character source."""
    rng = random.Random(seed)

    def sentence(chars: int) -> str:
        words: list[str] = []
        size = 0
        while size < chars:
            word = rng.choice(_WORDS)
            words.append(word)
            size += len(word) + 1
        return " ".join(words).capitalize()

    pairs = []
    for i in range(count):
        question = sentence(rng.randint(50, 110)) + "?"
        if i % 10 == 0:
            question = f"{question[:-1]} {rng.choice(_NON_ASCII)}?"
        pairs.append(
            QAPair(question, sentence(rng.randint(150, 290)) + ".", i % 50, sentence(400))
        )
    return pairs


def _measure(action):  # type: ignore[no-untyped-def]
    tracemalloc.start()
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


def _timed(action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--format", dest="formats", action="append", choices=FORMATS)
    parser.add_argument("--context", action="store_true", help="include the source chunk")
    args = parser.parse_args(argv)
    pairs = make_pairs(args.pairs)
    system = "You answer from the text only."
    print(f"{args.pairs:,} pairs, context {'on' if args.context else 'off'}")
    print(
        f"{'format':<12} {'size':>8} {'load':>7} {'save':>7} {'identical':>9} "
        f"{'peak load':>10} {'peak save':>10}"
    )
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        for fmt in args.formats or FORMATS:
            path = Path(folder) / f"{fmt}.jsonl"
            options = {"include_context": args.context, "system_message": system}
            save_dataset(path, pairs, fmt, **options)
            original = path.read_bytes()
            # Times without tracemalloc (it slows allocation-heavy code several-fold); peak
            # memory from a second, traced run.
            loaded, load_s = _timed(lambda p=path: load_dataset(p))
            _, save_s = _timed(
                lambda p=path, d=loaded: save_dataset(
                    p,
                    d.pairs,
                    d.format,
                    include_context=d.include_context,
                    system_message=d.system_message,
                )
            )
            identical = path.read_bytes() == original and loaded.format == fmt
            _, _, load_peak = _measure(lambda p=path: load_dataset(p))
            _, _, save_peak = _measure(
                lambda p=path, d=loaded: save_dataset(
                    p,
                    d.pairs,
                    d.format,
                    include_context=d.include_context,
                    system_message=d.system_message,
                )
            )
            ok = ok and identical and len(loaded.pairs) == len(pairs) and not loaded.bad_lines
            print(
                f"{fmt:<12} {len(original) / 1e6:>6.1f}MB {load_s:>6.3f}s {save_s:>6.3f}s "
                f"{'yes' if identical else 'NO':>9} {load_peak / 1e6:>8.1f}MB "
                f"{save_peak / 1e6:>8.1f}MB"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
