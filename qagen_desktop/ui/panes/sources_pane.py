"""The Sources list: the pasted text and the files a run reads, with their pages, size and chunks.

Files and folders come in by dropping them here or from "Add files…" (Ctrl+L) and "Add folder…";
they are read off the GUI thread by one ``SourcesWorker`` at a time, each row showing its progress
("reading… 120/500 pages"), then its counts or the one line that says why it could not be read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QItemSelection, Qt, QThread, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from qagen_desktop.core.chunking import count_chunks
from qagen_desktop.core.sources import (
    DEFAULT_MAX_BYTES,
    SUPPORTED_SUFFIXES,
    Source,
    SourceError,
    expand_sources,
    read_source,
)
from qagen_desktop.ui.sources_worker import Reader, SourcesWorker
from qagen_desktop.ui.table.sources_model import (
    CHARACTERS,
    HEADERS,
    NAME,
    SPAN_FIRST,
    SPAN_WIDTH,
    EntryState,
    SourceEntry,
    SourcesModel,
)
from qagen_desktop.ui.widgets import name_widget
from qagen_desktop.ui.worker import start_in_thread

if TYPE_CHECKING:
    # Types only: PySide6 makes a class (and its enums) on first import.
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

_FILTER = "Documents ({});;All files (*)".format(" ".join(f"*{s}" for s in SUPPORTED_SUFFIXES))


def _local_paths(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


class SourcesPane(QWidget):
    """The run's sources: "pasted text" first, then the files, read in a worker thread.

    Signals: sourcesChanged() -- a row was added, read, refused or removed, or the pasted text
    changed. The window puts ``addSourcesAction`` (Ctrl+L) and ``addFolderAction`` in its menu,
    passes the context editor's text to ``set_pasted_text`` and calls ``cancel()`` on close.
    """

    sourcesChanged = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        reader: Reader = read_source,
        max_bytes: int = DEFAULT_MAX_BYTES,
        chunk_chars: int = 3000,
    ) -> None:
        super().__init__(parent)
        self._reader = reader
        self._max_bytes = max_bytes
        self._chunk_chars = chunk_chars
        self._pending: list[str] = []
        self._worker: SourcesWorker | None = None
        self._thread: QThread | None = None
        self.model = SourcesModel(self)

        self.titleLabel = name_widget(QLabel("Sources"), "sourcesTitle", "Sources")
        self.sourcesList = name_widget(QTableView(), "sourcesList", "Sources")
        self._build_list()
        self.addSourcesAction = self._action("Add files…", "actionAddSources", "Add source files")
        self.addSourcesAction.setShortcut(QKeySequence("Ctrl+L"))
        self.addFolderAction = self._action("Add folder…", "actionAddFolder", "Add a folder")
        self.removeSourceAction = self._action("Remove", "actionRemoveSource", "Remove source")
        self.removeSourceAction.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        # Del removes a source only while the list has the focus: the results table owns it too.
        self.removeSourceAction.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.sourcesList.addAction(self.removeSourceAction)
        self.addAction(self.addSourcesAction)
        self.addAction(self.addFolderAction)

        self.addSourcesButton = self._button(self.addSourcesAction, "addSourcesButton")
        self.addFolderButton = self._button(self.addFolderAction, "addFolderButton")
        self.removeSourceButton = self._button(self.removeSourceAction, "removeSourceButton")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.addSourcesButton, self.addFolderButton, self.removeSourceButton):
            buttons.addWidget(button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.titleLabel)
        layout.addWidget(self.sourcesList, 1)
        layout.addLayout(buttons)
        self.setAcceptDrops(True)

        self.addSourcesAction.triggered.connect(self.choose_files)
        self.addFolderAction.triggered.connect(self.choose_folder)
        self.removeSourceAction.triggered.connect(self.remove_selected)
        selection = self.sourcesList.selectionModel()
        selection.selectionChanged.connect(self._selection_changed)
        self._selection_changed(QItemSelection(), QItemSelection())

    def _build_list(self) -> None:
        view = self.sourcesList
        view.setModel(self.model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setWordWrap(False)
        view.setShowGrid(False)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
        # An error line ends with its fix: its start is what a narrow pane must keep.
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = view.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        # Fixed count columns: sized to their contents, a failed row's long line would widen them.
        width = view.fontMetrics().horizontalAdvance(HEADERS[CHARACTERS]) + 16
        for column in range(1, len(HEADERS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, width)

    def _action(self, text: str, object_name: str, tip: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(object_name)
        action.setToolTip(tip)
        return action

    def _button(self, action: QAction, object_name: str) -> QToolButton:
        button = name_widget(QToolButton(), object_name, action.toolTip())
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    # What the window reads --------------------------------------------------------------------

    def sources(self) -> list[Source]:
        """The sources a run uses: the pasted text when it holds any, then each file read."""
        found: list[Source] = []
        for entry in self.model.entries:
            if entry.source is not None and entry.source.text.strip():
                found.append(entry.source)
        return found

    def failures(self) -> list[tuple[str, str]]:
        """(file name, the one line saying why it cannot be used) for each refused row."""
        return [(e.name, e.error) for e in self.model.entries if e.state is EntryState.FAILED]

    def is_busy(self) -> bool:
        """True while a file is waiting or being read."""
        return self._thread is not None or bool(self._pending)

    # What the window sets ---------------------------------------------------------------------

    def set_chunk_chars(self, chunk_chars: int) -> None:
        """Count each source's chunks for a new chunk size."""
        self._chunk_chars = chunk_chars
        for row, entry in enumerate(self.model.entries):
            if entry.source is not None:
                entry.chunks = self._count(entry.source)
                self.model.changed(row)

    def set_pasted_text(self, text: str) -> None:
        """The context editor's text, the first source (counted as it changes)."""
        entry = self.model.entries[0]
        entry.source = Source.pasted(text)
        entry.chunks = self._count(entry.source)
        self.model.changed(0)
        self.sourcesChanged.emit()

    def _count(self, source: Source) -> int:
        # Imported here, as the context pane does: the fitting pulls in the HTTP client.
        from qagen_desktop.core.generation.config import counting_size

        size = counting_size(self._chunk_chars)  # "auto" is known only once a server is asked
        return count_chunks(source.text, size) if source.text.strip() else 0

    # Adding and removing ----------------------------------------------------------------------

    def add_paths(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        """List files and folders (a folder: its supported files) and start reading them.

        A file already listed is skipped; a folder with nothing to read, or a file of a kind that
        cannot be read, becomes a failed row with its one line.
        """
        listed = {self._resolved(e.key) for e in self.model.entries[1:]}
        new: list[SourceEntry] = []
        for given in paths:
            path = Path(given)
            try:
                files = expand_sources([path])
            except SourceError as exc:
                files, refused = [], SourceEntry.refused(path, str(exc))
                if self._resolved(refused.key) not in listed:
                    listed.add(self._resolved(refused.key))
                    new.append(refused)
            for file in files:
                if self._resolved(str(file)) not in listed:
                    listed.add(self._resolved(str(file)))
                    new.append(SourceEntry.queued(file))
        if not new:
            return
        self.model.append(new)
        self._pending.extend(e.key for e in new if e.state is EntryState.QUEUED)
        self._refresh_spans()
        self._start_next()
        self.sourcesChanged.emit()

    @staticmethod
    def _resolved(key: str) -> str:
        return str(Path(key).resolve())

    @Slot()
    def choose_files(self) -> None:
        from PySide6.QtWidgets import QFileDialog  # its class and enums: made when first asked

        names, _filter = QFileDialog.getOpenFileNames(self, "Add sources", "", _FILTER)
        if names:
            self.add_paths(names)

    @Slot()
    def choose_folder(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        folder = QFileDialog.getExistingDirectory(self, "Add a folder of sources")
        if folder:
            self.add_paths([folder])

    @Slot()
    def remove_selected(self) -> None:
        """Remove the selected files (the pasted text stays); a file being read stops."""
        rows = sorted({index.row() for index in self.sourcesList.selectionModel().selectedRows()})
        removed = False
        for row in reversed([r for r in rows if r > 0]):
            entry = self.model.remove_row(row)
            if entry.key in self._pending:
                self._pending.remove(entry.key)
            if self._worker is not None and isValid(self._worker):
                self._worker.drop(entry.key)
            removed = True
        if removed:
            self._refresh_spans()
            self.sourcesChanged.emit()

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.sourcesList.selectionModel().selectedRows()
        self.removeSourceAction.setEnabled(any(index.row() > 0 for index in rows))

    # Dropping files ---------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _local_paths(event):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if _local_paths(event):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _local_paths(event)
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)
        else:
            super().dropEvent(event)

    # Reading ----------------------------------------------------------------------------------

    def _start_next(self) -> None:
        if self._thread is not None or not self._pending:
            return
        worker = SourcesWorker(self._pending, reader=self._reader, max_bytes=self._max_bytes)
        self._pending = []
        worker.progress.connect(self._progress)
        worker.loaded.connect(self._loaded)
        worker.failed.connect(self._failed)
        self._worker = worker
        self._thread = start_in_thread(worker, self._thread_finished)

    @Slot()
    def _thread_finished(self) -> None:
        thread = self._thread
        # A thread that cancel() already waited for may report after a newer one started.
        if thread is None or self.sender() is not thread:
            return
        # QThread.finished comes just before the thread ends, and dropping the last reference
        # deletes the QThread: deleting it while it still runs crashes the process.
        thread.wait()
        self._worker = self._thread = None
        self._start_next()

    def _entry(self, key: str) -> tuple[int, SourceEntry | None]:
        row = self.model.row_of(key)
        return row, (self.model.entries[row] if row >= 0 else None)

    @Slot(str, int, int)
    def _progress(self, key: str, done: int, total: int) -> None:
        row, entry = self._entry(key)
        if entry is not None and entry.state in (EntryState.QUEUED, EntryState.READING):
            entry.state, entry.done, entry.total = EntryState.READING, done, total
            self.model.changed(row)

    @Slot(str, object)
    def _loaded(self, key: str, source: Source) -> None:
        row, entry = self._entry(key)
        if entry is None:
            return
        entry.state, entry.source, entry.chunks = EntryState.LOADED, source, self._count(source)
        self._settle(row)

    @Slot(str, str)
    def _failed(self, key: str, message: str) -> None:
        row, entry = self._entry(key)
        if entry is None:
            return
        entry.state, entry.error = EntryState.FAILED, message
        self._settle(row)

    def _settle(self, row: int) -> None:
        self.model.changed(row)
        self._refresh_spans()
        self.sourcesChanged.emit()

    def _refresh_spans(self) -> None:
        """A waiting, reading or failed row's one line spans the count columns."""
        view = self.sourcesList
        view.clearSpans()
        for row, entry in enumerate(self.model.entries):
            if entry.spans_counts:
                view.setSpan(row, SPAN_FIRST, 1, SPAN_WIDTH)

    def cancel(self) -> None:
        """Stop reading and wait for the thread (the window calls it on close).

        Files not read by then become failed rows that say so: nothing is dropped unseen.
        """
        self._pending = []
        worker, thread = self._worker, self._thread
        if worker is not None and isValid(worker):
            worker.cancel()
        if thread is not None and isValid(thread):
            thread.wait()
        # Deliver what the worker sent before it stopped, and its thread's clean-up.
        QCoreApplication.sendPostedEvents()
        self._worker = self._thread = None
        for row, entry in enumerate(self.model.entries):
            if entry.state in (EntryState.QUEUED, EntryState.READING):
                entry.state = EntryState.FAILED
                entry.error = f"Reading {entry.key} was cancelled: add it again to read it."
                self._settle(row)
