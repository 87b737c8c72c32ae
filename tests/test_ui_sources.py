"""The window's Sources list and passage preview, as widgets: real files read in a real thread.

Documents are made at run time in the test's folder (text, Markdown, PDFs from pdf_writer, DOCX
and EPUB from pandoc, an encrypted PDF from qpdf); the widgets are shown offscreen.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pdf_writer import make_pdf
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot
from source_tools import pandoc, qpdf_encrypt
from ui_support import OFFSCREEN_NOISE, StallMeter

from qagen_desktop.core.chunking import chunk_text, count_chunks
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.sources import Source, read_source
from qagen_desktop.ui.panes.passage_preview import HINT, TITLE, PassagePreview
from qagen_desktop.ui.panes.sources_pane import SourcesPane
from qagen_desktop.ui.table.sources_model import (
    CHARACTERS,
    CHUNKS,
    NAME,
    PAGES,
    EntryState,
    SourceEntry,
    SourcesModel,
    error_colour,
)

pytestmark = OFFSCREEN_NOISE

CHUNK_CHARS = 300
TOPICS = ["river", "delta", "estuary", "marsh", "lagoon", "channel"]
PARAGRAPH = (
    "The {topic} holds a well-known kind of sediment that settles where the water slows down, "
    "and the survey measured how deep it lies at each of the marked stations along the bank."
)
MARKDOWN = "# Survey notes\n\n" + "\n\n".join(PARAGRAPH.format(topic=t) for t in TOPICS) + "\n"


def pdf_pages(count: int) -> list[list[str]]:
    """Pages of a few lines each, every page naming its own topic."""
    return [
        [
            f"Station {n} lies on the {TOPICS[n % len(TOPICS)]}.",
            f"At station {n} the sediment is fine sand over clay, about two metres deep.",
            f"The {TOPICS[n % len(TOPICS)]} at station {n} was sampled in spring.",
        ]
        for n in range(1, count + 1)
    ]


def write_pdf(path: Path, pages: int) -> Path:
    path.write_bytes(make_pdf(pdf_pages(pages)))
    return path


@pytest.fixture
def pane(qtbot: QtBot) -> SourcesPane:
    widget = SourcesPane(chunk_chars=CHUNK_CHARS)
    qtbot.addWidget(widget)
    widget.resize(520, 320)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def drop(pane: SourcesPane, paths: Sequence[Path]) -> None:
    """Drag ``paths`` onto the list and drop them, as a file manager does: Qt hands the events
    on from the list (which takes no drops itself) to the pane."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    enter = QDragEnterEvent(
        QPoint(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    target = pane.sourcesList.viewport()
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    dropped = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, dropped)
    assert dropped.isAccepted()


def counting_reader(pages_read: list[int], pause: float = 0.0) -> Any:
    """read_source, noting each page it reports: how far a read went before it stopped.

    ``pause`` slows each page (on the reading thread), so a cancel can come before the end on
    any machine, however fast it reads.
    """

    def reader(path: Path, *, progress: Any, **options: Any) -> Source:
        def counting(done: int, total: int) -> None:
            pages_read.append(done)
            if pause:
                time.sleep(pause)
            progress(done, total)

        return read_source(path, progress=counting, **options)

    return reader


def wait_read(qtbot: QtBot, pane: SourcesPane) -> None:
    qtbot.waitUntil(lambda: not pane.is_busy(), timeout=60_000)


def cell(pane: SourcesPane, row: int, column: int, role: Any = Qt.ItemDataRole.DisplayRole) -> Any:
    return pane.model.data(pane.model.index(row, column), role)


def names(pane: SourcesPane) -> list[str]:
    return [cell(pane, row, NAME) for row in range(pane.model.rowCount())]


