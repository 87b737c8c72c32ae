"""Test connection: a one-token chat request off the GUI thread, its verdict in the endpoint pane.

The verdict is shown only while it is true: it goes when URL, key or model change (the pane binds
it), and a verdict that arrives after they changed during the test is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QThread, Slot
from shiboken6 import isValid

from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.ui.panes.endpoint_pane import EndpointPane
from qagen_desktop.ui.worker import CallWorker, start_in_thread

TEST_TIMEOUT_CAP = 30.0  # seconds: a connection test answers quickly or says why not


class _CancelHandle:
    """Lets the GUI thread cancel a request whose transport the worker thread makes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._target: Callable[[], None] | None = None
        self.cancelled = False

    def attach(self, cancel: Callable[[], None]) -> None:
        with self._lock:
            self._target = cancel
            cancelled = self.cancelled
        if cancelled:
            cancel()

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            target = self._target
        if target is not None:
            target()


class ConnectionTester(QObject):
    """Runs the connection test for the endpoint pane's fields, one at a time."""

    def __init__(
        self,
        pane: EndpointPane,
        *,
        commit_key: Callable[[], str | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.pane = pane
        self._commit_key = commit_key
        self._test_thread: QThread | None = None
        self._test_worker: CallWorker | None = None
        self._test_cancel: _CancelHandle | None = None
        self._tested: tuple[Endpoint, str | None] | None = None

    @property
    def running_thread(self) -> QThread | None:
        return self._test_thread

    def cancel(self) -> None:
        """Cut a test short (the window is closing): its request is closed, not waited out."""
        if self._test_cancel is not None:
            self._test_cancel.cancel()

    def _begin(self) -> tuple[Endpoint, str | None, float, _CancelHandle] | None:
        """What a request to the configured endpoint needs; None (and why, shown) when it
        cannot start: one is under way, or the URL cannot work."""
        if self._test_thread is not None:
            return None
        pane = self.pane
        endpoint = pane.endpoint()
        try:
            endpoint.chat_url()
        except ConfigError as exc:
            pane.show_verdict(False, str(exc))
            return None
        key = self._commit_key()
        self._tested = (endpoint, pane.api_key())
        timeout = min(float(pane.timeoutSpin.value()), TEST_TIMEOUT_CAP)
        return endpoint, key, timeout, _CancelHandle()

    @Slot()
    def test(self) -> None:
        self._request(_check_connection, self._test_verdict, "Testing…")

    @Slot()
    def list_models(self) -> None:
        """Ask the server for its models (``/v1/models``) and offer them in the model field."""
        self._request(_list_models, self._models_listed, "Listing models…")

    def _request(self, ask: _Ask, on_success: Callable[[Any], None], note: str) -> None:
        """``ask`` the configured endpoint on a worker thread, through a transport that a
        close of the window can cut."""
        begun = self._begin()
        if begun is None:
            return
        endpoint, key, timeout, handle = begun

        def call() -> Any:
            # httpx loads here, on the worker thread, on the first request: not at start-up.
            from qagen_desktop.ui.cancellable_transport import CancellableTransport

            transport = CancellableTransport(endpoint.chat_url())
            handle.attach(transport.cancel)
            return ask(endpoint, key, timeout, transport)

        self._start(call, key, handle, on_success)
        self.pane.set_testing(True, note)

    def _start(
        self,
        call: Callable[[], Any],
        key: str | None,
        handle: _CancelHandle,
        on_success: Callable[[Any], None],
    ) -> None:
        worker = CallWorker(call, secret=key)
        worker.succeeded.connect(on_success)
        worker.error.connect(partial(self.pane.show_verdict, False))
        self._test_cancel = handle
        self._test_worker = worker
        self._test_thread = start_in_thread(worker, self._test_thread_finished)

    @Slot(object)
    def _models_listed(self, names: list[str]) -> None:
        pane = self.pane
        if self._tested is None or self._tested[0].url != pane.endpoint().url:
            pane.verdict.clear()  # listed for another URL
            return
        pane.set_models(names)
        if names:
            count = f"{len(names):,} model{'s' if len(names) != 1 else ''}"
            pane.show_verdict(True, f"The server lists {count}: pick one or type another.")
        else:
            pane.show_verdict(False, "The server lists no models: type the model name.")

    @Slot(object)
    def _test_verdict(self, verdict: Any) -> None:
        pane = self.pane
        if self._test_cancel is not None and self._test_cancel.cancelled:
            pane.show_verdict(False, "Connection test cancelled.")
            return
        if self._tested != (pane.endpoint(), pane.api_key()):
            # The fields changed while the test ran: its verdict is about settings now gone.
            pane.verdict.clear()
            return
        pane.show_verdict(bool(verdict.ok), str(verdict.message))

    @Slot()
    def _test_thread_finished(self) -> None:
        # QThread.finished comes just before the thread ends, and dropping the last reference
        # deletes the QThread: deleting it while it still runs crashes the process.
        if self._test_thread is not None and isValid(self._test_thread):
            self._test_thread.wait()
        self._test_thread = None
        self._test_worker = None
        self._test_cancel = None
        self.pane.set_testing(False)


_Ask = Callable[[Endpoint, "str | None", float, Any], Any]


def _check_connection(endpoint: Endpoint, key: str | None, timeout: float, transport: Any) -> Any:
    from qagen_desktop.core.client import check_connection

    return check_connection(endpoint, key, timeout=timeout, transport=transport)


def _list_models(endpoint: Endpoint, key: str | None, timeout: float, transport: Any) -> Any:
    from qagen_desktop.core.models import list_models

    return list_models(endpoint, key, timeout=timeout, transport=transport)
