"""Junk pairs: questions too short to ask anything, and the reply's JSON or markup in place of
words, are rejected with their own reason; short real questions and answers are kept."""

from __future__ import annotations

import pytest

from qagen_desktop.cli.export import rejection_summary
from qagen_desktop.core.chunking import Chunk
from qagen_desktop.core.prompts import ANSWER_MAX_CHARS, QUESTION_MAX_CHARS
from qagen_desktop.core.quality import (
    PairChecker,
    Rejection,
    check_answer_given,
    check_answer_not_a_question,
    check_links_found,
    check_no_debris,
    check_not_cut_off,
    check_question_askable,
    check_supported,
    names_something,
)
from qagen_desktop.core.quality.text import chunk_vocabulary, tokens
from qagen_desktop.core.records import QAPair

FACTS = (
    "The observatory was founded in 1998 on a ridge 42 km from the coast. Its first director "
    "came from Paris, and the main dome holds a 2 metre mirror. Question 1 of the survey asked "
    "about light; question 2 about noise."
)
TOKYO = "東京は日本の首都であり、人口は約1400万人です。江戸時代には江戸と呼ばれていました。"
GREAT_WALL = "长城是中国古代的军事防御工程，修建于春秋战国时期。明朝对长城进行了大规模的修缮。"
DIALOGUE = 'The guard stopped her at the gate and asked: "Who sent you here?" She named the mayor.'
API = 'The request body is a JSON object such as {"model": "m"}; the reply carries "choices".'


@pytest.mark.parametrize(
    "question", ["1", "Q1", "???", "foo.com", "123?", "Is it?", "Q: 1", "他是谁？", "...?!", " "]
)
def test_a_question_too_short_to_ask_anything_is_not_a_question(question: str) -> None:
    assert check_question_askable(question) is Rejection.NOT_A_QUESTION


@pytest.mark.parametrize(
    "question",
    [
        "Who won?",
        "What is X?",
        "When was the observatory founded?",
        "東京の人口は？",  # six characters, no spaces
        "长城多长？",
        "iPhoneはいつ発売？",
        "누가 만들었나?",
        "Кто построил башню?",
        "Qui a conçu les pavillons ?",
    ],
)
def test_a_short_real_question_in_any_script_is_askable(question: str) -> None:
    assert check_question_askable(question) is None


@pytest.mark.parametrize(
    "question",
    [
        "it is a question. (the answer)",
        "The observatory was founded in 1998.",
        "Its first director came from Paris",
        "question 1 about light",
    ],
)
def test_an_english_statement_is_not_a_question(question: str) -> None:
    assert check_question_askable(question) is Rejection.NOT_A_QUESTION
    pair = QAPair(question, "It is not a question about light.", source=FACTS)
    assert PairChecker().check(pair) is Rejection.NOT_A_QUESTION


# A real llama.cpp run of Gemma 3 270M kept "is this an" / "yes": three words, a yes/no opener,
# and every word is in any English text, so the answer's "yes" was taken as grounded.
@pytest.mark.parametrize(
    "question",
    [
        *("is this an", "What is it?", "Who is he?", "What does the text say?", "Is that so?"),
        *("Why?", "What is your name?", "What are the names?", "What do you want to do?"),
        "What is your answer to the question?",
    ],
)
def test_a_question_that_names_nothing_is_not_a_question(question: str) -> None:
    assert check_question_askable(question) is Rejection.NOT_A_QUESTION
    pair = QAPair(question, "yes", source=FACTS + " This is an answer; what it says is so.")
    # "is this an" also stops on an article: the checker, in its order, finds it cut off first.
    expected = Rejection.CUT_OFF if question.endswith(" an") else Rejection.NOT_A_QUESTION
    assert PairChecker().check(pair) is expected


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("What is X?", "The letter after W."),
        ("Was it in 1998?", "Yes, in 1998."),
        ("Who won?", "The director from Paris."),
        ("What is the name of the ridge?", "The Col de Sarre."),
        ("Qui a fondé l'observatoire ?", "Son premier directeur."),
        ("东京是什么？", "日本的首都。"),
    ],
)
def test_a_short_question_naming_a_word_number_or_letter_names_something(
    question: str, answer: str
) -> None:
    assert check_question_askable(question) is None
    assert names_something(question, tokens(question))


