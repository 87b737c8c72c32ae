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
from array import array
from dataclasses import dataclass

from qagen_desktop.core.parsing import normalise_question
from qagen_desktop.core.quality import stopwords, text

_PRIME = (1 << 61) - 1  # a Mersenne prime: (a*x + b) mod p is a good universal hash family


@dataclass(frozen=True, slots=True)
class _Entry:
    """What the index keeps of a question: its folded text, sorted tokens, and band keys."""

    normalised: str
    tokens: tuple[str, ...]
    bands: tuple[int, ...]


class QuestionIndex:
    """The questions kept so far, for ``find`` (is this a repeat?) and ``add`` (keep it).

    ``bands`` x ``rows`` MinHash values per question: with 8 x 4, a pair of questions at
    similarity 0.8 becomes a candidate with probability 0.98 (1 in every pair at 1.0), one at 0.3
    with probability 0.06. Memory grows by a few hundred bytes per question, plus one cached
    signature per distinct token.
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
        self._signatures: dict[str, tuple[str, array[int]]] = {}
        self._exact: dict[str, int] = {}
        self._buckets: list[dict[int, int | list[int]]] = [{} for _ in range(bands)]
        self._questions: list[str | None] = []
        self._tokens: list[tuple[str, ...]] = []
        self._last: tuple[str, _Entry] | None = None

    def __len__(self) -> int:
        return len(self._exact)

    def find(self, question: str) -> str | None:
        """The kept question that ``question`` repeats, exactly or in other words; else None."""
        entry = self._entry(question)
        kept = self._exact.get(entry.normalised)
        if kept is not None:
            return self._questions[kept]
        if not entry.tokens:
            return None
        mine = set(entry.tokens)
        seen: set[int] = set()
        for band, bucket in zip(entry.bands, self._buckets, strict=True):
            found = bucket.get(band)
            if found is None:
                continue
            for candidate in (found,) if isinstance(found, int) else found:
                if candidate in seen:
                    continue
                seen.add(candidate)
                if self._questions[candidate] is not None and self._similar(
                    mine, self._tokens[candidate]
                ):
                    return self._questions[candidate]
        return None

    def is_exact_repeat(self, question: str) -> bool:
        """Whether ``question`` folds to a kept question (case, spacing, punctuation)."""
        return self._entry(question).normalised in self._exact

    def add(self, question: str) -> None:
        """Keep ``question``: later repeats of it are found. Adding it twice keeps it once."""
        entry = self._entry(question)
        if entry.normalised in self._exact:
            return
        number = len(self._questions)
        self._questions.append(question)
        self._tokens.append(entry.tokens)
        self._exact[entry.normalised] = number
        if not entry.tokens:
            return
        for band, bucket in zip(entry.bands, self._buckets, strict=True):
            found = bucket.get(band)
            if found is None:
                bucket[band] = number
            elif isinstance(found, int):
                bucket[band] = [found, number]
            else:
                found.append(number)

    def discard(self, question: str) -> None:
        """Forget ``question`` (a pair rejected after it was kept); unknown ones are ignored."""
        number = self._exact.pop(self._entry(question).normalised, None)
        if number is not None:
            self._questions[number] = None

    def _similar(self, mine: set[str], theirs: tuple[str, ...]) -> bool:
        shared = len(mine.intersection(theirs))
        if shared < self.threshold * (len(mine) + len(theirs) - shared):
            return False
        other = set(theirs)
        return {t for t in mine if t.isdigit() or t in _ASKING} == {
            t for t in other if t.isdigit() or t in _ASKING
        }

    def _entry(self, question: str) -> _Entry:
        # find() then add() for one question is the usual call pattern: compute it once.
        if self._last is not None and self._last[0] is question:
            return self._last[1]
        found = text.tokens(question, question=True)
        names = sorted(found.content | found.numbers | found.interrogatives)
        shared = [self._signature(name) for name in names]
        bands: tuple[int, ...] = ()
        if shared:
            minima = list(map(min, zip(*(vector for _, vector in shared), strict=True)))
            rows = self._rows
            bands = tuple(hash(tuple(minima[i : i + rows])) for i in range(0, len(minima), rows))
        entry = _Entry(normalise_question(question), tuple(name for name, _ in shared), bands)
        self._last = (question, entry)
        return entry

    def _signature(self, token: str) -> tuple[str, array[int]]:
        """The token (one shared string) and its hash under every row's function, cached."""
        cached = self._signatures.get(token)
        if cached is None:
            seed = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big")
            vector = array("Q", ((a * seed + b) % _PRIME for a, b in self._coefficients))
            cached = self._signatures[token] = (token, vector)
        return cached


_ASKING = frozenset(
    stopwords.INTERROGATIVE_ALIASES.get(w, w)
    for w in (text.fold(word) for word in stopwords.INTERROGATIVES)
)
