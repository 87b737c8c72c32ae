"""Text that is not a question or an answer at all: what a weak model writes when it loses the
thread of the JSON it was asked for.

A question a person could ask holds words: in a script written with spaces, at least
``MIN_QUESTION_WORDS`` of them and ``MIN_QUESTION_LETTERS`` letters ("Who won?" passes; "1", "Q1",
"???" and "foo.com" do not); in Chinese, Japanese or Thai, where words are not spaced, at least
``MIN_SPACELESS_LETTERS`` characters ("長城多長？" passes). Letters are counted, not characters,
so digits and punctuation do not make a question. A question in plain ASCII (English and the
like) must also ask: hold a "?", a question word, a request ("Explain ...", "Name ..."), or open
as a yes/no question ("Is it free"). "It is a question. (the answer)" is a statement, and a weak
model's statements come with answers that merely deny them.

Debris is what is left of the reply's own syntax: its keys (``"question":``, ``"answer":``), a
model's special tokens (``</s>``, ``<|im_end|>``, ``<end_of_turn>``, ``[INST]``), a JSON fragment
(text that starts where an object or a string ends, ``"}``, or ends where one starts, ``{"``, or
braces that do not pair up), or nothing but markup tags. JSON a text quotes whole, such as
``{"id": 1}`` in an API's documentation, is kept: only the reply's keys and broken pieces count.

A string cut short (``is_cut_short``) stops before its end: at the schema's length bound, on a
word or a comma no sentence ends on, or inside a bracket it opened.
"""

from __future__ import annotations

import re

from qagen_desktop.core.quality import stopwords
from qagen_desktop.core.quality.text import SPACELESS_LETTER

MIN_QUESTION_WORDS = 2
MIN_QUESTION_LETTERS = 6
MIN_SPACELESS_LETTERS = 4