def test_dropping_three_documents_lists_them_with_pages_characters_and_chunks(
    qtbot: QtBot, pane: SourcesPane, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("\n\n".join(PARAGRAPH.format(topic=t) for t in TOPICS[:2]), encoding="utf-8")
    guide = tmp_path / "guide.md"
    guide.write_text(MARKDOWN, encoding="utf-8")
    manual = write_pdf(tmp_path / "manual.pdf", 7)

    with qtbot.waitSignal(pane.sourcesChanged):
        drop(pane, [notes, guide, manual])
    wait_read(qtbot, pane)

    assert names(pane) == ["Pasted text", "notes.txt", "guide.md", "manual.pdf"]
    assert pane.failures() == []
    sources = pane.sources()
    assert [s.name for s in sources] == ["notes.txt", "guide.md", "manual.pdf"]
    for row, source in enumerate(sources, start=1):
        assert source.text == read_source(source.path).text  # type: ignore[arg-type]
        assert cell(pane, row, CHARACTERS) == f"{len(source.text):,}"
        assert cell(pane, row, CHUNKS) == str(count_chunks(source.text, CHUNK_CHARS))
    assert cell(pane, 3, PAGES) == "7"
    assert cell(pane, 1, PAGES) == ""
    assert int(cell(pane, 3, CHUNKS)) > 1  # the chunk size is small: the counts are real

    # A new chunk size recounts every row.
    pane.set_chunk_chars(3000)
    assert cell(pane, 3, CHUNKS) == str(count_chunks(sources[2].text, 3000))


def test_pasted_text_is_its_own_source_counted_as_it_changes(
    qtbot: QtBot, pane: SourcesPane, tmp_path: Path
) -> None:
    assert names(pane) == ["Pasted text"]
    assert pane.sources() == []  # empty pasted text is not a source
    text = MARKDOWN * 3
    with qtbot.waitSignal(pane.sourcesChanged):
        pane.set_pasted_text(text)
    assert cell(pane, 0, CHARACTERS) == f"{len(text):,}"
    assert cell(pane, 0, CHUNKS) == str(count_chunks(text, CHUNK_CHARS))
    notes = tmp_path / "notes.txt"
    notes.write_text("A file after the pasted text.", encoding="utf-8")
    pane.add_paths([notes])
    wait_read(qtbot, pane)
    assert [(s.name, s.text) for s in pane.sources()] == [
        ("pasted text", text),
        ("notes.txt", "A file after the pasted text."),
    ]
    pane.set_pasted_text("   \n")
    assert [s.name for s in pane.sources()] == ["notes.txt"]
    assert cell(pane, 0, CHUNKS) == "0"


def test_a_bad_pdf_shows_its_error_row_and_the_others_load(
    qtbot: QtBot, pane: SourcesPane, tmp_path: Path
) -> None:
    whole = make_pdf(pdf_pages(4))
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole[: len(whole) // 2])
    notes = tmp_path / "notes.txt"
    notes.write_text("Notes that read fine.", encoding="utf-8")
    manual = write_pdf(tmp_path / "manual.pdf", 4)

    drop(pane, [notes, cut, manual])
    wait_read(qtbot, pane)

    assert [s.name for s in pane.sources()] == ["notes.txt", "manual.pdf"]
    [(name, message)] = pane.failures()
    assert name == "cut.pdf"
    assert "truncated" in message and "export it again" in message
    # The row shows the one line (without the long path: the name has its column) in red,
    # and the whole line in its tooltip.
    line = cell(pane, 2, PAGES)
    assert line.startswith("Damaged or truncated") and str(tmp_path) not in line
    assert cell(pane, 2, NAME, Qt.ItemDataRole.ToolTipRole) == message
    red = cell(pane, 2, PAGES, Qt.ItemDataRole.ForegroundRole)
    assert red == error_colour(QApplication.palette())
    assert red.hue() == 0 and red.saturation() > 100
    assert cell(pane, 1, NAME, Qt.ItemDataRole.ForegroundRole) is None
    assert pane.sourcesList.columnSpan(2, PAGES) == 3
    assert pane.sourcesList.columnSpan(1, PAGES) == 1


def test_docx_epub_and_an_encrypted_pdf_from_real_tools(
    qtbot: QtBot, pane: SourcesPane, tmp_path: Path
) -> None:
    docx = pandoc(MARKDOWN, tmp_path / "survey.docx")
    epub = pandoc(MARKDOWN, tmp_path / "survey.epub", "--metadata", "title=Survey")
    locked = qpdf_encrypt(write_pdf(tmp_path / "plain.pdf", 3), tmp_path / "locked.pdf", "pw")

    drop(pane, [docx, epub, locked])
    wait_read(qtbot, pane)

    assert [s.name for s in pane.sources()] == ["survey.docx", "survey.epub"]
    for source in pane.sources():
        assert "sediment" in source.text and "<" not in source.text
    assert pane.failures() == [("locked.pdf", f"{locked} is encrypted: remove the password first.")]
    assert cell(pane, 3, PAGES) == "Encrypted: remove the password first."


def test_adding_a_folder_adds_its_supported_files(
    qtbot: QtBot, pane: SourcesPane, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "manuals"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("First file.", encoding="utf-8")
    (folder / "b.md").write_text("# Second\n\nThe second file.", encoding="utf-8")
    write_pdf(folder / "c.pdf", 2)
    (folder / "sub" / "d.html").write_text(
        "<html><body><nav>Home</nav><main><p>The fourth file.</p></main></body></html>",
        encoding="utf-8",
    )
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n")
    (folder / ".hidden.txt").write_text("Not listed.", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))

    pane.addFolderAction.trigger()
    wait_read(qtbot, pane)
    assert names(pane) == ["Pasted text", "a.txt", "b.md", "c.pdf", "d.html"]
    assert [s.text for s in pane.sources()][3] == "The fourth file."
    assert pane.failures() == []

    # The same folder again, or one of its files, adds nothing twice.
    pane.addFolderButton.click()
    pane.add_paths([folder / "a.txt"])
    assert names(pane) == ["Pasted text", "a.txt", "b.md", "c.pdf", "d.html"]
    assert not pane.is_busy()

    # A folder with nothing to read is one failed row that says so.
    empty = tmp_path / "empty"
    empty.mkdir()
    pane.add_paths([empty])
    [(name, message)] = pane.failures()
    assert name == "empty" and "holds no files of a supported kind" in message


def test_add_files_action_opens_the_file_dialog_and_answers_ctrl_l(
    qtbot: QtBot, pane: SourcesPane, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Some notes.", encoding="utf-8")
    old = tmp_path / "report.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    asked: list[str] = []

    def get_open_file_names(_parent: Any, _caption: str, _dir: str, filters: str) -> Any:
        asked.append(filters)
        return [str(notes), str(old)], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", get_open_file_names)
    assert pane.addSourcesAction.shortcut().toString() == "Ctrl+L"
    pane.addSourcesButton.click()
    wait_read(qtbot, pane)
    assert "*.pdf" in asked[0] and "*.epub" in asked[0]
    assert [s.name for s in pane.sources()] == ["notes.txt"]
    [(name, message)] = pane.failures()
    assert name == "report.doc" and "save it as .docx" in message
    for widget, object_name in [
        (pane.sourcesList, "sourcesList"),
        (pane.addSourcesButton, "addSourcesButton"),
        (pane.addFolderButton, "addFolderButton"),
        (pane.removeSourceButton, "removeSourceButton"),
    ]:
        assert widget.objectName() == object_name and widget.accessibleName()


def test_removing_a_source_takes_it_out_of_the_run(
    qtbot: QtBot, pane: SourcesPane, tmp_path: Path
) -> None:
    paths = []
    for name in ("one.txt", "two.txt", "three.txt"):
        paths.append(tmp_path / name)
        paths[-1].write_text(f"The text of {name}.", encoding="utf-8")
    pane.add_paths(paths)
    wait_read(qtbot, pane)

    view = pane.sourcesList
    view.selectRow(0)
    assert not pane.removeSourceAction.isEnabled()  # the pasted text always stays
    view.selectRow(2)
    assert pane.removeSourceAction.isEnabled()
    view.setFocus()
    with qtbot.waitSignal(pane.sourcesChanged):
        qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert names(pane) == ["Pasted text", "one.txt", "three.txt"]
    view.selectRow(1)
    pane.removeSourceButton.click()
    assert [s.name for s in pane.sources()] == ["three.txt"]


def test_reading_runs_off_the_gui_thread_with_progress(
    qtbot: QtBot, tmp_path: Path, figure: Any
) -> None:
    readers: list[int] = []

    def reader(path: Path, **options: Any) -> Source:
        readers.append(threading.get_ident())
        return read_source(path, **options)

    pane = SourcesPane(reader=reader)
    qtbot.addWidget(pane)
    pane.show()
    manual = write_pdf(tmp_path / "manual.pdf", 60)
    seen: list[str] = []
    pane.model.dataChanged.connect(lambda *_: seen.append(cell(pane, 1, PAGES) or ""))
    meter = StallMeter()
    meter.start()
    pane.add_paths([manual])
    wait_read(qtbot, pane)
    figure(f"Sources pane: longest GUI stall while reading a 60-page PDF {meter.stop():.3f} s")

    assert readers and threading.get_ident() not in readers
    assert [s.pages for s in pane.sources()] == [60]
    progress = [line for line in seen if line.startswith("reading…")]
    assert progress and progress[-1] == "reading… 60/60 pages"
    assert all(re.fullmatch(r"reading… \d+/60 pages", line) for line in progress)


def test_cancelling_a_long_read_stops_it_and_leaves_no_running_thread(
    qtbot: QtBot, tmp_path: Path
) -> None:
    pages_read: list[int] = []
    pane = SourcesPane(reader=counting_reader(pages_read, pause=0.01))
    qtbot.addWidget(pane)
    book = write_pdf(tmp_path / "book.pdf", 400)
    later = tmp_path / "later.txt"
    later.write_text("Queued behind the book.", encoding="utf-8")
    pane.add_paths([book, later])
    qtbot.waitUntil(lambda: (cell(pane, 1, PAGES) or "").startswith("reading… "))
    assert pane.is_busy()

    pane.cancel()

    assert not pane.is_busy()
    assert max(pages_read) < 400
    assert pane.sources() == []
    assert [name for name, _ in pane.failures()] == ["book.pdf", "later.txt"]
    assert all("was cancelled: add it again" in message for _, message in pane.failures())
    # The thread has stopped (the autouse fixture fails the test otherwise) and adding works on.
    pane.add_paths([tmp_path / "other.txt"])
    wait_read(qtbot, pane)
    assert "does not exist" in pane.failures()[-1][1]


def test_removing_a_file_while_it_is_read_stops_that_read_and_the_next_goes_on(
    qtbot: QtBot, tmp_path: Path
) -> None:
    pages_read: list[int] = []
    pane = SourcesPane(reader=counting_reader(pages_read, pause=0.01))
    qtbot.addWidget(pane)
    book = write_pdf(tmp_path / "book.pdf", 400)
    later = tmp_path / "later.txt"
    later.write_text("Read after the book.", encoding="utf-8")
    pane.add_paths([book, later])
    qtbot.waitUntil(lambda: (cell(pane, 1, PAGES) or "").startswith("reading… "))
    pane.sourcesList.selectRow(1)
    pane.removeSourceAction.trigger()
    wait_read(qtbot, pane)
    assert names(pane) == ["Pasted text", "later.txt"]
    assert [s.name for s in pane.sources()] == ["later.txt"]
    assert pane.failures() == []
    assert max(pages_read) < 400


def test_sources_model_keeps_qt_model_rules(qtmodeltester: Any, tmp_path: Path) -> None:
    model = SourcesModel()
    model.append([SourceEntry.queued(tmp_path / "a.pdf"), SourceEntry.refused(tmp_path, "No.")])
    qtmodeltester.check(model)


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("manual.pdf", "reading… 120/500 pages"),
        ("book.EPUB", "reading… 120/500 chapters"),
        ("spec.docx", "reading…"),  # one step, at the end: no count to show
    ],
)
def test_reading_rows_count_pages_or_chapters(name: str, line: str) -> None:
    entry = SourceEntry(key=name, name=name, state=EntryState.READING, done=120, total=500)
    assert entry.status_line() == line


def test_preview_shows_the_page_and_passage_of_a_pair(
    qtbot: QtBot, pane: SourcesPane, tmp_path: Path
) -> None:
    manual = write_pdf(tmp_path / "manual.pdf", 6)
    pane.add_paths([manual])
    wait_read(qtbot, pane)
    [source] = pane.sources()
    chunks = chunk_text(source.text, 250)
    chunk = next(c for c in chunks if source.locate(c.start).page == 3)
    pair = QAPair(
        "What lies under the sand at station 3?",
        "Clay, about two metres down.",
        chunk=chunk.index,
        source=chunk.text,
        document=source.name,
        page=source.locate(chunk.start).page,
    )

    preview = PassagePreview()
    qtbot.addWidget(preview)
    preview.show()
    assert preview.objectName() == "passagePreview"
    assert preview.passageText.placeholderText() == HINT
    assert preview.passageText.toPlainText() == ""

    preview.show_pair(pair)
    assert preview.headerLabel.text() == f"manual.pdf · p. 3 · chunk {chunk.index + 1}"
    assert preview.passageText.toPlainText() == chunk.text
    assert preview.passageText.isReadOnly()
    assert {w.casefold() for w in preview.marked_words()} == {"clay", "about", "metres"}

    preview.show_pair(QAPair("Typed in?", "Yes.", section="Intro", document="notes.md"))
    assert preview.headerLabel.text() == "notes.md · Intro"
    assert preview.marked_words() == []

    preview.clear()
    assert preview.headerLabel.text() == TITLE
    assert preview.passageText.toPlainText() == ""
    assert preview.passageText.placeholderText() == HINT


def test_preview_marks_words_after_characters_beyond_the_bmp(qtbot: QtBot) -> None:
    preview = PassagePreview()
    qtbot.addWidget(preview)
    preview.show_pair(QAPair("Q?", "The harbour.", chunk=0, source="🌊🌊 waves reach the harbour."))
    assert preview.marked_words() == ["harbour"]
