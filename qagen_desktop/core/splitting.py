"""A seeded train/validation split of a dataset, the same for the same pairs in any order.

Each pair gets a key, a hash (BLAKE2b) of the seed, its question and its answer; the pairs with
the smallest keys, ``round(fraction * n)`` of them, are the validation set. So the split
depends on the seed and on the pairs themselves, never on their order (a dataset re-opened and
sorted differently splits the same way, and a pair keeps its side when others are added, as
far as the count allows), and the sizes are exact. Each part keeps the pairs' order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.records import QAPair


@dataclass(frozen=True)
class Split:
    """The two parts of a dataset, each in the order the pairs were given."""

    train: list[QAPair]
    val: list[QAPair]


def check_fraction(fraction: float) -> None:
    """ConfigError unless ``fraction`` is above 0 and below 1."""
    if not 0 < fraction < 1:
        raise ConfigError(
            f"The validation fraction must be above 0 and below 1, e.g. 0.1 (got {fraction:g})."
        )


def split_pairs(pairs: Sequence[QAPair], fraction: float, seed: int = 0) -> Split:
    """``pairs`` split into train and validation, ``fraction`` of them (rounded; at least one
    of each where there are two pairs or more) for validation, reproducibly for ``seed``."""
    check_fraction(fraction)
    count = len(pairs)
    val_count = round(fraction * count)
    if count >= 2:
        val_count = min(max(val_count, 1), count - 1)
    order = sorted(range(count), key=lambda at: (_key(pairs[at], seed), at))
    chosen = set(order[:val_count])
    return Split(
        train=[pair for at, pair in enumerate(pairs) if at not in chosen],
        val=[pair for at, pair in enumerate(pairs) if at in chosen],
    )


def _key(pair: QAPair, seed: int) -> bytes:
    data = f"{seed}\x00{pair.question}\x00{pair.answer}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()
