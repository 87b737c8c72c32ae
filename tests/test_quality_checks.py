"""The cheap checks: each rejects what it should, with its reason, and keeps real answers."""

from __future__ import annotations

import httpx
import pytest
from fake_pairs import PairKind, make_pairs
from fake_server import FakeLLMServer
from hypothesis import example, given, settings
from hypothesis import strategies as st
from qagen_process import CONTEXT

from qagen_desktop.core.chunking import Chunk
from qagen_desktop.core.parsing import parse_pairs
from qagen_desktop.core.prompts import DEFAULT_TEMPLATE, build_messages
from qagen_desktop.core.quality import (
    PairChecker,
    QuestionIndex,
    Rejection,
    check_answer_given,
    check_not_echo,
    check_supported,
)
from qagen_desktop.core.quality.text import chunk_vocabulary
from qagen_desktop.core.records import QAPair

EIFFEL = (
    "The Eiffel Tower was completed in 1889 for the World's Fair in Paris. It was designed by the "
    "engineering firm of Gustave Eiffel, whose engineers Maurice Koechlin and Emile Nouguier drew "
    "the first plans. At 330 metres, it was the tallest man-made structure in the world until the "
    "Chrysler Building was finished in 1930. The tower is repainted every seven years, which "
    "takes about 60 tonnes of paint."
)
CHUNKER = (
    "The generator splits long text at paragraph and sentence boundaries into chunks of at most "
    "3,000 characters. Each chunk is sent to the model in its own request, and up to four "
    "requests run at once. A chunk that returns fewer pairs than it was asked for is asked again "
    "for the rest."
)
LES_HALLES = (
    "Le marché des Halles a été construit au centre de Paris au XIXe siècle. Victor Baltard a "
    "dessiné ses pavillons de fer et de verre. Ils ont été démolis en 1971."
)
BERLIN = (
    "Die Berliner Mauer wurde 1961 gebaut und teilte die Stadt fast drei Jahrzehnte lang. "
    "Am 9. November 1989 wurde sie geöffnet."
)
GREAT_WALL = "长城是中国古代的军事防御工程，修建于春秋战国时期。明朝对长城进行了大规模的修缮。"
TOKYO = "東京は日本の首都であり、人口は約1400万人です。江戸時代には江戸と呼ばれていました。"

# Answers a person would accept: paraphrases, not copies, of what the text says.
PARAPHRASES = [
    (EIFFEL, "When was the Eiffel Tower finished?", "It was finished in 1889."),
    (
        EIFFEL,
        "Who drew the first plans?",
        "Two engineers of Eiffel's company, Koechlin and Nouguier.",
    ),
    (EIFFEL, "How often is the tower painted?", "Every 7 years, using roughly 60 tonnes of paint."),
    (
        EIFFEL,
        "How tall is the tower?",
        "330 metres; it was the world's tallest building until 1930.",
    ),
    (EIFFEL, "Why was the tower built?", "For the World's Fair held in Paris in 1889."),
    (EIFFEL, "Who designed it?", "Gustave Eiffel's engineering company designed it."),
    (
        EIFFEL,
        "Was it ever the tallest structure?",
        "Yes, until the Chrysler Building was completed.",
    ),
    (CHUNKER, "How long can a chunk be?", "No longer than 3000 characters."),
    (
        CHUNKER,
        "How is long text divided?",
        "It is split into chunks at paragraph and sentence breaks.",
    ),
    (CHUNKER, "How many requests run in parallel?", "Four requests at most run at the same time."),
    (CHUNKER, "What if a chunk returns too few pairs?", "The generator asks that chunk again."),
    (LES_HALLES, "Qui a conçu les pavillons ?", "Ils ont été dessinés par Victor Baltard."),
    (LES_HALLES, "Quand les Halles ont-elles été détruites ?", "Elles ont été démolies en 1971."),
    (BERLIN, "Wann wurde die Mauer geöffnet?", "Sie wurde am 9. November 1989 geöffnet."),
    (BERLIN, "Wie lange teilte die Mauer Berlin?", "Fast drei Jahrzehnte lang, seit 1961."),
    (GREAT_WALL, "长城是什么时候修建的？", "长城修建于春秋战国时期。"),
    (GREAT_WALL, "哪个朝代大规模修缮了长城？", "明朝对长城进行了大规模修缮。"),
    (TOKYO, "日本の首都はどこですか？", "日本の首都は東京です。"),
    (TOKYO, "東京の人口は？", "約1400万人です。"),
]

