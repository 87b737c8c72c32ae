"""A yes or a no adds no word of its own, so the question carries the claim: it must be about
the chunk. A weak base model writes "is this a valid question?" / "yes" for any text."""

from __future__ import annotations

import pytest

from qagen_desktop.cli.export import rejection_summary
from qagen_desktop.core.chunking import Chunk
from qagen_desktop.core.quality import (
    PairChecker,
    QuestionIndex,
    Rejection,
    check_supported,
    check_yes_no_fits,
)
from qagen_desktop.core.quality.text import chunk_vocabulary
from qagen_desktop.core.records import QAPair

LICENCE = (
    "In 1995, Guido continued his work on Python at the Corporation for National Research "
    "Initiatives (CNRI) in Reston, Virginia, where he released several versions of the software. "
    "All Python releases are Open Source. Historically, most, but not all, Python releases have "
    "also been GPL-compatible. The full text of the licence is possible to find online."
)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("is this a valid question?", "yes"),
        ("Does the following article contain any more than one article", "No"),
        ("is a 18th century Dutch painter known as the 'king of the Dutch brush'", "yes"),
        ("Is the sky green on Tuesdays?", "No."),
        # Half its words are the text's ("full", "possible"), the claim is not.
        ("Is it possible to get a full answer for this question from this question?", "yes"),
    ],
)
def test_a_yes_or_no_to_a_question_from_outside_the_text_is_unsupported(
    question: str, answer: str
) -> None:
    assert check_supported(question, answer, chunk_vocabulary(LICENCE)) is Rejection.UNSUPPORTED


@pytest.mark.parametrize(
    ("question", "answer", "text"),
    [
        ("Are all Python releases Open Source?", "Yes.", LICENCE),
        ("Did Guido continue his work on Python at CNRI?", "Yes", LICENCE),
        ("Have all Python releases been GPL-compatible?", "No, not all of them.", LICENCE),
        ("Was the software released in Reston, Virginia?", "yes", LICENCE),
    ],
)
def test_a_yes_or_no_to_a_question_about_the_text_is_kept(
    question: str, answer: str, text: str
) -> None:
    assert check_supported(question, answer, chunk_vocabulary(text)) is None
    checker = PairChecker(QuestionIndex())
    assert checker.check(QAPair(question, answer), Chunk(0, 0, text)) is None


AS_IS = (
    'PSF is making Python available to Licensee on an "AS IS" basis. See the web site of the '
    "foundation for the full text, and the 2001 release for the first version it covers."
)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # A real llama.cpp run wrote this pair, and it is right; "asis" is the text's "AS IS".
        ("is python available for licensee on asis basis", "yes"),
        ("Where is the full text?", "On its website."),
    ],
)
def test_a_word_the_text_writes_as_two_is_found_there(question: str, answer: str) -> None:
    assert check_supported(question, answer, chunk_vocabulary(AS_IS), chunk=AS_IS) is None
    assert PairChecker().check(QAPair(question, answer), Chunk(0, 0, AS_IS)) is None
    # Without the text, only its words: the joined word is not among them.
    assert check_supported(question, answer, chunk_vocabulary(AS_IS)) is Rejection.UNSUPPORTED


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Is Python available to licensees in Germany on an asis basis?", "yes"),
        ("Which release does it cover first?", "The 20012 release."),  # 2001 and 2 are not it
        ("When did the first version come out?", "In 1998."),
    ],
)
def test_joined_words_rescue_no_claim_the_text_does_not_make(question: str, answer: str) -> None:
    assert (
        PairChecker().check(QAPair(question, answer), Chunk(0, 0, AS_IS)) is Rejection.UNSUPPORTED
    )


