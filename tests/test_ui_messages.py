"""Every message in the window is true while it is shown: it goes when the state it describes
changes (a field edited, a field filled, text typed, a run started or ended)."""

from __future__ import annotations

import json

from fake_server import FakeLLMServer, Reply
from pytestqt.qtbot import QtBot
from test_ui_generate import LONG_TEXT, set_up_long_run, set_up_run, wait_until_idle
from ui_support import OFFSCREEN_NOISE

from qagen_desktop.ui.main_window import MainWindow

pytestmark = OFFSCREEN_NOISE


def test_connected_goes_when_the_url_key_or_model_changes(
    qtbot: QtBot, window: MainWindow, llm_server: FakeLLMServer
) -> None:
    pane = window.endpoint_pane
    for edit, change in (
        (pane.endpointEdit, lambda: pane.endpointEdit.setText(llm_server.url + "x")),
        (pane.modelEdit, lambda: pane.modelEdit.setText("another-model")),
        (pane.apiKeyEdit, lambda: pane.apiKeyEdit.setText("sk-other")),
    ):
        set_up_run(qtbot, window, llm_server.url, LONG_TEXT, 5)
        pane.modelEdit.setText("m")
        pane.apiKeyEdit.setText("")
        pane.testButton.click()
        qtbot.waitUntil(lambda: pane.testButton.isEnabled(), timeout=10000)
        assert pane.verdictLabel.text().startswith("Connected"), pane.verdictLabel.text()
        change()
        assert pane.verdictLabel.text() == "", edit.objectName()


def test_the_test_button_stays_put_whatever_the_verdict_says(
    qtbot: QtBot, window: MainWindow
) -> None:
    pane = window.endpoint_pane
    before = pane.testButton.mapTo(window, pane.testButton.rect().topLeft())
    pane.show_verdict(False, "A long verdict that wraps over more than one line. " * 3)
    qtbot.wait(0)  # a layout pass (posted events)
    window.layout().activate()
    after = pane.testButton.mapTo(window, pane.testButton.rect().topLeft())
    assert before == after


def test_azure_needs_a_deployment_goes_when_the_name_is_filled(
    qtbot: QtBot, window: MainWindow
) -> None:
    pane = window.endpoint_pane
    pane.providerCombo.setCurrentText("azure")
    pane.endpointEdit.setText("https://res.openai.azure.com")
    pane.apiVersionEdit.setText("2024-02-15-preview")
    window.context_pane.set_text(LONG_TEXT)
    window.actionGenerate.trigger()
    message = window.results_pane.messageLabel
    assert "deployment" in message.text() and message.isVisible()
    qtbot.keyClicks(pane.deploymentEdit, "gpt4o")
    assert message.text() == "" and not message.isVisible()
    assert not window.controller.run.running


def test_no_text_yet_goes_when_text_arrives(qtbot: QtBot, window: MainWindow) -> None:
    window.actionGenerate.trigger()
    message = window.results_pane.messageLabel
    assert "no text yet" in message.text()
    qtbot.keyClicks(window.context_pane.contextEdit, "Some text")
    assert message.text() == "" and not message.isVisible()


def test_a_cancelled_run_counts_no_failures_and_says_what_it_kept(
    qtbot: QtBot, window: MainWindow
) -> None:
    with FakeLLMServer(latency=0.4) as server:
        set_up_long_run(qtbot, window, server.url)
        window.actionGenerate.trigger()
        qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=20000)
        window.cancelButton.click()
        assert "Cancelling" in window.statusBar().currentMessage()
        wait_until_idle(qtbot, window, timeout=5000)

    kept = window.model.rowCount()
    assert window.results_pane.messageLabel.text() == f"Cancelled: kept {kept} pairs."
    assert window.failedButton.isHidden()
    assert "Cancelling" not in window.statusBar().currentMessage()
    bar = window.progressBar
    assert bar.text().startswith("Cancelled: ") and bar.value() < bar.maximum()


def test_after_a_failed_run_the_bar_shows_where_it_stopped_and_the_retry_note_goes(
    qtbot: QtBot, window: MainWindow
) -> None:
    def fail_later_chunks(number: int, body: dict[str, object]) -> Reply | None:
        text = json.dumps(body)
        if "Section 0." in text:
            return None
        return Reply(kind="status", status=503, headers={"retry-after": "0.05"})

    with FakeLLMServer(script=fail_later_chunks) as server:
        window.endpoint_pane.retriesSpin.setValue(1)
        window.endpoint_pane.concurrencySpin.setValue(1)
        set_up_run(qtbot, window, server.url, LONG_TEXT, 12)
        notes: list[str] = []
        window.statusBar().messageChanged.connect(notes.append)
        window.actionGenerate.trigger()
        wait_until_idle(qtbot, window)

    assert any("etry" in note for note in notes), notes  # a retry note was shown during the run
    assert "etry" not in window.statusBar().currentMessage()
    bar = window.progressBar
    chunks = bar.maximum()
    assert chunks > 1 and bar.value() == chunks, bar.text()
    failed = window.failedButton
    assert failed.isVisible() and failed.text().startswith(f"{chunks - 1} failed"), failed.text()


def test_a_run_stopped_by_a_rejected_key_says_so_on_the_bar(
    qtbot: QtBot, window: MainWindow
) -> None:
    with FakeLLMServer(api_key="the-right-key") as server:
        set_up_run(qtbot, window, server.url, LONG_TEXT, 5)
        window.endpoint_pane.apiKeyEdit.setText("a-wrong-key")
        window.actionGenerate.trigger()
        wait_until_idle(qtbot, window)
    assert window.progressBar.text().startswith("Stopped: "), window.progressBar.text()
    message = window.results_pane.messageLabel
    assert "401" in message.text()
    window.endpoint_pane.apiKeyEdit.setText("the-right-key")
    assert message.text() == ""  # about the old key: it went with it


def test_a_verdict_about_fields_changed_during_the_test_is_dropped(
    qtbot: QtBot, window: MainWindow
) -> None:
    pane = window.endpoint_pane
    with FakeLLMServer(latency=0.5) as server:
        pane.endpointEdit.setText(server.url)
        pane.testButton.click()
        assert pane.verdictLabel.text() == "Testing…"
        pane.modelEdit.setText("another-model")
        qtbot.waitUntil(lambda: pane.testButton.isEnabled(), timeout=10000)
        assert server.request_count == 1
    assert pane.verdictLabel.text() == ""
