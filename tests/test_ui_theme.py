"""Status colours come from the palette and read at WCAG AA (4.5:1) on light and dark alike."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from qagen_desktop.ui.status import BoundMessage
from qagen_desktop.ui.theme import (
    AA_CONTRAST,
    Tone,
    contrast_ratio,
    dark_palette,
    relative_luminance,
    tone_colour,
)


def light_palette() -> QPalette:
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(0xEF, 0xEF, 0xEF))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(0, 0, 0))
    return palette


def test_contrast_ratio_matches_the_wcag_figures() -> None:
    assert contrast_ratio(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast_ratio(QColor("white"), QColor("white")) == pytest.approx(1.0)
    # WCAG's own example: #777 on white is just under AA.
    grey = QColor(0x77, 0x77, 0x77)
    assert contrast_ratio(grey, QColor("white")) == pytest.approx(4.48, abs=0.01)
    assert relative_luminance(QColor("white")) == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["light", "dark", "white", "black", "mid-grey"])
@pytest.mark.parametrize("tone", [Tone.OK, Tone.NOTE, Tone.WARNING, Tone.ERROR])
def test_every_status_tone_reaches_aa_contrast(name: str, tone: Tone) -> None:
    palette = {
        "light": light_palette(),
        "dark": dark_palette(),
        "white": QPalette(QColor("white")),
        "black": QPalette(QColor("black")),
        "mid-grey": QPalette(QColor(0x76, 0x76, 0x76)),
    }[name]
    background = palette.color(QPalette.ColorRole.Window)
    colour = tone_colour(tone, palette)
    assert contrast_ratio(colour, background) >= AA_CONTRAST, (name, tone, colour.name())


def test_tones_keep_their_hue_so_red_still_means_error() -> None:
    for palette in (light_palette(), dark_palette()):
        error, ok = tone_colour(Tone.ERROR, palette), tone_colour(Tone.OK, palette)
        assert error.red() > error.green() and error.red() > error.blue()
        assert ok.green() > ok.red() and ok.green() > ok.blue()


@pytest.mark.parametrize("dark", [False, True])
def test_a_shown_message_is_painted_readable_in_the_window_palette(
    qtbot: QtBot, dark: bool
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    app.setPalette(dark_palette() if dark else light_palette())
    try:
        label = QLabel()
        qtbot.addWidget(label)
        message = BoundMessage(label)
        for tone in (Tone.OK, Tone.NOTE, Tone.ERROR):
            message.show("A message", tone)
            text = label.palette().color(QPalette.ColorRole.WindowText)
            background = label.palette().color(QPalette.ColorRole.Window)
            assert contrast_ratio(text, background) >= AA_CONTRAST, (dark, tone)
        message.clear()
        assert label.isHidden()
        plain = label.palette().color(QPalette.ColorRole.WindowText)
        assert plain == app.palette().color(QPalette.ColorRole.WindowText)
    finally:
        app.setPalette(before)


def test_no_fixed_colours_are_left_in_the_window_code() -> None:
    import re
    from pathlib import Path

    import qagen_desktop.ui as ui

    hex_colour = re.compile(r"['\"]#[0-9a-fA-F]{3,8}\b|color:\s*#")
    offenders = [
        str(path)
        for path in Path(ui.__file__).parent.rglob("*.py")
        if path.name != "theme.py" and hex_colour.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
