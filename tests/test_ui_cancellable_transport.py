"""The connection test's transport: real requests, httpx's errors, and a cancel that cuts."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest
from fake_server import FakeLLMServer

from qagen_desktop.core.client import check_connection
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.ui.cancellable_transport import CancellableTransport


def test_a_request_through_it_is_answered_like_any_other(llm_server: FakeLLMServer) -> None:
    transport = CancellableTransport(llm_server.url)
    verdict = check_connection(Endpoint(url=llm_server.url), None, transport=transport)
    assert verdict.ok, verdict.message
    assert llm_server.request_count == 1


def test_a_refused_connection_is_an_httpx_error_with_the_plain_verdict() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(httpx.ConnectError):
        httpx.Client(transport=CancellableTransport(url)).get(url)
    verdict = check_connection(Endpoint(url=url), None, transport=CancellableTransport(url))
    assert not verdict.ok and "127.0.0.1" in verdict.message


def test_cancel_cuts_a_request_the_server_is_still_holding() -> None:
    with FakeLLMServer(latency=120) as server:
        transport = CancellableTransport(server.url)
        outcome: list[BaseException] = []

        def send() -> None:
            try:
                httpx.Client(transport=transport, timeout=300).post(
                    server.url + "/chat/completions", json={"messages": []}
                )
            except BaseException as exc:  # the test looks at whatever came
                outcome.append(exc)

        sender = threading.Thread(target=send)
        sender.start()
        poll = threading.Event()  # never set: a pause between looks at the server's count
        while server.in_flight == 0 and sender.is_alive():
            poll.wait(0.01)
        transport.cancel()
        sender.join()
    [error] = outcome
    assert isinstance(error, httpx.TransportError)


def test_after_cancel_no_new_connection_is_made(llm_server: FakeLLMServer) -> None:
    transport = CancellableTransport(llm_server.url)
    transport.cancel()
    with pytest.raises(httpx.ConnectError):
        httpx.Client(transport=transport).get(llm_server.url)
    assert llm_server.request_count == 0
