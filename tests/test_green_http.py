"""http.client and urllib.request through import_patched: green copies, stdlib ones untouched.

A stdlib ThreadingHTTPServer on 127.0.0.1 answers `/slow` after 0.2 s, each request in its own
OS thread, so N green clients that really overlap finish in about the time of one request.
"""

import http.client
import socket as stdsocket
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notebook_coop import GreenPool, patcher
from notebook_coop.green import socket as green_socket

DELAY = 0.2
CLIENTS = 20


class SlowHandler(BaseHTTPRequestHandler):
    """`/slow` answers after DELAY seconds, anything else at once; the body is the path."""

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(DELAY)
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class SlowServer(ThreadingHTTPServer):
    """A backlog for every client at once (the default 5 drops SYNs and costs a 1 s retry)."""

    daemon_threads = True
    request_queue_size = 4 * CLIENTS


@pytest.fixture(scope="module")
def server():
    httpd = SlowServer(("127.0.0.1", 0), SlowHandler)
    thread = threading.Thread(target=httpd.serve_forever, name="slow-http", daemon=True)
    thread.start()
    yield httpd.server_address
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Requests to 127.0.0.1 go straight to the server, whatever proxy the environment sets."""
    monkeypatch.setenv("no_proxy", "*")


def fetch_all(fetch, count: int = CLIENTS) -> tuple[list, float]:
    """Run `fetch(i)` in `count` green threads at once; the results and the seconds taken."""
    pool = GreenPool(count)
    started = time.monotonic()
    results = list(pool.imap(fetch, range(count)))
    return results, time.monotonic() - started


def test_patched_urlopen_fetches_concurrently(server, clean_hub):
    request = patcher.import_patched("urllib.request")
    url = "http://{}:{}/slow".format(*server)

    def fetch(_):
        with request.urlopen(url, timeout=10) as response:
            return response.read()

    bodies, took = fetch_all(fetch)
    assert bodies == [b"/slow"] * CLIENTS
    assert took < DELAY * CLIENTS / 3, f"{CLIENTS} fetches took {took:.2f} s: not concurrent"


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
        conn = client.HTTPConnection(*server, timeout=10)
        try:
            conn.request("GET", "/slow")
            assert isinstance(conn.sock, green_socket.socket)
            return conn.getresponse().read()
        finally:
            conn.close()

    bodies, took = fetch_all(fetch)
    assert bodies == [b"/slow"] * CLIENTS
    assert took < DELAY * CLIENTS / 3, f"{CLIENTS} requests took {took:.2f} s: not concurrent"


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
