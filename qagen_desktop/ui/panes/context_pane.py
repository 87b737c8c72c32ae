"""The context pane: the text pairs are made from, typed, pasted, opened or dropped in.

Below the editor, what a run over it will ask for: chunks, pairs per chunk and a token estimate
(with its cost where prices per million tokens are set), and a warning when more pairs are
asked for than the text can serve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from qagen_desktop.core.prompts import DEFAULT_TEMPLATE
from qagen_desktop.ui.theme import Tone, paint_tone
from qagen_desktop.ui.widgets import name_widget

if TYPE_CHECKING:
    # Types only: PySide6 makes a class (and its enums) on first import, and the first paint
    # needs none of these.
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

    from qagen_desktop.core.estimate import TokenPrices

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
# Counting chunks in a long text takes a moment: count once typing pauses.
COUNT_DELAY_MS = 250


class ContextEdit(QPlainTextEdit):
    """A plain-text editor that takes a dropped text file as a request to load it.

    Signals: fileDropped(str) (the local path of the dropped file).
    """

    fileDropped = Signal(str)

    def _dropped_file(self, event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> str | None:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile():
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_file(event):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._dropped_file(event):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_file(event)
        if path:
            event.acceptProposedAction()
            self.fileDropped.emit(path)
        else:
            super().dropEvent(event)


class ContextPane(QWidget):
    """The context editor and a live count of characters, chunks, pairs per chunk and tokens.

    Signals: previewRequested() (show the first request's exact prompt).
    """

    previewRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.contextEdit = name_widget(ContextEdit(), "contextEdit", "Context text")
        self.contextEdit.setPlaceholderText(
            "Paste or type the text to make questions from, or drop a .txt or .md file here."
        )
        self.contextEdit.setFont(QFont(self.contextEdit.font().family(), 10))
        self.countLabel = name_widget(QLabel(), "contextCountLabel", "Context size")
        self.countLabel.setWordWrap(True)
        self.pairsWarningLabel = name_widget(
            QLabel(), "pairsWarningLabel", "Too many pairs for the text"
        )
        self.pairsWarningLabel.setWordWrap(True)
        paint_tone(self.pairsWarningLabel, Tone.WARNING)
        self.pairsWarningLabel.hide()
        self._chunk_chars = 3000
        self._pairs = 5
        self._template = DEFAULT_TEMPLATE
        self._prices: TokenPrices | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COUNT_DELAY_MS)
        self._timer.timeout.connect(self.update_count)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.contextEdit, 1)
        self.previewButton = name_widget(
            QToolButton(), "previewPromptButton", "Preview the first prompt"
        )
        self.previewButton.setText("Preview prompt")
        self.previewButton.setAutoRaise(True)
        self.previewButton.setToolTip("The exact prompt the first request will send")
        self.previewButton.clicked.connect(self.previewRequested)
        count_row = QHBoxLayout()
        count_row.setContentsMargins(0, 0, 0, 0)
        count_row.addWidget(self.countLabel, 1)
        count_row.addWidget(self.previewButton)
        layout.addLayout(count_row)
        layout.addWidget(self.pairsWarningLabel)

        self.contextEdit.textChanged.connect(self._timer.start)
        self.update_count()

    def text(self) -> str:
        return self.contextEdit.toPlainText()

    def set_text(self, text: str) -> None:
        self.contextEdit.setPlainText(text)
        self.update_count()

    def replace_text(self, text: str) -> None:
        """Put ``text`` in place of the editor's, as one edit that Ctrl+Z takes back.

        ``setPlainText`` would clear the undo history; an edit through a cursor keeps it.
        """
        from PySide6.QtGui import QTextCursor

        cursor = self.contextEdit.textCursor()
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()
        self.contextEdit.setTextCursor(cursor)
        self.update_count()

    def set_chunk_chars(self, chunk_chars: int) -> None:
        self._chunk_chars = chunk_chars
        self._timer.start()

    def set_pairs(self, pairs: int) -> None:
        self._pairs = pairs
        self._timer.start()

    def set_template(self, template: str) -> None:
        self._template = template
        self._timer.start()

    def set_prices(self, prices: TokenPrices) -> None:
        """Prices per million tokens: with both, the estimate shows the run's cost."""
        self._prices = prices
        self._timer.start()

    def first_prompt(self) -> str | None:
        """The first request's prompt as the text, pairs, chunk size and template stand now."""
        from qagen_desktop.core.estimate import first_prompt

        return first_prompt(self.text(), self._pairs, self._chunk_chars, self._template)

    def update_count(self) -> None:
        self._timer.stop()
        text = self.text()
        if not text.strip():
            self.countLabel.setText("No text yet")
            self.pairsWarningLabel.hide()
            return
        from qagen_desktop.core.estimate import estimate_run, format_cost, run_cost
        from qagen_desktop.core.generation.config import counting_size

        run = estimate_run(text, self._pairs, counting_size(self._chunk_chars), self._template)
        noun = "chunk" if run.chunks == 1 else "chunks"
        if run.fewest_per_chunk == run.most_per_chunk:
            each = f"{run.most_per_chunk:,}"
        else:
            each = f"{run.fewest_per_chunk:,}–{run.most_per_chunk:,}"
        used = f" (pairs from {run.chunks_used:,})" if run.chunks_used < run.chunks else ""
        cost = None if self._prices is None else run_cost(run, self._prices)
        priced = "" if cost is None else f" · {format_cost(cost)}"
        self.countLabel.setText(
            f"{len(text):,} characters · {run.chunks:,} {noun}{used} · {each} pairs per chunk"
            f" · about {run.total_tokens:,} tokens{priced}"
        )
        self.pairsWarningLabel.setVisible(run.too_many_pairs)
        if run.too_many_pairs:
            sentences = f"{run.sentences:,} sentence{'s' if run.sentences != 1 else ''}"
            self.pairsWarningLabel.setText(
                f"{run.pairs:,} pairs is a lot for {sentences}: expect repeats or fewer "
                "pairs than asked. Add text or ask for fewer."
            )
