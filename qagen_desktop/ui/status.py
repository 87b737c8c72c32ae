"""A message bound to the state it describes: it is shown until that state changes.

A message that outlives its cause lies ("Connected" beside a URL that was since changed). Each
``BoundMessage.show`` names the signals that mean "this is no longer true"; the first of them to
fire clears the message, and showing another message drops the old bindings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QMetaObject, QObject, Slot
from PySide6.QtWidgets import QLabel

from qagen_desktop.ui.theme import Tone, paint_tone


class BoundMessage(QObject):
    """Shows one message at a time in a label, coloured by its tone, until a bound signal fires.

    ``hide_when_empty``: the label is hidden while there is no message (it takes no room);
    otherwise it keeps its place and only its text goes (nothing around it moves).
    """

    def __init__(
        self, label: QLabel, *, hide_when_empty: bool = True, parent: QObject | None = None
    ) -> None:
        super().__init__(parent if parent is not None else label)
        self.label = label
        self._hide_when_empty = hide_when_empty
        self._bindings: list[QMetaObject.Connection] = []
        self.tone = Tone.PLAIN
        self.clear()

    @property
    def text(self) -> str:
        return self.label.text()

    def show(self, text: str, tone: Tone = Tone.PLAIN, *, until: Iterable[Any] = ()) -> None:
        """Show ``text`` until any signal in ``until`` fires (or another message replaces it)."""
        self._unbind()
        if not text:
            self.clear()
            return
        self.tone = tone
        paint_tone(self.label, tone)
        self.label.setText(text)
        self.label.show()
        self._bindings = [signal.connect(self.clear) for signal in until]

    @Slot()
    def clear(self) -> None:
        self._unbind()
        self.tone = Tone.PLAIN
        self.label.setText("")
        paint_tone(self.label, Tone.PLAIN)
        if self._hide_when_empty:
            self.label.hide()

    def _unbind(self) -> None:
        bindings, self._bindings = self._bindings, []
        for connection in bindings:
            QObject.disconnect(connection)