@pytest.mark.parametrize(
    "question",
    [
        "Name the city the first director came from.",
        "Explain why the dome holds a mirror",
        "Is the mirror 2 metres wide",
        "In what year was the observatory founded.",
        "True or false: the ridge is 42 km from the coast.",
        "Give the distance from the coast, in km",
        "La coupole abrite un miroir de combien de mètres",  # not ASCII: not judged
    ],
)
def test_a_request_or_a_question_without_a_question_mark_still_asks(question: str) -> None:
    assert check_question_askable(question) is None


@pytest.mark.parametrize("answer", [":{", '":{"', "...", "—", "{", "}", "[]", '"'])
def test_an_answer_without_a_letter_or_digit_is_empty(answer: str) -> None:
    assert check_answer_given(answer) is Rejection.EMPTY


@pytest.mark.parametrize(
    "answer",
    [
        '"question":',
        '"question": "What is it',
        '", "answer": "Paris',
        "{'answer': 'Paris'}",
        "</s>",
        "<s>",
        "<|im_end|>",
        "Paris<|eot_id|>",
        "Paris<end_of_turn>",
        "[INST] Paris",
        '2"}',
        '"}, {"',
        '{"a',
        "Paris {",
        'Paris", "',
        "<br>",
        "</p><p>",
    ],
)
def test_json_or_markup_debris_is_rejected_as_debris(answer: str) -> None:
    assert check_no_debris("What is the capital of France?", answer) is Rejection.DEBRIS


@pytest.mark.parametrize(
    "question", ['"answer": "Paris"', "What is the capital?</s>", '{"question": "What is it?"']
)
def test_a_question_that_is_debris_is_rejected_as_debris(question: str) -> None:
    assert check_no_debris(question, "Paris.") is Rejection.DEBRIS


@pytest.mark.parametrize(
    "answer",
    [
        "Paris",
        "1998",
        "42 km",
        'She said "yes".',
        "The <title> element names the page.",
        'A JSON object such as {"model": "m"}.',
        "(see p. 3)",
        "It costs $5, or 4 €.",
        "约1400万人。",
    ],
)
def test_real_answers_with_punctuation_or_quoted_json_are_no_debris(answer: str) -> None:
    assert check_no_debris("What is it?", answer) is None


@pytest.mark.parametrize(
    ("chunk", "question", "answer"),
    [
        (FACTS, "When was the observatory founded?", "1998"),
        (FACTS, "Where did its first director come from?", "Paris"),
        (FACTS, "How far is the ridge from the coast?", "42 km"),
        (FACTS, "How wide is the main mirror?", "2 metres."),
        (TOKYO, "東京の人口は？", "約1400万人です。"),
        (GREAT_WALL, "长城修建于什么时候？", "春秋战国时期。"),
        (API, "What does the request body look like?", 'A JSON object such as {"model": "m"}.'),
    ],
)
def test_short_supported_answers_and_cjk_pairs_pass_every_check(
    chunk: str, question: str, answer: str
) -> None:
    assert PairChecker().check(QAPair(question, answer), Chunk(0, 0, chunk)) is None


@pytest.mark.parametrize(
    ("question", "answer", "reason"),
    [
        ("1", "2", Rejection.NOT_A_QUESTION),  # both numbers are in the text: only this catches it
        ("Q1", "Question 2 of the survey.", Rejection.NOT_A_QUESTION),
        ("When was it founded?", ":{", Rejection.EMPTY),
        ("When was it founded?", '1998"}', Rejection.DEBRIS),
        ("When was it founded?", "1998</s>", Rejection.DEBRIS),
        ('"question": "When was it founded?', "1998", Rejection.DEBRIS),
    ],
)
def test_the_junk_a_weak_model_wrote_is_rejected_by_the_checker(
    question: str, answer: str, reason: Rejection
) -> None:
    checker = PairChecker()
    assert checker(QAPair(question, answer), Chunk(0, 0, FACTS)) is reason
    assert len(checker.index) == 0  # a rejected question is not kept