UNSUPPORTED = [
    (EIFFEL, "Who built the tower?", "It was built by Napoleon in 1802 near Marseille."),
    (EIFFEL, "How tall is the tower?", "It is 324 metres tall."),  # a figure the text lacks
    (EIFFEL, "What is the tower made of?", "Wrought iron puddled in Lorraine foundries."),
    (CHUNKER, "What model does it use?", "GPT-4 from OpenAI, hosted on Azure."),
    (LES_HALLES, "Qui a conçu les pavillons ?", "Gustave Eiffel, avec des briques rouges."),
    (GREAT_WALL, "长城有多长？", "长城全长约两万一千公里。"),
    (TOKYO, "東京の人口は？", "約900万人です。"),
]


@pytest.mark.parametrize(("chunk", "question", "answer"), PARAPHRASES)
def test_a_correct_paraphrase_is_supported(chunk: str, question: str, answer: str) -> None:
    assert check_supported(question, answer, chunk_vocabulary(chunk)) is None
    assert PairChecker().check(QAPair(question, answer), Chunk(0, 0, chunk)) is None


@pytest.mark.parametrize(("chunk", "question", "answer"), UNSUPPORTED)
def test_an_answer_from_outside_the_text_is_unsupported(
    chunk: str, question: str, answer: str
) -> None:
    assert check_supported(question, answer, chunk_vocabulary(chunk)) is Rejection.UNSUPPORTED


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("foo.com", "foo.com"),
        ("What is the capital of France?", "What is the capital of France"),
        ("What is the Eiffel Tower?", "The Eiffel Tower."),
        ("Who designed the tower?", "The tower was designed."),
        ("東京は何ですか？", "東京"),
    ],
)
def test_an_answer_that_repeats_the_question_is_an_echo(question: str, answer: str) -> None:
    assert check_not_echo(question, answer) is Rejection.ECHO


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Is the tower in Paris?", "Yes."),
        ("What is foo.com?", "A domain name for examples."),
        ("Who designed the tower?", "Gustave Eiffel's firm."),
    ],
)
def test_an_answer_that_adds_something_is_no_echo(question: str, answer: str) -> None:
    assert check_not_echo(question, answer) is None


@pytest.mark.parametrize(
    "answer",
    [
        "N/A",
        "n/a.",
        "None.",
        "Unknown",
        "I don't know.",
        "I do not know",
        "The text does not say.",
        "The text doesn't mention who built it.",
        "According to the text, it is not mentioned.",
        "Not mentioned in the text.",
        "There is no information about that.",
        "Je ne sais pas.",
        "Le texte ne le dit pas.",
        "Ich weiß es nicht.",
        "Der Text sagt nichts darüber.",
        "Es wird im Text nicht erwähnt.",
        "No lo sé.",
        "El texto no lo dice.",
        "Não sei.",
        "O texto não menciona isso.",
        "Non lo so.",
        "Il testo non lo dice.",
        "不知道。",
        "文中没有提到。",
        "根据文本，无法确定。",
        "分かりません。",
        "本文には記載がありません。",
    ],
)
def test_a_non_answer_is_rejected_in_every_listed_language(answer: str) -> None:
    assert check_answer_given(answer) is Rejection.NON_ANSWER


@pytest.mark.parametrize(
    "answer",
    [
        "Unknown soldiers are buried under the arch.",
        "None of the workers were paid in gold.",
        "No, the tower is in Paris.",
        "Nothing could be built there until 1890.",
        "Knowing the text does not say everything, the author adds an appendix.",
        "无人机在1990年代开始普及。",
    ],
)
def test_a_real_answer_that_starts_like_a_non_answer_is_kept(answer: str) -> None:
    assert check_answer_given(answer) is None


@pytest.mark.parametrize("answer", ["", "   ", "...", "?!", "\n-\n"])
def test_an_empty_answer_is_rejected(answer: str) -> None:
    assert check_answer_given(answer) is Rejection.EMPTY


