"""The recovery journal: every change to the window's pairs since the last save, on disk.

One JSONL file per window session under ``paths.recovery_dir()``. Each pair received and each
edit, insertion or deletion is appended and flushed at once, so a crash (even SIGKILL) loses
nothing that was on screen. An opened dataset is recorded as a reference to its file (path, size,
modification time and a hash of its bytes), not copied; replaying onto a file that changed since
raises ``BaseChangedError`` rather than apply edits by row to what may be other pairs.
A save or an explicit discard removes the file; a file left behind by a session that no longer
runs is offered back at the next start.

While a session runs it holds a lock on its journal, so a second window never offers to restore
a journal that is still being written. The journal never holds the API key: only pairs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from qagen_desktop import APP_NAME
from qagen_desktop.core import paths
from qagen_desktop.core.provenance import apply_meta, meta_of
from qagen_desktop.core.records import QAPair

log = logging.getLogger(__name__)

JOURNAL_VERSION = 1
COLUMNS = ("question", "answer")
CHANGE_OPS = ("insert", "remove", "set", "replace")
_PLAIN_META = {"status": "accepted"}  # what a pair without provenance or verdict says

try:  # POSIX: an advisory lock the kernel drops when the process dies, however it dies.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class FileRef:
    """A dataset file as it was when opened or saved: enough to tell whether it changed since.

    ``sha256`` catches a change that keeps the size and the modification time (a copy with
    ``cp -p``, a coarse clock); empty in journals written before it was recorded.
    """

    path: str
    size: int
    mtime_ns: int
    sha256: str = ""

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> FileRef:
        resolved = Path(path).resolve()
        info = resolved.stat()
        return cls(str(resolved), info.st_size, info.st_mtime_ns, _file_hash(resolved))

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> FileRef:
        return cls(
            str(record["path"]),
            int(record["size"]),
            int(record["mtime_ns"]),
            str(record.get("sha256", "")),
        )

    def to_record(self) -> dict[str, Any]:
        return {
            "op": "base",
            "path": self.path,
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "sha256": self.sha256,
        }

    def unchanged(self) -> bool:
        """True when the file is still there with the same size, modification time and bytes."""
        try:
            info = Path(self.path).stat()
            if info.st_size != self.size or info.st_mtime_ns != self.mtime_ns:
                return False
            return not self.sha256 or _file_hash(Path(self.path)) == self.sha256
        except OSError:
            return False


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Journal:
    """Appends one session's changes to its journal file, created at the first change.

    Row numbers are positions in the window's full list of pairs (not the filtered view).
    """

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder
        self._handle: IO[bytes] | None = None
        self._path: Path | None = None
        self._sources: dict[str, int] = {}
        self._base: FileRef | None = None

    @property
    def path(self) -> Path | None:
        """The journal file, or None while nothing has changed since the last save."""
        return self._path

    def set_base(self, ref: FileRef | None) -> None:
        """Start over from a dataset file (opened or just saved), or from an empty table.

        Any earlier journal file is removed: its changes are in that file now, or were discarded.
        """
        self.discard()
        self._base = ref

    def record_insert(self, row: int, pairs: Iterable[QAPair]) -> None:
        handle = self._open()
        lines: list[bytes] = []
        encoded = [self._encode(pair, lines) for pair in pairs]
        lines.append(_line({"op": "insert", "row": row, "pairs": encoded}))
        self._write(handle, lines)

    def record_replace(self, row: int, pair: QAPair) -> None:
        """Another pair at ``row``: a verdict given, a pair regenerated, an edit by hand."""
        handle = self._open()
        lines: list[bytes] = []
        encoded = self._encode(pair, lines)
        lines.append(_line({"op": "replace", "row": row, "pair": encoded}))
        self._write(handle, lines)

    def _encode(self, pair: QAPair, lines: list[bytes]) -> list[Any]:
        """``[question, answer, chunk, source id]``, and the pair's meta object (provenance and
        verdict, as a dataset file writes it) where it says more than "accepted"."""
        source_id = None
        if pair.source:
            source_id = self._sources.get(pair.source)
            if source_id is None:
                source_id = len(self._sources)
                self._sources[pair.source] = source_id
                lines.append(_line({"op": "src", "id": source_id, "text": pair.source}))
        encoded: list[Any] = [pair.question, pair.answer, pair.chunk, source_id]
        meta = meta_of(pair)
        meta.pop("chunk", None)
        if meta != _PLAIN_META:
            encoded.append(meta)
        return encoded

    def record_remove(self, row: int, count: int) -> None:
        self._write(self._open(), [_line({"op": "remove", "row": row, "count": count})])

    def record_set(self, row: int, column: str, value: str) -> None:
        if column not in COLUMNS:
            raise ValueError(f"not an editable column: {column!r}")
        record = {"op": "set", "row": row, "column": column, "value": value}
        self._write(self._open(), [_line(record)])

    def adopt(self, session: RecoveredSession) -> None:
        """Continue from a recovered session: its records become this journal's first lines."""
        self.discard()
        self._base = None
        handle = self._open()
        lines = []
        for record in session.records:
            if record.get("op") == "src":
                self._sources[str(record["text"])] = int(record["id"])
            lines.append(_line(record))
        self._write(handle, lines)

    def discard(self) -> None:
        """Close and remove the journal file (after a save, or when the user discards)."""
        self.close()
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()
        self._path = None
        self._sources.clear()

    def close(self) -> None:
        """Close the file but leave it on disk (it stays recoverable)."""
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
            self._handle = None

    def _open(self) -> IO[bytes]:
        if self._handle is not None:
            return self._handle
        folder = self._folder or paths.recovery_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"session-{stamp}-{os.getpid()}-{id(self) & 0xFFFF:04x}.jsonl"
        handle = open(path, "ab")  # noqa: SIM115 - kept open for the whole session
        _lock(handle)
        self._handle, self._path = handle, path
        header = {"journal": JOURNAL_VERSION, "app": APP_NAME, "pid": os.getpid()}
        header["created"] = time.time()
        lines = [_line(header)]
        if self._base is not None:
            lines.append(_line(self._base.to_record()))
        self._write(handle, lines)
        return handle

    @staticmethod
    def _write(handle: IO[bytes], lines: list[bytes]) -> None:
        # One write per change and a flush: after a crash the file ends at a whole change, or
        # with one torn line that reading ignores.
        handle.write(b"".join(lines))
        handle.flush()


