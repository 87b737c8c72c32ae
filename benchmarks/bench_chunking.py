"""Time chunk_text and count_chunks on 20 MB of text of several shapes.

Run: python benchmarks/bench_chunking.py [--megabytes N] [--chunk-chars K]

Prints, per shape, the number of chunks and the seconds each function took, and checks that
the chunks cover the text exactly and stay within the limit.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from qagen_desktop.core.chunking import chunk_text, count_chunks

_WORDS = [
    "the", "cell", "membrane", "protein", "energy", "nucleus", "transport", "signal", "enzyme",
    "of", "and", "in",
]  # fmt: skip


def prose(size: int, seed: int = 3) -> str:
    """Paragraphs of one to eight sentences, separated by blank lines."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        sentences = (
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 25))).capitalize() + ". "
            for _ in range(rng.randint(1, 8))
        )
        paragraph = "".join(sentences).rstrip() + "\n\n"
        parts.append(paragraph)
        total += len(paragraph)
    return "".join(parts)[:size]


def shapes(size: int) -> dict[str, str]:
    text = prose(size)
    return {
        "prose": text,
        "one paragraph": text.replace("\n\n", " "),
        "no sentence ends": text.replace(". ", " "),
        "no whitespace": "a" * size,
        "dense sentences": ("a. " * (size // 3 + 1))[:size],
        "dense paragraphs": ("x\n\n" * (size // 3 + 1))[:size],
        "CJK": ("这是一个句子。" * (size // 7 + 1))[:size],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--chunk-chars", type=int, default=3000)
    args = parser.parse_args(argv)
    size = args.megabytes * 1_000_000
    print(f"{args.megabytes} MB of text, chunks of at most {args.chunk_chars} characters")
    print(f"{'shape':<18} {'chunks':>7} {'chunk_text':>11} {'count_chunks':>13}")
    ok = True
    for name, text in shapes(size).items():
        started = time.perf_counter()
        chunks = chunk_text(text, args.chunk_chars)
        chunk_s = time.perf_counter() - started
        started = time.perf_counter()
        count = count_chunks(text, args.chunk_chars)
        count_s = time.perf_counter() - started
        ok = ok and count == len(chunks) and "".join(c.text for c in chunks) == text
        ok = ok and all(len(c.text) <= args.chunk_chars for c in chunks)
        print(f"{name:<18} {len(chunks):>7,} {chunk_s:>10.3f}s {count_s:>12.3f}s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
