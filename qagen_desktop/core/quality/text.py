"""Text folded and cut into the tokens the quality checks compare.

Folding: NFKC, case folded, accents dropped, so "Généré" and "genere" meet. Tokens: runs of
letters and digits; in scripts written without spaces (Chinese, Japanese, Thai, ...) a word
cannot be told from its neighbours, so such runs give character bigrams instead ("東京都" gives
"東京", "京都"). A word's ``key`` is a light stem: one ending ("ing", "ed", "es", "s") dropped, then
at most six letters kept, so "generates", "generated" and "generating" share one key, as do
"flood" and "flooded". Numbers are kept whole ("1,200" and "1200" are one number, "seven" is 7)
and matched exactly; a number with points ("3.3", "1.6.1") is one too, beside its parts, and so
is a decade ("1990s"). In a question, whose words may come in any order when it is reworded, a
spaceless run gives its characters one by one instead (function characters left out).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

from qagen_desktop.core.quality import stopwords

# Scripts written without spaces between words: Han, Hiragana, Katakana, Thai, Lao, Khmer,
# Myanmar (Hangul is written with spaces, so Korean is read as words).
_SPACELESS = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
)
_TOKEN = re.compile(rf"[{_SPACELESS}]+|[^\W_{_SPACELESS}]+")
_SPACELESS_RUN = re.compile(rf"[{_SPACELESS}]")
SPACELESS_LETTER = _SPACELESS_RUN  # one character of those scripts
_HIRAGANA = re.compile(r"[\u3040-\u309f]+")
# Thousands separators inside a number: "1,200" and "1 200" are "1200".
_THOUSANDS = re.compile(r"(?<=\d)[,\u00a0\u202f ](?=\d{3}(?!\d))")
# A cheap search first: most texts hold no separated number, and the substitution's look-behind
# is tried at every character. In ASCII text, faster still: every digit becomes a 0 (translating
# bytes is a table look-up per byte), and a substring search finds "0,000" or "0 000".
_MAYBE_THOUSANDS = re.compile(r"\d[,\u00a0\u202f ]\d{3}")
_DIGITS_AS_ZERO = bytes(48 if 48 <= i <= 57 else i for i in range(256))
# In ASCII text a token is a run of letters and digits: every other character becomes a space,
# and ``str.split`` cuts the rest, many times faster than the regex it matches (on a short text,
# translating its bytes is faster still).
_ASCII_SPACES = str.maketrans({i: " " for i in range(128) if not chr(i).isalnum()})
_ASCII_SPACES_BYTES = bytes(i if chr(i).isalnum() else 32 for i in range(256))
_LONG = 256  # characters: a chunk rather than a question or an answer
_PUNCTUATION_OR_SPACE = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """``text`` for comparison: NFKC, case folded, accents (combining marks) dropped."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    # Only marks on Latin, Greek and Cyrillic letters are accents; on kana (the dakuten of
    # "で") and other scripts they change the letter.
    out: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            if base >= "\u0530":
                out.append(ch)
        else:
            base = ch
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def fold_words(text: str) -> str:
    """``text`` folded, with punctuation dropped and spacing collapsed: for whole-text matches."""
    return _PUNCTUATION_OR_SPACE.sub(" ", fold(text)).strip()


_ENDINGS = ("ing", "ed", "es", "s")


def key(word: str) -> str:
    """A folded word's light stem (see the module docstring); numbers stay whole."""
    if word.isdigit():
        return word
    if len(word) > 3 and not word.endswith("ss"):
        for ending in _ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                word = word[: -len(ending)]
                break
    if len(word) >= 3 and word.endswith("y"):
        word = word[:-1] + "i"  # "carry", "carries" and "carried" all become "carri"
    return word[:6]