@dataclass
class RecoveredSession:
    """A journal left behind by a session that ended without saving or discarding."""

    path: Path
    created: float
    records: list[dict[str, Any]] = field(default_factory=list)
    skipped_lines: int = 0

    @property
    def base(self) -> FileRef | None:
        ref = None
        for record in self.records:
            if record.get("op") == "base":
                ref = FileRef.from_record(record)
        return ref

    @property
    def has_changes(self) -> bool:
        return any(record.get("op") in CHANGE_OPS for record in self.records)

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def read_journal(path: Path) -> RecoveredSession:
    """Read a journal file; a torn last line (the crash came mid-write) is ignored."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    session = RecoveredSession(path=path, created=path.stat().st_mtime)
    for number, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            if number < len(lines) - 1:
                session.skipped_lines += 1
            continue
        if not isinstance(record, dict):
            session.skipped_lines += 1
        elif "journal" in record:
            session.created = float(record.get("created", session.created))
        else:
            session.records.append(record)
    return session


def find_orphans(folder: Path | None = None) -> list[RecoveredSession]:
    """Journals of sessions that no longer run and that hold changes, oldest first.

    Journals with no changes are removed on the way: there is nothing in them to restore.
    """
    folder = folder or paths.recovery_dir()
    found: list[RecoveredSession] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("session-*.jsonl")):
        if _in_use(path):
            continue
        try:
            session = read_journal(path)
        except OSError as exc:
            log.warning("Recovery journal %s could not be read (%s).", path, exc)
            continue
        if session.has_changes:
            found.append(session)
        else:
            session.discard()
    found.sort(key=lambda s: s.created)
    return found


class BaseChangedError(Exception):
    """The dataset file a journal started from is gone or was changed since."""

    def __init__(self, ref: FileRef) -> None:
        super().__init__(f"{ref.path} changed since its unsaved edits were recorded")
        self.ref = ref


def replay(
    records: Iterable[dict[str, Any]],
    load_base: Callable[[FileRef], list[QAPair]],
) -> list[QAPair]:
    """The list of pairs a journal's records describe.

    ``load_base`` reads the dataset file a ``base`` record refers to. Raises BaseChangedError
    when that file is gone or changed: its rows may no longer be the pairs the edits were for.
    """
    pairs: list[QAPair] = []
    sources: dict[int, str] = {}
    for record in records:
        op = record.get("op")
        if op == "base":
            ref = FileRef.from_record(record)
            if not ref.unchanged():
                raise BaseChangedError(ref)
            pairs = list(load_base(ref))
        elif op == "src":
            sources[int(record["id"])] = str(record["text"])
        elif op == "insert":
            row = min(max(int(record["row"]), 0), len(pairs))
            pairs[row:row] = _inserted_pairs(record, sources)
        elif op == "remove":
            row = int(record["row"])
            del pairs[row : row + int(record["count"])]
        elif op == "set":
            row = int(record["row"])
            if 0 <= row < len(pairs) and record.get("column") in COLUMNS:
                setattr(pairs[row], record["column"], str(record["value"]))
        elif op == "replace":
            row = int(record["row"])
            if 0 <= row < len(pairs):
                pairs[row] = _decoded(record["pair"], sources)
    return pairs


def journal_pairs(records: Iterable[dict[str, Any]]) -> list[QAPair]:
    """Every pair a journal itself holds (received or added), in the order recorded.

    What can still be offered when the base file changed: these pairs do not depend on it.
    Edits to them are not applied (their rows count the base file's pairs too).
    """
    pairs: list[QAPair] = []
    sources: dict[int, str] = {}
    for record in records:
        op = record.get("op")
        if op == "src":
            sources[int(record["id"])] = str(record["text"])
        elif op == "insert":
            pairs.extend(p for p in _inserted_pairs(record, sources) if p.question or p.answer)
    return pairs


def _inserted_pairs(record: dict[str, Any], sources: dict[int, str]) -> list[QAPair]:
    return [_decoded(encoded, sources) for encoded in record["pairs"]]


def _decoded(encoded: list[Any], sources: dict[int, str]) -> QAPair:
    """A pair from ``Journal._encode``'s list (journals before verdicts have no meta)."""
    question, answer, chunk, src = encoded[:4]
    source = sources.get(src, "") if src is not None else ""
    pair = QAPair(str(question), str(answer), chunk, source)
    if len(encoded) > 4:
        apply_meta(pair, encoded[4])
    return pair


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _lock(handle: IO[bytes]) -> None:
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    import msvcrt  # pragma: no cover - Windows

    # A byte far past the end: locked regions cannot be read on Windows, the journal can.
    handle.seek(1 << 30)  # pragma: no cover
    msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # pragma: no cover


def _in_use(path: Path) -> bool:
    """True while another live session holds the journal's lock."""
    try:
        handle = open(path, "rb" if fcntl is not None else "r+b")  # noqa: SIM115
    except OSError:
        return True
    with handle:
        try:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            else:  # pragma: no cover - Windows
                import msvcrt

                handle.seek(1 << 30)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        except OSError:
            return True
    return False
