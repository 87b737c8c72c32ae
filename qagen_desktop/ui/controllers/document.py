"""The window's document: its pairs, undo stack, recovery journal, file and unsaved state.

No widget here: the model, the undo stack, a journal and the questions to ask the user are
handed in, so every path that could lose a pair is tested without a window.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QModelIndex, QObject, Signal
from PySide6.QtGui import QUndoStack

from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.records import PairStatus, QAPair
from qagen_desktop.core.settings import FORMATS
from qagen_desktop.ui.background import call_off_thread
from qagen_desktop.ui.controllers.dataset_jobs import CountedPairs, read_dataset, write_dataset
from qagen_desktop.ui.table.edit_commands import (
    EditCellCommand,
    InsertRowsCommand,
    RemoveRowsCommand,
    verdict_command,
)
from qagen_desktop.ui.table.results_model import FIELDS, SCORE, SOURCE, ResultsModel

if TYPE_CHECKING:
    from qagen_desktop.core.datasets import LoadedDataset
    from qagen_desktop.core.journal import FileRef, Journal

log = logging.getLogger(__name__)

DATASET_FILTER = "JSON Lines (*.jsonl *.json);;All files (*)"
MAX_BAD_LINES_SHOWN = 15
# Saves of more pairs than this show how far they got in the status bar as they go.
PROGRESS_FROM_PAIRS = 20_000
BUSY_MESSAGE = "A dataset is being opened or saved: try again when it is done."


class Unsaved(enum.Enum):
    """The user's answer to "save the unsaved pairs?"."""

    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


@dataclass(frozen=True)
class ExportOptions:
    """How the view says to write the dataset; ``selected_rows`` None means every pair.

    Rejected pairs are left out unless ``include_rejected``; ``include_meta`` writes each
    pair's ``meta`` object (source, chunk, status, score, reasons), so a re-open restores them.
    """

    format: str
    include_context: bool
    system_message: str
    selected_rows: list[int] | None = None
    include_meta: bool = False
    include_rejected: bool = False


class DocumentDialogs(Protocol):
    """The questions the document asks the user (message boxes and file dialogs in the window)."""

    def ask_open_path(self, title: str, filters: str) -> str | None: ...

    def ask_save_path(self, suggested: str) -> str | None: ...

    def ask_unsaved(self, count: int) -> Unsaved: ...

    def confirm(self, title: str, text: str) -> bool: ...

    def warn(self, title: str, text: str) -> None: ...


def _new_journal() -> Journal:
    # The journal module (hashing, JSON lines) loads with the first change to record.
    from qagen_desktop.core.journal import Journal

    return Journal()


