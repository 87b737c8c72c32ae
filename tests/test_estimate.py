"""Before a run: the chunks, pairs per chunk and a token estimate, and a warning when the text
cannot serve the pairs asked for."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, Dialogs

from qagen_desktop.core.chunking import allocate_pairs, chunk_text
from qagen_desktop.core.estimate import (
    CHARS_PER_TOKEN,
    REPLY_TOKENS_PER_PAIR,
    count_sentences,
    estimate_run,
    first_prompt,
)
from qagen_desktop.core.prompts import DEFAULT_TEMPLATE, render_prompt
from qagen_desktop.ui.main_window import MainWindow

PARAGRAPH = "The Loire is the longest river in France. It rises in the Massif Central. " * 6
TEXT = "\n\n".join(f"Part {i}. {PARAGRAPH}" for i in range(6))


def test_the_estimate_spreads_pairs_as_the_run_will_and_counts_the_prompts() -> None:
    estimate = estimate_run(TEXT, 12, 600)
    chunks = chunk_text(TEXT, 600)
    assert estimate.chunks == len(chunks) > 1
    assert estimate.pairs == 12
    assert 1 <= estimate.fewest_per_chunk <= estimate.most_per_chunk <= 12
    assert estimate.completion_tokens == 12 * REPLY_TOKENS_PER_PAIR
    # At least every chunk's text once, at about four characters a token.
    assert estimate.prompt_tokens >= sum(len(c.text) for c in chunks) / CHARS_PER_TOKEN
    one = render_prompt(DEFAULT_TEMPLATE, chunks[0].text, 1)
    assert estimate.prompt_tokens < len(one) * len(chunks)
    assert not estimate.too_many_pairs


def test_fewer_pairs_than_chunks_use_only_some_chunks() -> None:
    estimate = estimate_run(TEXT, 2, 300)
    assert estimate.chunks_used == 2 < estimate.chunks
    assert estimate.fewest_per_chunk == estimate.most_per_chunk == 1


@pytest.mark.parametrize(
    ("text", "sentences"),
    [("", 0), ("One sentence only.", 1), ("No stop at all", 1), ("A. B! C? D", 4), ("一。二。", 2)],
)
def test_sentences_are_counted(text: str, sentences: int) -> None:
    assert count_sentences(text) == sentences


def test_fifty_pairs_from_one_sentence_is_flagged() -> None:
    assert estimate_run("The Loire rises in the Massif Central.", 50, 3000).too_many_pairs
    assert not estimate_run("The Loire rises in the Massif Central.", 2, 3000).too_many_pairs


@OFFSCREEN_NOISE
def test_the_context_pane_shows_the_estimate_and_the_warning(
    qtbot: QtBot, window: MainWindow
) -> None:
    pane = window.context_pane
    pane.set_text("The Loire rises in the Massif Central.")
    window.pairsSpin.setValue(50)
    warning = pane.pairsWarningLabel
    qtbot.waitUntil(lambda: warning.text().startswith("50 pairs is a lot"), timeout=5000)
    assert warning.isVisible() and "for 1 sentence" in warning.text()
    assert "50 pairs per chunk" in pane.countLabel.text()
    assert "tokens" in pane.countLabel.text()
    window.pairsSpin.setValue(2)
    qtbot.waitUntil(lambda: not pane.pairsWarningLabel.isVisible(), timeout=5000)
    assert "2 pairs per chunk" in pane.countLabel.text()


def test_the_first_prompt_is_the_one_the_first_request_carries() -> None:
    chunks = chunk_text(TEXT, 600)
    shares = allocate_pairs([chunk.content_length for chunk in chunks], 12)
    expected = render_prompt(DEFAULT_TEMPLATE, chunks[0].text, shares[0])
    assert first_prompt(TEXT, 12, 600) == expected
    assert first_prompt("", 12, 600) is None


@OFFSCREEN_NOISE
def test_preview_prompt_shows_the_first_requests_prompt_and_system_message(
    window: MainWindow, dialogs: Dialogs
) -> None:
    window.context_pane.set_text(TEXT)
    window.pairsSpin.setValue(3)
    window.endpoint_pane.systemMessageEdit.setPlainText("You write exam questions.")
    window.context_pane.previewButton.click()
    [shown] = dialogs.texts("information")
    assert shown.startswith("System message:\nYou write exam questions.")
    assert "Part 0." in shown and "Generate " in shown
