"""The cheap checks every pair passes before it counts: no extra request, no Qt.

Each check is a function returning a ``Rejection`` or None; ``PairChecker`` runs them all for a
pair against its chunk's text and the run's ``QuestionIndex``, in order of cost: an exact repeat of
a kept question, an empty answer or a non-answer, a string cut off mid-sentence, the reply's JSON
or markup in place of words, a question too short to ask anything, an answer that repeats the
question, a question that states or names nothing, one that points to choices it does not give,
a yes or a no to a question that asks what or who, an answer that asks a question back, an
answer the chunk does not support (or a web address it does not hold), and last a question that
rewords one already kept.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from enum import StrEnum
from functools import partial
from typing import Protocol

from qagen_desktop.core.prompts import ANSWER_MAX_CHARS, QUESTION_MAX_CHARS
from qagen_desktop.core.quality import stopwords, text
from qagen_desktop.core.quality.junk import (
    LETTER_OR_DIGIT,
    asks_something,
    is_askable,
    is_cut_short,
    is_debris,
)
from qagen_desktop.core.quality.nonanswers import is_non_answer
from qagen_desktop.core.quality.question_index import QuestionIndex
from qagen_desktop.core.records import QAPair

# The share of the answer's new content tokens that must occur in the chunk (see
# check_supported). At 0.5 every paraphrase in tests/test_quality_checks.py passes, and an
# answer that brings in more new words than it takes from the text does not.
MIN_SUPPORT = 0.5


class Rejection(StrEnum):
    """Why a pair was rejected; ``label`` says it in plain words for the table and the CLI."""

    DUPLICATE = "duplicate"
    NEAR_DUPLICATE = "near_duplicate"
    EMPTY = "empty"
    NON_ANSWER = "non_answer"
    DEBRIS = "debris"
    CUT_OFF = "cut_off"
    ANSWER_ASKS = "answer_asks"
    NOT_A_QUESTION = "not_a_question"
    NOT_SELF_CONTAINED = "not_self_contained"
    ECHO = "echo"
    YES_NO_TO_OPEN = "yes_no_to_open"
    UNSUPPORTED = "unsupported"
    LOW_SCORE = "low_score"
    BY_HAND = "by_hand"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Rejection.DUPLICATE: "the same question was already asked",
    Rejection.NEAR_DUPLICATE: "the question asks again, in other words, one already kept",
    Rejection.EMPTY: "the answer is empty (no letter or digit)",
    Rejection.NON_ANSWER: "the answer says there is no answer",
    Rejection.DEBRIS: "the pair is left-over JSON or markup, not words",
    Rejection.CUT_OFF: "it stops mid-sentence (cut off by the length limit, or unfinished)",
    Rejection.ANSWER_ASKS: "the answer is a question, not an answer",
    Rejection.NOT_A_QUESTION: (
        "the question asks nothing (too few words, a statement, or about nothing named)"
    ),
    Rejection.NOT_SELF_CONTAINED: (
        'the question points to choices or a text it does not give ("which of the following")'
    ),
    Rejection.ECHO: "the answer repeats the question",
    Rejection.YES_NO_TO_OPEN: "the answer is a yes or a no to a question that asks what or who",
    Rejection.UNSUPPORTED: "the answer is not in the source text",
    Rejection.LOW_SCORE: "the judge scored it under the minimum",
    Rejection.BY_HAND: "rejected by hand",
}


class HasText(Protocol):
    """What a check needs of a chunk (``chunking.Chunk`` is one)."""

    @property
    def text(self) -> str: ...


def check_answer_given(answer: str) -> Rejection | None:
    """EMPTY when the answer holds no letter or digit; NON_ANSWER for "N/A", "I don't know",
    "The text does not say" and the like (``nonanswers``)."""
    if LETTER_OR_DIGIT.search(answer) is None:
        return Rejection.EMPTY
    if is_non_answer(answer):
        return Rejection.NON_ANSWER
    return None


def check_no_debris(question: str, answer: str) -> Rejection | None:
    """DEBRIS when the question or the answer is the reply's syntax, not words: its keys
    (``"question":``), a special token (``</s>``, ``<|im_end|>``), a broken piece of JSON, or
    nothing but tags (``junk.is_debris``)."""
    return Rejection.DEBRIS if is_debris(answer) or is_debris(question) else None


def check_not_cut_off(question: str, answer: str) -> Rejection | None:
    """CUT_OFF when the question or the answer is exactly as long as a bounded schema lets a
    string be (``prompts.QUESTION_MAX_CHARS``, ``ANSWER_MAX_CHARS``): the grammar llama.cpp makes of
    the schema ended a runaway string there, mid-sentence. The bounds are well above what a grounded
    pair needs, so a string that meets one was cut, not finished; so was one a few characters short
    of it that ends where no sentence ends (the reply's spaces trimmed). So too an English answer or
    question of two or more words that ends, unpunctuated, on a word no sentence ends on: "It is
    stored in the", "The name of the service is", "Is there a connection between this user and"
    ("Option A" ends on a capital, "It is what it is" on a pronoun's verb), and a string in any
    script that ends on a comma, or inside a bracket it opened."""
    if is_cut_short(answer, ANSWER_MAX_CHARS) or is_cut_short(question, QUESTION_MAX_CHARS):
        return Rejection.CUT_OFF
    return None


# How a question ends, in the scripts that mark one: Latin, full-width (CJK), Arabic, Greek.
_QUESTION_MARKS = ("?", "\uff1f", "\u061f", "\u037e")


def check_answer_not_a_question(answer: str, source: str = "") -> Rejection | None:
    """ANSWER_ASKS when the answer is itself a question ("Is this a question?", "Is it X or not
    X?"): a weak model asks back instead of answering. A question the source text holds word
    for word (a line of dialogue quoted as the answer) is an answer."""
    if not answer.rstrip().endswith(_QUESTION_MARKS):
        return None
    if source and f" {text.fold_words(answer)} " in f" {text.fold_words(source)} ":
        return None
    return Rejection.ANSWER_ASKS


def check_question_askable(question: str) -> Rejection | None:
    """NOT_A_QUESTION when the question holds too few words to ask anything: "1", "Q1", "???",
    "foo.com" (``junk.is_askable``; letters are counted, so a short CJK question passes), is
    an English statement: "It is a question." (no "?", question word or request), or names
    nothing to ask about: "is this an", "What is it?", "What does the text say?" (no content
    word, number or single capital letter such as the X of "What is X?")."""
    asks = is_askable(question) and asks_something(question)
    if asks and names_something(question, text.tokens(question)):
        return None
    return Rejection.NOT_A_QUESTION


# A single capital letter, which tokens leave out as a one-letter word, may be what a question
# is about ("What is C?"); "I" and "A" are words.
_CAPITAL_LETTER = re.compile(r"\b(?![AI]\b)[A-Z]\b")


# The keys of the words that deny (``stopwords.NEGATIONS``): no claim of their own.
_NEGATIONS = frozenset(map(text.key, stopwords.NEGATIONS))


def names_something(question: str, asked: text.Tokens) -> bool:
    """Whether ``question`` (its ``text.tokens``: ``asked``) names what it asks about: a
    content word (framing such as "the text says" left out; a CJK question's characters), a
    figure, or a single capital letter. A number spelled as a word is no subject ("Which
    one?"). A weak model's cut-off question ("is this an") names nothing, and its "yes" would
    pass as an answer to any text."""
    return bool(asked.asking or asked.figures) or _CAPITAL_LETTER.search(question) is not None


def check_self_contained(question: str) -> Rejection | None:
    """NOT_SELF_CONTAINED when the question points to choices, or a text, that it does not give:
    "Which of the following is not a Python version of Python?" with no list (a weak model
    copies the shape of a multiple-choice test), "What does the code below print?", "Welche der
    folgenden ...", "以下哪个 ...". A question that gives its choices, or may, is whole: after a
    colon or a comma, on lines of their own, as "(a)" and "b)", or with an "or" ("Which of the
    following is older, 1.6 or 2.0?")."""
    if _MAYBE_ELSEWHERE.search(question.lower()) is None:
        return None  # most questions: one search for plain words settles it (the full one is slow)
    if _POINTS_ELSEWHERE.search(question) is None or _CHOICES.search(question) is not None:
        return None
    return Rejection.NOT_SELF_CONTAINED


# A word every phrase of ``_POINTS_ELSEWHERE`` holds, lower-cased.
_MAYBE_ELSEWHERE = re.compile(
    "follow|above|below|which of th|folgend|suivant|dessous|dessus|siguiente|seguent|seguint"
    "|下列|以下|次の"
)


# What points to a list or a text outside the question: "the following" (not "the following
# year", the next one), "the above", "which of these", "listed below", and the plural forms in
# the other languages of the stop-word lists ("im folgenden Jahr" is the next year too).
_POINTS_ELSEWHERE = re.compile(
    r"\bthe following\b(?! (?:years?|days?|weeks?|months?|decades?|century|morning|evening"
    r"|night|spring|summer|autumn|fall|winter|season|versions?|releases?)\b)"
    r"|\bthe above\b|\bwhich of (?:these|those)\b"
    r"|\b(?:listed|shown|given|code|text|statements?|options?) (?:below|above)\b"
    r"|\b(?:der|die) folgenden\b|\bdes suivante?s\b"
    r"|\b(?:affirmations|propositions|réponses|options|phrases) suivantes\b|\bci-dess(?:o|u)us\b"
    r"|\b(?:los|las) siguientes\b|\b(?:dei|delle|degli) seguenti\b|\b(?:dos|das) seguintes\b"
    r"|以下哪|下列|次のうち|以下のうち|次の中",
    re.IGNORECASE,
)
# Choices the question gives itself, or may: after a colon or a comma, on lines of their own,
# with an "or", as "(a)" (Portuguese "o" is "the", so Spanish "o" counts only after a comma).
_CHOICES = re.compile(
    r"[:：\n,，、]|\b(?:or|ou|oder|oppure)\b|或|还是|(?:^|\s)\(?[a-dA-D1-4]\)\s", re.IGNORECASE
)


# A question of this many words or fewer with no question mark, beside a bare yes or no, cannot
# be told from one cut short ("Is Python 1.6.1"); "is python available for licensee on asis
# basis" / "yes" is whole.
_SHORT_UNMARKED = 3


def check_yes_no_fits(question: str, answer: str) -> Rejection | None:
    """YES_NO_TO_OPEN when the answer is a yes or a no, adding nothing else, to a question that
    opens with a question word: "Which one?" / "Yes", "What is the licence?" / "No" (what, who,
    when, wann, quand, ...: ``text.opens_with_question_word``), and does not say "yes or no". A
    yes or a no answers only a question that asks whether; a word that denies ("No, not at
    all") adds nothing to it. CUT_OFF when such an answer's question is three words or fewer and
    does not end as a question does ("Is Python 1.6.1" / "Yes", kept by a real run): it may have
    stopped short, and a bare yes cannot show that it did not."""
    return _yes_no_fits(question, text.tokens(question), text.tokens(answer))


def _yes_no_fits(question: str, asked: text.Tokens, given: text.Tokens) -> Rejection | None:
    if not given.yes_no or asked.yes_no:
        return None  # no yes or no, or a question that says "yes or no" (it asks whether)
    if (given.content - asked.content - _NEGATIONS) or (given.numbers - asked.numbers):
        return None  # the answer says more than yes or no
    if len(question.split()) <= _SHORT_UNMARKED and not question.rstrip().endswith(_QUESTION_MARKS):
        # "Is Python 1.6.1" / "Yes": a question stopped short takes a yes as readily as a whole
        # one, and in three words with no mark, nothing tells the two apart.
        return Rejection.CUT_OFF
    return Rejection.YES_NO_TO_OPEN if text.opens_with_question_word(question) else None


def check_not_echo(question: str, answer: str) -> Rejection | None:
    """ECHO when the answer is the question again, or holds nothing the question does not:
    ``foo.com`` / ``foo.com``, "What is X?" / "X". A yes or no counts as something."""
    return _echo(question, answer, text.tokens(question), text.tokens(answer))


def _echo(question: str, answer: str, asked: text.Tokens, given: text.Tokens) -> Rejection | None:
    if (given.content - asked.content) or (given.numbers - asked.numbers):
        return None  # it adds a word or a number, so it is not the question again either
    if given.yes_no and text.fold_words(answer) != text.fold_words(question):
        return None
    return Rejection.ECHO


def check_supported(
    question: str,
    answer: str,
    vocabulary: frozenset[str],
    min_support: float = MIN_SUPPORT,
    *,
    chunk: str = "",
) -> Rejection | None:
    """UNSUPPORTED when too little of what the answer adds is found in its chunk.

    Measured on tokens (``text.tokens``): the answer's content-word stems and numbers (stop-words
    left out; CJK and Thai as character bigrams), less those the question already holds (they are
    what was asked, not evidence). The share of the rest found in the chunk's ``vocabulary``
    (``text.chunk_vocabulary``) must reach ``min_support``, and every figure (a number written in
    digits) it adds must be there: a wrong figure is a wrong answer, however well the words match. A
    yes or a no adds no word of its own, so then every word of the question must be found in the
    chunk; so too for a no in words ("No, it is not a good source": a word that denies,
    ``stopwords.NEGATIONS``, is no claim). An answer that adds nothing else is left to
    ``check_not_echo``. And a question with two or more content words, none of them (nor any of its
    numbers but a single digit) in the chunk, is about something else ("What was your favorite
    school?" of a licence), whatever its answer; one word may be the question's own for a word of
    the text ("firm" for "company"), but then the answer carries the grounding alone: more than
    ``min_support`` of what it adds must be found ("What is the most important thing to you?" / "...
    able to create a good product" finds half), words among them, not only figures ("What is the
    value of x?" / "x is 1 and y is 3"). A word the chunk writes as two ("asis" for "AS IS",
    "website" for "web site") is found there, where the ``chunk``'s text is given
    (``text.joined_words``).
    """
    joined = partial(text.joined_words, chunk) if chunk else None
    return _supported(text.tokens(question), text.tokens(answer), vocabulary, min_support, joined)


_NOTHING = text.Tokens(*(frozenset[str](),) * len(text.Tokens._fields))


def _supported(
    asked: text.Tokens,
    given: text.Tokens,
    vocabulary: frozenset[str],
    min_support: float,
    joined: Callable[[], frozenset[str]] | None = None,
) -> Rejection | None:
    # The question's own words, framing left out (CJK, compared by characters, has none). A
    # digit alone ties a question to no text: "1" and "2" are in every one ("How long have you
    # been a student? (1 year or less)" of a library's manual that says "HTTP/1.1").
    topic = asked.asking & asked.content
    elsewhere = (
        bool(topic)
        and topic.isdisjoint(vocabulary)
        and all(len(number) == 1 for number in asked.numbers & vocabulary)
    )
    if elsewhere and len(topic) >= 2:
        return Rejection.UNSUPPORTED  # the question is about something the chunk never names
    new = (given.content - asked.content) | (given.numbers - asked.numbers)
    if new and new <= _NEGATIONS:
        # "No, it is not a good source" to "Is it a good source?": a no in words, so the
        # question carries the claim, as below ("not" is in every text).
        return _supported(_NOTHING, asked, vocabulary, 1.0, joined)
    if not new:
        if given.yes_no:
            # A yes or a no adds no word: the question carries the whole claim, so each of its
            # words must be the chunk's ("is this a valid question?" / "yes" is about no text
            # at all; "Is a full answer possible for this question?" about none of a licence).
            return _supported(_NOTHING, asked, vocabulary, 1.0, joined)
        return None
    figures = given.figures - asked.numbers
    if not figures <= vocabulary and not all(
        text.decade_found(figure, vocabulary) for figure in figures - vocabulary
    ):
        return Rejection.UNSUPPORTED  # a figure the chunk lacks ("in the 1990s" of "1995" is there)
    if elsewhere and (given.content - asked.content).isdisjoint(vocabulary):
        # Figures alone ("x is 1 and y is 3") ground no answer to a question about something
        # else: small numbers are in every text.
        return Rejection.UNSUPPORTED
    needed = min_support * len(new)
    if elsewhere:
        # The question's one word of its own is not the chunk's, so the grounding is left to
        # the answer: more than ``min_support`` of it must be found, the next whole word.
        needed = int(needed) + 1
    found = len(new & vocabulary)
    if found < needed and joined is not None:
        # Short of support: the words missing may be the chunk's, written there as two (rare,
        # so the chunk's joined words are only read here).
        found += len((new - vocabulary) & joined())
    return None if found >= needed else Rejection.UNSUPPORTED


def check_links_found(question: str, answer: str, source: str) -> Rejection | None:
    """UNSUPPORTED when the answer gives a web address ("https://…", "www.…") that neither the
    source text nor the question holds: a wrong address is a wrong answer, as a wrong figure is,
    however well the words around it match ("The book can be found at
    http://www.python.org/download.html" of a licence that names only python.org's licence
    pages). Compared without the scheme, "www." and a closing "/" or full stop, and case folded,
    so "python.org" is found in "https://www.python.org/psf/"."""
    if "://" not in answer and "www." not in answer.lower():
        return None  # most answers hold no address: one search, or two, settles it
    held = f"{source}\n{question}".lower()
    for link in _LINK.findall(answer):
        if _bare_link(link) not in held:
            return Rejection.UNSUPPORTED
    return None


_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]+", re.IGNORECASE)


def _bare_link(link: str) -> str:
    """``link`` case folded, without its scheme, "www." and closing punctuation or "/"."""
    bare = link.lower().rstrip(".,;:!?/")
    bare = bare.split("://", 1)[-1]
    return bare.removeprefix("www.")


class PairChecker:
    """Runs every check for the pairs of one run, and remembers the questions it kept.

    ``checker(pair, chunk)`` returns None (keep it: its question joins the index) or the
    ``Rejection`` (a ``str``), the shape of the generation runner's per-pair check. ``check``
    only judges; ``keep`` and ``forget`` change the index, for pairs kept or dropped later (the
    judge, a review). The chunk's text comes from ``chunk`` or, without one, ``pair.source``;
    with neither the support check is skipped.
    """

    def __init__(self, index: QuestionIndex | None = None, *, min_support: float = MIN_SUPPORT):
        self.index = index if index is not None else QuestionIndex()
        self.min_support = min_support
        # A run checks many pairs per chunk; a chunk's vocabulary is built once.
        self._vocabularies: OrderedDict[str, frozenset[str]] = OrderedDict()

    def __call__(self, pair: QAPair, chunk: HasText | None = None) -> str | None:
        rejection = self.check(pair, chunk)
        if rejection is None:
            self.keep(pair)  # the index still holds this question's entry: no second tokenising
        return rejection

    def check(self, pair: QAPair, chunk: HasText | None = None) -> Rejection | None:
        """Why ``pair`` should be rejected, or None; the index is not changed."""
        if self.index.is_exact_repeat(pair.question):
            return Rejection.DUPLICATE
        rejection = check_answer_given(pair.answer) or check_not_cut_off(pair.question, pair.answer)
        if rejection is not None:
            return rejection
        if is_debris(pair.answer) or is_debris(pair.question):
            return Rejection.DEBRIS
        if not is_askable(pair.question):
            return Rejection.NOT_A_QUESTION
        asked, given = text.tokens(pair.question), text.tokens(pair.answer)
        rejection = _echo(pair.question, pair.answer, asked, given)
        if rejection is not None:
            return rejection
        if not (asks_something(pair.question) and names_something(pair.question, asked)):
            return Rejection.NOT_A_QUESTION
        rejection = check_self_contained(pair.question)
        if rejection is not None:
            return rejection
        rejection = _yes_no_fits(pair.question, asked, given)
        if rejection is not None:
            return rejection
        source = chunk.text if chunk is not None else pair.source
        rejection = check_answer_not_a_question(pair.answer, source)
        if rejection is not None:
            return rejection
        if source:
            vocabulary = self._vocabulary(source)
            joined = partial(text.joined_words, source)
            rejection = _supported(asked, given, vocabulary, self.min_support, joined)
            rejection = rejection or check_links_found(pair.question, pair.answer, source)
            if rejection is not None:
                return rejection
        if self.index.find(pair.question, asked) is not None:
            return Rejection.NEAR_DUPLICATE
        return None

    def keep(self, pair: QAPair) -> None:
        """Count ``pair``'s question as kept: its repeats are rejected from now on."""
        self.index.add(pair.question)

    def forget(self, pair: QAPair) -> None:
        """Stop counting ``pair``'s question as kept (it was rejected after all)."""
        self.index.discard(pair.question)

    def _vocabulary(self, source: str) -> frozenset[str]:
        vocabulary = self._vocabularies.get(source)
        if vocabulary is None:
            vocabulary = self._vocabularies[source] = text.chunk_vocabulary(source)
            if len(self._vocabularies) > 64:
                self._vocabularies.popitem(last=False)
        else:
            self._vocabularies.move_to_end(source)
        return vocabulary
