"""net.listen, net.connect, net.serve and StopServe, with eventlet's semantics."""

import errno
import socket as stdsocket
import warnings

import pytest

from notebook_coop import GreenPool, net, spawn
from notebook_coop.green import socket

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


def echo_handler(sock, addr):
    while data := sock.recv(4096):
        if data == b"stop":
            raise net.StopServe
        sock.sendall(data)


def test_listen_binds_and_listens_with_reuse_addr():
    with net.listen(("127.0.0.1", 0)) as server:
        assert isinstance(server, socket.socket)
        assert server.getsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_REUSEADDR)
        assert server.getsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_ACCEPTCONN)


def test_listen_without_reuse_port():
    with net.listen(("127.0.0.1", 0), reuse_port=False) as server:
        assert not server.getsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_REUSEPORT)


def test_listen_sets_reuse_port_by_default_on_a_fixed_port_only():
    with net.listen(("127.0.0.1", 0)) as random_port:
        assert not random_port.getsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_REUSEPORT)
        port = random_port.getsockname()[1]
    with net.listen(("127.0.0.1", port)) as fixed:
        assert fixed.getsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_REUSEPORT)


def test_listen_warns_when_asked_for_reuse_port_on_a_random_port():
    with pytest.warns(net.ReuseRandomPortWarning) as record:
        server = net.listen(("127.0.0.1", 0), reuse_port=True)
    with server:
        assert server.getsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_REUSEPORT)
    assert record[0].filename == __file__  # points at the listen() call


def test_listen_warns_and_goes_on_when_the_platform_refuses_reuse_port(monkeypatch):
    def refuse_reuse_port(self, level, option, value):
        if option == stdsocket.SO_REUSEPORT:
            raise OSError(errno.ENOPROTOOPT, "Protocol not available")
        return stdsocket.socket.setsockopt(self, level, option, value)

    monkeypatch.setattr(socket.socket, "setsockopt", refuse_reuse_port)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        server = net.listen(("127.0.0.1", 0), reuse_port=True)
    with server:
        assert server.getsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_ACCEPTCONN)
    assert [w.category for w in record] == [net.ReuseRandomPortWarning,
                                            net.ReusePortUnavailableWarning]
    assert "Protocol not available" in str(record[1].message)


def test_connect_binds_first_when_asked():
    with net.listen(("127.0.0.1", 0)) as server:
        with net.connect(server.getsockname(), bind=("127.0.0.1", 0)) as client:
            conn, addr = server.accept()
            with conn:
                assert addr == client.getsockname()


def test_serve_runs_handlers_until_one_raises_stop_serve():
    with net.listen(("127.0.0.1", 0)) as server:
        gt = spawn(net.serve, server, echo_handler)
        with net.connect(server.getsockname()) as a, net.connect(server.getsockname()) as b:
            a.sendall(b"one")
            b.sendall(b"two")
            assert (a.recv(3), b.recv(3)) == (b"one", b"two")
            a.sendall(b"stop")
            assert gt.wait() is None
            assert a.recv(1) == b""  # serve closed the handler's socket


def test_serve_closes_a_connection_after_its_handler_returns_with_a_clean_end_of_stream():
    def reply_once(sock, addr):
        sock.sendall(b"hello " + sock.recv(64))

    with net.listen(("127.0.0.1", 0)) as server:
        gt = spawn(net.serve, server, reply_once)
        with net.connect(server.getsockname()) as client:
            client.sendall(b"you")
            received = b""
            while chunk := client.recv(64):  # b"" at the end, no reset
                received += chunk
        assert received == b"hello you"
        gt.kill()


def test_serve_raises_a_handler_exception():
    def broken(sock, addr):
        raise ValueError("bad request")

    with net.listen(("127.0.0.1", 0)) as server:
        client = spawn(net.connect, server.getsockname())
        with pytest.raises(ValueError, match="bad request"):
            net.serve(server, broken)
        client.wait().close()


def test_serve_rejects_a_handler_that_is_not_callable():
    with net.listen(("127.0.0.1", 0)) as server:
        with pytest.raises(TypeError, match="callable"):
            net.serve(server, "handle")


def test_serve_from_the_root_returns_on_stop_serve():
    with net.listen(("127.0.0.1", 0)) as server:
        def stopper():
            with net.connect(server.getsockname()) as client:
                client.sendall(b"stop")

        spawn(stopper)
        net.serve(server, echo_handler)


def test_eventlet_notes_echo_server_with_a_pool_of_10000():
    server = net.listen(("127.0.0.1", 0))
    pool = GreenPool(10000)

    def handle(client):
        while True:
            c = client.recv(1)
            if not c:
                break
            client.sendall(c)
        client.close()

    def accept_loop(count):
        for _ in range(count):
            new_sock, address = server.accept()
            pool.spawn_n(handle, new_sock)

    def client(i):
        with net.connect(server.getsockname()) as sock:
            message = b"hello %d" % i
            sock.sendall(message)
            got = b""
            while len(got) < len(message):
                got += sock.recv(64)
            return got == message

    with server:
        spawn(accept_loop, 50)
        clients = [spawn(client, i) for i in range(50)]
        assert all(gt.wait() for gt in clients)
        pool.waitall()
