"""The API key in the OS keyring, with a session-only fallback where no keyring works.

Service ``qagen-desktop``, user name ``Endpoint.key_id()``: the window and ``qagen`` find the same
entry. A headless box without a usable backend still works; the key then lives in this process
only and ``unavailable_message`` says so. The key is never logged and never written anywhere else.
"""

from __future__ import annotations

import logging
from typing import Any

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

from qagen_desktop.core.errors import redact

log = logging.getLogger(__name__)

SERVICE = "qagen-desktop"


def backend_is_usable(backend: Any) -> bool:
    """False for keyring's fail and null backends and for a chainer with nothing to chain."""
    if isinstance(backend, (keyring.backends.fail.Keyring, keyring.backends.null.Keyring)):
        return False
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        try:
            return any(backend_is_usable(inner) for inner in backend.backends)
        except Exception:
            return False
    try:
        return float(backend.priority) > 0
    except Exception:
        # A backend whose priority cannot be read (a third-party one) is given the benefit of
        # the doubt: get/set still fall back to the session on any error.
        return True


class KeyStore:
    """Keys per endpoint in the OS keyring; the session dict is checked first and is the fallback.

    ``backend`` is a keyring backend; None means ``keyring.get_keyring()``.
    """

    def __init__(self, backend: Any = None) -> None:
        if backend is None:
            try:
                backend = keyring.get_keyring()
            except Exception as exc:
                log.warning("No keyring backend could be loaded (%s).", type(exc).__name__)
                backend = keyring.backends.fail.Keyring()
        self._backend = backend
        self._session: dict[str, str] = {}
        self.available: bool = backend_is_usable(backend)

    @property
    def unavailable_message(self) -> str:
        return "No usable OS keyring: the API key is kept for this session only and not saved."

    def get(self, key_id: str) -> str | None:
        """The key saved for this endpoint, or None."""
        if key_id in self._session:
            return self._session[key_id]
        if not self.available:
            return None
        try:
            key = self._backend.get_password(SERVICE, key_id)
        except Exception as exc:
            self._log_failure("read", exc)
            return None
        return key if isinstance(key, str) and key else None

    def set(self, key_id: str, key: str) -> bool:
        """Save the key; False when the keyring refused it (it is then kept for this session)."""
        if not key:
            self.delete(key_id)
            return True
        if self.available:
            try:
                self._backend.set_password(SERVICE, key_id, key)
            except Exception as exc:
                self._log_failure("save", exc, key)
            else:
                self._session.pop(key_id, None)
                return True
        self._session[key_id] = key
        return False

    def delete(self, key_id: str) -> None:
        """Forget the key for this endpoint, in the keyring and in the session."""
        self._session.pop(key_id, None)
        if not self.available:
            return
        try:
            self._backend.delete_password(SERVICE, key_id)
        except keyring.errors.PasswordDeleteError:
            pass  # Nothing was saved for this endpoint.
        except Exception as exc:
            self._log_failure("delete", exc)

    def _log_failure(self, action: str, exc: Exception, key: str | None = None) -> None:
        # The exception text can echo what was passed in: redact before logging.
        detail = redact(str(exc), key).splitlines()[0] if str(exc) else ""
        log.warning(
            "The OS keyring could not %s the key (%s: %s).", action, type(exc).__name__, detail
        )
