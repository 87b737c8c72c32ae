"""The settings writer: copies of the settings reach the disk off the GUI thread, the latest
last, and all of them before the window writes its own at close."""

from __future__ import annotations

import logging
import threading

import pytest
from pytestqt.qtbot import QtBot

from qagen_desktop.core.settings import Settings, load_settings
from qagen_desktop.ui.settings_writer import SettingsWriter


class RecordingWrite:
    """A write that records what it was given and on which thread; it can be held back."""

    def __init__(self) -> None:
        self.written: list[int] = []
        self.threads: list[int] = []
        self.release = threading.Event()
        self.release.set()

    def __call__(self, settings: Settings) -> None:
        self.release.wait(timeout=10)
        self.threads.append(threading.get_ident())
        self.written.append(settings.pairs)


def test_a_copy_is_written_off_the_gui_thread_as_the_settings_were(qtbot: QtBot) -> None:
    write = RecordingWrite()
    writer = SettingsWriter(write)
    settings = Settings(pairs=5)

    writer.save(settings)
    settings.pairs = 9  # the window goes on changing its own settings

    qtbot.waitUntil(lambda: not writer.writing)
    assert write.written == [5]
    assert write.threads and threading.get_ident() not in write.threads


def test_a_newer_copy_replaces_a_waiting_one_and_lands_last(qtbot: QtBot) -> None:
    write = RecordingWrite()
    write.release.clear()
    writer = SettingsWriter(write)

    writer.save(Settings(pairs=1))  # its thread is held in the write
    writer.save(Settings(pairs=2))
    writer.save(Settings(pairs=3))
    write.release.set()

    qtbot.waitUntil(lambda: not writer.writing)
    assert write.written == [1, 3]


def test_wait_returns_once_every_copy_is_written(qtbot: QtBot) -> None:
    write = RecordingWrite()
    write.release.clear()
    writer = SettingsWriter(write)
    writer.save(Settings(pairs=1))
    writer.save(Settings(pairs=2))
    threading.Timer(0.2, write.release.set).start()

    writer.wait()

    assert write.written == [1, 2]
    qtbot.waitUntil(lambda: not writer.writing)


def test_the_real_write_lands_in_the_settings_file(qtbot: QtBot) -> None:
    writer = SettingsWriter()
    writer.save(Settings(pairs=17, model="llama3.1"))
    qtbot.waitUntil(lambda: not writer.writing)
    assert (load_settings().pairs, load_settings().model) == (17, "llama3.1")


def test_a_write_that_fails_is_logged_not_raised(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    def failing(_settings: Settings) -> None:
        raise PermissionError(13, "Permission denied")

    writer = SettingsWriter(failing)
    with caplog.at_level(logging.WARNING, logger="qagen_desktop.ui.settings_writer"):
        writer.save(Settings())
        qtbot.waitUntil(lambda: not writer.writing)
    assert "Settings could not be saved" in caplog.text
