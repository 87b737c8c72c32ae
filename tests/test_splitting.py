"""The train/validation split: exact sizes, seeded, and the same for the same pairs in any
order."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.splitting import split_pairs


def _pairs(count: int) -> list[QAPair]:
    return [QAPair(f"Question {n}?", f"Answer {n}.") for n in range(count)]


def _questions(pairs: list[QAPair]) -> list[str]:
    return [pair.question for pair in pairs]


def test_the_sizes_are_exact_and_every_pair_lands_once() -> None:
    pairs = _pairs(100)
    split = split_pairs(pairs, 0.1, seed=1)
    assert (len(split.train), len(split.val)) == (90, 10)
    assert sorted(_questions(split.train + split.val)) == sorted(_questions(pairs))


def test_each_part_keeps_the_order_it_was_given() -> None:
    pairs = _pairs(30)
    split = split_pairs(pairs, 0.3, seed=4)
    order = {pair.question: at for at, pair in enumerate(pairs)}
    for part in (split.train, split.val):
        assert [order[q] for q in _questions(part)] == sorted(order[q] for q in _questions(part))


def test_the_seed_decides_the_split() -> None:
    pairs = _pairs(50)
    first = _questions(split_pairs(pairs, 0.2, seed=3).val)
    assert _questions(split_pairs(pairs, 0.2, seed=3).val) == first
    assert _questions(split_pairs(pairs, 0.2, seed=4).val) != first


@given(st.integers(min_value=2, max_value=60), st.integers(), st.randoms(use_true_random=False))
def test_the_same_pairs_in_another_order_split_the_same_way(
    count: int, seed: int, rng: random.Random
) -> None:
    pairs = _pairs(count)
    shuffled = list(pairs)
    rng.shuffle(shuffled)
    val = set(_questions(split_pairs(pairs, 0.25, seed).val))
    assert set(_questions(split_pairs(shuffled, 0.25, seed).val)) == val
    assert 1 <= len(val) <= count - 1, "two pairs or more: at least one on each side"


@pytest.mark.parametrize("fraction", [0, 1, -0.5, 2.0, float("nan")])
def test_a_fraction_outside_zero_to_one_is_refused(fraction: float) -> None:
    with pytest.raises(ConfigError, match="above 0 and below 1"):
        split_pairs(_pairs(5), fraction)
