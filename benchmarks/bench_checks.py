"""Time the quality checks and the question index on 100,000 realistic pairs, and their memory.

Run: python benchmarks/bench_checks.py [--pairs N] [--per-chunk K] [--repeat R]

Builds a corpus of chunks (about 1,500 characters of prose each, over a vocabulary of several
thousand words), then K pairs per chunk as a model writes them: questions of many shapes about
the chunk's phrases, answers in the chunk's words, and one pair in eight bad (an echo, a
non-answer, an answer from outside the text, a reworded repeat, a question too short to ask
anything, the reply's JSON or markup as the answer). Every pair goes through ``PairChecker``
against its chunk, with one ``QuestionIndex`` for the whole run. Prints the wall time and the CPU
time (the fastest of ``--repeat`` runs: the machine may be shared), how much the process's peak
resident size grew during the first run, how many bad pairs of each kind were caught (and fails
if one was kept), and a reference loop's time so figures from a loaded machine can be scaled;
``--tracemalloc`` adds a run that counts the checks' peak allocation exactly (tracemalloc slows
Python down, so it is not timed).
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


# The bad pairs mixed in, by kind, and the reason each is rejected with when nothing comes first
# (a bad pair whose question was already asked is rejected as a repeat).
BAD_KINDS = {
    "echo": "echo",
    "non-answer": "non_answer",
    "outside the text": "unsupported",
    "reworded repeat": "near_duplicate",
    "junk question": "not_a_question",
    "debris answer": "debris",
}
_JUNK_QUESTIONS = ("1", "Q1", "???", "foo.com")
_DEBRIS = ("</s>", '"question": "What', '2"}', "<|im_end|>")


def pairs_for(chunk: Chunk, count: int, rng: random.Random) -> list[tuple[QAPair, str]]:
    """``count`` pairs for ``chunk``, each with its kind: "good" or one of ``BAD_KINDS``."""
    words = [w for w in (w.strip(".").lower() for w in chunk.text.split()) if w not in _STOPS]
    pairs: list[tuple[QAPair, str]] = []
    for number in range(count):
        a, b = rng.sample(words, 2)
        question = rng.choice(_SHAPES).format(a=a, b=b)
        at = rng.randrange(len(words) - 8)
        answer = " ".join(words[at : at + rng.randint(4, 8)]).capitalize() + "."
        kind = "good"
        if number % 8 == 7:
            kind = rng.choice(list(BAD_KINDS))
            if kind == "echo":
                answer = question
            elif kind == "non-answer":
                answer = rng.choice(_NON_ANSWERS)
            elif kind == "outside the text":
                answer = "It was founded by Napoleon near Marseille in 1802."
            elif kind == "junk question":
                question = rng.choice(_JUNK_QUESTIONS)
            elif kind == "debris answer":
                answer = rng.choice(_DEBRIS)
            elif pairs:
                earlier = pairs[-1][0].question
                question = earlier.replace("What does the", "What is it that the")
                if question == earlier:
                    question = "Could you tell me: " + earlier[0].lower() + earlier[1:]
        pairs.append((QAPair(question, answer, chunk=chunk.index), kind))
    return pairs


def run(work: list[tuple[QAPair, Chunk, str]]) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Every pair through one checker: the verdicts, and the bad pairs' (kind, verdict)."""
    checker = PairChecker()
    verdicts: Counter[str] = Counter()
    bad: Counter[tuple[str, str]] = Counter()
    for pair, chunk, kind in work:
        verdict = checker(pair, chunk) or "kept"
        verdicts[verdict] += 1
        if kind != "good":
            bad[(kind, verdict)] += 1
    return verdicts, bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--per-chunk", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="runs timed; the fastest counts")
    parser.add_argument("--tracemalloc", action="store_true", help="also count allocations")
    args = parser.parse_args(argv)
    rng = random.Random(10)
    chunks = corpus(-(-args.pairs // args.per_chunk), rng)
    work = [(p, c, k) for c in chunks for p, k in pairs_for(c, args.per_chunk, rng)][: args.pairs]
    print(f"{len(work):,} pairs over {len(chunks):,} chunks")

    reference = timeit.timeit("sum(range(1000))", number=2000) / 2000
    print(f"reference loop sum(range(1000)): {reference * 1e6:.1f} µs (to scale by on a busy box)")
    before = _peak_rss_mb()
    walls: list[float] = []
    cpus: list[float] = []
    grown = 0.0
    for number in range(max(1, args.repeat)):
        started, cpu = time.perf_counter(), time.process_time()
        verdicts, bad = run(work)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        if number == 0:
            grown = _peak_rss_mb() - before  # later runs reuse what the first one freed
    seconds, cpu = min(walls), min(cpus)
    runs = ", ".join(f"{c:.2f}" for c in cpus)
    print(f"checks: {seconds:.2f} s wall ({seconds / len(work) * 1e6:.1f} µs a pair), fastest run")
    print(f"CPU time of the checks: {cpu:.2f} s (runs: {runs}; waiting for a busy core not added)")
    print(f"peak resident size grew by {grown:.0f} MB (process peak {_peak_rss_mb():.0f} MB)")
    print("verdicts: " + ", ".join(f"{name} {count:,}" for name, count in verdicts.most_common()))
    missed = _report_bad(bad)
    if args.tracemalloc:
        tracemalloc.start()
        run(work)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak allocation of the checks (tracemalloc): {peak / 2**20:.0f} MB")
    assert not missed, f"bad pairs kept: {missed}"
    return 0


def _report_bad(bad: Counter[tuple[str, str]]) -> dict[str, int]:
    """Print, per bad kind, how many were caught and with which reasons; return those kept."""
    missed = {}
    for kind, reason in BAD_KINDS.items():
        verdicts = {v: n for (k, v), n in bad.items() if k == kind}
        total, kept = sum(verdicts.values()), verdicts.pop("kept", 0)
        others = ", ".join(f"{n:,} {v}" for v, n in sorted(verdicts.items()) if v != reason)
        print(
            f"bad, {kind}: {total - kept:,} of {total:,} caught "
            f"({verdicts.get(reason, 0):,} {reason}{'; ' + others if others else ''})"
        )
        if kept:
            missed[kind] = kept
    return missed


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


if __name__ == "__main__":
    sys.exit(main())