# Rewordings a model writes when it repeats itself.
REWORDINGS = [
    ("What does the tokenizer do?", "What is it that the tokenizer does?"),
    ("What does Kubernetes do?", "What is it that Kubernetes does?"),
    ("How does the generator split long text?", "How is long text split by the generator?"),
    ("What is the capital of France?", "What is France's capital?"),
    ("When was the Eiffel Tower completed?", "When was the Eiffel Tower's completion?"),
    ("Who designed the Eiffel Tower?", "The Eiffel Tower was designed by whom?"),
    ("What does the text say about the floods?", "What does the passage say regarding floods?"),
    ("Why does the river flood the forest?", "Why is the forest flooded by the river?"),
    ("Qui a dessiné les pavillons ?", "Les pavillons ont été dessinés par qui ?"),
    ("长城是什么时候修建的？", "长城修建于什么时候？"),
]
# Different questions about the same subject: none is a repeat of another.
SAME_SUBJECT = [
    "Who designed the Eiffel Tower?",
    "Who paid for the Eiffel Tower?",
    "When was the Eiffel Tower completed?",
    "How tall is the Eiffel Tower?",
    "Where does the Eiffel Tower stand?",
    "Why was the Eiffel Tower built?",
    "How often is the Eiffel Tower repainted?",
    "What happened to the Eiffel Tower in 1889?",
    "What happened to the Eiffel Tower in 1930?",
    "What does the Eiffel Tower weigh?",
]


@pytest.mark.parametrize(("kept", "again"), REWORDINGS)
def test_a_reworded_question_is_a_near_duplicate(kept: str, again: str) -> None:
    index = QuestionIndex()
    index.add(kept)
    assert index.find(again) == kept


def test_different_questions_about_one_subject_are_all_kept() -> None:
    checker = PairChecker()
    for question in SAME_SUBJECT:
        assert checker.index.find(question) is None, question
        checker.keep(QAPair(question, "An answer."))
    assert len(checker.index) == len(SAME_SUBJECT)


def test_an_exact_repeat_is_found_first_and_a_discarded_question_is_forgotten() -> None:
    checker = PairChecker()
    pair = QAPair("What does the tokenizer do?", "It splits text into tokens.")
    assert checker(pair, Chunk(0, 0, "The tokenizer splits text into tokens.")) is None
    again = QAPair("  what does the TOKENIZER do ", "It splits text.")
    assert checker.check(again) is Rejection.DUPLICATE
    reworded = QAPair("What is it that the tokenizer does?", "It splits text.")
    assert checker.check(reworded) is Rejection.NEAR_DUPLICATE
    checker.forget(pair)
    assert checker.check(again) is None
    assert checker.check(reworded) is None


def test_the_checker_takes_the_chunk_text_from_the_pair_when_no_chunk_is_given() -> None:
    pair = QAPair("Who built it?", "Napoleon, in 1802.", source=EIFFEL)
    assert PairChecker().check(pair) is Rejection.UNSUPPORTED
    assert PairChecker().check(QAPair("Who built it?", "Napoleon, in 1802.")) is None


def test_the_server_bad_pairs_are_rejected_with_their_reason_and_good_ones_kept() -> None:
    expected = {
        PairKind.GOOD: None,
        PairKind.ECHO: Rejection.ECHO,
        PairKind.NON_ANSWER: Rejection.NON_ANSWER,
        PairKind.OUTSIDE: Rejection.UNSUPPORTED,
        PairKind.REWORDED: Rejection.NEAR_DUPLICATE,
        PairKind.WRONG_SENTENCE: None,  # it passes the cheap checks: the judge's to catch
    }
    checker = PairChecker()
    chunk = Chunk(0, 0, CONTEXT)
    seen: dict[PairKind, int] = {}
    with FakeLLMServer(mix_bad=True, shape="fenced") as server:
        for _ in range(3):
            body = {"model": "m", "messages": build_messages(DEFAULT_TEMPLATE, "", CONTEXT, 12)}
            reply = httpx.post(server.chat_url, json=body, timeout=10).json()
            for question, answer in parse_pairs(reply["choices"][0]["message"]["content"]).pairs:
                kind = server.pair_kinds[(question, answer)]
                seen[kind] = seen.get(kind, 0) + 1
                assert checker(QAPair(question, answer), chunk) == expected[kind], (kind, answer)
    assert set(seen) == set(PairKind)
    assert seen[PairKind.GOOD] == 3 * 7


