"""A server's failure is one plain line that names the fix: a web page is never shown as markup,
a 501 is not asked again, and a 404 on an ``openai`` URL suggests the missing /v1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from pytestqt.qtbot import QtBot
from qagen_process import CONTEXT, assert_plain_failure, run_qagen
from ui_support import OFFSCREEN_NOISE

from qagen_desktop.core.client import check_connection, error_for_response
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ErrorKind
from qagen_desktop.ui.main_window import MainWindow

HTML_404 = (
    '<!DOCTYPE HTML>\n<html lang="en">\n<head><title>Error response</title></head>\n'
    "<body>\n<h1>Error response</h1>\n<p>Error code: 404</p>\n</body>\n</html>\n"
)


class PlainWebServer:
    """Python's own http.server on 127.0.0.1: GET serves a folder, POST answers 501 in HTML."""

    def __init__(self, folder: Path) -> None:
        self.posts = 0
        outer = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, directory=str(folder), **kwargs)  # type: ignore[arg-type]

            def do_POST(self) -> None:
                outer.posts += 1
                self.send_error(501, "Unsupported method ('POST')")

            def log_message(self, format: str, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> PlainWebServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def web_server(tmp_path: Path) -> Iterator[PlainWebServer]:
    (tmp_path / "index.html").write_text("<html><body>Hello</body></html>", encoding="utf-8")
    with PlainWebServer(tmp_path) as server:
        yield server


def assert_one_plain_line(message: str) -> None:
    assert "\n" not in message, message
    assert "<" not in message and "DOCTYPE" not in message, message


def test_test_connection_against_a_web_server_says_so_in_one_line(
    web_server: PlainWebServer,
) -> None:
    endpoint = Endpoint(url=f"{web_server.origin}/v1", model="m")
    verdict = check_connection(endpoint, None, timeout=10)
    assert not verdict.ok
    assert_one_plain_line(verdict.message)
    assert verdict.message.startswith(f"{web_server.origin}/... answered with a web page")
    assert "not a chat-completions API" in verdict.message


@OFFSCREEN_NOISE
def test_the_window_test_connection_against_a_web_server_is_one_plain_line(
    qtbot: QtBot, window: MainWindow, web_server: PlainWebServer
) -> None:
    pane = window.endpoint_pane
    pane.endpointEdit.setText(f"{web_server.origin}/v1")
    pane.testButton.click()
    qtbot.waitUntil(lambda: pane.testButton.isEnabled(), timeout=10000)
    assert_one_plain_line(pane.verdictLabel.text())
    assert "web page, not a chat-completions API" in pane.verdictLabel.text()


def test_qagen_against_a_web_server_asks_once_and_prints_one_line_per_failure(
    web_server: PlainWebServer, tmp_path: Path
) -> None:
    (tmp_path / "ctx.txt").write_text(CONTEXT, encoding="utf-8")
    done = run_qagen(
        ["generate", "ctx.txt", "-n", "3", "--endpoint", f"{web_server.origin}/v1"],
        cwd=tmp_path,
    )
    line = assert_plain_failure(done, 1)
    assert "web page, not a chat-completions API" in line
    assert "<" not in done.stderr and "DOCTYPE" not in done.stderr, done.stderr
    assert web_server.posts == 1  # a 501 is not asked again, nor is every chunk sent
    errors = [text for text in done.stderr.splitlines() if text.startswith("qagen: error:")]
    assert len(errors) == len(set(errors)), done.stderr  # the same failure is not repeated


def response(status: int, body: str, url: str, content_type: str = "text/html") -> httpx.Response:
    return httpx.Response(
        status,
        text=body,
        headers={"content-type": content_type},
        request=httpx.Request("POST", url),
    )


def test_a_404_on_an_openai_url_without_v1_suggests_it() -> None:
    url = "http://127.0.0.1:11434/chat/completions"
    error = error_for_response(
        response(404, '{"error": "404 page not found"}', url, "application/json"),
        Endpoint(url="http://127.0.0.1:11434", model="llama3"),
        None,
    )
    message = str(error)
    assert "/v1" in message and "http://127.0.0.1:11434/v1/chat/completions" in message
    assert "deployment" not in message and "api-version" not in message
    assert error.kind is ErrorKind.NOT_FOUND and not error.retryable


def test_a_404_on_an_openai_url_with_v1_points_at_url_and_model_not_azure() -> None:
    url = "http://127.0.0.1:8000/v1/chat/completions"
    error = error_for_response(
        response(404, '{"detail": "Not Found"}', url, "application/json"),
        Endpoint(url=url, model="m"),
        None,
    )
    assert "model name" in str(error) and "deployment" not in str(error)


def test_a_404_on_azure_still_names_deployment_and_api_version() -> None:
    url = "https://res.openai.azure.com/openai/deployments/d/chat/completions?api-version=1"
    error = error_for_response(
        response(404, '{"error": {"code": "DeploymentNotFound", "message": "no"}}', url, "json"),
        Endpoint(provider="azure", url=url),
        None,
    )
    assert "deployment" in str(error) and "api-version" in str(error)


def test_a_web_page_404_is_named_as_a_web_page() -> None:
    url = "http://127.0.0.1:5272/v1/chat/completions"
    error = error_for_response(response(404, HTML_404, url), Endpoint(url=url), None)
    assert str(error).startswith("http://127.0.0.1:5272/... answered with a web page")
    assert_one_plain_line(str(error))


def test_a_proxys_html_502_is_retried_but_its_markup_not_shown() -> None:
    url = "https://llm.example.com/v1/chat/completions"
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    error = error_for_response(response(502, page, url), Endpoint(url=url), None)
    assert error.retryable and error.kind is ErrorKind.SERVER
    assert "502" in str(error)
    assert_one_plain_line(str(error))


def test_a_json_501_is_not_retried() -> None:
    url = "http://127.0.0.1:8080/v1/chat/completions"
    error = error_for_response(
        response(501, '{"error": "not implemented"}', url, "application/json"),
        Endpoint(url=url),
        None,
    )
    assert not error.retryable and "501" in str(error)
