"""A keyring that takes its time (locked: it asks for a password) never holds up the window."""

from __future__ import annotations

import os
import threading

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.ui.controllers.keys import KeyController

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

URL = "http://127.0.0.1:9/v1"
RELEASE_AFTER_S = 10.0  # the stand-in keyring gives up waiting for the test after this


class LockedKeyring:
    """Answers only once ``unlock`` is set, as a keyring waiting for its password does."""

    unavailable_message = "No keyring."

    def __init__(self, saved: dict[str, str]) -> None:
        self.saved = saved
        self.unlock = threading.Event()
        self.answered_unlocked: list[bool] = []

    def get(self, key_id: str) -> str | None:
        self.answered_unlocked.append(self.unlock.wait(RELEASE_AFTER_S))
        return self.saved.get(key_id)

    def set(self, key_id: str, key: str) -> bool:
        self.answered_unlocked.append(self.unlock.wait(RELEASE_AFTER_S))
        self.saved[key_id] = key
        return True


class Field:
    def __init__(self) -> None:
        self.key = ""

    def endpoint(self) -> Endpoint:
        return Endpoint(url=URL)

    def api_key(self) -> str:
        return self.key

    def set_api_key(self, key: str) -> None:
        self.key = key

    def show_key_notice(self, message: str) -> None:
        pass


def _unlock_from_the_event_loop(qtbot: QtBot, store: LockedKeyring) -> None:
    # The GUI thread's own timer unlocks the keyring: it can fire only if the thread is free.
    QTimer.singleShot(50, store.unlock.set)
    qtbot.waitUntil(store.unlock.is_set)


def test_reading_a_locked_keyring_leaves_the_gui_thread_free(qtbot: QtBot) -> None:
    key_id = Endpoint(url=URL).key_id()
    store = LockedKeyring({key_id: "sk-saved"})
    field_ = Field()
    keys = KeyController(field_, keystore=store)

    keys.load_key()
    _unlock_from_the_event_loop(qtbot, store)
    qtbot.waitUntil(lambda: field_.key == "sk-saved")
    assert store.answered_unlocked == [True]
    keys.wait_for_threads()


def test_saving_to_a_locked_keyring_leaves_the_gui_thread_free(qtbot: QtBot) -> None:
    key_id = Endpoint(url=URL).key_id()
    store = LockedKeyring({})
    store.unlock.set()  # the read at load answers at once
    field_ = Field()
    keys = KeyController(field_, keystore=store)
    keys.load_key()
    qtbot.waitUntil(lambda: keys.loaded_for == key_id)
    store.unlock.clear()

    field_.key = "sk-typed"
    assert keys.commit_key() == "sk-typed"  # the key to use, at once
    _unlock_from_the_event_loop(qtbot, store)
    keys.wait_for_threads()
    assert store.saved == {key_id: "sk-typed"}
    assert store.answered_unlocked == [True, True]
