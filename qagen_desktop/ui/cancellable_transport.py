"""An HTTP transport whose in-flight requests can be cut from another thread.

The connection test is one blocking request on a worker thread; a window that closes must not
wait for it to time out. ``cancel()`` shuts down the sockets of the request (a blocked read
wakes at once with an error) and refuses new connections, so the worker thread ends promptly
and the window can wait for it as for any thread. Built on httpcore's public connection pool,
with its own network backend to see the sockets; httpcore's exceptions are raised as httpx's
of the same name, which is what ``core.client`` catches.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import urllib.request
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx


class _TrackingBackend(httpcore.SyncBackend):
    """Opens sockets as httpcore's default backend does, and keeps them to shut down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: list[httpcore.NetworkStream] = []
        self._cancelled = False

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = super().connect_tcp(host, port, timeout, local_address, socket_options)
        with self._lock:
            self._streams.append(stream)
            cancelled = self._cancelled
        if cancelled:
            stream.close()
            raise httpcore.ConnectError("The request was cancelled.")
        return stream

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            streams = list(self._streams)
        for stream in streams:
            sock = stream.get_extra_info("socket")
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise _httpx_error(exc) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError) as exc:
        raise _httpx_error(exc) from exc
    except httpcore.UnsupportedProtocol as exc:
        raise httpx.UnsupportedProtocol(str(exc)) from exc


def _httpx_error(exc: Exception) -> Exception:
    # httpx names its transport errors after httpcore's: the nearest class of the same name.
    for cls in type(exc).__mro__:
        match = getattr(httpx, cls.__name__, None)
        if isinstance(match, type) and issubclass(match, httpx.TransportError):
            return match(str(exc) or cls.__name__)
    return httpx.TransportError(str(exc))


def _environment_proxy(url: httpx.URL) -> httpcore.Proxy | None:
    """The proxy the environment names for ``url`` (HTTP(S)_PROXY, NO_PROXY), as httpx would."""
    if url.host in ("127.0.0.1", "localhost", "::1") or urllib.request.proxy_bypass(url.host):
        return None
    proxies = urllib.request.getproxies()
    address = proxies.get(url.scheme) or proxies.get("all")
    return httpcore.Proxy(address) if address else None


class CancellableTransport(httpx.BaseTransport):
    """Sends requests for one endpoint; ``cancel()`` (from any thread) cuts those in flight."""

    def __init__(self, url: str) -> None:
        self._backend = _TrackingBackend()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            proxy=_environment_proxy(httpx.URL(url)),
            network_backend=self._backend,
        )

    def cancel(self) -> None:
        self._backend.cancel()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            response = self._pool.handle_request(core_request)
        assert isinstance(response.stream, Iterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()
