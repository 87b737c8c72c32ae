"""parse_pairs reads every reply shape real servers send, keeps only whole pairs, never raises."""

from __future__ import annotations

import json

import pytest
from fake_server import SHAPES, render_shape
from hypothesis import given, settings
from hypothesis import strategies as st

from qagen_desktop.core.parsing import ParsedReply, normalise_question, parse_pairs

PAIRS = [
    ("What does the mitochondrion produce?", "It produces ATP, the cell's energy currency."),
    ("Where is the nucleus found?", "In the centre of most eukaryotic cells."),
    ("What surrounds the cell?", "A phospholipid membrane."),
]
ITEMS = [{"question": q, "answer": a} for q, a in PAIRS]


def _ok(reply: str) -> list[tuple[str, str]]:
    parsed = parse_pairs(reply)
    assert not parsed.malformed, parsed
    assert not parsed.truncated, parsed
    return parsed.pairs


# ------------------------------------------------------------------------- JSON shapes


@pytest.mark.parametrize(
    "key", ["pairs", "qa_pairs", "items", "data", "questions", "results", "QA", "dataset"]
)
def test_list_under_any_key_is_read(key: str) -> None:
    assert _ok(json.dumps({key: ITEMS})) == PAIRS


@pytest.mark.parametrize("key", ["response", "output", "answer", "Answer"])
def test_list_under_a_key_that_names_an_answer_is_still_read(key: str) -> None:
    assert _ok(json.dumps({key: ITEMS})) == PAIRS


def test_list_nested_one_level_down_is_read() -> None:
    reply = json.dumps({"status": "ok", "result": {"count": 3, "qa_pairs": ITEMS}})
    assert _ok(reply) == PAIRS


def test_bare_array_is_read() -> None:
    assert _ok(json.dumps(ITEMS, indent=2)) == PAIRS


def test_single_object_is_one_pair() -> None:
    assert _ok(json.dumps(ITEMS[0])) == PAIRS[:1]


@pytest.mark.parametrize(
    ("question_key", "answer_key"),
    [
        ("Question", "Answer"),
        ("QUESTION", "ANSWER"),
        ("q", "a"),
        ("Q", "A"),
        ("instruction", "output"),
        ("prompt", "response"),
        ("question_text", "answer_text"),
    ],
)
def test_keys_in_any_case_and_common_synonyms(question_key: str, answer_key: str) -> None:
    reply = json.dumps({"pairs": [{question_key: q, answer_key: a} for q, a in PAIRS]})
    assert _ok(reply) == PAIRS


def test_alpaca_input_field_is_not_taken_for_the_question() -> None:
    reply = json.dumps([{"instruction": "Why?", "input": "some context", "output": "Because."}])
    assert _ok(reply) == [("Why?", "Because.")]


def test_parallel_question_and_answer_lists_are_zipped() -> None:
    reply = json.dumps({"questions": [q for q, _ in PAIRS], "answers": [a for _, a in PAIRS]})
    assert _ok(reply) == PAIRS


def test_list_of_two_item_lists_is_read() -> None:
    assert _ok(json.dumps({"pairs": [[q, a] for q, a in PAIRS]})) == PAIRS


def test_fenced_json_block_with_ollama_style_prose() -> None:
    reply = (
        "Here are 3 question-answer pairs based on the provided text:\n\n"
        f"```json\n{json.dumps({'pairs': ITEMS}, indent=2)}\n```\n\n"
        "Let me know if you'd like me to generate more pairs or adjust the difficulty!"
    )
    assert _ok(reply) == PAIRS


def test_fence_without_language_is_read() -> None:
    reply = f"Sure!\n```\n{json.dumps(ITEMS, indent=4)}\n```"
    assert _ok(reply) == PAIRS


def test_json_inside_chatty_prose_is_read() -> None:
    reply = (
        "Sure! Based on the text [1], I've created the following {3} pairs: "
        f"{json.dumps({'pairs': ITEMS})} I hope these are helpful for your dataset."
    )
    assert _ok(reply) == PAIRS


def test_json_lines_reply_is_read() -> None:
    reply = "\n".join(json.dumps(item) for item in ITEMS)
    assert _ok(reply) == PAIRS


