"""The passage preview: the source text a selected pair came from, and where it is.

The header says where ("manual.pdf · p. 3 · chunk 4"); the body is the pair's chunk, with the
answer's words marked so the eye finds the sentence it rests on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.widgets import name_widget

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTextEdit

# The text-format classes (QTextCursor, QTextCharFormat, QTextEdit.ExtraSelection) are imported
# when a pair is first shown: PySide6 makes each class, with its enums, on first import, and
# the first paint shows only the hint.

TITLE = "Source passage"
HINT = "Select a pair to see the passage it came from"
NO_PASSAGE = "This pair has no source passage (it was opened from a file or typed in)."
# Short words ("the", "of", "in") occur everywhere: marking them would mark the whole passage.
_MIN_WORD = 4
_WORD = re.compile(r"\w+")
# Marking is for reading, not for 100-page chunks: beyond this many marks the passage stays plain.
_MAX_MARKS = 400


def location_label(pair: QAPair) -> str:
    """Where a pair's passage is: "manual.pdf · p. 3 · chunk 4" (what the pair knows of it)."""
    parts = [pair.document] if pair.document else []
    if pair.page is not None:
        parts.append(f"p. {pair.page}")
    elif pair.section:
        parts.append(pair.section)
    if pair.chunk is not None:
        parts.append(f"chunk {pair.chunk + 1}")
    return " · ".join(parts)


def answer_words(answer: str) -> set[str]:
    """The answer's words worth finding in the passage, folded to lower case."""
    return {word.casefold() for word in _WORD.findall(answer) if len(word) >= _MIN_WORD}


def _utf16_positions(text: str) -> Callable[[int], int]:
    """Maps an index into ``text`` to a QTextDocument position, which counts UTF-16 units.

    Only characters beyond the BMP (emoji, rare CJK) take two units; most text has none.
    """
    if not text or max(text) <= "\uffff":
        return lambda index: index
    return lambda index: len(text[:index].encode("utf-16-le")) // 2


class PassagePreview(QWidget):
    """A header (source, page, chunk) over the read-only passage of the selected pair."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        name_widget(self, "passagePreview", "Source passage")
        self.headerLabel = name_widget(QLabel(), "passageHeader", "Passage source")
        self.headerLabel.setWordWrap(True)
        self.passageText = name_widget(QPlainTextEdit(), "passageText", "Source passage text")
        self.passageText.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.headerLabel)
        layout.addWidget(self.passageText, 1)
        self.headerLabel.setText(TITLE)
        self.passageText.setPlaceholderText(HINT)  # a new editor has no text and no marks

    def clear(self) -> None:
        """No pair selected: the hint."""
        self.headerLabel.setText(TITLE)
        self.passageText.setExtraSelections([])
        self.passageText.setPlainText("")
        self.passageText.setPlaceholderText(HINT)

    def show_pair(self, pair: QAPair) -> None:
        """Show where ``pair`` came from and its source passage, the answer's words marked."""
        from PySide6.QtGui import QTextCursor

        self.headerLabel.setText(location_label(pair) or "Source unknown")
        self.passageText.setPlaceholderText(NO_PASSAGE)
        self.passageText.setPlainText(pair.source)
        self.passageText.setExtraSelections(self._marks(pair))
        self.passageText.moveCursor(QTextCursor.MoveOperation.Start)
        first = self.passageText.extraSelections()
        if first:
            # Scroll to the first marked word: in a long chunk the answer may be far down.
            self.passageText.setTextCursor(QTextCursor(first[0].cursor.block()))
            self.passageText.ensureCursorVisible()

    def marked_words(self) -> list[str]:
        """The passage's words that are marked now, in order (what a reader sees highlighted)."""
        return [s.cursor.selectedText() for s in self.passageText.extraSelections()]

    def _marks(self, pair: QAPair) -> list[QTextEdit.ExtraSelection]:
        from PySide6.QtGui import QTextCharFormat, QTextCursor
        from PySide6.QtWidgets import QTextEdit

        words = answer_words(pair.answer)
        if not words or not pair.source:
            return []
        document = self.passageText.document()
        style = QTextCharFormat()
        palette = self.passageText.palette()
        style.setBackground(palette.highlight().color().lighter(160))
        style.setForeground(palette.text())
        position = _utf16_positions(pair.source)
        marks: list[QTextEdit.ExtraSelection] = []
        for match in _WORD.finditer(pair.source):
            if match.group().casefold() not in words:
                continue
            if len(marks) == _MAX_MARKS:
                return []
            cursor = QTextCursor(document)
            cursor.setPosition(position(match.start()))
            cursor.setPosition(position(match.end()), QTextCursor.MoveMode.KeepAnchor)
            mark = QTextEdit.ExtraSelection()
            mark.cursor = cursor
            mark.format = style
            marks.append(mark)
        return marks
