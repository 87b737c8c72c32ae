"""Finds a question that repeats one already kept: the same words folded, or the same question
in other words.

Exact repeats (``parsing.normalise_question``: case, spacing and punctuation folded) are a dict
look-up, the cheapest check, done first. A rewording is a kept question whose words
(``text.tokens``: content words stemmed, numbers; stop-words and framing such as "the text says"
left out; CJK characters one by one) have a Jaccard similarity of at least ``threshold`` (0.7)
with the new one's, *and* that asks with the same question words and names the same numbers:
"What does X do?" and "What is it that X does?" have the same words, while "Who built X?" and
"When was X built?", or "What happened in 1914?" and "What happened in 1915?", are different
questions.

Candidates come from an inverted index by prefix filtering, which misses no repeat. The kept
questions are listed apart by their number of words: a question of ``m`` words and one of ``n``
are similar only when they share at least ``need``, the least ``s`` with ``s >= t * (m + n - s)``,
so any ``m - need + 1`` of the new question's words include one of every such repeat's. Those
looked up are the rarest so far (the shortest lists), within the questions that ask with the
same question words and numbers and have ``n`` words, so a question is compared with a handful
of others, not all; where ``need`` is all of its words (two questions of four words are similar
only when they have the same four), one list and a subset test settle it. A repeat in none of
the rarer lists but the last holds every word but those: the last, often long, list is scanned
by a subset test in C.
Written here rather than taken from ``datasketch``: that pulls in NumPy and SciPy for the desktop
bundle, and MinHash (which it offers) can miss a repeat where this cannot.
"""

from __future__ import annotations

from itertools import repeat
from typing import NamedTuple

from qagen_desktop.core.parsing import normalise_question
from qagen_desktop.core.quality import text


class _Entry(NamedTuple):
    """What the index keeps of a question: its folded text, words, and what it is looked up by."""

    normalised: str
    words: frozenset[str]  # the words compared (``Tokens.asking``), not question words or numbers
    must: tuple[frozenset[str], frozenset[str]]  # the question words and numbers a repeat shares
    names: frozenset[str]  # what it is listed under: its words and numbers
    whole: bool  # whether ``words`` and numbers are apart (a word may be "1990", from "1990s")


_NO_QUESTIONS: list[int] = []


class QuestionIndex:
    """The questions kept so far, for ``find`` (is this a repeat?) and ``add`` (keep it).

    Memory grows by a few hundred bytes per question: its text, its words, and one entry per word
    in the lists of the questions that share its question words and numbers.
    """

    def __init__(self, *, threshold: float = 0.7) -> None:
        if not 0 < threshold <= 1:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self._exact: dict[str, int] = {}
        # By ``must`` and number of words, then by word or number: the numbers of the kept
        # questions holding it.
        self._lists: dict[tuple[object, int], dict[str, list[int]]] = {}
        # By a question's number of words: the kept questions' numbers of words it may be
        # similar to, each with how many of its names a look-up must try.
        self._sizes: dict[int, list[tuple[int, int]]] = {}
        # Per kept question, by number: its text (None once discarded) and words.
        self._questions: list[str | None] = []
        self._words: list[frozenset[str]] = []
        self._last: tuple[str, _Entry] | None = None
        self._last_normalised: tuple[str, str] | None = None

    def __len__(self) -> int:
        return len(self._exact)

    def find(self, question: str, tokens: text.Tokens | None = None) -> str | None:
        """The kept question that ``question`` repeats, exactly or in other words; else None.
        ``tokens``: the question's ``text.tokens``, where the caller has them already."""
        normalised, mine, must, names, whole = self._entry(question, tokens)
        kept = self._exact.get(normalised)
        if kept is not None:
            return self._questions[kept]
        if not names:
            return None
        count = len(mine)
        sizes = self._sizes.get(count)
        if sizes is None:
            sizes = self._sizes[count] = self._similar_sizes(count)
        for size, probes in sizes:
            lists = self._lists.get((must, size))
            if lists is not None:
                repeated = self._find_in(lists, mine, names, probes, whole)
                if repeated is not None:
                    return repeated
        return None

    def _similar_sizes(self, count: int) -> list[tuple[int, int]]:
        """The numbers of words a question of ``count`` words may be similar to, each with the
        number of its names a look-up must try (see the module docstring)."""
        found = []
        for size in range(int(count / self.threshold) + 2):
            # The test of ``_first_similar`` itself, so no float error makes a probe fewer.
            shared = range(min(count, size) + 1)
            need = next((s for s in shared if s >= self.threshold * (count + size - s)), None)
            if need is not None:
                found.append((size, count - need + 1))
        return found

    def _find_in(
        self,
        lists: dict[str, list[int]],
        mine: frozenset[str],
        names: frozenset[str],
        probes: int,
        whole: bool,
    ) -> str | None:
        """The first kept question of ``lists`` similar to words ``mine``, listed by ``names``,
        trying ``probes`` of them."""
        found = list(map(lists.get, names, repeat(_NO_QUESTIONS)))
        if probes == 1:
            last, rest = min(found, key=len), mine
        else:
            ranked = sorted(zip(map(len, found), names, found, strict=True))
            for _, _, candidates in ranked[: probes - 1]:
                repeated = self._first_similar(mine, candidates)
                if repeated is not None:
                    return repeated
            last = ranked[probes - 1][2]
            rest = mine.difference([name for _, name, _ in ranked[: probes - 1]])
        # A repeat found in none of the rarer lists holds every other word (see the module
        # docstring): a subset test per candidate, in C, finds whether there is one. (Unless
        # a word is also one of the question's numbers, which the words do not hold.)
        if whole and not any(map(rest.issubset, map(self._words.__getitem__, last))):
            return None
        return self._first_similar(mine, last)

    def _first_similar(self, mine: frozenset[str], candidates: list[int]) -> str | None:
        """The first kept question of ``candidates`` similar enough to words ``mine``."""
        stored, questions = self._words, self._questions
        mine_count, threshold = len(mine), self.threshold
        for candidate in candidates:
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
        normalised, words, must, names, _ = self._entry(question, tokens)
        if normalised in self._exact:
            return
        number = len(self._questions)
        self._questions.append(question)
        self._words.append(words)
        self._exact[normalised] = number
        lists = self._lists.get((must, len(words)))
        if lists is None:
            lists = self._lists[must, len(words)] = {}
        for name in names:
            found = lists.get(name)
            if found is None:
                lists[name] = [number]
            else:
                found.append(number)

    def discard(self, question: str) -> None:
        """Forget ``question`` (a pair rejected after it was kept); unknown ones are ignored."""
        number = self._exact.pop(self._normalised(question), None)
        if number is not None:
            self._questions[number] = None  # its list entries stay, and are skipped

    def _entry(self, question: str, found: text.Tokens | None = None) -> _Entry:
        # find() then add() for one question is the usual call pattern: compute it once.
        last = self._last
        if last is not None and last[0] is question:
            return last[1]
        if found is None:
            found = text.tokens(question)
        # A question word shared by half the questions ("what") would be a long list to look
        # through: question words select the lists (``must``) instead of being in them.
        numbers = found.numbers
        names = found.asking | numbers if numbers else found.asking
        entry = _Entry(
            self._normalised(question),
            found.asking,
            (found.interrogatives, numbers),
            names,
            numbers.isdisjoint(found.asking),
        )
        self._last = (question, entry)
        return entry

    def _normalised(self, question: str) -> str:
        if self._last_normalised is not None and self._last_normalised[0] is question:
            return self._last_normalised[1]
        normalised = normalise_question(question)
        self._last_normalised = (question, normalised)
        return normalised