class DocumentController(QObject):
    """The pairs the window holds, and whether (and where) they are saved.

    Signals: stateChanged() -- dirty or path changed; opened(LoadedDataset); status(str);
    recentFile(str) -- a file was opened or saved.
    """

    stateChanged = Signal()
    opened = Signal(object)
    status = Signal(str)
    recentFile = Signal(str)

    def __init__(
        self,
        model: ResultsModel,
        undo_stack: QUndoStack,
        dialogs: DocumentDialogs,
        export_options: Callable[[], ExportOptions],
        *,
        journal_factory: Callable[[], Journal] | None = None,
        dialog_folder: Callable[[], str] = lambda: str(Path.home()),
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.undo_stack = undo_stack
        self._journal_factory = journal_factory or _new_journal
        self._journal: Journal | None = None
        self._dialogs = dialogs
        self._export_options = export_options
        self.dialog_folder = dialog_folder
        self.current_path: Path | None = None
        self.dirty = False
        self.system_message: str | None = None
        # Keys of the opened file's lines that its format does not keep: named before a save.
        self.dropped_fields: list[str] = []
        # Pairs a run has sent but the table does not show yet; drained before any save.
        self.flush_pending: Callable[[], None] = lambda: None
        self._journal_paused = False
        self._journal_warned = False
        # Counts every change to the pairs: a save knows whether it wrote the latest of them.
        self._revision = 0
        # True while a file is read or written off the GUI thread (the window stays live).
        self.busy = False

        model.edit_handler = self._edit_cell
        model.rowsInserted.connect(self._rows_inserted)
        model.rowsRemoved.connect(self._rows_removed)
        model.dataChanged.connect(self._data_changed)

    @property
    def journal(self) -> Journal:
        """The recovery journal, made on first use (a journal writes no file before a change)."""
        if self._journal is None:
            self._journal = self._journal_factory()
        return self._journal

    @journal.setter
    def journal(self, journal: Journal) -> None:
        self._journal = journal

    def prepare_journal(self) -> None:
        """Make the journal now, while the window waits for input (just after its first paint):
        made at a run's first pair, its module's import (hashing, JSON) stalled the window."""
        _ = self.journal

    # Edits --------------------------------------------------------------------------------------

    def _edit_cell(self, row: int, column: int, text: str) -> None:
        self.undo_stack.push(EditCellCommand(self.model, row, column, text))

    def insert_rows(self, row: int, pairs: list[QAPair]) -> None:
        self.undo_stack.push(InsertRowsCommand(self.model, row, pairs))

    def remove_rows(self, rows: list[int]) -> None:
        if rows:
            self.undo_stack.push(RemoveRowsCommand(self.model, rows))

    def set_verdict(self, rows: list[int], *, accept: bool) -> int:
        """Accept or reject ``rows`` by hand, as one undoable step; how many changed."""
        command = verdict_command(self.model, rows, accept)
        if command is None:
            return 0
        self.undo_stack.push(command)
        return command.rows_changed

    def journal_arrivals(self, row: int, pairs: list[QAPair]) -> None:
        """Record pairs a run sent at once, before they are shown: a crash loses none."""
        self._journal_call(self.journal.record_insert, row, pairs)

    def append_journaled(self, pairs: list[QAPair]) -> None:
        """Show pairs already recorded by ``journal_arrivals``."""
        self._journal_paused = True
        try:
            self.model.append_pairs(pairs)
        finally:
            self._journal_paused = False

    # Model changes -> journal and unsaved state -------------------------------------------------

    def _journal_call(self, method: Callable[..., None], *args: Any) -> None:
        try:
            method(*args)
        except OSError as exc:
            if not self._journal_warned:
                self._journal_warned = True
                self.status.emit(
                    f"The recovery journal cannot be written ({exc.strerror}): save often."
                )

    def _rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        self._revision += 1
        if not self._journal_paused:
            self._journal_call(
                self.journal.record_insert, first, self.model.pairs[first : last + 1]
            )
        self.set_dirty(True)

    def _rows_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        self._revision += 1
        if not self._journal_paused:
            self._journal_call(self.journal.record_remove, first, last - first + 1)
        self.set_dirty(True)

    def _data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, *_: Any) -> None:
        self._revision += 1
        if not self._journal_paused and bottom_right.column() >= SCORE:
            # Another pair at the row (a verdict, a regenerated pair, an edit): journaled whole.
            for row in range(top_left.row(), bottom_right.row() + 1):
                self._journal_call(self.journal.record_replace, row, self.model.pairs[row])
        elif not self._journal_paused:
            for row in range(top_left.row(), bottom_right.row() + 1):
                for column in range(top_left.column(), min(bottom_right.column(), SOURCE - 1) + 1):
                    value = self.model.text(row, column)
                    self._journal_call(self.journal.record_set, row, FIELDS[column], value)
        self.set_dirty(True)

    def set_dirty(self, dirty: bool) -> None:
        self.dirty = dirty
        self.stateChanged.emit()

    def replace(self, pairs: list[QAPair], *, base: FileRef | None, path: Path | None) -> None:
        """Show other pairs in place of these (the caller has asked about unsaved ones)."""
        self._revision += 1
        self._journal_paused = True
        try:
            self.model.replace_all(pairs)
        finally:
            self._journal_paused = False
        self.undo_stack.clear()
        self.journal.set_base(base)
        self.current_path = path
        self.dropped_fields = []
        self.system_message = None
        self.set_dirty(False)

    # Asking before pairs go away ------------------------------------------------------------------

    @property
    def has_unsaved(self) -> bool:
        """True when closing or replacing the pairs would lose something not on disk."""
        self.flush_pending()
        return self.dirty and (self.model.rowCount() > 0 or self.current_path is not None)

    def ask_unsaved(self) -> Unsaved:
        """What the user wants done with unsaved pairs; asking changes nothing."""
        if not self.has_unsaved:
            return Unsaved.DISCARD
        return self._dialogs.ask_unsaved(self.model.rowCount())

    def settle(self, answer: Unsaved) -> bool:
        """Carry out an answer: True once every pair is saved, or when the user chose to discard.

        Discard changes nothing here: the pairs, the unsaved mark and the journal stay until the
        caller replaces them (``replace``) or the window goes (``close``), so a step the user
        cancels after this one loses nothing.
        """
        if answer is Unsaved.SAVE and self.has_unsaved:
            return self.save(whole=True)
        return answer is not Unsaved.CANCEL

    def confirm_discard(self) -> bool:
        """Ask before unsaved pairs go away: True to go on (saved, or to be discarded)."""
        return self.settle(self.ask_unsaved())

    def close(self) -> None:
        """The window goes: the journal goes with it (only after ``confirm_discard``)."""
        self.journal.discard()

    # Files --------------------------------------------------------------------------------------

    def open_dataset(self, path: str | Path | None = None) -> bool:
        """Open a dataset (any of the four formats) in place of the table's pairs.

        The file is asked for first and read before anything is replaced: a cancelled dialog, a
        cancelled question or a file that cannot be read leaves the table as it was. It is read
        on a worker thread; the window stays live meanwhile.
        """
        path = path or self._dialogs.ask_open_path("Open dataset", DATASET_FILTER)
        if not path:
            return False
        if self.busy:
            self.status.emit(BUSY_MESSAGE)
            return False
        if not self.confirm_discard():
            return False
        target = Path(path)
        revision = self._revision
        self.status.emit(f"Opening {target.name}…")
        self.busy = True
        try:
            loaded, ref = call_off_thread(partial(read_dataset, target))
        except (ConfigError, OSError) as exc:
            self.status.emit("")
            self._dialogs.warn("Open dataset", str(exc))
            return False
        finally:
            self.busy = False
        # Changed while the file was read (a run's last pairs, an edit): ask again about those.
        if self._revision != revision and not self.confirm_discard():
            return False
        self.replace(loaded.pairs, base=ref, path=target)
        self.system_message = loaded.system_message
        self.dropped_fields = list(loaded.dropped_fields)
        self.opened.emit(loaded)
        self.recentFile.emit(str(target))
        self.status.emit(f"Opened {len(loaded.pairs):,} pairs from {target.name}.")
        if loaded.bad_lines:
            self._warn_bad_lines(target, loaded)
        return True

    def _warn_bad_lines(self, target: Path, loaded: LoadedDataset) -> None:
        shown = [
            f"Line {bad.line_no}: {bad.reason}" for bad in loaded.bad_lines[:MAX_BAD_LINES_SHOWN]
        ]
        more = len(loaded.bad_lines) - len(shown)
        if more > 0:
            shown.append(f"… and {more} more.")
        self._dialogs.warn(
            "Some lines were skipped",
            f"{len(loaded.bad_lines)} lines of {target.name} could not be read and were "
            "skipped:\n" + "\n".join(shown),
        )

    def save(self, *, whole: bool = False) -> bool:
        """Save to the current file (asking for one if there is none).

        ``whole`` saves every pair even where the view asks for the selected rows only: used
        when pairs are about to go away, so none is lost to an export of some rows.
        """
        if self.current_path is None or (
            not whole and self._export_options().selected_rows is not None
        ):
            return self.save_as(whole=whole)
        return self.write(self.current_path, whole=whole)

    def save_as(self, *, whole: bool = False) -> bool:
        suggested = str(self._suggested_path())
        chosen = self._dialogs.ask_save_path(suggested)
        if not chosen:
            return False
        target = Path(chosen)
        if not target.suffix:
            target = target.with_suffix(".jsonl")
        return self.write(target, whole=whole)

    def _suggested_path(self) -> Path:
        """The current file; else (or where its name was only a format's) FORMAT.jsonl."""
        name = f"{self._export_options().format}.jsonl"
        current = self.current_path
        if current is None:
            return Path(self.dialog_folder()) / name
        if current.stem in FORMATS:
            return current.with_name(name)
        return current

    def write(self, path: Path, *, whole: bool = False) -> bool:
        """Save the pairs (or only the selected ones) in the chosen format, atomically.

        The file is written on a worker thread while the window stays live. The pairs are those
        of the moment the save began: a change made while it runs stays unsaved (and journaled),
        so the unsaved mark is cleared only when the file holds every pair.
        """
        if self.busy:
            self.status.emit(BUSY_MESSAGE)
            return False
        self.flush_pending()
        options = self._export_options()
        rows = None if whole else options.selected_rows
        pairs = list(self.model.pairs) if rows is None else [self.model.pairs[row] for row in rows]
        left_out = 0
        if not options.include_rejected:
            kept = [pair for pair in pairs if pair.status is not PairStatus.REJECTED]
            left_out, pairs = len(pairs) - len(kept), kept
        if self.dropped_fields and not self._dialogs.confirm(
            "Fields will be dropped",
            "The opened file's lines hold fields that the dataset formats do not keep "
            f"({', '.join(self.dropped_fields)}); the saved file will not have them. "
            "Save without them?",
        ):
            return False
        system_message = self.system_message
        if system_message is None:
            system_message = options.system_message
        revision = self._revision
        written = CountedPairs(pairs)
        save = partial(
            write_dataset,
            path,
            written,
            options.format,
            include_context=options.include_context,
            system_message=system_message,
            include_meta=options.include_meta,
        )

        def progress() -> None:
            self.status.emit(f"Saving {path.name}: {written.done:,} of {len(pairs):,} pairs…")

        self.busy = True
        try:
            ref = call_off_thread(
                save, progress=progress if len(pairs) > PROGRESS_FROM_PAIRS else None
            )
        except (ConfigError, OSError) as exc:
            message = str(exc) if isinstance(exc, ConfigError) else f"Cannot save {path}: {exc}"
            self.status.emit("")
            self._dialogs.warn("Save dataset", message)
            return False
        finally:
            self.busy = False
        self.recentFile.emit(str(path))
        note = f" ({left_out:,} rejected left out)" if left_out else ""
        self.status.emit(f"Saved {len(pairs):,} pairs to {path.name}{note}.")
        if rows is not None:
            return True  # An export of some rows: the whole table is still unsaved.
        self.current_path = path
        self.dropped_fields = []  # the user was told; the file on disk no longer holds them
        self.system_message = system_message
        if self._revision == revision and not left_out:
            self.journal.set_base(ref)
            self.set_dirty(False)
            return True
        # The file does not hold the table as it is now (changed while the file was written, or
        # rejected pairs left out): the journal starts again from the file with the whole table,
        # so a recovery brings back every row, rejected ones included.
        self.journal.set_base(ref)
        if ref is not None:
            self._journal_call(self.journal.record_remove, 0, len(pairs))
        self._journal_call(self.journal.record_insert, 0, self.model.pairs)
        if self._revision == revision:
            self.set_dirty(False)  # what the user chose to keep is on disk
            return True
        self.status.emit(
            f"Saved {len(pairs):,} pairs to {path.name}; the changes made while it saved are "
            "not saved yet."
        )
        self.set_dirty(True)
        return True
