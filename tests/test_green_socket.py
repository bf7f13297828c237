"""Green sockets against real peers on 127.0.0.1: cooperative, timeouts honoured, no fd leaks."""

import gc
import os
import resource
import socket as stdsocket

import pytest
from conftest import open_fds

from notebook_coop import Event, sleep, spawn
from notebook_coop.green import socket
from notebook_coop.hub import get_hub

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


@pytest.fixture
def server():
    sock = socket.create_server(("127.0.0.1", 0), backlog=1100)
    yield sock
    sock.close()


def echo(conn):
    with conn:
        while data := conn.recv(4096):
            conn.sendall(data)


def serve_echo(server, count=1):
    def accept_and_echo():
        for _ in range(count):
            conn, _ = server.accept()
            spawn(echo, conn)
    return spawn(accept_and_echo)


def test_echo_round_trip(server):
    serve_echo(server)
    with socket.create_connection(server.getsockname()) as client:
        client.sendall(b"ping")
        assert client.recv(4) == b"ping"


def test_accept_returns_green_sockets(server):
    client = socket.create_connection(server.getsockname())
    conn, addr = server.accept()
    with client, conn:
        assert isinstance(conn, socket.socket)
        assert addr == client.getsockname()
        assert conn.gettimeout() is None


def test_recv_lets_other_green_threads_run(server):
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    ran = []

    def writer():
        ran.append("writer")
        conn.sendall(b"late")

    spawn(writer)
    with client, conn:
        assert client.recv(4) == b"late"
    assert ran == ["writer"]


def test_partial_reads_return_what_has_arrived(server):
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    with client, conn:
        conn.sendall(b"abc")
        assert client.recv(10) == b"abc"
        conn.sendall(b"defgh")
        buf = bytearray(3)
        assert client.recv_into(buf) == 3 and buf == b"def"
        assert client.recv(10) == b"gh"


def test_recv_timeout_raises_socket_timeout(server):
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    with client, conn:
        client.settimeout(0.05)
        with pytest.raises(stdsocket.timeout, match="timed out"):
            client.recv(1)
        assert client.gettimeout() == 0.05 and client.timeout == 0.05


def test_nonblocking_socket_raises_blocking_io_error(server):
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    with client, conn:
        client.setblocking(False)
        assert not client.getblocking() and client.gettimeout() == 0.0
        with pytest.raises(BlockingIOError):
            client.recv(1)


def test_settimeout_rejects_bad_values():
    with socket.socket() as sock:
        with pytest.raises(ValueError, match="out of range"):
            sock.settimeout(-1)
        with pytest.raises(TypeError, match="int, float or None"):
            sock.settimeout("1")


def test_default_timeout_applies_to_new_sockets():
    socket.setdefaulttimeout(2.5)
    try:
        with socket.socket() as sock:
            assert sock.gettimeout() == 2.5
    finally:
        socket.setdefaulttimeout(None)


def test_accept_with_timeout(server):
    server.settimeout(0.05)
    with pytest.raises(TimeoutError):
        server.accept()


def test_connect_refused():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port))
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_connect_resolves_names_off_the_hub_thread(server):
    serve_echo(server)
    with socket.create_connection(("localhost", server.getsockname()[1])) as client:
        client.sendall(b"x")
        assert client.recv(1) == b"x"


def test_peer_reset_raises_connection_reset(server):
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()  # linger 0: the peer sends RST
    with client, pytest.raises(ConnectionResetError):
        client.recv(1)


def test_peer_close_reads_as_end_of_file(server):
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    conn.close()
    with client:
        assert client.recv(1) == b""


def test_makefile_reads_lines_cooperatively(server):
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()

    def talk():
        conn.sendall(b"first line\nsec")
        sleep(0.01)
        conn.sendall(b"ond line\n")

    spawn(talk)
    with client, conn, client.makefile("rb") as lines:
        assert lines.readline() == b"first line\n"
        assert lines.readline() == b"second line\n"


def test_sendall_large_buffer_to_a_slow_reader(server):
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    payload = os.urandom(4 * 1024 * 1024)
    received = bytearray()

    def slow_reader():
        while len(received) < len(payload):
            received.extend(conn.recv(65536))
            sleep(0.0005)

    reader = spawn(slow_reader)
    with client, conn:
        client.sendall(payload)
        reader.wait()
    assert bytes(received) == payload


def test_sendall_times_out_when_the_peer_never_reads(server):
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    with client, conn:
        client.settimeout(0.1)
        with pytest.raises(TimeoutError):
            client.sendall(b"x" * (64 * 1024 * 1024))


def test_closing_wakes_a_green_thread_waiting_on_the_socket(server):
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    waiting = Event()

    def reader():
        waiting.send(None)
        return client.recv(1)

    gt = spawn(reader)
    waiting.wait()
    sleep(0)
    client.close()
    with conn, pytest.raises(OSError):
        gt.wait()


def test_fd_number_reused_after_close_still_wakes(server):
    for _ in range(3):
        serve_echo(server)
        with socket.create_connection(server.getsockname()) as client:
            client.sendall(b"again")
            assert client.recv(5) == b"again"


def test_garbage_collected_socket_forgets_its_fd(server):
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    conn.sendall(b"x")
    client.settimeout(1)
    assert client.recv(1) == b"x"  # registered with the hub now
    fd = client.fileno()
    with pytest.warns(ResourceWarning):
        del client
        gc.collect()
    conn.close()
    assert fd not in get_hub()._watches


def test_socketpair_and_fromfd_are_green():
    a, b = socket.socketpair()
    with a, b:
        c = socket.fromfd(a.fileno(), a.family, a.type)
        with c:
            assert isinstance(a, socket.socket) and isinstance(c, socket.socket)
            spawn(b.sendall, b"hi")
            assert c.recv(2) == b"hi"


def test_getaddrinfo_runs_on_another_thread():
    import threading

    seen = []
    real = stdsocket.getaddrinfo

    def spy(*args, **kwargs):
        seen.append(threading.get_ident())
        return real(*args, **kwargs)

    socket._stdsocket.getaddrinfo = spy
    try:
        lookup = socket._offloaded("getaddrinfo")
        assert lookup("localhost", 80)
        assert lookup("127.0.0.1", 80)
    finally:
        socket._stdsocket.getaddrinfo = real
    assert seen[0] != threading.get_ident() and seen[1] == threading.get_ident()


def test_a_foreign_thread_uses_a_green_socket_with_blocking_semantics(server):
    from concurrent.futures import ThreadPoolExecutor

    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    with client, conn, ThreadPoolExecutor(1) as pool:
        future = pool.submit(client.recv, 5)
        conn.sendall(b"hello")
        assert future.result(timeout=5) == b"hello"


def test_thousand_concurrent_connections(server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 2200 + open_fds()
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} is below the {needed} fds needed")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    count = 1000
    serve_echo(server, count)

    def client(i):
        with socket.create_connection(server.getsockname()) as sock:
            message = b"%05d" % i
            sock.sendall(message)
            return sock.recv(5) == message

    threads = [spawn(client, i) for i in range(count)]
    assert all(gt.wait() for gt in threads)


def test_unix_socket_connect_and_echo(tmp_path):
    path = str(tmp_path / "echo.sock")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen(1)
        serve_echo(server)
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
            client.sendall(b"unix")
            assert client.recv(4) == b"unix"