# Words of several languages, none a stop-word; texts are made of them and of stop-words.
_WORDS = (
    "river basin forest flood season nutrient plant animal species water ocean mountain valley "
    "engine piston valve turbine boiler steam pressure gauge lever bearing axle wheel "
    "marché pavillon verre fer siècle quartier Straße Brücke Fluss Wald Mauer Jahrzehnt "
    "ciudad puerto barco viaje cidade porto navio viagem città ponte fiume bosco"
)
_VOCABULARY = _WORDS.split()
_STOPS = ("the", "of", "and", "in", "a", "to", "is", "was", "it", "with")


@st.composite
def _texts(draw: st.DrawFn) -> str:
    content = draw(st.lists(st.sampled_from(_VOCABULARY), min_size=20, max_size=60, unique=True))
    words = []
    for word in content:
        words.append(word)
        if draw(st.booleans()):
            words.append(draw(st.sampled_from(_STOPS)))
        if draw(st.integers(0, 9)) == 0:
            words[-1] += "."
    return " ".join(words)


@settings(max_examples=60, deadline=None)
@given(text=_texts(), first=st.integers(1, 10_000), count=st.integers(1, 60))
def test_the_checks_never_reject_the_server_good_pairs(text: str, first: int, count: int) -> None:
    checker = PairChecker()
    chunk = Chunk(0, 0, text)
    for question, answer in make_pairs(text, first, count):
        assert checker(QAPair(question, answer), chunk) is None, (question, answer)


# ------------------------------------------------------------------ the fast paths agree


_QUESTION_WORDS = ("what", "who", "when", "why", "how")
_SUBJECTS = (
    "river",
    "forest",
    "flood",
    "engine",
    "valve",
    "steam",
    "wheel",
    "axle",
    "tower",
    "1889",
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_QUESTION_WORDS[:2]),
            st.lists(st.sampled_from(_SUBJECTS), min_size=0, max_size=7, unique=True),
        ),
        min_size=1,
        max_size=60,
    ),
    st.sampled_from([0.5, 0.6, 0.7, 0.75, 0.9, 1.0]),
)
def test_the_index_finds_every_repeat_a_scan_of_all_kept_questions_finds(
    questions: list[tuple[str, list[str]]], threshold: float
) -> None:
    from qagen_desktop.core.quality import text

    def similar(one: text.Tokens, other: text.Tokens) -> bool:
        if (one.interrogatives, one.numbers) != (other.interrogatives, other.numbers):
            return False
        shared = len(one.asking & other.asking)
        return shared >= threshold * len(one.asking | other.asking)

    index = QuestionIndex(threshold=threshold)
    kept: list[tuple[str, text.Tokens]] = []
    for asks, words in questions:
        question = f"{asks.capitalize()} does the {' '.join(words)} do?"
        mine = text.tokens(question)
        repeats = {q for q, tokens in kept if similar(mine, tokens)}
        found = index.find(question)
        assert (found in repeats) if repeats else found is None, (question, repeats, found)
        if found is None:
            index.add(question)
            kept.append((question, mine))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=600))
def test_ascii_text_is_cut_into_the_same_tokens_as_by_the_general_pattern(raw: str) -> None:
    from qagen_desktop.core.quality import text

    folded = text.fold(raw)
    assert text._words(folded) == text._TOKEN.findall(folded)
    assert text._joined_thousands(folded) == text._THOUSANDS.sub("", folded)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=600))
@example("Python 1.6.1 came in 2000, 3.3 later; 1,200.5 is a number.")
def test_an_ascii_chunk_has_the_vocabulary_of_the_general_steps(raw: str) -> None:
    from qagen_desktop.core.quality import text

    folded = text._THOUSANDS.sub("", text.fold(raw))
    words = text._TOKEN.findall(folded) + text._dotted_numbers(folded)
    assert chunk_vocabulary(raw) == frozenset(map(text._VOCABULARY.__getitem__, words))


