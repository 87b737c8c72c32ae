"""Time the quality checks and the question index on 100,000 realistic pairs, and their memory.

Run: python benchmarks/bench_checks.py [--pairs N] [--per-chunk K]

Builds a corpus of chunks (about 1,500 characters of prose each, over a vocabulary of several
thousand words), then K pairs per chunk as a model writes them: questions of many shapes about
the chunk's phrases, answers in the chunk's words, and one pair in eight bad (an echo, a
non-answer, an answer from outside the text, a reworded repeat). Every pair goes through
``PairChecker`` against its chunk, with one ``QuestionIndex`` for the whole run. Prints the wall
time and the CPU time, how much the process's peak resident size grew during the run, and a
reference loop's time so figures from a loaded machine can be scaled; ``--tracemalloc`` adds a
second run that counts the checks' peak allocation exactly (tracemalloc slows Python down, so
it is not timed).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import timeit
import tracemalloc
from collections import Counter

from qagen_desktop.core.chunking import Chunk
from qagen_desktop.core.quality import PairChecker
from qagen_desktop.core.records import QAPair

_SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "ti",
    "vo",
    "ze",
    "pa",
    "do",
    "gu",
    "fe",
    "ha",
    "bel",
    "tor",
    "mun",
    "sil",
    "dra",
    "ven",
]
_STOPS = [
    "the",
    "of",
    "and",
    "in",
    "a",
    "to",
    "is",
    "was",
    "it",
    "with",
    "for",
    "by",
    "on",
    "as",
    "that",
    "from",
]
_SHAPES = (
    "What does the {a} {b} do?",
    "Who built the {a} of {b}?",
    "When was the {a} {b} first used?",
    "Where is the {a} {b} kept?",
    "Why does the {a} need {b}?",
    "How is the {a} {b} made?",
    "How many {a} does the {b} hold?",
    "What is the role of {a} in {b}?",
    "Which {a} gives the {b} its shape?",
    "What happens to the {a} when the {b} fails?",
)
_NON_ANSWERS = ("The text does not say.", "I don't know.", "N/A", "Not mentioned in the text.")


def corpus(chunks: int, rng: random.Random) -> list[Chunk]:
    vocabulary = sorted(
        {"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(9000)}
    )
    out = []
    for index in range(chunks):
        topic = rng.sample(vocabulary, 60)  # a chunk keeps to its subject's words
        sentences = []
        while sum(len(s) for s in sentences) < 1500:
            words = []
            for _ in range(rng.randint(8, 18)):
                words.append(rng.choice(topic) if rng.random() < 0.6 else rng.choice(_STOPS))
            if rng.random() < 0.2:
                words.append(str(rng.randint(2, 2030)))
            sentences.append(" ".join(words).capitalize() + ". ")
        out.append(Chunk(index, index * 1500, "".join(sentences)))
    return out


def pairs_for(chunk: Chunk, count: int, rng: random.Random) -> list[QAPair]:
    words = [w.strip(".").lower() for w in chunk.text.split() if w.lower() not in _STOPS]
    pairs: list[QAPair] = []
    for number in range(count):
        a, b = rng.sample(words, 2)
        question = rng.choice(_SHAPES).format(a=a, b=b)
        at = rng.randrange(len(words) - 8)
        answer = " ".join(words[at : at + rng.randint(4, 8)]).capitalize() + "."
        if number % 8 == 7:
            bad = rng.randrange(4)
            if bad == 0:
                answer = question
            elif bad == 1:
                answer = rng.choice(_NON_ANSWERS)
            elif bad == 2:
                answer = "It was founded by Napoleon near Marseille in 1802."
            elif pairs:
                question = pairs[-1].question.replace("What does the", "What is it that the")
        pairs.append(QAPair(question, answer, chunk=chunk.index))
    return pairs


def run(work: list[tuple[QAPair, Chunk]]) -> Counter[str]:
    checker = PairChecker()
    verdicts: Counter[str] = Counter()
    for pair, chunk in work:
        verdicts[checker(pair, chunk) or "kept"] += 1
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--per-chunk", type=int, default=10)
    parser.add_argument("--tracemalloc", action="store_true", help="also count allocations")
    args = parser.parse_args(argv)
    rng = random.Random(10)
    chunks = corpus(-(-args.pairs // args.per_chunk), rng)
    work = [(p, c) for c in chunks for p in pairs_for(c, args.per_chunk, rng)][: args.pairs]
    print(f"{len(work):,} pairs over {len(chunks):,} chunks")

    reference = timeit.timeit("sum(range(1000))", number=2000) / 2000
    print(f"reference loop sum(range(1000)): {reference * 1e6:.1f} µs (to scale by on a busy box)")
    before = _peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    verdicts = run(work)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    grown = _peak_rss_mb() - before
    print(f"checks: {seconds:.2f} s ({seconds / len(work) * 1e6:.1f} µs a pair)")
    print(f"CPU time of the checks: {cpu:.2f} s (what waiting for a busy core does not add)")
    print(f"peak resident size grew by {grown:.0f} MB (process peak {_peak_rss_mb():.0f} MB)")
    print("verdicts: " + ", ".join(f"{name} {count:,}" for name, count in verdicts.most_common()))
    if args.tracemalloc:
        tracemalloc.start()
        run(work)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak allocation of the checks (tracemalloc): {peak / 2**20:.0f} MB")
    return 0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


if __name__ == "__main__":
    sys.exit(main())
