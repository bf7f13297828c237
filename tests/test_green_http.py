"""http.client and urllib.request through import_patched: green copies, stdlib ones untouched.

A stdlib ThreadingHTTPServer on 127.0.0.1 handles each request in its own OS thread and answers
`/together` only once CLIENTS such requests wait at the same time: green clients get their
answers only if their requests really overlap (otherwise the server answers 500 after 10 s).
"""

import http.client
import socket as stdsocket
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notebook_coop import GreenPool, patcher
from notebook_coop.green import socket as green_socket

CLIENTS = 20


class TogetherHandler(BaseHTTPRequestHandler):
    """`/together` answers once CLIENTS requests wait at once, anything else at once; the body
    is the path. A request that waits in vain gets a 500."""

    together = threading.Barrier(CLIENTS, timeout=10)

    def do_GET(self) -> None:
        if self.path == "/together":
            try:
                self.together.wait()
            except threading.BrokenBarrierError:
                self.send_error(500, "the requests did not overlap")
                return
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class TogetherServer(ThreadingHTTPServer):
    """A backlog for every client at once (the default 5 drops SYNs and costs a 1 s retry)."""

    daemon_threads = True
    request_queue_size = 4 * CLIENTS


@pytest.fixture(scope="module")
def server():
    httpd = TogetherServer(("127.0.0.1", 0), TogetherHandler)
    thread = threading.Thread(target=httpd.serve_forever, name="together-http", daemon=True)
    thread.start()
    yield httpd.server_address
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Requests to 127.0.0.1 go straight to the server, whatever proxy the environment sets."""
    monkeypatch.setenv("no_proxy", "*")


def fetch_all(fetch, count: int = CLIENTS) -> list:
    """Run `fetch(i)` in `count` green threads at once; their results."""
    TogetherHandler.together.reset()
    return list(GreenPool(count).imap(fetch, range(count)))


def test_patched_urlopen_fetches_concurrently(server, clean_hub):
    request = patcher.import_patched("urllib.request")
    url = "http://{}:{}/together".format(*server)

    def fetch(_):
        with request.urlopen(url, timeout=20) as response:
            return response.read()

    assert fetch_all(fetch) == [b"/together"] * CLIENTS


def test_patched_urllib_request_goes_through_the_patched_http_client():
    request = patcher.import_patched("urllib.request")
    client = patcher.import_patched("http.client")
    assert request.socket is green_socket
    assert request.http.client is client
    assert client.socket is green_socket


def test_global_urllib_request_and_http_client_stay_stdlib():
    patcher.import_patched("urllib.request")
    assert sys.modules["urllib.request"] is urllib.request
    assert sys.modules["http.client"] is http.client
    assert urllib.request.socket is stdsocket
    assert urllib.request.http.client is http.client
    assert http.client.socket is stdsocket


def test_patched_http_connection_is_cooperative(server, clean_hub):
    client = patcher.import_patched("http.client")

    def fetch(_):
        conn = client.HTTPConnection(*server, timeout=20)
        try:
            conn.request("GET", "/together")
            assert isinstance(conn.sock, green_socket.socket)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    assert fetch_all(fetch) == [(200, b"/together")] * CLIENTS


def test_stdlib_urlopen_still_works_from_an_os_thread(server):
    results = []

    def fetch():
        with urllib.request.urlopen("http://{}:{}/hello".format(*server), timeout=10) as response:
            results.append(response.read())

    patcher.import_patched("urllib.request")
    thread = threading.Thread(target=fetch)
    thread.start()
    thread.join(10)
    assert results == [b"/hello"]
