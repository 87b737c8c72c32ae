"""The API key's life cycle in the window: shown per endpoint, saved before use, never leaked.

The key is loaded once the window has painted (the keyring and its backends are slow to import,
and a locked keyring asks for a password), on a worker thread; it is saved to the keyring for
the endpoint before a run or a test, also on a worker thread. Where no keyring works, it is
kept for the session and the user is told once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, QObject, QThread, Slot
from shiboken6 import isValid

from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.ui.worker import CallWorker, start_in_thread


class KeyStoreLike(Protocol):
    """What the window needs of ``core.keystore.KeyStore``."""

    @property
    def unavailable_message(self) -> str: ...

    def get(self, key_id: str) -> str | None: ...

    def set(self, key_id: str, key: str) -> bool: ...


class KeyField(Protocol):
    """The part of the endpoint pane that shows the key (``panes.endpoint_pane.EndpointPane``)."""

    def endpoint(self) -> Endpoint: ...

    def api_key(self) -> str: ...

    def set_api_key(self, key: str) -> None: ...

    def show_key_notice(self, message: str) -> None: ...


def _keep_out_of_log(key: str) -> None:
    # Imported here: the log's handlers (sockets, queues) are not needed for the first paint.
    from qagen_desktop.core.logging_setup import add_secret

    add_secret(key)


def _default_keystore() -> KeyStoreLike:
    from qagen_desktop.core.keystore import KeyStore

    return KeyStore()


class KeyController(QObject):
    """Keeps the key field in step with the keyring entry of the endpoint shown.

    The keyring is read and written on worker threads (``worker.start_in_thread``): a locked
    keyring asks for its password, and the window must not freeze while it does. The one wait
    left is a run or test started before the keyring has answered: it needs the saved key.
    """

    def __init__(
        self,
        field: KeyField,
        *,
        keystore: KeyStoreLike | None = None,
        keystore_factory: Callable[[], KeyStoreLike] = _default_keystore,
        env_key: str | None = None,
        tell: Callable[[str], None] = lambda _message: None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._field = field
        self._keystore = keystore
        self._keystore_factory = keystore_factory
        self._keystore_lock = threading.Lock()
        self._env_key = env_key
        self._tell = tell
        self._env_key_in_field = False
        self._key_loaded_for: str | None = None
        self._saved_key: dict[str, str] = {}
        # Reads under way, by key id: their thread, and their answer once it is in.
        self._reading: dict[str, QThread] = {}
        self._answers: dict[str, str | None] = {}
        self._typed_since_load = False
        self._jobs: list[tuple[QObject, QThread]] = []
        self._shut_down = False
        self.keyring_notices = 0

    @property
    def keystore(self) -> KeyStoreLike:
        """The keyring, made on first use (on a worker thread): its import stays off the paint."""
        with self._keystore_lock:
            if self._keystore is None:
                self._keystore = self._keystore_factory()
            return self._keystore

    @property
    def loaded_for(self) -> str | None:
        """The endpoint key id whose saved key the field shows (None before the first load)."""
        return self._key_loaded_for

    @property
    def busy(self) -> bool:
        """True while a keyring read or write is under way."""
        return bool(self._jobs)

    def _key_id(self) -> str | None:
        try:
            return self._field.endpoint().key_id()
        except ConfigError:
            return None

    def _in_thread(self, function: Callable[[], Any], done: Callable[[Any], None]) -> QThread:
        """Call ``function`` on a worker thread; ``done`` (a slot of this object, so that Qt
        queues it to the GUI thread) gets its answer."""
        worker = CallWorker(function)
        worker.succeeded.connect(done)
        worker.error.connect(self._keyring_failed)
        thread = start_in_thread(worker, self._forget_finished)
        self._jobs.append((worker, thread))
        return thread

    @Slot()
    def _forget_finished(self) -> None:
        ended = self.sender()
        if not isinstance(ended, QThread) or not isValid(ended):
            return
        # Wait for its very end first: dropping our reference deletes the worker, which must not
        # happen while its thread still runs.
        ended.wait()
        self._jobs = [(worker, thread) for worker, thread in self._jobs if thread is not ended]

    @Slot()
    def load_key(self) -> None:
        """Show the key saved for the endpoint; at start a key from API_KEY comes first.

        An endpoint with no saved key gets an empty field: the key typed for another host must
        never be sent to this one. The field empties at once and fills when the keyring answers.
        """
        key_id = self._key_id()
        if self._shut_down or key_id is None or key_id == self._key_loaded_for:
            return
        if key_id in self._reading:
            return
        if self._key_loaded_for is not None:
            self._field.set_api_key("")  # never show (or send) one host's key for another
            self._env_key_in_field = False
        self._typed_since_load = False

        def read() -> str:
            stored = self.keystore.get(key_id)
            self._answers[key_id] = stored  # for commit_key, which may not wait for the signal
            return key_id

        self._reading[key_id] = self._in_thread(read, self._key_read)

    @Slot(object)
    def _key_read(self, key_id: str) -> None:
        self._reading.pop(key_id, None)
        if key_id not in self._answers or key_id != self._key_id():
            self._answers.pop(key_id, None)
            return  # the endpoint moved on: its own read fills the field
        self._show_loaded(key_id, self._answers.pop(key_id))

    def _show_loaded(self, key_id: str, stored: str | None) -> None:
        first_load = self._key_loaded_for is None
        self._key_loaded_for = key_id
        if stored is not None:
            _keep_out_of_log(stored)
            self._saved_key[key_id] = stored
        if self._typed_since_load:
            return  # typed while the keyring answered: the user's key stands, to be saved
        if first_load and self._env_key is not None:
            self._field.set_api_key(self._env_key)
            self._env_key_in_field = True
        elif stored is not None:
            self._field.set_api_key(stored)
            self._env_key_in_field = False
        elif not first_load:
            self._field.set_api_key("")
            self._env_key_in_field = False
        # At the first load a key already typed (before the keyring answered) stays, to be saved.

    def _load_now(self) -> None:
        """Load the endpoint's saved key and wait for it: a run must not start without it."""
        key_id = self._key_id()
        if key_id is None:
            return
        self.load_key()
        thread = self._reading.pop(key_id, None)
        if thread is not None and isValid(thread):
            thread.wait()
        if key_id in self._answers:
            self._show_loaded(key_id, self._answers.pop(key_id))

    @Slot(str)
    def key_typed(self, _text: str) -> None:
        """A key typed by hand is the user's, to be saved (unlike one from API_KEY)."""
        self._env_key_in_field = False
        self._typed_since_load = True

    @Slot()
    def commit_key(self) -> str | None:
        """Save the key in the field for the endpoint; returns the key to use (None: no key).

        The save runs on a worker thread; the key is returned at once.
        """
        if self._key_loaded_for is None or self._key_id() != self._key_loaded_for:
            # The saved key first: an empty field must not erase it, and a changed endpoint
            # must never get the key of the last one.
            self._load_now()
        key = self._field.api_key()
        _keep_out_of_log(key)  # kept out of the log from now on, whatever logs it
        key_id = self._key_id()
        if key_id is None or self._env_key_in_field:
            return key or None
        self._key_loaded_for = key_id
        if self._saved_key.get(key_id, "") == key:
            return key or None
        self._saved_key[key_id] = key
        self._in_thread(lambda: self.keystore.set(key_id, key), self._key_saved)
        return key or None

    @Slot(object)
    def _key_saved(self, saved: object) -> None:
        if not saved:
            self._tell_keyring_unavailable()

    @Slot(str)
    def _keyring_failed(self, message: str) -> None:
        self._reading.clear()
        self._tell(f"The keyring did not answer ({message}): the key is kept for this session.")

    def wait_for_threads(self) -> None:
        """Wait for keyring reads and writes under way (before the window goes away)."""
        for _worker, thread in list(self._jobs):
            if isValid(thread):
                thread.wait()
        QCoreApplication.sendPostedEvents()  # their answers, delivered before the caller goes on

    def shut_down(self) -> None:
        """The window goes: wait for the keyring, then start nothing more (a delayed load)."""
        self.wait_for_threads()
        self._shut_down = True

    def _tell_keyring_unavailable(self) -> None:
        if self.keyring_notices:
            return
        self.keyring_notices += 1
        message = self.keystore.unavailable_message
        self._field.show_key_notice(message)
        self._tell(message)
