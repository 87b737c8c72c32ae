"""Chunking loses no text, keeps every chunk within the limit, and cuts where a reader would."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qagen_desktop.core.chunking import (
    MIN_CHUNK_CHARS,
    Chunk,
    allocate_pairs,
    chunk_text,
    count_chunks,
)

# Text with the characters that matter to the splitter: breaks, sentence ends, CJK, CRLF.
_PIECES = st.sampled_from(
    ["word", "Word", " ", "  ", "\n", "\n\n", "\r\n", "\r\n\r\n", ".", "!", "?", "。", "”", "\t"]
)
_TEXT = st.one_of(
    st.text(max_size=3000),
    st.lists(_PIECES, max_size=1500).map("".join),
    st.lists(st.sampled_from(["x" * 150, "y" * 40, ". ", "\n\n", " "]), max_size=200).map("".join),
)


def _paragraph(n: int, words: int = 30) -> str:
    return " ".join(f"word{n}_{i}" for i in range(words)) + "."


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, max_chars=st.integers(MIN_CHUNK_CHARS, 1000))
def test_chunks_cover_the_text_exactly_and_stay_within_the_limit(text: str, max_chars: int) -> None:
    chunks = chunk_text(text, max_chars)
    assert "".join(c.text for c in chunks) == text
    assert all(0 < len(c.text) <= max_chars for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(text[c.start : c.start + len(c.text)] == c.text for c in chunks)
    assert count_chunks(text, max_chars) == len(chunks)


def test_empty_text_gives_no_chunks() -> None:
    assert chunk_text("") == []
    assert count_chunks("") == 0


def test_short_text_is_one_chunk_with_its_whitespace() -> None:
    text = "  One short paragraph.\n\nAnother.\n\n"
    assert chunk_text(text) == [Chunk(0, 0, text)]


def test_small_paragraphs_are_packed_together_up_to_the_limit() -> None:
    paragraphs = [f"Paragraph {n:03d}. ".ljust(98, "z") + "\n\n" for n in range(40)]
    chunks = chunk_text("".join(paragraphs), 1050)
    # Ten 100-character paragraphs fit in 1050 characters; an eleventh would not.
    assert [c.text for c in chunks] == ["".join(paragraphs[i : i + 10]) for i in (0, 10, 20, 30)]


def test_whitespace_after_a_paragraph_stays_with_the_chunk_it_follows() -> None:
    first = "A" * 150 + ".\n\n   \n\t"
    text = first + "B" * 150 + "."
    chunks = chunk_text(text, 200)
    assert [c.text for c in chunks] == [first, "B" * 150 + "."]
    assert chunks[1].start == len(first)


def test_crlf_blank_lines_are_paragraph_breaks() -> None:
    text = "".join(_paragraph(n, 20) + "\r\n\r\n" for n in range(10))
    chunks = chunk_text(text, 500)
    assert all(c.text.endswith("\r\n\r\n") for c in chunks)


def test_a_long_paragraph_is_cut_at_sentence_ends() -> None:
    sentences = [f"Sentence number {i} says something about the topic at hand. " for i in range(60)]
    text = "".join(sentences).rstrip()
    chunks = chunk_text(text, 600)
    assert len(chunks) > 1
    for chunk in chunks[:-1]:
        assert chunk.text.endswith("hand. ")
        assert len(chunk.text) > 300  # packed, not one sentence per chunk


def test_tail_of_a_long_paragraph_is_packed_with_the_next_paragraphs() -> None:
    long = "".join(f"Long sentence {i} goes on for a while here. " for i in range(20)) + "\n\n"
    short = "".join(f"Short para {i}.\n\n" for i in range(5))
    chunks = chunk_text(long + short, 600)
    assert chunks[-1].text.endswith(short)
    assert not chunks[-1].text.startswith("Short")


def test_cjk_sentences_are_cut_at_full_stops() -> None:
    text = "".join(f"这是第{i}个句子，它讲了一些事情。" for i in range(100))
    chunks = chunk_text(text, 300)
    assert "".join(c.text for c in chunks) == text
    assert all(c.text.endswith("。") for c in chunks)


def test_text_without_sentence_ends_is_cut_at_whitespace() -> None:
    text = " ".join(f"w{i}" for i in range(2000))
    chunks = chunk_text(text, 300)
    for chunk in chunks[:-1]:
        assert chunk.text.endswith(" ")
        assert len(chunk.text) > 250


def test_text_without_any_boundary_is_hard_cut_at_the_limit() -> None:
    text = "x" * 1000
    assert [len(c.text) for c in chunk_text(text, 300)] == [300, 300, 300, 100]


def test_early_paragraph_break_beats_a_cut_mid_sentence() -> None:
    heading = "Title\n\n"
    body = "y" * 900  # one endless word
    chunks = chunk_text(heading + body, 400)
    assert chunks[0].text == heading


@pytest.mark.parametrize("max_chars", [0, -5, MIN_CHUNK_CHARS - 1])
def test_a_chunk_size_below_the_minimum_is_refused_plainly(max_chars: int) -> None:
    with pytest.raises(ValueError, match=f"at least {MIN_CHUNK_CHARS} characters"):
        chunk_text("some text", max_chars)
    with pytest.raises(ValueError, match="at least"):
        count_chunks("some text", max_chars)


def test_twenty_megabytes_are_chunked_whole() -> None:
    paragraph = _paragraph(1, 60) + "\n\n"
    text = paragraph * (20_000_000 // len(paragraph))
    chunks = chunk_text(text, 3000)
    assert sum(len(c.text) for c in chunks) == len(text)
    assert chunks[-1].start + len(chunks[-1].text) == len(text)
    assert all(len(c.text) <= 3000 for c in chunks)
    assert count_chunks(text, 3000) == len(chunks)


def test_content_length_ignores_surrounding_whitespace() -> None:
    assert Chunk(0, 0, "\n\n  hello world \n").content_length == len("hello world")
    assert Chunk(0, 0, " \n\t ").content_length == 0


# ---------------------------------------------------------------- allocate_pairs

_LENGTHS = st.lists(st.integers(0, 5000), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(lengths=_LENGTHS, total=st.integers(0, 500))
def test_allocation_sums_to_the_total_and_skips_blank_chunks(
    lengths: list[int], total: int
) -> None:
    shares = allocate_pairs(lengths, total)
    assert len(shares) == len(lengths)
    active = [i for i, n in enumerate(lengths) if n > 0]
    assert sum(shares) == (total if active else 0)
    assert all(shares[i] == 0 for i, n in enumerate(lengths) if n == 0)
    if total >= len(active):
        assert all(shares[i] >= 1 for i in active)
    else:
        assert sorted(set(shares)) in ([0], [0, 1], [1])


@settings(max_examples=300, deadline=None)
@given(lengths=_LENGTHS, total=st.integers(0, 500))
def test_allocation_is_proportional(lengths: list[int], total: int) -> None:
    shares = allocate_pairs(lengths, total)
    active = [i for i, n in enumerate(lengths) if n > 0]
    weight = sum(lengths)
    if total < len(active):
        return  # spread evenly instead (below)
    # A longer chunk never gets fewer pairs than a shorter one.
    for i in active:
        for j in active:
            if lengths[i] > lengths[j]:
                assert shares[i] >= shares[j]
    # Where no chunk needs lifting to one pair, each share is its exact part rounded down or up.
    if active and all(total * lengths[i] >= weight for i in active):
        for i in active:
            exact = total * lengths[i] / weight
            assert math.floor(exact) <= shares[i] <= math.ceil(exact)


@settings(max_examples=200, deadline=None)
@given(chunks=st.integers(2, 300), total=st.integers(1, 299))
def test_fewer_pairs_than_chunks_are_spread_evenly(chunks: int, total: int) -> None:
    if total >= chunks:
        return
    shares = allocate_pairs([1000] * chunks, total)
    used = [i for i, n in enumerate(shares) if n]
    assert len(used) == total
    step = chunks / total
    gaps = [b - a for a, b in itertools.pairwise(used)]
    assert all(step - 1 <= gap <= step + 1 for gap in gaps)
    # Centred: neither end of the text is favoured.
    assert abs(used[0] - (chunks - 1 - used[-1])) <= 1 + step / 2


def test_allocation_examples() -> None:
    assert allocate_pairs([3000, 3000, 3000], 5) == [2, 2, 1]
    assert allocate_pairs([3000, 3000, 100], 10) == [5, 4, 1]
    assert allocate_pairs([3000, 0, 3000], 4) == [2, 0, 2]
    assert allocate_pairs([100] * 10, 2) == [0, 0, 1, 0, 0, 0, 0, 1, 0, 0]
    assert allocate_pairs([100] * 4, 1) == [0, 0, 1, 0]
    assert allocate_pairs([0, 0], 5) == [0, 0]
    assert allocate_pairs([], 5) == []


def test_negative_total_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        allocate_pairs([10], -1)