def test_long_json_lines_reply_is_read_whole() -> None:
    items = [{"question": f"Q{n}?", "answer": f"A{n}."} for n in range(1000)]
    reply = "Here:\n" + "\n".join(json.dumps(item) for item in items)
    assert _ok(reply) == [(f"Q{n}?", f"A{n}.") for n in range(1000)]


def test_reasoning_block_before_the_answer_is_skipped() -> None:
    reply = (
        "<think>\nOkay, the user wants three pairs. Maybe something like "
        '{"question": "Is this a draft?", "answer": "Yes"} but grounded in the text.\n'
        "Let me check the text again.\n</think>\n\n"
        f"```json\n{json.dumps({'pairs': ITEMS})}\n```"
    )
    assert _ok(reply) == PAIRS


def test_reasoning_without_its_opening_tag_is_skipped() -> None:
    # Some servers strip "<think>" from the stream but leave "</think>" in the content.
    reply = (
        'Okay, I will write {"question": "draft?", "answer": "draft"} pairs.\n</think>\n'
        + json.dumps(ITEMS)
    )
    assert _ok(reply) == PAIRS


def test_empty_reasoning_block_from_qwen_is_skipped() -> None:
    assert _ok("<think>\n\n</think>\n\n" + json.dumps({"pairs": ITEMS})) == PAIRS


def test_reply_cut_while_still_thinking_is_truncated_with_no_pairs() -> None:
    parsed = parse_pairs('<think>\nThe user wants pairs like {"question": "a", "answer": "b"}')
    assert parsed == ParsedReply([], truncated=True, malformed=True)


def test_almost_json_with_trailing_commas_and_single_quotes_is_repaired() -> None:
    reply = (
        "{'pairs': [\n"
        "  {'question': 'What is ATP?', 'answer': 'The energy currency.',},\n"
        '  {"question": "Who?", "answer": "The cell",},\n'
        "]}"
    )
    assert _ok(reply) == [("What is ATP?", "The energy currency."), ("Who?", "The cell")]


def test_fields_are_trimmed_and_numbers_become_text() -> None:
    reply = json.dumps([{"question": "  How many legs has a spider?\n", "answer": 8}])
    assert _ok(reply) == [("How many legs has a spider?", "8")]


def test_answer_given_as_a_list_of_points_keeps_one_per_line() -> None:
    reply = json.dumps([{"question": "Name two organelles.", "answer": ["Nucleus", "Ribosome"]}])
    assert _ok(reply) == [("Name two organelles.", "Nucleus\nRibosome")]


def test_pairs_with_empty_or_missing_halves_are_dropped() -> None:
    reply = json.dumps(
        [
            {"question": "   ", "answer": "x"},
            {"question": "Only a question?"},
            {"question": "Null?", "answer": None},
            {"question": "Bool?", "answer": True},
            ITEMS[0],
        ]
    )
    assert _ok(reply) == PAIRS[:1]


def test_answer_keeps_inner_line_breaks_in_json() -> None:
    reply = json.dumps([{"question": "Steps?", "answer": "First, mix.\nThen, bake."}])
    assert _ok(reply) == [("Steps?", "First, mix.\nThen, bake.")]


def test_json_string_holding_json_is_decoded() -> None:
    assert _ok(json.dumps(json.dumps({"pairs": ITEMS}))) == PAIRS


# ------------------------------------------------------------------------ cut replies