def test_the_new_reasons_have_plain_words_in_the_table_and_the_cli_summary() -> None:
    assert "JSON or markup" in Rejection.DEBRIS.label
    assert "question" in Rejection.NOT_A_QUESTION.label
    summary = rejection_summary({Rejection.DEBRIS: 2, Rejection.NOT_A_QUESTION: 1})
    assert summary == "Rejected 3: 2 JSON or markup debris, 1 not a question."


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("What was your favorite school?", "My favorite school is the one I went to."),
        ("What is the most popular movie in America?", "The one from 1998."),
        # A digit alone ties the question to no text (a real run kept this of a manual that
        # says "HTTP/1.1" and "HTTP/2").
        ("How long have you been a student? (1 year or less)?", "2 years or more"),
    ],
)
def test_a_question_about_nothing_the_text_names_is_unsupported(question: str, answer: str) -> None:
    # Each answer adds a number the text holds, which alone would pass for support.
    assert PairChecker().check(QAPair(question, answer, source=FACTS)) is Rejection.UNSUPPORTED


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("When was the institute founded?", "In 1998."),  # one word of its own: "institute"
        ("How far from the sea is the ridge?", "42 km from the coast."),
        ("What does the text say about the survey?", "Question 1 asked about light."),
    ],
)
def test_a_question_in_words_of_its_own_beside_the_texts_is_kept(
    question: str, answer: str
) -> None:
    assert PairChecker().check(QAPair(question, answer, source=FACTS)) is None


# A real llama.cpp run kept "What is the most important thing to you?" / "The most important
# thing to me is that I'm able to create a good product,": the question's one word of its own
# ("important") is not the licence's, and of the answer's four new words two ("create",
# "product") are.
def test_a_question_of_one_word_the_text_lacks_needs_more_than_half_of_its_answer_found() -> None:
    licence = "The licensee may create a derivative product that incorporates the software."
    # (The real answer ended on a comma, which is now cut off before its support is read.)
    answer = "The most important thing to me is that I'm able to create a good product."
    pair = QAPair("What is the most important thing to you?", answer, source=licence)
    assert PairChecker().check(pair) is Rejection.UNSUPPORTED
    # With the question's word in the text, half of the answer's new words are enough.
    pair = QAPair(pair.question, answer, source="An important thing: " + licence)
    assert PairChecker().check(pair) is None
    # Figures alone do not ground it: a real run kept "What is the value of x?" / "x is 1 and
    # y is 3." of a licence whose sections are numbered 1 to 3.
    numbered = "1. The licensee may use the software. 2. It comes as is. 3. No warranty."
    pair = QAPair("What is the value of x?", "x is 1 and y is 3.", source=numbered)
    assert PairChecker().check(pair) is Rejection.UNSUPPORTED
    valued = QAPair(pair.question, pair.answer, source="The value of x is 1. " + numbered)
    assert PairChecker().check(valued) is None
    # A question in a word of its own ("founder"), answered from the text, is kept.
    founder = QAPair("Who is the founder?", "The first director, who came from Paris.")
    assert PairChecker().check(founder, Chunk(0, 0, FACTS)) is None