# A real llama.cpp run of Gemma 3 270M kept "Which one?" / "yes": "one" read as the number 1,
# which the licence holds, and a yes needs no more support than its question's words.
@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Which one?", "yes"),
        ("What is the licence of Python releases?", "Yes."),
        ("Who released several versions of the software?", "No, the software."),
        ("Wer hat die Software veröffentlicht?", "Ja"),
    ],
)
def test_a_yes_or_no_to_a_question_asking_what_or_who_is_rejected(
    question: str, answer: str
) -> None:
    pair, chunk = QAPair(question, answer), Chunk(0, 0, LICENCE + " Reston Wer die Software.")
    assert PairChecker(QuestionIndex()).check(pair, chunk) in (
        Rejection.YES_NO_TO_OPEN,
        Rejection.NOT_A_QUESTION,  # "Which one?" names nothing: "one" is no subject
    )
    assert check_yes_no_fits(question, answer) is Rejection.YES_NO_TO_OPEN


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Who released several versions of the software?", "Guido, at CNRI."),
        ("When did Guido continue his work on Python?", "Yes, in 1995, in Reston."),
        ("Is it true that what Guido released was Python?", "Yes"),  # asks whether
        ("What releases are GPL-compatible, yes or no: all of them?", "No, not all of them."),
    ],
)
def test_a_yes_or_no_to_a_question_asking_whether_or_an_answer_with_words_fits(
    question: str, answer: str
) -> None:
    assert check_yes_no_fits(question, answer) is None


def test_a_yes_or_no_to_an_open_question_has_plain_words_in_the_table_and_the_cli() -> None:
    assert "yes or a no" in Rejection.YES_NO_TO_OPEN.label
    summary = rejection_summary({Rejection.YES_NO_TO_OPEN: 2})
    assert summary == "Rejected 2: 2 yes or no to a what or who question."


# A real llama.cpp run kept "is Python 1.6.1 a good source for programming" / "no, it is not a
# good source for programming": the "not" passed as the answer's one new word, found in the text.
@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Is Python a good source for programming?", "No, it is not a good source for programming"),
        ("Is the licence valid on Tuesdays?", "It isn't valid on Tuesdays."),
        ("Has Guido been to Mars?", "Never."),
    ],
)
def test_a_no_in_words_to_a_question_from_outside_the_text_is_unsupported(
    question: str, answer: str
) -> None:
    assert check_supported(question, answer, chunk_vocabulary(LICENCE)) is Rejection.UNSUPPORTED


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Have all Python releases been GPL-compatible?", "Not all of them."),
        ("Are Python releases Open Source?", "They are, not only some."),
        ("Did Guido continue his work at CNRI?", "He did not stop: he continued it."),
    ],
)
def test_a_no_in_words_to_a_question_about_the_text_is_kept(question: str, answer: str) -> None:
    checker = PairChecker(QuestionIndex())
    assert checker.check(QAPair(question, answer), Chunk(0, 0, LICENCE)) is None


def test_a_no_in_words_to_an_open_question_is_rejected() -> None:
    answer = "No, not at all."
    assert check_yes_no_fits("What did Guido release?", answer) is Rejection.YES_NO_TO_OPEN


# A real llama.cpp run with 512 tokens a slot kept "Is Python 1.6.1" / "Yes" of a licence: its
# words are the text's, and a yes needs no more, but the question stops before it asks.
@pytest.mark.parametrize("question", ["Is Python 1.6.1", "Was it released", "Is CNRI"])
def test_a_bare_yes_to_three_words_with_no_question_mark_is_cut_off(question: str) -> None:
    assert check_yes_no_fits(question, "Yes") is Rejection.CUT_OFF
    assert check_yes_no_fits(question, "No, not at all.") is Rejection.CUT_OFF
    assert PairChecker().check(QAPair(question, "Yes", source=LICENCE)) is Rejection.CUT_OFF


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Is Python 1.6.1?", "Yes"),  # marked as a question: whole
        ("Is Python 1.6.1", "Yes, it was released at CNRI."),  # the answer says more
        ("Were several versions released at CNRI", "Yes"),  # five words: whole
    ],
)
def test_a_marked_or_longer_question_or_a_fuller_answer_is_not_cut_off(
    question: str, answer: str
) -> None:
    assert check_yes_no_fits(question, answer) is None
