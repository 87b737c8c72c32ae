"""The Sources list's model: a thin Qt adapter over a plain list of ``SourceEntry``.

Row 0 is always the pasted text; the files follow in the order they were added. Each row shows
its name, pages (PDF), characters and chunks; a row still being read or that failed shows one line
in place of the counts (the view spans it over those columns, see ``SPAN_FIRST``/``SPAN_WIDTH``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from qagen_desktop.core.sources import PASTED_NAME, Source

NAME, PAGES, CHARACTERS, CHUNKS = range(4)
HEADERS = ("Source", "Pages", "Characters", "Chunks")
# The columns a reading or failed row's one line covers.
SPAN_FIRST, SPAN_WIDTH = PAGES, 3

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_NUMBER_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

AnyIndex = QModelIndex | QPersistentModelIndex
_PROGRESS_UNITS = {".pdf": "pages", ".epub": "chapters"}


class EntryState(enum.Enum):
    """Where a row stands: the pasted text, a file waiting or being read, read, or refused."""

    PASTED = "pasted"
    QUEUED = "queued"
    READING = "reading"
    LOADED = "loaded"
    FAILED = "failed"


@dataclass
class SourceEntry:
    """One row: ``key`` is the path string the reader was given ("" for the pasted text)."""

    key: str
    name: str
    state: EntryState
    source: Source | None = None
    error: str = ""
    done: int = 0
    total: int = 0
    chunks: int = 0

    @classmethod
    def pasted(cls) -> SourceEntry:
        return cls(key="", name=PASTED_NAME, state=EntryState.PASTED, source=Source.pasted(""))

    @classmethod
    def queued(cls, path: Path) -> SourceEntry:
        return cls(key=str(path), name=path.name or str(path), state=EntryState.QUEUED)

    @classmethod
    def refused(cls, path: Path, message: str) -> SourceEntry:
        return cls(
            key=str(path), name=path.name or str(path), state=EntryState.FAILED, error=message
        )

    @property
    def spans_counts(self) -> bool:
        """A row with one line (waiting, reading, failed) in place of its counts."""
        return self.state in (EntryState.QUEUED, EntryState.READING, EntryState.FAILED)

    def status_line(self) -> str:
        """The one line a waiting, reading or failed row shows in place of its counts."""
        if self.state is EntryState.QUEUED:
            return "waiting…"
        if self.state is EntryState.READING:
            # Only PDFs (pages) and EPUBs (chapters) report steps; the rest report one at the end.
            unit = _PROGRESS_UNITS.get(Path(self.name).suffix.lower())
            if not self.total or unit is None:
                return "reading…"
            return f"reading… {self.done:,}/{self.total:,} {unit}"
        if self.state is EntryState.FAILED:
            return self._short_error()
        return ""

    def _short_error(self) -> str:
        """The error without its leading path ("Encrypted: remove the password first."): the
        name has its own column, and the whole line is the tooltip."""
        if not self.key or not self.error.startswith(self.key + " "):
            return self.error.replace(self.key, self.name, 1) if self.key else self.error
        rest = self.error[len(self.key) + 1 :]
        rest = rest.removeprefix("is ")
        return rest[:1].upper() + rest[1:]


def error_colour(palette: QPalette) -> QColor:
    """Red that reads on the palette's base: darker on a light theme, lighter on a dark one."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    lightness = 110 if base.lightness() >= text.lightness() else 165
    return QColor.fromHsl(0, 200, lightness)


class SourcesModel(QAbstractTableModel):
    """Name, pages, characters and chunks over ``entries``; read-only, rows selectable."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[SourceEntry] = [SourceEntry.pasted()]

    @property
    def entries(self) -> list[SourceEntry]:
        """The list itself (read it; change it only through the methods below)."""
        return self._entries

    # Qt's model interface -------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY and 0 <= section < 4:
            return HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = index.column()
        if role == _DISPLAY:
            return self._display(entry, column)
        if role == _TOOLTIP:
            return self._tooltip(entry)
        if role == _FOREGROUND and entry.state is EntryState.FAILED:
            return error_colour(QApplication.palette())
        if role == _ALIGNMENT and column != NAME and not entry.spans_counts:
            return _NUMBER_ALIGNMENT
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    @staticmethod
    def _display(entry: SourceEntry, column: int) -> str | None:
        if column == NAME:
            return "Pasted text" if entry.state is EntryState.PASTED else entry.name
        if entry.spans_counts:
            return entry.status_line() if column == SPAN_FIRST else None
        source = entry.source
        if source is None:
            return None
        if column == PAGES:
            return f"{source.pages:,}" if source.pages else ""
        if column == CHARACTERS:
            return f"{len(source.text):,}"
        return f"{entry.chunks:,}"

    @staticmethod
    def _tooltip(entry: SourceEntry) -> str | None:
        if entry.state is EntryState.FAILED:
            return entry.error
        if entry.state is EntryState.PASTED:
            return "The text in the context editor"
        if entry.source is not None and entry.source.path is not None:
            return str(entry.source.path)
        return entry.key or None

    # The primitives every change goes through ------------------------------------------------

    def row_of(self, key: str) -> int:
        """The row of the file read from ``key``; -1 when it is not listed."""
        for row, entry in enumerate(self._entries):
            if entry.key == key and entry.state is not EntryState.PASTED:
                return row
        return -1

    def append(self, entries: Iterable[SourceEntry]) -> None:
        new = list(entries)
        if not new:
            return
        first = len(self._entries)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._entries.extend(new)
        self.endInsertRows()

    def remove_row(self, row: int) -> SourceEntry:
        """Remove one file's row (never the pasted text's, row 0) and return it."""
        if not 0 < row < len(self._entries):
            raise IndexError(row)
        self.beginRemoveRows(QModelIndex(), row, row)
        entry = self._entries.pop(row)
        self.endRemoveRows()
        return entry

    def changed(self, row: int) -> None:
        """Tell the view that ``row``'s entry was changed in place."""
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
