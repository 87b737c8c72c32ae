"""Finds a question that repeats one already kept: the same words folded, or the same question
in other words.

Exact repeats (``parsing.normalise_question``: case, spacing and punctuation folded) are a dict
look-up, the cheapest check, done first. Rewordings are found by MinHash over the question's
tokens (``text.tokens``: content words stemmed, numbers, question words; stop-words and framing
such as "the text says" left out; character bigrams for CJK), with LSH banding so a question is
compared with a handful of candidates, not all. A candidate is a repeat when the Jaccard
similarity of the two token sets is at least ``threshold`` (0.7) *and* both ask with the same
question words and name the same numbers: "What does X do?" and "What is it that X does?" have
the same tokens, while "Who built X?" and "When was X built?", or "What happened in 1914?" and
"What happened in 1915?", are different questions.

Written here rather than taken from ``datasketch``: that pulls in NumPy and SciPy for the desktop
bundle, and hashes each shingle per question, where questions are short and their words recur,
so a signature cached per distinct token makes a question's signature one ``min`` per row.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass

from qagen_desktop.core.parsing import normalise_question
from qagen_desktop.core.quality import text

BUCKET_LIMIT = 32
_PRIME = (1 << 61) - 1  # a Mersenne prime: (a*x + b) mod p is a good universal hash family


@dataclass(frozen=True, slots=True)
class _Entry:
    """What the index keeps of a question: its folded text, sorted tokens, and band keys."""

    normalised: str
    tokens: tuple[str, ...]
    must: int  # a hash of the question words and numbers, which a repeat must share
    words: int  # how many of the tokens are words (not question words or numbers)
    bands: tuple[int, ...]


class QuestionIndex:
    """The questions kept so far, for ``find`` (is this a repeat?) and ``add`` (keep it).

    ``bands`` x ``rows`` MinHash values per question: with 8 x 4, a pair of questions at
    similarity 0.8 becomes a candidate with probability 0.98 (1 in every pair at 1.0), one at 0.3
    with probability 0.06. A band bucket holds at most ``BUCKET_LIMIT`` questions: a band that
    many questions share is made of common words ("used", "first") and finds only look-alikes,
    while a true repeat meets its question in the other bands too. Memory grows by a few hundred
    bytes per question, plus one cached signature per distinct token.
    """

    def __init__(
        self, *, threshold: float = 0.7, bands: int = 8, rows: int = 4, seed: int = 20261201
    ) -> None:
        if not 0 < threshold <= 1:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self._bands = bands
        self._rows = rows
        rng = random.Random(seed)
        self._coefficients = [
            (rng.randrange(1, _PRIME), rng.randrange(_PRIME)) for _ in range(bands * rows)
        ]
        self._signatures: dict[str, tuple[str, tuple[int, ...]]] = {}
        self._exact: dict[str, int] = {}
        self._buckets: list[dict[int, int | list[int]]] = [{} for _ in range(bands)]
        self._questions: list[str | None] = []
        self._tokens: list[tuple[str, ...]] = []
        self._musts: list[int] = []
        self._words: list[int] = []
        self._last: tuple[str, _Entry] | None = None
        self._last_normalised: tuple[str, str] | None = None

    def __len__(self) -> int:
        return len(self._exact)

    def find(self, question: str, tokens: text.Tokens | None = None) -> str | None:
        """The kept question that ``question`` repeats, exactly or in other words; else None.
        ``tokens``: the question's ``text.tokens``, where the caller has them already."""
        entry = self._entry(question, tokens)
        kept = self._exact.get(entry.normalised)
        if kept is not None:
            return self._questions[kept]
        if not entry.tokens:
            return None
        mine = set(entry.tokens)
        must, words = entry.must, entry.words
        musts, counts, stored = self._musts, self._words, self._tokens
        threshold = self.threshold
        for band, bucket in zip(entry.bands, self._buckets, strict=True):
            found = bucket.get(band)
            if found is None:
                continue
            for candidate in (found,) if isinstance(found, int) else found:
                # Jaccard over the words, once the question words and numbers match.
                if musts[candidate] != must:
                    continue
                shared = len(mine.intersection(stored[candidate])) - (len(mine) - words)
                if shared >= threshold * (words + counts[candidate] - shared):
                    repeated = self._questions[candidate]
                    if repeated is not None:
                        return repeated
        return None

    def is_exact_repeat(self, question: str) -> bool:
        """Whether ``question`` folds to a kept question (case, spacing, punctuation)."""
        return self._normalised(question) in self._exact

    def add(self, question: str, tokens: text.Tokens | None = None) -> None:
        """Keep ``question``: later repeats of it are found. Adding it twice keeps it once."""
        entry = self._entry(question, tokens)
        if entry.normalised in self._exact:
            return
        number = len(self._questions)
        self._questions.append(question)
        self._tokens.append(entry.tokens)
        self._musts.append(entry.must)
        self._words.append(entry.words)
        self._exact[entry.normalised] = number
        if not entry.tokens:
            return
        for band, bucket in zip(entry.bands, self._buckets, strict=True):
            found = bucket.get(band)
            if found is None:
                bucket[band] = number
            elif isinstance(found, int):
                bucket[band] = [found, number]
            elif len(found) < BUCKET_LIMIT:
                found.append(number)

    def discard(self, question: str) -> None:
        """Forget ``question`` (a pair rejected after it was kept); unknown ones are ignored."""
        number = self._exact.pop(self._entry(question).normalised, None)
        if number is not None:
            self._questions[number] = None

    def _entry(self, question: str, found: text.Tokens | None = None) -> _Entry:
        # find() then add() for one question is the usual call pattern: compute it once.
        if self._last is not None and self._last[0] is question:
            return self._last[1]
        if found is None:
            found = text.tokens(question)
        # Only words and numbers are hashed: a question word shared by half the questions
        # ("what") would make every short question a candidate of every other. It is compared
        # when a candidate is verified.
        shared = [self._signature(name) for name in sorted(found.asking | found.numbers)]
        bands: tuple[int, ...] = ()
        if shared:
            minima: Iterator[int] = (
                iter(shared[0][1])
                if len(shared) == 1
                else map(min, *(vector for _, vector in shared))
            )
            # Each band is ``rows`` consecutive minima, grouped by zip over one iterator.
            bands = tuple(map(hash, zip(*[minima] * self._rows, strict=True)))
        kept = tuple(name for name, _ in shared)
        asked = tuple(sorted(_ASKED + name for name in found.interrogatives))
        must = hash(asked + tuple(sorted(found.numbers)))
        entry = _Entry(
            self._normalised(question),
            kept + asked if kept else (),
            must,
            len(found.asking),
            bands,
        )
        self._last = (question, entry)
        return entry

    def _normalised(self, question: str) -> str:
        if self._last_normalised is not None and self._last_normalised[0] is question:
            return self._last_normalised[1]
        normalised = normalise_question(question)
        self._last_normalised = (question, normalised)
        return normalised

    def _signature(self, token: str) -> tuple[str, tuple[int, ...]]:
        """The token (one shared string) and its hash under every row's function, cached."""
        cached = self._signatures.get(token)
        if cached is None:
            seed = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big")
            vector = tuple((a * seed + b) % _PRIME for a, b in self._coefficients)
            cached = self._signatures[token] = (token, vector)
        return cached


# Marks a question word among a question's kept tokens (no folded word starts with it).
_ASKED = "?"
