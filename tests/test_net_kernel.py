"""The eventlet notes' echo server in a real kernel: it serves from a green thread while the
kernel keeps answering cells, its output and errors land in its cell, and stopping it leaves no
descriptor behind.

The server's cell returns at once; the clients are plain blocking sockets in the test process.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time

import pytest
from kernel_helpers import running_kernel

CLIENTS = 50
ROUNDS = 3

SPAWN_N_SERVER = """
from notebook_coop import GreenPool, listen, spawn

def handle(client):
    print("client connected", flush=True)
    with client:
        while data := client.recv(4096):
            if data == b"boom":
                raise ValueError("boom from a handler")
            client.sendall(data)

server = listen(("127.0.0.1", 0))
pool = GreenPool(10000)

def accept_loop():
    while True:
        new_sock, address = server.accept()
        pool.spawn_n(handle, new_sock)

acceptor = spawn(accept_loop)
server.getsockname()[1]
"""

SERVE_SERVER = """
from notebook_coop import StopServe, listen, serve, spawn

def handle(client, address):
    while data := client.recv(4096):
        if data == b"stop":
            raise StopServe
        client.sendall(data)

server = listen(("127.0.0.1", 0))

def run_server():
    with server:
        serve(server, handle, concurrency=10000)
    print("server stopped", flush=True)

runner = spawn(run_server)
server.getsockname()[1]
"""


@pytest.fixture(scope="module")
def kernel():
    with running_kernel() as k:
        k.run("import notebook_coop.net, notebook_coop.pool")
        # ipykernel 7.3 opens a descriptor for its IOPub thread at the first stderr output (a
        # handler's traceback below): open it now, so only the servers' own come and go.
        k.run("import sys; print('warming up', file=sys.stderr)")
        k.pid = int(k.evaluate("__import__('os').getpid()"))
        yield k


def kernel_fds(kernel) -> set[tuple[str, str]]:
    """The kernel's open descriptors, as (number, what it points to)."""
    fds = set()
    for fd in os.listdir(f"/proc/{kernel.pid}/fd"):
        with contextlib.suppress(FileNotFoundError):  # closed meanwhile
            fds.add((fd, os.readlink(f"/proc/{kernel.pid}/fd/{fd}")))
    return fds


def new_fds(kernel, before: set, timeout: float = 10) -> set[tuple[str, str]]:
    """The descriptors open now that were not open `before`, once there are none left (or the
    timeout passes): handlers close their sockets as soon as they read the clients' EOF."""
    deadline = time.monotonic() + timeout
    while (new := kernel_fds(kernel) - before) and time.monotonic() < deadline:
        time.sleep(0.05)
    return new


def start_server(kernel, code: str) -> tuple[str, int]:
    """Run a server cell (it must return at once); its msg_id and the port it listens on."""
    cell = kernel.run(code, timeout=10)
    (result,) = kernel.messages(cell, "execute_result")
    return cell, int(result["content"]["data"]["text/plain"])


def echo(sock: socket.socket, message: bytes) -> bytes:
    sock.sendall(message)
    received = b""
    while len(received) < len(message):
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


class EchoClients(threading.Thread):
    """CLIENTS connections that each echo a message per round, round after round, until
    stopped (and at least ROUNDS rounds); mismatches and errors are kept for the test."""

    def __init__(self, port: int) -> None:
        super().__init__(name="echo-clients", daemon=True)
        self.port = port
        self.connected, self.stop = threading.Event(), threading.Event()
        self.rounds, self.problems = 0, []
        self.socks: list[socket.socket] = []

    def run(self) -> None:
        try:
            for _ in range(CLIENTS):
                self.socks.append(socket.create_connection(("127.0.0.1", self.port), timeout=10))
            self.connected.set()
            while not self.stop.is_set() or self.rounds < ROUNDS:
                for i, sock in enumerate(self.socks):
                    message = b"client %d round %d" % (i, self.rounds)
                    if (reply := echo(sock, message)) != message:
                        self.problems.append((message, reply))
                self.rounds += 1
        except OSError as exc:
            self.problems.append(exc)
        finally:
            self.connected.set()

    def close(self) -> None:
        for sock in self.socks:
            sock.close()


def assert_answers_promptly_while_serving(kernel, clients: EchoClients) -> None:
    clients.start()
    assert clients.connected.wait(10)
    for _ in range(3):
        started = time.monotonic()
        assert kernel.evaluate("1 + 1", timeout=10) == "2"
        # generous for a loaded machine: a kernel blocked by the server would not answer at all
        assert time.monotonic() - started < 5, "the kernel was slow to answer while serving"
    clients.stop.set()
    clients.join(20)
    assert not clients.is_alive()
    assert clients.problems == []
    assert clients.rounds >= ROUNDS


def test_spawn_n_echo_server_serves_while_the_kernel_answers(kernel):
    before = kernel_fds(kernel)
    cell, port = start_server(kernel, SPAWN_N_SERVER)
    clients = EchoClients(port)
    try:
        assert_answers_promptly_while_serving(kernel, clients)
        assert kernel.wait_for_text(cell, "client connected\n" * CLIENTS)
    finally:
        clients.close()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as failing:
        assert echo(failing, b"boom") == b""  # the handler raised and closed its socket
    assert "ValueError: boom from a handler" in kernel.wait_for_text(cell, "ValueError")
    kernel.run("acceptor.kill(); server.close()")
    assert kernel.evaluate("acceptor.dead, pool.running()") == "(True, 0)"
    assert new_fds(kernel, before) == set()


def test_serve_echo_server_stops_on_stop_serve(kernel):
    before = kernel_fds(kernel)
    cell, port = start_server(kernel, SERVE_SERVER)
    clients = EchoClients(port)
    try:
        assert_answers_promptly_while_serving(kernel, clients)
    finally:
        clients.close()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as stopper:
        stopper.sendall(b"stop")
        kernel.wait_for_text(cell, "server stopped")
    assert kernel.evaluate("runner.dead, server.fileno()") == "(True, -1)"
    assert new_fds(kernel, before) == set()