_NOT_LETTERS = re.compile(r"[\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
# A letter in a later whitespace-separated piece (searched from the first letter on).
_WORD_AFTER_SPACE = re.compile(r"\s\S*?[^\W\d_]")

# A model's special tokens, and the reply's own keys.
_SYNTAX = re.compile(
    r"<\|[^|<>\s]{1,40}\|>|</?s>|<</?SYS>>|\[/?INST\]"
    r"|</?(?:bos|eos|pad|unk|start_of_turn|end_of_turn|endoftext|eot_id)>"
    r"""|["'](?:question|answer)["']\s*:""",
    re.IGNORECASE,
)
# Where a JSON object or string ends (at the start) or starts (at the end) of the text.
_JSON_TAIL_FIRST = re.compile(r"""\s*(?:["'][\s,]*[}\]]|[}\]]\s*[,}\]]|["']\s*[:,])""")
_JSON_HEAD_LAST = re.compile(r"""(?:[{\[,:]\s*["']|[{\[]|["']\s*:)\s*\Z""")
_LAST = 8  # characters: enough for the head of a JSON object or string, with spaces
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
LETTER_OR_DIGIT = re.compile(r"[^\W_]")  # what ``str.isalnum`` is true of
# Every kind of debris holds one of these; most answers hold none, and are settled by one search.
_SYNTAX_CHARACTER = re.compile(r"""[<\[\]{}"']""")
_ASKING = stopwords.INTERROGATIVES | stopwords.ASKING_VERBS
_ASCII_WORD = re.compile(r"[a-z]+")
# An ASCII question's letters, by deleting the rest of its bytes (in C).
_ASCII_NOT_LETTERS = bytes(i for i in range(128) if not chr(i).isalpha())


def is_askable(question: str) -> bool:
    """Whether ``question`` holds enough words to ask something (see the module docstring;
    ``asks_something`` tells a statement)."""
    if question.isascii():
        letters = question.encode().translate(None, _ASCII_NOT_LETTERS).decode()
    else:
        letters = _NOT_LETTERS.sub("", question)
    if not letters:
        return False
    if not letters.isascii():
        spaceless = len(SPACELESS_LETTER.findall(letters))
        if spaceless >= MIN_SPACELESS_LETTERS:
            return True
        if spaceless * 2 > len(letters):
            return False
    if len(letters) < MIN_QUESTION_LETTERS:
        return False
    first = _LETTER.search(question)
    words, at = 1, first.end() if first is not None else 0
    while words < MIN_QUESTION_WORDS:
        later = _WORD_AFTER_SPACE.search(question, at)
        if later is None:
            return False
        words, at = words + 1, later.end()
    return True


def asks_something(question: str) -> bool:
    """Whether ``question`` asks rather than states (see the module docstring); a question
    with any character outside ASCII is taken as asking."""
    if "?" in question or not question.isascii():
        return True
    words = _ASCII_WORD.findall(question.lower())
    return bool(words) and (words[0] in stopwords.QUESTION_OPENERS or not _ASKING.isdisjoint(words))


def is_debris(text: str) -> bool:
    """Whether ``text`` is the reply's syntax rather than words (see the module docstring)."""
    if _SYNTAX_CHARACTER.search(text) is None:
        return False
    if _SYNTAX.search(text) is not None:
        return True
    if _JSON_TAIL_FIRST.match(text) or _JSON_HEAD_LAST.search(text.rstrip()[-_LAST:]):
        return True
    if ("{" in text or "}" in text) and text.count("{") != text.count("}"):
        return True
    if "<" in text and _TAG.search(text):
        return LETTER_OR_DIGIT.search(_TAG.sub(" ", text)) is None
    return False


def is_cut_short(piece: str, bound: int) -> bool:
    """Whether ``piece``, bounded by the schema at ``bound``, stops before its end (see
    ``checks.check_not_cut_off``): "Yes, this program is free software," goes on after its comma,
    and "What is your answer? (e.g." inside its brackets."""
    return (
        _at_bound(piece, bound)
        or _stops_mid_sentence(piece)
        or piece.rstrip().endswith(_COMMAS)
        or _open_bracket(piece)
    )


def _open_bracket(piece: str) -> bool:
    """Whether ``piece`` opens more round brackets than it closes ("a)" and "b)" close more)."""
    return "(" in piece and piece.count("(") > piece.count(")")


_COMMAS = (",", "，", "、")  # Latin, full-width and ideographic: no sentence ends on one


def _at_bound(piece: str, bound: int) -> bool:
    """Whether ``piece`` ran to the schema's ``bound``: as long as it, or a few characters short
    (the spaces around the string trimmed) and ending where no sentence ends."""
    if len(piece) < bound - _BOUND_ROOM:
        return False  # most strings: one comparison
    return len(piece) >= bound or not piece.endswith(_SENTENCE_ENDS)


# Characters a cut string may be short of its bound by: a real run's answer, cut at 600, was
# 595 once trimmed ("... (the client is not fully-featured, so").
_BOUND_ROOM = 12
_SENTENCE_ENDS = (".", "!", "?", "。", "！", "？", "…", ")", '"', "'", "”", "’", "»", "`")


def _stops_mid_sentence(piece: str) -> bool:
    """Whether an English text's last sentence ends, unpunctuated, where no sentence ends."""
    words = piece.rsplit(None, 1)  # the last word, and whether there is one before it
    if len(words) < 2 or words[-1] not in _ENDINGS or not piece.isascii():
        return False  # most texts end on a word a sentence ends on, or a mark; "A" is an answer
    if words[-1] in _DANGLING:
        return True
    last = _SENTENCE_END.split(piece)[-1].lower().split()
    return _ENDS_WITH_BE.isdisjoint(last)


# Words an English sentence does not end on: articles, "and" and "or", matched as written and
# unpunctuated (a capital "A" is a letter or a grade). A form of "be" ends a sentence that holds
# a pronoun or a word opening a clause ("It is what it is", "Where the mirror is", "as they
# were"), and no other ("The name of the service is").
_DANGLING = frozenset(("the", "a", "an", "and", "or"))
_BE = frozenset(("is", "are", "was", "were"))
_ENDINGS = _DANGLING | _BE
_ENDS_WITH_BE = frozenset(
    (
        *("i", "you", "he", "she", "it", "we", "they", "this", "that", "these", "those"),
        *("there", "here", "what", "where", "when", "who", "which", "how", "why", "as", "than"),
        "whatever",
    )
)
_SENTENCE_END = re.compile(r"[.!?;:]\s")
