"""The window runs from its Sources list: dropped documents are listed, a run uses them all, and
selecting a pair shows its page and passage. Real documents, the real window offscreen, the
loopback server."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from documents import WORDS, bad_pdfs, four_documents
from fake_server import FakeLLMServer
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE

from qagen_desktop.core.chunking import count_chunks
from qagen_desktop.ui.main_window import MainWindow
from qagen_desktop.ui.table.sources_model import CHUNKS, NAME, PAGES

pytestmark = OFFSCREEN_NOISE

CHUNK_CHARS = 300
_CHUNK = re.compile(r'"""\n?(.*?)\n?"""', re.DOTALL)


def drop(target: QWidget, paths: Sequence[Path]) -> None:
    """Drag ``paths`` onto ``target`` and drop them, as a file manager does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    dropped = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(target, dropped)
    assert dropped.isAccepted()


def set_up(qtbot: QtBot, window: MainWindow, url: str, pairs: int) -> None:
    endpoint = window.endpoint_pane.endpointEdit
    endpoint.clear()
    qtbot.keyClicks(endpoint, url)
    qtbot.keyClick(endpoint, Qt.Key.Key_Return)
    window.endpoint_pane.chunkCharsSpin.setValue(CHUNK_CHARS)
    window.pairsSpin.setValue(pairs)


def cell(window: MainWindow, row: int, column: int) -> str:
    model = window.sources_pane.model
    return str(model.data(model.index(row, column)) or "")


def run(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.run.running, timeout=5000)
    qtbot.waitUntil(lambda: not window.controller.run.running, timeout=30_000)


def read_all(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.sources_pane.is_busy(), timeout=60_000)


def test_three_dropped_documents_are_listed_used_by_a_run_and_previewed(
    qtbot: QtBot, window: MainWindow, server: FakeLLMServer, tmp_path: Path
) -> None:
    docs = four_documents(tmp_path)[:3]
    set_up(qtbot, window, server.url, 9)
    pane = window.sources_pane
    drop(pane.sourcesList.viewport(), docs)
    read_all(qtbot, window)

    assert [cell(window, row, NAME) for row in range(4)] == [
        "Pasted text",
        "manual.pdf",
        "spec.docx",
        "page.html",
    ]
    assert cell(window, 1, PAGES) == "4"
    sources = pane.sources()
    for row, source in enumerate(sources, start=1):
        assert cell(window, row, CHUNKS) == str(count_chunks(source.text, CHUNK_CHARS))
    assert int(cell(window, 1, CHUNKS)) > 1

    run(qtbot, window)
    pairs = window.model.pairs
    assert len(pairs) == 9, window.results_pane.messageLabel.text()
    assert {pair.document for pair in pairs} == {"manual.pdf", "spec.docx", "page.html"}
    sent = "\n".join(_CHUNK.findall("\n".join(r.prompt for r in server.requests)))
    for name in ("manual.pdf", "spec.docx", "page.html"):
        assert WORDS[name] in sent

    row = next(i for i, pair in enumerate(pairs) if pair.document == "manual.pdf")
    pair = pairs[row]
    assert pair.page is not None and pair.page >= 1
    proxy = window.results_pane.proxy
    window.results_pane.table.selectRow(proxy.mapFromSource(window.model.index(row, 0)).row())
    preview = window.passage_preview
    assert preview.headerLabel.text() == f"manual.pdf · p. {pair.page} · chunk {pair.chunk + 1}"
    assert preview.passageText.toPlainText() == pair.source
    manual = sources[0]
    start = manual.text.index(pair.source.strip())
    assert manual.locate(start).page == pair.page

    window.results_pane.table.clearSelection()
    assert preview.passageText.toPlainText() == ""


def test_files_that_could_not_be_read_are_named_and_the_run_uses_the_rest(
    qtbot: QtBot, window: MainWindow, server: FakeLLMServer, tmp_path: Path
) -> None:
    bad = bad_pdfs(tmp_path)
    good = four_documents(tmp_path)[1]
    set_up(qtbot, window, server.url, 3)
    drop(window.sources_pane.sourcesList.viewport(), [bad["encrypted"], good, bad["scanned"]])
    read_all(qtbot, window)

    run(qtbot, window)
    assert {pair.document for pair in window.model.pairs} == {"spec.docx"}
    assert len(window.model.pairs) == 3
    message = window.results_pane.messageLabel.text()
    assert "encrypted.pdf (" in message and "scanned.pdf (" in message
    assert "remove the password first" in message and "OCR" in message


def test_pasted_text_is_a_source_of_its_own_beside_the_files(
    qtbot: QtBot, window: MainWindow, server: FakeLLMServer, tmp_path: Path
) -> None:
    html = four_documents(tmp_path)[2]
    set_up(qtbot, window, server.url, 4)
    window.context_pane.contextEdit.setPlainText(
        "The windmill on the hill grinds wheat into flour every autumn. " * 6
    )
    drop(window.sources_pane.sourcesList.viewport(), [html])
    read_all(qtbot, window)
    run(qtbot, window)
    assert {pair.document for pair in window.model.pairs} == {"pasted text", "page.html"}


def test_a_document_dropped_on_the_editor_goes_to_the_sources_list(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    pdf = four_documents(tmp_path)[0]
    drop(window.context_pane.contextEdit.viewport(), [pdf])
    read_all(qtbot, window)
    assert [source.name for source in window.sources_pane.sources()] == ["manual.pdf"]
    assert window.context_pane.text() == ""


def test_ctrl_l_adds_files_and_loading_text_into_the_editor_keeps_its_menu_entry(
    window: MainWindow,
) -> None:
    assert window.sources_pane.addSourcesAction.shortcut().toString() == "Ctrl+L"
    assert window.actionLoadContext.shortcut().isEmpty()
    file_menu = window.menuBar().actions()[0].menu()
    assert file_menu is not None
    names = [action.objectName() for action in file_menu.actions()]  # type: ignore[attr-defined]
    assert names[:3] == ["actionAddSources", "actionAddFolder", "actionLoadContext"]


def test_no_readable_source_sends_nothing_and_says_why(
    qtbot: QtBot, window: MainWindow, server: FakeLLMServer, tmp_path: Path
) -> None:
    set_up(qtbot, window, server.url, 3)
    drop(window.sources_pane.sourcesList.viewport(), [bad_pdfs(tmp_path)["scanned"]])
    read_all(qtbot, window)
    qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)
    assert not window.controller.run.running
    message = window.results_pane.messageLabel.text()
    assert message.startswith("There is no text yet")
    assert "scanned.pdf (" in message and "OCR" in message
    assert server.request_count == 0
