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
so a signature cached per distinct token (all rows packed in one int) makes a question's
signature a few big-int operations per token.
"""

from __future__ import annotations

import hashlib
import random
from typing import NamedTuple

from qagen_desktop.core.parsing import normalise_question
from qagen_desktop.core.quality import text

BUCKET_LIMIT = 32
_PRIME = (1 << 61) - 1  # a Mersenne prime: (a*x + b) mod p is a good universal hash family


class _Entry(NamedTuple):
    """What the index keeps of a question: its folded text, words, and band keys."""

    normalised: str
    words: frozenset[str]  # the words compared (``Tokens.asking``), not question words or numbers
    must: int  # a hash of the question words and numbers, which a repeat must share
    bands: tuple[bytes, ...]  # empty when the question has no word or number to compare


# A token's signature is one int holding its hash under every row's function, each in a lane of
# _LANE bits: the top _VALUE bits of the hash, and a zero guard bit above them. The minima of many
# signatures, lane by lane, then take a few big-int operations per token (``_minima``) where
# ``min`` per row took one call each, and a band is a slice of the minima's bytes.
_LANE = 24
_VALUE = _LANE - 1


class _Signatures(dict[str, int]):
    """A token's signature (see above), computed on its first look-up: a known token is then a
    look-up in C (``map(signatures.__getitem__, names)``)."""

    def __init__(self, coefficients: list[tuple[int, int]]) -> None:
        super().__init__()
        self._coefficients = coefficients

    def __missing__(self, token: str) -> int:
        seed = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big")
        packed = 0
        for lane, (a, b) in enumerate(self._coefficients):
            packed |= (((a * seed + b) % _PRIME) >> (61 - _VALUE)) << (lane * _LANE)
        self[token] = packed
        return packed


def _minima(signatures: list[int], guards: int) -> int:
    """The lane-by-lane minimum of ``signatures``; ``guards`` has every lane's guard bit set.

    With the guard bit set in ``low`` and clear in ``other``, a lane of ``(low | guards) - other``
    keeps its guard bit exactly where low >= other, and no lane borrows from the next; that bit,
    spread over the lane's value bits, picks ``other`` there."""
    low = signatures[0]
    for other in signatures[1:]:
        keep = ((low | guards) - other) & guards
        low ^= (low ^ other) & (keep - (keep >> _VALUE))
    return low


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
        rng = random.Random(seed)
        self._signatures = _Signatures(
            [(rng.randrange(1, _PRIME), rng.randrange(_PRIME)) for _ in range(bands * rows)]
        )
        self._exact: dict[str, int] = {}
        self._guards = sum(1 << (lane * _LANE + _VALUE) for lane in range(bands * rows))
        size = rows * _LANE // 8
        self._band_bytes = size * bands
        self._band_slices = [slice(at, at + size) for at in range(0, size * bands, size)]
        self._buckets: list[dict[bytes, int | list[int]]] = [{} for _ in range(bands)]
        # Per kept question, by number: its text (None once discarded), words and ``must``.
        self._questions: list[str | None] = []
        self._words: list[frozenset[str]] = []
        self._musts: list[int] = []
        self._last: tuple[str, _Entry] | None = None
        self._last_normalised: tuple[str, str] | None = None

    def __len__(self) -> int:
        return len(self._exact)

    def find(self, question: str, tokens: text.Tokens | None = None) -> str | None:
        """The kept question that ``question`` repeats, exactly or in other words; else None.
        ``tokens``: the question's ``text.tokens``, where the caller has them already."""
        normalised, mine, must, bands = self._entry(question, tokens)
        kept = self._exact.get(normalised)
        if kept is not None:
            return self._questions[kept]
        mine_count = len(mine)
        musts, stored, questions = self._musts, self._words, self._questions
        threshold = self.threshold
        for band, bucket in zip(bands, self._buckets, strict=False):
            found = bucket.get(band)
            if found is None:
                continue
            for candidate in (found,) if type(found) is int else found:  # type: ignore[union-attr]
                # Jaccard over the words, once the question words and numbers match.
                if musts[candidate] != must:
                    continue
                words = stored[candidate]
                shared = len(mine & words)
                if shared >= threshold * (mine_count + len(words) - shared):
                    repeated = questions[candidate]
                    if repeated is not None:
                        return repeated
        return None

    def is_exact_repeat(self, question: str) -> bool:
        """Whether ``question`` folds to a kept question (case, spacing, punctuation)."""
        return self._normalised(question) in self._exact

    def add(self, question: str, tokens: text.Tokens | None = None) -> None:
        """Keep ``question``: later repeats of it are found. Adding it twice keeps it once."""
        normalised, words, must, bands = self._entry(question, tokens)
        if normalised in self._exact:
            return
        number = len(self._questions)
        self._questions.append(question)
        self._words.append(words)
        self._musts.append(must)
        self._exact[normalised] = number
        for band, bucket in zip(bands, self._buckets, strict=False):
            found = bucket.get(band)
            if found is None:
                bucket[band] = number
            elif isinstance(found, int):
                bucket[band] = [found, number]
            elif len(found) < BUCKET_LIMIT:
                found.append(number)

    def discard(self, question: str) -> None:
        """Forget ``question`` (a pair rejected after it was kept); unknown ones are ignored."""
        number = self._exact.pop(self._normalised(question), None)
        if number is not None:
            self._questions[number] = None

    def _entry(self, question: str, found: text.Tokens | None = None) -> _Entry:
        # find() then add() for one question is the usual call pattern: compute it once.
        last = self._last
        if last is not None and last[0] is question:
            return last[1]
        if found is None:
            found = text.tokens(question)
        # Only words and numbers are hashed: a question word shared by half the questions
        # ("what") would make every short question a candidate of every other. It is compared
        # when a candidate is verified.
        numbers = found.numbers
        names = found.asking | numbers if numbers else found.asking
        bands: tuple[bytes, ...] = ()
        if names:
            minima = _minima(list(map(self._signatures.__getitem__, names)), self._guards)
            raw = minima.to_bytes(self._band_bytes, "little")
            bands = tuple(map(raw.__getitem__, self._band_slices))
        entry = _Entry(
            self._normalised(question),
            found.asking,
            hash((found.interrogatives, numbers)),
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