def _cut_inside_last_answer(reply: str) -> str:
    last_answer = PAIRS[-1][1]
    return reply[: reply.index(last_answer) + len(last_answer) // 2]


@pytest.mark.parametrize(
    "reply",
    [
        json.dumps({"pairs": ITEMS}),
        json.dumps({"pairs": ITEMS}, indent=2),
        json.dumps(ITEMS),
        "Here you go:\n```json\n" + json.dumps({"pairs": ITEMS}, indent=2) + "\n```",
        json.dumps({"result": {"qa_pairs": ITEMS}}),
        "<think>ok</think>" + json.dumps({"pairs": ITEMS}),
    ],
    ids=["object", "indented", "bare", "fenced", "nested", "think"],
)
def test_reply_cut_mid_answer_keeps_only_the_complete_pairs(reply: str) -> None:
    parsed = parse_pairs(_cut_inside_last_answer(reply))
    assert parsed.pairs == PAIRS[:2]
    assert parsed.truncated
    assert not parsed.malformed


def test_reply_cut_between_pairs_keeps_every_complete_pair() -> None:
    reply = json.dumps({"pairs": ITEMS})
    cut = reply[: reply.rindex("}, {") + 1] + ", "  # the third pair never started
    parsed = parse_pairs(cut)
    assert parsed.pairs == PAIRS[:2]
    assert parsed.truncated


def test_reply_cut_after_a_question_keeps_no_half_pair() -> None:
    reply = json.dumps({"pairs": ITEMS})
    cut = reply[: reply.index('"answer": "A phospholipid')]
    assert parse_pairs(cut).pairs == PAIRS[:2]


def test_reply_cut_inside_an_escape_keeps_no_half_pair() -> None:
    items = [*ITEMS[:2], {"question": "Quote?", "answer": 'He said "hi" there'}]
    reply = json.dumps(items)
    cut = reply[: reply.index('\\"hi') + 1]
    parsed = parse_pairs(cut)
    assert parsed.pairs == PAIRS[:2]
    assert parsed.truncated


def test_reply_cut_inside_the_first_pair_is_truncated_and_malformed() -> None:
    parsed = parse_pairs('{"pairs": [{"question": "What is ATP?", "answer": "The ener')
    assert parsed == ParsedReply([], truncated=True, malformed=True)


def test_line_reply_cut_at_the_token_limit_drops_its_last_pair() -> None:
    reply = "question: What is ATP?\nanswer: The energy\ncurrency.\nquestion: Who?\nanswer: The ce"
    parsed = parse_pairs(reply, cut_off=True)
    assert parsed.pairs == [("What is ATP?", "The energy\ncurrency.")]
    assert parsed.truncated


def test_complete_json_with_cut_off_flag_is_kept_whole_but_marked() -> None:
    parsed = parse_pairs(json.dumps(ITEMS), cut_off=True)
    assert parsed.pairs == PAIRS
    assert parsed.truncated


# ------------------------------------------------------------------------- line format


def test_the_old_scripts_lowercase_lines() -> None:
    reply = "\n".join(f"question: {q}\nanswer: {a}" for q, a in PAIRS)
    assert _ok(reply) == PAIRS


def test_capitalised_lines_with_blank_lines_and_a_preamble() -> None:
    reply = "Here are the pairs:\n\n" + "\n\n".join(f"Question: {q}\nAnswer: {a}" for q, a in PAIRS)
    assert _ok(reply) == PAIRS


def test_q_and_a_lines_in_any_case() -> None:
    reply = "\n".join(
        f"{'Q' if i % 2 else 'q'}: {q}\n{'a' if i % 2 else 'A'}: {a}"
        for i, (q, a) in enumerate(PAIRS)
    )
    assert _ok(reply) == PAIRS


def test_numbered_and_bold_labels() -> None:
    reply = (
        f"1. Question: {PAIRS[0][0]}\n   Answer: {PAIRS[0][1]}\n\n"
        f"**Question 2:** {PAIRS[1][0]}\n**Answer 2:** {PAIRS[1][1]}\n\n"
        f"Q3: {PAIRS[2][0]}\nA3: {PAIRS[2][1]}"
    )
    assert _ok(reply) == PAIRS


def test_q1_and_a1_with_a_full_stop() -> None:
    reply = "\n".join(f"Q{i}. {q}\nA{i}) {a}" for i, (q, a) in enumerate(PAIRS, start=1))
    assert _ok(reply) == PAIRS


def test_mistral_style_numbered_bold_labels() -> None:
    reply = "Here are the pairs:\n\n" + "\n\n".join(
        f"{i}. **Question:** {q}\n   **Answer:** {a}" for i, (q, a) in enumerate(PAIRS, start=1)
    )
    assert _ok(reply) == PAIRS


@pytest.mark.parametrize("number", ["1. ", "2) ", "(3) ", "Q4: ", "q5. ", "Question 6: "])
def test_a_list_number_inside_a_json_question_is_dropped(number: str) -> None:
    # A real llama.cpp run kept "1. What is the name ...?" and "2. What is the name ...?" as two
    # questions: the numbers differed, so neither counted as a repeat.
    reply = json.dumps([{"question": number + "What is the name of it?", "answer": "X"}])
    assert _ok(reply) == [("What is the name of it?", "X")]


@pytest.mark.parametrize(
    "question", ["3.5 million people live where?", "1990. What changed?", "What is 1. about?"]
)
def test_a_number_that_is_part_of_the_question_stays(question: str) -> None:
    assert _ok(json.dumps([{"question": question, "answer": "X"}])) == [(question, "X")]


def test_a_sentence_starting_with_a_letter_and_full_stop_is_not_a_label() -> None:
    reply = "Question: Who wrote it?\nAnswer: The author,\nA. Smith, in 1900."
    assert _ok(reply) == [("Who wrote it?", "The author,\nA. Smith, in 1900.")]


def test_answer_keeps_its_line_breaks_until_the_next_question() -> None:
    reply = (
        "QUESTION: How is bread made?\n"
        "ANSWER: Mix flour and water.\n"
        "Knead the dough.\n\n"
        "Bake it.\n"
        "QUESTION: Why knead?\n"
        "ANSWER: To build gluten."
    )
    assert _ok(reply) == [
        ("How is bread made?", "Mix flour and water.\nKnead the dough.\n\nBake it."),
        ("Why knead?", "To build gluten."),
    ]


def test_question_and_answer_on_one_line() -> None:
    reply = "\n".join(f"Question: {q} Answer: {a}" for q, a in PAIRS)
    assert _ok(reply) == PAIRS


def test_sign_off_after_the_last_answer_is_not_part_of_it() -> None:
    reply = f"question: {PAIRS[0][0]}\nanswer: {PAIRS[0][1]}\n\nI hope these help!"
    assert _ok(reply) == PAIRS[:1]


def test_a_note_inside_the_last_answer_is_kept() -> None:
    reply = "Question: When is it open?\nAnswer: Daily.\n\nNote: closed on holidays."
    assert _ok(reply) == [("When is it open?", "Daily.\n\nNote: closed on holidays.")]


def test_markdown_headings_as_labels() -> None:
    reply = "\n\n".join(
        f"### Question {i + 1}:\n{q}\n\n### Answer {i + 1}:\n{a}" for i, (q, a) in enumerate(PAIRS)
    )
    assert _ok(reply) == PAIRS


def test_a_long_reply_with_many_pairs_is_read_whole() -> None:
    items = [{"question": f"Question {n}?", "answer": f"Answer {n}. " * 20} for n in range(2000)]
    reply = "Here they are:\n```json\n" + json.dumps({"pairs": items}, indent=2) + "\n```"
    full = _ok(reply)
    assert len(full) == 2000
    cut = parse_pairs(reply[: len(reply) * 3 // 4])
    assert cut.truncated
    assert len(cut.pairs) > 1000
    assert cut.pairs == full[: len(cut.pairs)]


def test_markdown_table_reply() -> None:
    reply = (
        "Here is a table of pairs:\n\n"
        "| # | **Question** | **Answer** |\n"
        "|---|:---|:---|\n"
        + "".join(f"| {i} | {q} | {a} |\n" for i, (q, a) in enumerate(PAIRS, start=1))
        + "| 4 | Two lines? | First<br>second |\n"
        "\nLet me know if you need more."
    )
    assert _ok(reply) == [*PAIRS, ("Two lines?", "First\nsecond")]


def test_markdown_table_cut_mid_row_keeps_whole_rows() -> None:
    reply = "| Question | Answer |\n|---|---|\n| Q1? | A1 |\n| Q2? | A2 is cu"
    parsed = parse_pairs(reply, cut_off=True)
    assert parsed.pairs == [("Q1?", "A1")]
    assert parsed.truncated


def test_pairs_in_xml_like_tags() -> None:
    reply = "\n".join(f"<question>{q}</question>\n<answer>\n{a}\n</answer>" for q, a in PAIRS)
    assert _ok(reply) == PAIRS


# ------------------------------------------------------------------------ nothing usable


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   \n",
        "I'm sorry, but I can't help with that request.",
        '{"pairs": []}',
        '{"error": "model overloaded"}',
        '{"pairs": [[[ question ::: answer }}} not json <<<',
        "```json\n```",
        "[1] [2] {n}",
    ],
)
def test_replies_with_nothing_usable_are_malformed(reply: str) -> None:
    parsed = parse_pairs(reply)
    assert parsed.pairs == []
    assert parsed.malformed


@pytest.mark.parametrize("reply", [None, b'{"question": "a", "answer": "b"}', 42, ["x"]])
def test_non_text_input_is_malformed_not_an_error(reply: object) -> None:
    assert parse_pairs(reply).malformed  # type: ignore[arg-type]


def test_hostile_nesting_is_refused_quickly_without_error() -> None:
    assert parse_pairs("[" * 200_000).malformed
    assert parse_pairs("{" * 50_000 + '"a"').malformed
    assert parse_pairs('{"q": ' * 20_000).malformed


_FRAGMENTS = st.sampled_from(
    [
        "{", "}", "[", "]", '"', ":", ",", "\\", "question", "answer", "Q:", "A:", "\n",
        "```json\n", "```", "<think>", "</think>", '"question": "x"', '"answer": "y"', "null",
        "1. Question: ", "**", "pairs", " ", "\u2028", "é", "\x00",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(reply=st.one_of(st.text(), st.lists(_FRAGMENTS, max_size=60).map("".join)))
def test_parse_pairs_never_raises(reply: str) -> None:
    parsed = parse_pairs(reply)
    assert parsed.malformed == (not parsed.pairs)
    for question, answer in parsed.pairs:
        assert question and answer
        assert question == question.strip() and answer == answer.strip()


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(["question", "Answer", "q", "a", "pairs", "data", "x"]) | st.text(),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(value=_JSON, indent=st.sampled_from([None, 2]), cut=st.integers(0, 2000))
def test_any_json_whole_or_cut_parses_without_error(
    value: object, indent: int | None, cut: int
) -> None:
    reply = json.dumps(value, indent=indent)
    for text in (reply, reply[:cut]):
        parsed = parse_pairs(text)
        for question, answer in parsed.pairs:
            assert question and answer
            assert question in text or json.dumps(question)[1:-1] in text


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.text(min_size=1).filter(str.strip), st.text(min_size=1).filter(str.strip)),
        min_size=1,
        max_size=5,
    ),
    cut=st.integers(0, 10_000),
)
def test_a_cut_reply_never_yields_a_pair_that_was_not_sent(
    pairs: list[tuple[str, str]], cut: int
) -> None:
    reply = json.dumps({"pairs": [{"question": q, "answer": a} for q, a in pairs]})
    sent = {(q.strip(), a.strip()) for q, a in pairs}
    parsed = parse_pairs(reply[: cut % (len(reply) + 1)])
    assert set(parsed.pairs) <= sent


