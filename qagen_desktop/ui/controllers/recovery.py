"""Offering back, at start, the pairs of a session that ended without saving.

A journal that starts from a dataset file replays its edits by row onto that file; when the file
changed since, nothing is applied to it (the rows may no longer be the same pairs): the user is
told, and offered the pairs the journal itself holds as a new unsaved dataset. The journals and
their files are read on a worker thread: a large dataset does not hold up the first window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal, Slot

from qagen_desktop.core import paths
from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.background import call_off_thread
from qagen_desktop.ui.controllers.document import DocumentController

if TYPE_CHECKING:
    from qagen_desktop.core.journal import FileRef, RecoveredSession

log = logging.getLogger(__name__)


class RecoveryDialogs(Protocol):
    """The questions recovery asks (message boxes in the window)."""

    def ask_restore(self, session: RecoveredSession, pairs: list[QAPair]) -> bool | None:
        """True: restore; False: discard the journal; None: keep it for later."""
        ...

    def ask_restore_changed(
        self, session: RecoveredSession, changed: FileRef, pairs: list[QAPair]
    ) -> bool | None:
        """The base file changed: restore ``pairs`` (the journal's own) as a new dataset?"""
        ...


def _nothing_to_recover() -> bool:
    """True when the recovery folder is empty or missing: the usual start, which then needs
    no worker thread and no journal code."""
    folder = paths.recovery_dir()
    try:
        return not any(folder.iterdir())
    except FileNotFoundError:
        return True
    except OSError:  # unreadable: the full check says why
        return False


def _find_orphans() -> list[RecoveredSession]:
    # The journal module loads with the check, after the first paint.
    from qagen_desktop.core.journal import find_orphans

    return find_orphans()


def _load_base(ref: FileRef) -> list[QAPair]:
    from qagen_desktop.core.datasets import load_dataset

    return load_dataset(ref.path).pairs


@dataclass(frozen=True)
class _Replayed:
    """A journal replayed: its pairs, and the file they belong to, or the base that changed."""

    session: RecoveredSession
    pairs: list[QAPair]
    path: Path | None = None
    changed: FileRef | None = None


class RecoveryController(QObject):
    """Finds the journals of crashed sessions and restores one into the document.

    Signals: restored(int) -- the number of pairs restored.
    """

    restored = Signal(int)

    def __init__(
        self,
        document: DocumentController,
        dialogs: RecoveryDialogs,
        *,
        find_orphans: Callable[[], list[RecoveredSession]] | None = None,
        load_base: Callable[[FileRef], list[QAPair]] = _load_base,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._dialogs = dialogs
        self._find_orphans = find_orphans or _find_orphans
        # The journals' own folder, looked at first: with nothing in it there is nothing to do.
        self._nothing_to_recover = _nothing_to_recover if find_orphans is None else lambda: False
        self._load_base = load_base
        self.checked = False

    @Slot()
    def offer(self) -> None:
        """Offer back the pairs of a session that ended without saving (newest first)."""
        try:
            self._offer()
        finally:
            self.checked = True

    def _offer(self) -> None:
        if self._nothing_to_recover():
            return
        # Reading the journals and their base files (a dataset each, perhaps large) is done on
        # a worker thread; only the questions are asked here.
        for found in call_off_thread(self._replay_all):
            session = found.session
            if found.changed is not None:
                decision = self._dialogs.ask_restore_changed(session, found.changed, found.pairs)
                if self._settle(session, decision, found.pairs, path=None, adopt=False):
                    return
                continue
            decision = self._dialogs.ask_restore(session, found.pairs)
            if self._settle(session, decision, found.pairs, path=found.path, adopt=True):
                return

    def _replay_all(self) -> list[_Replayed]:
        """On a worker thread: every orphaned journal replayed, newest first."""
        from qagen_desktop.core import journal as journals

        replayed = []
        for session in reversed(self._find_orphans()):
            try:
                pairs = journals.replay(session.records, self._load_base)
            except journals.BaseChangedError as exc:
                own = journals.journal_pairs(session.records)
                replayed.append(_Replayed(session, own, changed=exc.ref))
                continue
            except Exception as exc:  # A journal we cannot read is kept for a later look.
                log.warning("Recovery journal %s could not be replayed (%s).", session.path, exc)
                continue
            base = session.base
            path = Path(base.path) if base is not None and base.unchanged() else None
            replayed.append(_Replayed(session, pairs, path=path))
        return replayed

    def _settle(
        self,
        session: RecoveredSession,
        decision: bool | None,
        pairs: list[QAPair],
        *,
        path: Path | None,
        adopt: bool,
    ) -> bool:
        if decision is None:
            return False
        if not decision:
            session.discard()
            return False
        document = self._document
        if not document.confirm_discard():
            return False  # The pairs on screen stay; the journal is offered again next time.
        document.replace(pairs, base=None, path=path)
        # The restored pairs are this session's changes now: journaled before the old file goes.
        if adopt:
            document.journal.adopt(session)
        else:  # Its edits belong to a file that changed: keep the pairs, not the edits.
            document.journal_arrivals(0, pairs)
        session.discard()
        document.set_dirty(True)
        self.restored.emit(len(pairs))
        return True