# A weak model asks back instead of answering: "what is the value of a" / "is this value of a
# or not this value of a?" was kept by a real llama.cpp run before this check.
@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("What is the value of the mirror?", "Is the value of the mirror 2 metres or not?"),
        ("What is the dome?", "Is this a question?"),
        ("When was the observatory founded?", "Was it founded in 1998?  "),
        ("天文台是什么时候建的？", "是1998年吗？"),
    ],
)
def test_an_answer_that_asks_a_question_back_is_rejected(question: str, answer: str) -> None:
    assert check_answer_not_a_question(answer, FACTS) is Rejection.ANSWER_ASKS
    checker = PairChecker()
    assert checker(QAPair(question, answer), Chunk(0, 0, FACTS)) is Rejection.ANSWER_ASKS
    assert len(checker.index) == 0


def test_a_question_the_text_holds_word_for_word_is_an_answer() -> None:
    pair = QAPair("What did the guard ask her at the gate?", "Who sent you here?")
    assert check_answer_not_a_question(pair.answer, DIALOGUE) is None
    assert PairChecker().check(pair, Chunk(0, 0, DIALOGUE)) is None
    assert check_answer_not_a_question("Who sent the mayor?", DIALOGUE) is Rejection.ANSWER_ASKS


def test_an_answer_asking_back_has_plain_words_in_the_table_and_the_cli_summary() -> None:
    assert Rejection.ANSWER_ASKS.label == "the answer is a question, not an answer"
    summary = rejection_summary({Rejection.ANSWER_ASKS: 2})
    assert summary == "Rejected 2: 2 answer asking a question."


# A real llama.cpp run kept a 600-character "What is Python?" answer that ended "... suitable for
# general purpose programming, as": the bounded schema's grammar had cut it there.
def test_a_string_cut_at_the_schemas_length_limit_is_cut_off() -> None:
    words = ("The observatory was founded in 1998 on a ridge 42 km from the coast " * 20).split()
    runaway = " ".join(words)[:ANSWER_MAX_CHARS]
    question = "When was the observatory founded?"
    assert check_not_cut_off(question, runaway) is Rejection.CUT_OFF
    assert PairChecker().check(QAPair(question, runaway), Chunk(0, 0, FACTS)) is Rejection.CUT_OFF
    # A few characters short, trimmed of the spaces around it, it was cut all the same (a real
    # run's answer ended "... (the client is not fully-featured, so" at 595 characters); ending
    # on a full stop, it ended of itself.
    trimmed = runaway[:-5].rstrip(".")
    assert check_not_cut_off(question, trimmed) is Rejection.CUT_OFF
    ended = runaway[:-2].rstrip(". ") + "."
    assert len(ended) < ANSWER_MAX_CHARS
    assert check_not_cut_off(question, ended) is None
    assert PairChecker().check(QAPair(question, ended), Chunk(0, 0, FACTS)) is None
    assert check_not_cut_off(question, runaway[:-20]) is None  # well short: no sign of the cut
    long_question = ("When was the observatory on the ridge founded " * 10)[:QUESTION_MAX_CHARS]
    assert check_not_cut_off(long_question, "In 1998.") is Rejection.CUT_OFF
    assert "mid-sentence" in Rejection.CUT_OFF.label
    summary = rejection_summary({Rejection.CUT_OFF: 1})
    assert summary == "Rejected 1: 1 cut off mid-sentence."


# A real llama.cpp run kept "How do I change this password?" / "You can change it using the
# ``set_keyring()`` function. ... The name of the service is": the model stopped mid-sentence.
@pytest.mark.parametrize(
    "answer",
    [
        "You can change it using the keyring function. The name of the service is",
        "It was founded in 1998 on a ridge and",
        "The first director came from the  ",
        "Its dome holds a",
        "The mirrors were",
    ],
)
def test_an_answer_that_stops_on_a_word_no_sentence_ends_on_is_cut_off(answer: str) -> None:
    assert check_not_cut_off("When was the observatory founded?", answer) is Rejection.CUT_OFF


