"""A question must hold what it asks about: "Which of the following ...?" with no list after it
asks about choices that no one who reads the dataset can see."""

from __future__ import annotations

import pytest

from qagen_desktop.cli.export import rejection_summary
from qagen_desktop.core.quality import PairChecker, Rejection, check_self_contained
from qagen_desktop.core.records import QAPair

LICENCE = (
    "Python 1.6.1 is the first release under the CNRI licence. Python 2.0 followed it, and "
    "Python 2.1 was the first release of the Python Software Foundation. The year after, "
    "further versions followed. Licensee may copy the software: a copy is free of charge."
)


# A real llama.cpp run of Gemma 3 270M kept the first of these, of a licence: every word of it
# and of its answer is the text's.
@pytest.mark.parametrize(
    "question",
    [
        "Which of the following is not a Python version of Python?",
        "Which of these releases came first?",
        "What does the code below print?",
        "Which of the statements above is true?",
        "Welche der folgenden Versionen kam zuerst?",
        "Lequel des suivants est le premier ?",
        "Quelle des propositions suivantes est vraie ?",
        "¿Cuál de los siguientes es el primero?",
        "Quale dei seguenti è il primo?",
        "Qual dos seguintes é o primeiro?",
        "以下哪个版本是第一个？",
        "下列哪个版本最早？",
        "次のうち最初のバージョンはどれですか？",
    ],
)
def test_a_question_that_points_to_choices_it_does_not_give_is_rejected(question: str) -> None:
    assert check_self_contained(question) is Rejection.NOT_SELF_CONTAINED


def test_the_real_runs_pair_is_rejected_as_pointing_elsewhere() -> None:
    question = "Which of the following is not a Python version of Python?"
    pair = QAPair(question, "Python 1.6.1", source=LICENCE)
    assert PairChecker().check(pair) is Rejection.NOT_SELF_CONTAINED


@pytest.mark.parametrize(
    "question",
    [
        # The choices are given: after a colon, with an "or", on lines of their own.
        "Which of the following came first: Python 1.6.1 or Python 2.0?",
        "Which of the following is older, 1.6.1 or 2.0?",
        "Which of the following came first?\n(a) Python 2.0\n(b) Python 1.6.1",
        "Welche der folgenden Versionen kam zuerst, 1.6.1 oder 2.0?",
        "¿Cuál de los siguientes es el primero, 1.6.1 o 2.0?",
        # "The following year" is the next one, and so in the other languages.
        "What followed in the following year?",
        "What came in the following versions?",
        "Was geschah im folgenden Jahr?",
        "¿Qué pasó el siguiente año?",
        # Words that only look like it.
        "What follows Python 2.0?",
        "What are the options for copying the software?",
        "Is the copy above the charge in value?",
    ],
)
def test_a_question_that_holds_what_it_asks_about_is_kept(question: str) -> None:
    assert check_self_contained(question) is None


def test_the_reason_has_plain_words_in_the_table_and_the_cli() -> None:
    assert "which of the following" in Rejection.NOT_SELF_CONTAINED.label
    summary = rejection_summary({Rejection.NOT_SELF_CONTAINED: 3})
    assert summary == "Rejected 3: 3 question pointing to choices it does not give."