class Tokens(NamedTuple):
    """The tokens of one text, sorted into what the checks treat differently.

    ``content``: keys of content words and CJK bigrams; ``asking``: what a question asks about,
    for comparing questions (framing words such as "the text says" left out, and CJK characters
    one by one); ``numbers``: numbers, exactly, whether written in digits or words; ``figures``:
    those written in digits; ``interrogatives``: the question words; ``yes_no``: yes/no words
    (such an answer adds no word: its question must then be about the text).
    """

    content: frozenset[str]
    asking: frozenset[str]
    numbers: frozenset[str]
    figures: frozenset[str]
    interrogatives: frozenset[str]
    yes_no: frozenset[str]


# What a (folded, spaced) word is to the checks, by kind: decided once per distinct word. A
# kind is the index of the list ``tokens`` gathers it in.
_CONTENT, _NUMBER, _FIGURE, _ASKING, _YES_NO_WORD, _STOP, _FRAME = range(7)
_KINDS_LIMIT = 500_000  # words cached, at most: a vocabulary, not a corpus


def _decide(word: str) -> tuple[int, str]:
    if word.isdigit():
        return (_FIGURE, word.lstrip("0") or "0")
    if word[:1].isdigit() and (_DOTTED.fullmatch(word) or _DECADE.fullmatch(word)):
        return (_FIGURE, word)
    if word in _NUMBER_WORDS:
        return (_NUMBER, _NUMBER_WORDS[word])
    if word in _INTERROGATIVES:
        return (_ASKING, stopwords.INTERROGATIVE_ALIASES.get(word, word))
    if word in _YES_NO:
        return (_YES_NO_WORD, word)
    if word in _STOPWORDS or (len(word) == 1 and word.isascii()):
        return (_STOP, key(word))
    if word in _FRAMING:
        return (_FRAME, key(word))
    return (_CONTENT, key(word))


class _Cache(dict[str, tuple[int, str]]):
    """Word to (kind, value), filled on a miss, so a look-up of a known word stays in C
    (``map(cache.__getitem__, words)``)."""

    def __missing__(self, word: str) -> tuple[int, str]:
        if len(self) >= _KINDS_LIMIT:
            self.clear()
        found = self[word] = _decide(word)
        return found


class _VocabularyCache(dict[str, str]):
    """Word to what a chunk's vocabulary holds for it: its key, or its number."""

    def __missing__(self, word: str) -> str:
        if len(self) >= _KINDS_LIMIT:
            self.clear()
        kind, value = _KINDS[word]
        found = self[word] = key(word) if kind in (_ASKING, _YES_NO_WORD) else value
        return found


class _ContentCache(dict[str, str]):
    """Word to its key where it is a content word, else "": ``filter(None, map(...))`` then keeps
    the content words' keys, in C."""

    def __missing__(self, word: str) -> str:
        if len(self) >= _KINDS_LIMIT:
            self.clear()
        kind, value = _KINDS[word]
        found = self[word] = value if kind == _CONTENT else ""
        return found


class _OthersCache(dict[str, "tuple[int, str] | None"]):
    """Word to (kind, value) for the few words neither content nor stop-words, else None."""

    def __missing__(self, word: str) -> tuple[int, str] | None:
        if len(self) >= _KINDS_LIMIT:
            self.clear()
        found = _KINDS[word]
        other = self[word] = None if found[0] in (_CONTENT, _STOP) else found
        return other


_KINDS = _Cache()
_VOCABULARY = _VocabularyCache()
_CONTENT_KEYS = _ContentCache()
_OTHERS = _OthersCache()


def tokens(text: str) -> Tokens:
    """The tokens of ``text`` (see ``Tokens``)."""
    if text.isascii():  # most texts: folding is lower-casing, and every step runs on bytes
        lowered = text.lower()
        raw = lowered.encode()
        digits = raw.translate(_DIGITS_AS_ZERO)
        if b"0 000" in digits or b"0,000" in digits:
            raw = _THOUSANDS.sub("", lowered).encode()
        words = raw.translate(_ASCII_SPACES_BYTES).decode().split()
        if b"0.0" in digits:  # "Python 3.3": the number whole, beside its parts
            words += _DOTTED.findall(raw.decode())  # thousands joined: "1,200.50" is 1200.50
        return _gathered(words, [], [])
    folded = _joined_thousands(fold(text))
    words = _words(folded)
    if "." in folded:
        words += _DOTTED.findall(folded)
    about: list[str] = []
    content: list[str] = []
    if not folded.isascii() and _SPACELESS_RUN.search(folded) is not None:
        spaced = []
        for word in words:
            if _SPACELESS_RUN.match(word):
                content += _bigrams(word)
                about += _characters(word)
            else:
                spaced.append(word)
        words = spaced
    return _gathered(words, content, about)