def test_a_long_ascii_chunk_joins_its_thousands_and_keeps_every_word() -> None:
    from qagen_desktop.core.quality import text

    chunk = ("The mill_race ground 1,200 sacks; " * 20) + "Its owner paid 3 400 crowns."
    vocabulary = chunk_vocabulary(chunk)
    assert {"1200", "3400", "mill", "race", "ground", "sack", "crown"} <= vocabulary
    assert text._words(text.fold(chunk)) == text._TOKEN.findall(text.fold(chunk))


def test_a_verb_ending_in_y_meets_its_other_forms_in_a_reworded_question() -> None:
    from qagen_desktop.core.quality import QuestionIndex

    index = QuestionIndex()
    index.add("What does the Amazon River carry?")
    assert index.find("What is it that the Amazon River carries?") is not None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789, .a\u00a0", max_size=40))
def test_thousands_are_joined_as_by_the_general_pattern_in_digit_heavy_text(raw: str) -> None:
    from qagen_desktop.core.quality import text

    assert text._joined_thousands(raw) == text._THOUSANDS.sub("", raw)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_an_ascii_question_is_normalised_as_by_the_general_steps(raw: str) -> None:
    import re
    import unicodedata

    from qagen_desktop.core.parsing import normalise_question

    general = unicodedata.normalize("NFKC", raw).casefold()
    general = "".join(ch for ch in general if not unicodedata.category(ch).startswith("P"))
    assert normalise_question(raw) == re.sub(r"\s+", " ", general).strip()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_an_ascii_answers_first_word_is_its_folded_first_word(raw: str) -> None:
    from qagen_desktop.core.quality import nonanswers, text

    folded = nonanswers._FIRST_WORD.search(text.fold(raw))
    lowered = nonanswers._FIRST_WORD.search(raw)
    assert (folded and folded.group()) == (lowered and lowered.group().lower())


def test_every_listed_non_answer_is_found_after_its_lead_in_and_punctuation() -> None:
    from qagen_desktop.core.quality import nonanswers

    phrases = [p for p in nonanswers._PHRASES.replace("\n", "|").split("|") if p.strip()]
    for phrase in phrases:
        for said in (
            phrase,
            f"{phrase.upper()}.",
            f"- {phrase}!",
            f"According to the text, {phrase}.",
        ):
            assert check_answer_given(said) is Rejection.NON_ANSWER, said
    started = ("文中没有提到他的名字。", "本文には記載がありません。", "I do not know who.")
    for said in started:
        assert check_answer_given(said) is Rejection.NON_ANSWER, said


# A real llama.cpp run kept "What is Python?" / "Python is a Python 3.3 version of the Python
# programming language. Python was developed ... in the 1980s. ..." of a licence that names
# 1.6.1, 2.0 and "the early 1990s": "3.3" was read as the digit 3, and "1980s" as a word.
LICENCE_VERSIONS = (
    "Python was created in the early 1990s by Guido van Rossum. In 1995 he went on at CNRI, "
    "which released Python 1.6.1; Python 2.0 followed, and HTTP/1.1 came with it. Clause 3 "
    "of the licence covers each version of the language, and a copy of it cost 1,200.50 crowns."
)


@pytest.mark.parametrize(
    "answer",
    [
        "Python is a Python 3.3 version of the language.",
        "Python was created in the 1980s by Guido van Rossum.",
        "Guido van Rossum created it at CNRI in 1.6.2.",
    ],
)
def test_a_version_or_a_decade_the_text_lacks_is_unsupported(answer: str) -> None:
    pair = QAPair("What is Python?", answer, source=LICENCE_VERSIONS)
    assert PairChecker().check(pair) is Rejection.UNSUPPORTED


@pytest.mark.parametrize(
    "answer",
    [
        "CNRI released Python 1.6.1.",
        "CNRI released Python 1.6, then Python 2.",  # shorter forms of 1.6.1 and 2.0
        "Guido van Rossum created it in the 1990s.",
        "Guido van Rossum went on at CNRI in the 1990s.",  # a decade of the year 1995
        "It came with HTTP/1.1.",
        "The licence cost 1,200.50 crowns.",  # thousands joined in both
    ],
)
def test_a_version_or_a_decade_the_text_gives_is_supported(answer: str) -> None:
    pair = QAPair("What did CNRI do with Python?", answer, source=LICENCE_VERSIONS)
    assert PairChecker().check(pair) is None
