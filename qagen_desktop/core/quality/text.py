"""Text folded and cut into the tokens the quality checks compare.

Folding: NFKC, case folded, accents dropped, so "Généré" and "genere" meet. Tokens: runs of
letters and digits; in scripts written without spaces (Chinese, Japanese, Thai, ...) a word
cannot be told from its neighbours, so such runs give character bigrams instead ("東京都" gives
"東京", "京都"). A word's ``key`` is a light stem: one ending ("ing", "ed", "es", "s") dropped, then
at most six letters kept, so "generates", "generated" and "generating" share one key, as do
"flood" and "flooded". Numbers are kept whole ("1,200" and "1200" are one number, "seven" is 7)
and matched exactly. In a question, whose words may come in any order when it is reworded, a
spaceless run gives its characters one by one instead (function characters left out).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from qagen_desktop.core.quality import stopwords

# Scripts written without spaces between words: Han, Hiragana, Katakana, Thai, Lao, Khmer,
# Myanmar (Hangul is written with spaces, so Korean is read as words).
_SPACELESS = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
)
_TOKEN = re.compile(rf"[{_SPACELESS}]+|[^\W_{_SPACELESS}]+")
_SPACELESS_RUN = re.compile(rf"[{_SPACELESS}]")
_HIRAGANA = re.compile(r"[\u3040-\u309f]+")
# Thousands separators inside a number: "1,200" and "1 200" are "1200".
_THOUSANDS = re.compile(r"(?<=\d)[,\u00a0\u202f ](?=\d{3}(?!\d))")
_DIGIT = re.compile(r"\d")
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
    return word[:6]


@dataclass(frozen=True, slots=True)
class Tokens:
    """The tokens of one text, sorted into what the checks treat differently.

    ``content``: keys of content words and CJK bigrams; ``asking``: what a question asks about,
    for comparing questions (framing words such as "the text says" left out, and CJK characters
    one by one); ``numbers``: numbers, exactly, whether written in digits or words; ``figures``:
    those written in digits; ``interrogatives``: the question words; ``yes_no``: yes/no words
    (answers to yes/no questions need no support from the text).
    """

    content: frozenset[str]
    asking: frozenset[str]
    numbers: frozenset[str]
    figures: frozenset[str]
    interrogatives: frozenset[str]
    yes_no: frozenset[str]


# What a (folded, spaced) word is to the checks, by kind: decided once per distinct word.
_CONTENT, _NUMBER, _FIGURE, _ASKING, _YES_NO_WORD, _STOP, _FRAME = range(7)
_KINDS: dict[str, tuple[int, str]] = {}
_KINDS_LIMIT = 500_000  # words cached, at most: a vocabulary, not a corpus


def _kind(word: str) -> tuple[int, str]:
    found = _KINDS.get(word)
    if found is not None:
        return found
    if word.isdigit():
        found = (_FIGURE, word.lstrip("0") or "0")
    elif word in _NUMBER_WORDS:
        found = (_NUMBER, _NUMBER_WORDS[word])
    elif word in _INTERROGATIVES:
        found = (_ASKING, stopwords.INTERROGATIVE_ALIASES.get(word, word))
    elif word in _YES_NO:
        found = (_YES_NO_WORD, word)
    elif word in _STOPWORDS or (len(word) == 1 and word.isascii()):
        found = (_STOP, key(word))
    elif word in _FRAMING:
        found = (_FRAME, key(word))
    else:
        found = (_CONTENT, key(word))
    if len(_KINDS) >= _KINDS_LIMIT:
        _KINDS.clear()
    _KINDS[word] = found
    return found


def tokens(text: str) -> Tokens:
    """The tokens of ``text`` (see ``Tokens``)."""
    folded = fold(text)
    if _DIGIT.search(folded):
        folded = _THOUSANDS.sub("", folded)
    content: set[str] = set()
    about: set[str] = set()
    numbers: set[str] = set()
    figures: set[str] = set()
    asking: set[str] = set()
    yes_no: set[str] = set()
    spaceless = not folded.isascii() and _SPACELESS_RUN.search(folded) is not None
    for word in _TOKEN.findall(folded):
        if spaceless and _SPACELESS_RUN.match(word):
            content.update(_bigrams(word))
            about.update(_characters(word))
            continue
        kind, value = _kind(word)
        if kind == _CONTENT:
            content.add(value)
            about.add(value)
        elif kind == _FRAME:
            content.add(value)
        elif kind == _FIGURE:
            numbers.add(value)
            figures.add(value)
        elif kind == _NUMBER:
            numbers.add(value)
        elif kind == _ASKING:
            asking.add(value)
        elif kind == _YES_NO_WORD:
            yes_no.add(value)
    return Tokens(
        frozenset(content),
        frozenset(about),
        frozenset(numbers),
        frozenset(figures),
        frozenset(asking),
        frozenset(yes_no),
    )


def chunk_vocabulary(text: str) -> frozenset[str]:
    """Every key and number in a chunk, stop-words included: what an answer is matched against."""
    folded = _THOUSANDS.sub("", fold(text))
    words = set(_TOKEN.findall(folded))
    found: set[str] = set()
    if not folded.isascii() and _SPACELESS_RUN.search(folded):
        for word in [w for w in words if _SPACELESS_RUN.match(w)]:
            found.update(_bigrams(word, keep_function=True))
            words.discard(word)
    for word in words:
        kind, value = _KINDS.get(word) or _kind(word)
        found.add(key(word) if kind in (_ASKING, _YES_NO_WORD) else value)
    return frozenset(found)


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