def _gathered(words: list[str], content: list[str], about: list[str]) -> Tokens:
    """The tokens of a text's spaced ``words``, with its spaceless runs' ``content`` bigrams and
    the characters they are ``about``."""
    # Most words are content or stop-words: their keys are gathered in C, the rest by kind.
    others = list(filter(None, map(_OTHERS.__getitem__, words)))
    if not (others or content or about):
        kept = frozenset(filter(None, map(_CONTENT_KEYS.__getitem__, words)))
        return _new_tokens(Tokens, (kept, kept, _NONE, _NONE, _NONE, _NONE))
    kept_keys = list(filter(None, map(_CONTENT_KEYS.__getitem__, words)))
    kinds: tuple[list[str], ...] = ([], [], [], [], [], [], [])
    for kind, value in others:
        kinds[kind].append(value)
    _, spelled, figures, asking, yes_no, _, framing = kinds
    # Content words go to both "content" and "asking" (see Tokens).
    if content or about or framing:
        words_kept = frozenset(about + kept_keys)
        content_kept = frozenset(content + kept_keys + framing)
    else:
        words_kept = content_kept = frozenset(kept_keys)
    return _new_tokens(
        Tokens,
        (
            content_kept,
            words_kept,
            frozenset(spelled + figures) if figures or spelled else _NONE,
            frozenset(figures) if figures else _NONE,
            frozenset(asking) if asking else _NONE,
            frozenset(yes_no) if yes_no else _NONE,
        ),
    )


_NONE: frozenset[str] = frozenset()
_new_tokens = tuple.__new__  # the named tuple's own __new__ is a Python function, called per text


def chunk_vocabulary(text: str) -> frozenset[str]:
    """Every key and number in a chunk, stop-words included: what an answer is matched against."""
    if text.isascii():  # most chunks: folding is lower-casing, and every step runs on bytes
        raw = text.lower().encode()
        digits = raw.translate(_DIGITS_AS_ZERO)
        if b"0 000" in digits or b"0,000" in digits:
            raw = _THOUSANDS.sub("", raw.decode()).encode()
        # Each distinct word is looked up once (a chunk repeats its words).
        distinct = set(raw.translate(_ASCII_SPACES_BYTES).decode().split())
        if b"0.0" in digits:
            distinct.update(_dotted_numbers(raw.decode()))
        return frozenset(map(_VOCABULARY.__getitem__, distinct))
    folded = _joined_thousands(fold(text))
    words = _words(folded)
    if "." in folded:
        words += _dotted_numbers(folded)
    if not folded.isascii() and _SPACELESS_RUN.search(folded):
        distinct = set(words)
        found: set[str] = set()
        for word in [w for w in distinct if _SPACELESS_RUN.match(w)]:
            found.update(_bigrams(word, keep_function=True))
            distinct.discard(word)
        found.update(map(_VOCABULARY.__getitem__, distinct))
        return frozenset(found)
    return frozenset(map(_VOCABULARY.__getitem__, words))  # faster than a set of the words first


# A number with points ("3.3", "1.6.1", "4.50"), and a decade ("1990s").
_DOTTED = re.compile(r"[0-9]+(?:\.[0-9]+)+")
_DECADE = re.compile(r"[0-9]{3}0s")


def _dotted_numbers(folded: str) -> list[str]:
    """The numbers with points in a chunk, each with its shorter forms: a text that says
    "1.6.1" supports "1.6"."""
    found = []
    for number in _DOTTED.findall(folded):
        parts = number.split(".")
        found += [".".join(parts[:end]) for end in range(2, len(parts) + 1)]
    return found


