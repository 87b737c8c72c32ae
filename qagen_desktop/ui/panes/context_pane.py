"""The context pane: the text pairs are made from, typed, pasted, opened or dropped in."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QFont, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from qagen_desktop.ui.widgets import name_widget

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
    """The context editor and a live count of characters and of the chunks it will make."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.contextEdit = name_widget(ContextEdit(), "contextEdit", "Context text")
        self.contextEdit.setPlaceholderText(
            "Paste or type the text to make questions from, or drop a .txt or .md file here."
        )
        self.contextEdit.setFont(QFont(self.contextEdit.font().family(), 10))
        self.countLabel = name_widget(QLabel(), "contextCountLabel", "Context size")
        self._chunk_chars = 3000
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COUNT_DELAY_MS)
        self._timer.timeout.connect(self.update_count)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.contextEdit, 1)
        layout.addWidget(self.countLabel)

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

    def update_count(self) -> None:
        self._timer.stop()
        text = self.text()
        if not text.strip():
            self.countLabel.setText("No text yet")
            return
        from qagen_desktop.core.chunking import count_chunks
        from qagen_desktop.core.generation.fitting import counting_size

        chunks = count_chunks(text, counting_size(self._chunk_chars))
        noun = "chunk" if chunks == 1 else "chunks"
        self.countLabel.setText(f"{len(text):,} characters · {chunks:,} {noun}")
