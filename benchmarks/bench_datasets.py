"""Time opening and saving a large dataset (100,000 pairs by default) in every format.

Run: python benchmarks/bench_datasets.py [--pairs N] [--format FMT ...] [--context]

Prints, per format: file size; load and save time (best of three, wall clock and CPU: on a
busy machine the CPU figure is the fairer one); whether the saved file is byte-identical to the
one opened; and the peak memory Python allocated while loading and while saving.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from qagen_desktop.core.datasets import FORMATS, LoadedDataset, load_dataset, save_dataset
from qagen_desktop.core.records import QAPair

T = TypeVar("T")

_WORDS = [
    "the", "cell", "membrane", "protein", "energy", "nucleus", "transport", "gradient",
    "signal", "enzyme", "molecule", "structure", "function", "pathway", "receptor", "reaction",
    "regulation", "binding", "process", "water", "oxygen", "carbon", "layer", "surface",
    "density", "of", "and", "in", "to", "which", "is", "by",
]  # fmt: skip
# One pair in ten holds a word outside ASCII, as English datasets with names and terms do.
_NON_ASCII = ("équilibre", "Zelle", "細胞", "naïve", "µm")


def make_pairs(count: int, seed: int = 7) -> list[QAPair]:
    """Realistic pairs: ~80-character questions, ~220-character answers, 400-character sources."""
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
        pairs.append(QAPair(question, sentence(rng.randint(150, 290)) + ".", i % 50, sentence(400)))
    return pairs


def _measure(action: Callable[[], T]) -> tuple[T, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of the best of three runs."""
    runs = []
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(runs)


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
        f"{'format':<12} {'size':>8} {'load':>7} {'(cpu)':>7} {'save':>7} {'(cpu)':>7} "
        f"{'identical':>9} {'peak load':>10} {'peak save':>10}"
    )
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        for fmt in args.formats or FORMATS:
            path = Path(folder) / f"{fmt}.jsonl"
            options = {"include_context": args.context, "system_message": system}
            save_dataset(path, pairs, fmt, **options)
            original = path.read_bytes()
            loaded = load_dataset(path)

            def load(path: Path = path) -> LoadedDataset:
                return load_dataset(path)

            def save(path: Path = path, data: LoadedDataset = loaded) -> None:
                save_dataset(
                    path,
                    data.pairs,
                    data.format,
                    include_context=data.include_context,
                    system_message=data.system_message,
                )

            # Best of three, timed without tracemalloc (it slows allocation several-fold);
            # peak memory from one more, traced run.
            load_s, load_cpu = _timed(load)
            save_s, save_cpu = _timed(save)
            identical = path.read_bytes() == original and loaded.format == fmt
            load_peak = _measure(load)[2]
            save_peak = _measure(save)[2]
            ok = ok and identical and len(loaded.pairs) == len(pairs) and not loaded.bad_lines
            print(
                f"{fmt:<12} {len(original) / 1e6:>6.1f}MB {load_s:>6.3f}s {load_cpu:>6.3f}s "
                f"{save_s:>6.3f}s {save_cpu:>6.3f}s "
                f"{'yes' if identical else 'NO':>9} {load_peak / 1e6:>8.1f}MB "
                f"{save_peak / 1e6:>8.1f}MB"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