def decade_found(decade: str, vocabulary: frozenset[str]) -> bool:
    """Whether ``decade`` ("1990s") is a decade the chunk's ``vocabulary`` gives a year of
    ("1995"), so an answer may say "in the 1990s" of it."""
    return _DECADE.fullmatch(decade) is not None and any(
        f"{decade[:3]}{digit}" in vocabulary for digit in "0123456789"
    )


@lru_cache(maxsize=16)
def joined_words(text: str) -> frozenset[str]:
    """The keys of each two neighbouring words of ``text`` written as one ("as is" gives the key
    of "asis", "web site" that of "website"): a word a pair spells whole where the text spells
    it in two. Numbers are left out ("19" and "98" are not 1998)."""
    words = _words(_joined_thousands(fold(text)))
    return frozenset(
        key(first + second)
        for first, second in pairwise(words)
        if not (first.isdigit() or second.isdigit())
    )


def opens_with_question_word(question: str) -> bool:
    """Whether ``question``'s first word is a question word (what, who, when, wann, quand, ...),
    folded: a question that asks what, not whether."""
    words = _words(fold(question[:_FIRST_WORD_ROOM]))
    return bool(words) and words[0] in _INTERROGATIVES


_FIRST_WORD_ROOM = 40  # characters: the first word of a question lies within them


def _joined_thousands(folded: str) -> str:
    """``folded`` with thousands separators dropped from its numbers ("1,200" is "1200")."""
    if folded.isascii():
        digits = folded.encode().translate(_DIGITS_AS_ZERO)
        if b"0 000" not in digits and b"0,000" not in digits:
            return folded
        return _THOUSANDS.sub("", folded)
    if _MAYBE_THOUSANDS.search(folded) is None:
        return folded
    return _THOUSANDS.sub("", folded)


def _words(folded: str) -> list[str]:
    """The runs of letters and digits in ``folded`` (spaceless runs whole)."""
    if not folded.isascii():
        return _TOKEN.findall(folded)
    if len(folded) > _LONG:
        return folded.translate(_ASCII_SPACES).split()
    return folded.encode().translate(_ASCII_SPACES_BYTES).decode().split()


def _bigrams(run: str, *, keep_function: bool = False) -> list[str]:
    """Character bigrams of a spaceless run; one character stands alone. Unless kept, bigrams
    holding hiragana (Japanese particles and endings) or a Chinese function character go,
    where that leaves any."""
    if len(run) == 1:
        return [run]
    grams = [run[i : i + 2] for i in range(len(run) - 1)]
    if keep_function:
        return grams
    kept = [
        g for g in grams if not _HIRAGANA.search(g) and not (set(g) & stopwords.CJK_FUNCTION_CHARS)
    ]
    return kept or grams


def _characters(run: str) -> list[str]:
    """The characters of a spaceless run that carry content (for questions)."""
    kept = [ch for ch in run if ch not in _FUNCTION_CHARACTERS]
    return kept or list(run)


def is_spaceless(text: str) -> bool:
    """Whether ``text`` is mostly in a script written without spaces."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    return sum(1 for ch in letters if _SPACELESS_RUN.match(ch)) * 2 > len(letters)


# Numbers written as words, so "seven years" supports "7 years" (English, where models switch
# between the two most).
_NUMBER_WORDS = {word: str(value) for value, word in enumerate(stopwords.NUMBER_WORDS)}
_STOPWORDS = frozenset(fold(w) for w in stopwords.STOPWORDS) - frozenset(
    fold(w) for w in stopwords.INTERROGATIVES | stopwords.YES_NO
)
_INTERROGATIVES = frozenset(fold(w) for w in stopwords.INTERROGATIVES)
_YES_NO = frozenset(fold(w) for w in stopwords.YES_NO)
_FUNCTION_CHARACTERS = stopwords.CJK_FUNCTION_CHARS | stopwords.KANA_PARTICLES
_FRAMING = frozenset(fold(w) for w in stopwords.QUESTION_FRAMING)
