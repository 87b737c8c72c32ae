"""Status colours (ok, note, warning, error) derived from the palette, light or dark.

A fixed hex colour that reads well on white can fall to 1.4:1 on a dark window. Each tone here
keeps its hue and moves its lightness away from the window background until the text reaches the
WCAG AA contrast for normal text (4.5:1), so the same code serves every theme.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

AA_CONTRAST = 4.5  # WCAG 2.x level AA for normal-size text
_LIGHTNESS_STEP = 0.02


class Tone(Enum):
    """What a message is: the colour follows from it and from the palette."""

    PLAIN = "plain"
    OK = "ok"
    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"


# Hue and saturation per tone (HSL, 0-1): green, blue, amber, red.
_HUES: dict[Tone, tuple[float, float]] = {
    Tone.OK: (140 / 360, 0.65),
    Tone.NOTE: (210 / 360, 0.70),
    Tone.WARNING: (35 / 360, 0.95),
    Tone.ERROR: (4 / 360, 0.75),
}


def relative_luminance(colour: QColor) -> float:
    """WCAG relative luminance of an sRGB colour, 0 (black) to 1 (white)."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(value) for value in (colour.redF(), colour.greenF(), colour.blueF()))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: QColor, second: QColor) -> float:
    """WCAG contrast ratio between two colours, 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def tone_colour(tone: Tone, palette: QPalette) -> QColor:
    """The text colour for ``tone`` on this palette's window background, at least 4.5:1."""
    background = palette.color(QPalette.ColorRole.Window)
    if tone is Tone.PLAIN:
        return palette.color(QPalette.ColorRole.WindowText)
    hue, saturation = _HUES[tone]
    # Towards black on a light background, towards white on a dark one: whichever extreme
    # contrasts more is the one that can always reach the target.
    black, white = QColor(0, 0, 0), QColor(255, 255, 255)
    darken = contrast_ratio(black, background) >= contrast_ratio(white, background)
    lightness = 0.45
    colour = QColor.fromHslF(hue, saturation, lightness)
    while contrast_ratio(colour, background) < AA_CONTRAST and 0.0 < lightness < 1.0:
        lightness = max(0.0, lightness - _LIGHTNESS_STEP) if darken else lightness + _LIGHTNESS_STEP
        colour = QColor.fromHslF(hue, saturation, min(lightness, 1.0))
    return colour


def paint_tone(widget: QWidget, tone: Tone) -> None:
    """Colour a label's or a flat button's text for ``tone``; PLAIN gives back the inherited."""
    if tone is Tone.PLAIN:
        widget.setPalette(QPalette())  # nothing resolved: every role inherited again
        return
    parent = widget.parentWidget()
    base = parent.palette() if parent is not None else widget.palette()
    colour = tone_colour(tone, base)
    palette = QPalette(widget.palette())
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.Text,
    ):
        palette.setColor(role, colour)
    widget.setPalette(palette)


def dark_palette() -> QPalette:
    """A dark palette (for the dark screenshot and the tests; the OS theme gives its own)."""
    palette = QPalette()
    window, base = QColor(0x20, 0x21, 0x24), QColor(0x16, 0x17, 0x19)
    text = QColor(0xE8, 0xEA, 0xED)
    button, highlight = QColor(0x2D, 0x2E, 0x31), QColor(0x3A, 0x6E, 0xA5)
    for role, colour in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, button),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.ToolTipBase, button),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Highlight, highlight),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.PlaceholderText, QColor(0x9A, 0xA0, 0xA6)),
        (QPalette.ColorRole.Link, QColor(0x8A, 0xB4, 0xF8)),
    ):
        palette.setColor(role, colour)
    grey = QColor(0x80, 0x80, 0x80)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, grey)
    return palette