# --------------------------------------------------------------------- normalise_question


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("What is ATP?", "what is atp"),
        ("  What   is\nATP ? ", "WHAT IS ATP!?"),
        ("What's the cell's role?", "Whats the cells role"),
        ("¿Qué es el ATP?", "qué es el atp"),
        ("细胞是什么？", "细胞是什么"),
        ("Straße?", "STRASSE"),
        ("ＡＴＰ？", "atp"),
    ],
)
def test_questions_that_differ_only_in_case_spacing_punctuation_match(a: str, b: str) -> None:
    assert normalise_question(a) == normalise_question(b)


def test_different_questions_stay_different() -> None:
    assert normalise_question("What is ATP?") != normalise_question("What is ADP?")
    assert normalise_question("C++ or C?") != normalise_question("C or C?")


# ---------------------------------------------------- the loopback test server's replies


@pytest.mark.parametrize("shape", SHAPES)
def test_every_reply_shape_of_the_test_server_is_read(shape: str) -> None:
    # The answers hold commas so the "lines" shape spreads some of them over two lines.
    pairs = [
        (f"What is item {n}?", f"Item {n} is a thing, described in the text.") for n in range(4)
    ]
    parsed = parse_pairs(render_shape(pairs, shape, 3))
    expected = pairs
    if shape == "lines":
        expected = [
            (q, a.replace(", ", ",\n", 1) if i % 2 else a) for i, (q, a) in enumerate(pairs)
        ]
    assert parsed == ParsedReply(expected, truncated=False, malformed=False)
