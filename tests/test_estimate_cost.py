"""The cost in the pre-run estimate: prices per million tokens (input and output) in the
endpoint pane's advanced settings, remembered across restarts, and "≈ $0.42" beside the token
estimate under the text; no price, no cost shown; 0 is a free local server."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE

from qagen_desktop.core.estimate import (
    RunEstimate,
    TokenPrices,
    estimate_run,
    format_cost,
    parse_price,
    run_cost,
)
from qagen_desktop.core.generation.config import counting_size
from qagen_desktop.core.settings import Settings, load_settings, save_settings
from qagen_desktop.ui.main_window import MainWindow

PARAGRAPH = "The Loire is the longest river in France. It rises in the Massif Central. " * 6
TEXT = "\n\n".join(f"Part {i}. {PARAGRAPH}" for i in range(6))


def _estimate(prompt: int, completion: int) -> RunEstimate:
    return RunEstimate(
        pairs=1,
        chunks=1,
        chunks_used=1,
        fewest_per_chunk=1,
        most_per_chunk=1,
        sentences=1,
        prompt_tokens=prompt,
        completion_tokens=completion,
    )


def test_the_cost_prices_prompt_and_completion_tokens_apart() -> None:
    # 2M prompt tokens at $0.15 and 0.5M completion tokens at $0.60: 0.30 + 0.30.
    cost = run_cost(_estimate(2_000_000, 500_000), TokenPrices(0.15, 0.60))
    assert cost == pytest.approx(0.60)
    run = estimate_run(TEXT, 12, 600)
    expected = (run.prompt_tokens * 3 + run.completion_tokens * 15) / 1_000_000
    assert run_cost(run, TokenPrices(3, 15)) == pytest.approx(expected)


def test_no_cost_without_both_prices_and_nothing_to_pay_at_zero() -> None:
    run = _estimate(10_000, 1_000)
    assert run_cost(run, TokenPrices()) is None
    assert run_cost(run, TokenPrices(input=1.0)) is None
    assert run_cost(run, TokenPrices(output=1.0)) is None
    assert run_cost(run, TokenPrices(0, 0)) == 0


@pytest.mark.parametrize(
    ("cost", "shown"),
    [
        (0.0, "free"),
        (0.004, "under\u00a0$0.01"),
        (0.42, "≈\u00a0$0.42"),
        (12.346, "≈\u00a0$12.35"),
        (1234.5, "≈\u00a0$1,234"),
    ],
)
def test_the_cost_reads_as_a_person_would_write_it(cost: float, shown: str) -> None:
    assert format_cost(cost) == shown


@pytest.mark.parametrize(
    ("text", "price"),
    [("", None), ("  ", None), ("0", 0.0), ("0.15", 0.15), ("$2.50", 2.5), ("1,25", 1.25)],
)
def test_prices_are_read_as_typed(text: str, price: float | None) -> None:
    assert parse_price(text) == price


@pytest.mark.parametrize("text", ["abc", "-1", "nan", "inf", "1.2.3"])
def test_what_is_not_a_price_gives_no_price(text: str) -> None:
    assert parse_price(text) is None


def test_prices_are_kept_in_the_settings_file() -> None:
    settings = Settings()
    assert (settings.input_price, settings.output_price) == (None, None)
    settings.input_price, settings.output_price = 0.15, 0
    save_settings(settings)
    loaded = load_settings()
    assert (loaded.input_price, loaded.output_price) == (0.15, 0)
    loaded.input_price = None
    save_settings(loaded)
    assert load_settings().input_price is None


@OFFSCREEN_NOISE
def test_the_estimate_shows_the_cost_once_both_prices_are_typed_and_after_a_restart(
    qtbot: QtBot, window: MainWindow
) -> None:
    pane, endpoint = window.context_pane, window.endpoint_pane
    pane.set_text(TEXT)
    window.pairsSpin.setValue(12)
    label = pane.countLabel
    qtbot.waitUntil(lambda: "tokens" in label.text(), timeout=5000)
    assert "$" not in label.text() and "free" not in label.text()

    endpoint.inputPriceEdit.setText("3")
    pane.update_count()  # at once, not when typing pauses: one price alone shows no cost
    assert "$" not in label.text()
    endpoint.outputPriceEdit.setText("15")
    qtbot.waitUntil(lambda: "$" in label.text(), timeout=5000)
    run = estimate_run(TEXT, 12, counting_size(endpoint.chunk_chars()))
    cost = format_cost((run.prompt_tokens * 3 + run.completion_tokens * 15) / 1_000_000)
    assert label.text().endswith(f"about {run.total_tokens:,} tokens · {cost}")

    # 0 and 0: a free local server says so.
    endpoint.inputPriceEdit.setText("0")
    endpoint.outputPriceEdit.setText("0")
    qtbot.waitUntil(lambda: label.text().endswith("tokens · free"), timeout=5000)
    # Letters are not taken in the field.
    endpoint.outputPriceEdit.clear()
    qtbot.keyClicks(endpoint.outputPriceEdit, "x1.5")
    assert endpoint.outputPriceEdit.text() == "1.5"

    assert window.close()
    assert (load_settings().input_price, load_settings().output_price) == (0, 1.5)
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.endpoint_pane.inputPriceEdit.text() == "0"
    assert again.endpoint_pane.outputPriceEdit.text() == "1.5"
    again.context_pane.set_text(TEXT)
    assert again.context_pane.countLabel.text().endswith("tokens · under\u00a0$0.01")
    again.close()
