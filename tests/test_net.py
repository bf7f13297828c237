"""net.listen, net.connect, net.serve and StopServe, with eventlet's semantics."""

import socket as stdsocket

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
