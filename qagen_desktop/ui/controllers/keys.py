"""The API key's life cycle in the window: shown per endpoint, saved before use, never leaked.

The key is loaded once the window has painted (the keyring and its backends are slow to import),
saved to the keyring for the endpoint before a run or a test, and removed when the field is
cleared. Where no keyring works, it is kept for the session and the user is told once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Slot

from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.logging_setup import add_secret


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


def _default_keystore() -> KeyStoreLike:
    from qagen_desktop.core.keystore import KeyStore

    return KeyStore()


class KeyController(QObject):
    """Keeps the key field in step with the keyring entry of the endpoint shown."""

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
        self._env_key = env_key
        self._tell = tell
        self._env_key_in_field = False
        self._key_loaded_for: str | None = None
        self._saved_key: dict[str, str] = {}
        self.keyring_notices = 0

    @property
    def keystore(self) -> KeyStoreLike:
        """The keyring, made on first use: its import stays off the first paint."""
        if self._keystore is None:
            self._keystore = self._keystore_factory()
        return self._keystore

    @property
    def loaded_for(self) -> str | None:
        """The endpoint key id whose saved key the field shows (None before the first load)."""
        return self._key_loaded_for

    def _key_id(self) -> str | None:
        try:
            return self._field.endpoint().key_id()
        except ConfigError:
            return None

    @Slot()
    def load_key(self) -> None:
        """Show the key saved for the endpoint; at start a key from API_KEY comes first.

        An endpoint with no saved key gets an empty field: the key typed for another host must
        never be sent to this one.
        """
        key_id = self._key_id()
        if key_id is None or key_id == self._key_loaded_for:
            return
        first_load = self._key_loaded_for is None
        self._key_loaded_for = key_id
        stored = self.keystore.get(key_id)
        if stored is not None:
            add_secret(stored)
            self._saved_key[key_id] = stored
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

    @Slot(str)
    def key_typed(self, _text: str) -> None:
        """A key typed by hand is the user's, to be saved (unlike one from API_KEY)."""
        self._env_key_in_field = False

    @Slot()
    def commit_key(self) -> str | None:
        """Save the key in the field for the endpoint; returns the key to use (None: no key)."""
        if self._key_loaded_for is None:
            self.load_key()  # The saved key first: an empty field must not erase it.
        elif self._key_id() != self._key_loaded_for:
            self.load_key()  # The endpoint changed without a commit: never carry a key across.
        key = self._field.api_key()
        add_secret(key)  # kept out of the log from now on, whatever logs it
        key_id = self._key_id()
        if key_id is None or self._env_key_in_field:
            return key or None
        self._key_loaded_for = key_id
        if self._saved_key.get(key_id, "") == key:
            return key or None
        saved = self.keystore.set(key_id, key)
        self._saved_key[key_id] = key
        if not saved:
            self._tell_keyring_unavailable()
        return key or None

    def _tell_keyring_unavailable(self) -> None:
        if self.keyring_notices:
            return
        self.keyring_notices += 1
        message = self.keystore.unavailable_message
        self._field.show_key_notice(message)
        self._tell(message)