# A real llama.cpp run kept "What is the purpose of this program?" / "to run a program without
# a written source code," and "Is this program a free software program?" / "Yes, this program
# is free software," of the GPL: no sentence ends on a comma, in any script.
@pytest.mark.parametrize(
    "answer",
    [
        "It was founded in 1998 on a ridge,",
        "Yes, it was founded in 1998,  ",
        "它建于1998年，",
        "1998年に、",
    ],
)
def test_an_answer_that_ends_on_a_comma_is_cut_off(answer: str) -> None:
    question = "When was the observatory founded?"
    assert check_not_cut_off(question, answer) is Rejection.CUT_OFF
    assert check_not_cut_off("When was the observatory founded,", "In 1998.") is Rejection.CUT_OFF
    assert PairChecker().check(QAPair(question, answer), Chunk(0, 0, FACTS)) is Rejection.CUT_OFF
    assert check_not_cut_off(question, answer.rstrip().rstrip(",，、") + ".") is None


# And questions, from the same runs: "Is there a connection between this user and the".
@pytest.mark.parametrize(
    "question", ["Is there a connection between this user and the", "Your name is", "Is it A or"]
)
def test_a_question_that_stops_on_a_word_no_sentence_ends_on_is_cut_off(question: str) -> None:
    assert check_not_cut_off(question, "The director.") is Rejection.CUT_OFF
    assert check_not_cut_off(question.rstrip() + "?", "The director.") is None


@pytest.mark.parametrize(
    "answer",
    [
        "A",
        "Option A",
        "Vitamin A",
        "It is.",
        "In 1998, and on a ridge.",
        "The one it came to",
        "It is what it is",
        "Where the mirror is",
        "Just as they were",
    ],
)
def test_an_answer_that_ends_on_a_word_a_sentence_may_end_on_is_whole(answer: str) -> None:
    assert check_not_cut_off("When was the observatory founded?", answer) is None


# A real llama.cpp run kept "How can I get a Python book?" / "The book can be found at
# http://www.python.org/download.html" of a licence that names python.org's licence pages only.
LINKS = "The licence is at https://www.python.org/psf/license/ and see www.example.org for more."


@pytest.mark.parametrize(
    "answer",
    [
        "The book can be found at http://www.python.org/download.html",
        "At https://python.org/psf/licence-2.",
        "See www.example.com.",
    ],
)
def test_an_answer_giving_a_web_address_the_text_lacks_is_unsupported(answer: str) -> None:
    question = "Where is the licence of the Python book?"
    assert check_links_found(question, answer, LINKS) is Rejection.UNSUPPORTED
    # Every word of it is the text's: only the address is wrong.
    words = " The book can be found as a download, in html, at http pages: see com and licence 2."
    pair = QAPair(question, answer, source=LINKS + words)
    assert PairChecker().check(pair) is Rejection.UNSUPPORTED
    assert check_supported(question, answer, chunk_vocabulary(LINKS + words)) is None


@pytest.mark.parametrize(
    "answer",
    [
        "At https://www.python.org/psf/license/.",
        "At http://python.org/psf/license",
        "On www.python.org.",
        "See WWW.EXAMPLE.ORG",
        "The licence is online, with the text.",
    ],
)
def test_an_answer_giving_a_web_address_the_text_holds_is_kept(answer: str) -> None:
    assert check_links_found("Where is the licence?", answer, LINKS) is None


# A real llama.cpp run kept "What is your answer? (e.g." / "question" of apt's README: it stopped
# inside the brackets it opened.
@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("What is your answer? (e.g.", "question"),
        ("When was the observatory founded?", "In 1998 (on a ridge"),
        ("When was the observatory founded (and where?", "In 1998."),
    ],
)
def test_a_string_that_stops_inside_a_bracket_it_opened_is_cut_off(
    question: str, answer: str
) -> None:
    assert check_not_cut_off(question, answer) is Rejection.CUT_OFF


@pytest.mark.parametrize(
    "answer",
    ["In 1998 (on a ridge).", "a) in 1998, b) on a ridge", "In 1998 :) on a ridge."],
)
def test_brackets_closed_or_a_list_are_not_cut_off(answer: str) -> None:
    assert check_not_cut_off("When was the observatory founded?", answer) is None
