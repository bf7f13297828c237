"""Green ssl: TLS handshakes, reads and writes over green sockets wait cooperatively."""

import shutil
import ssl as stdssl
import subprocess as stdsubprocess

import pytest

from notebook_coop import sleep, spawn
from notebook_coop.green import socket, ssl

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None,
                                reason="the openssl command makes the test certificate")


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    stdsubprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                       "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                       "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                      check=True, capture_output=True)
    return str(cert), str(key)


@pytest.fixture
def tls_server(cert):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*cert)
    with context.wrap_socket(socket.create_server(("127.0.0.1", 0)), server_side=True) as srv:
        yield srv


def client_context(cert):
    return ssl.create_default_context(cafile=cert[0])


def accept_and_hold(server):
    """Accept one client and keep the connection open until the client goes away."""
    try:
        conn, _ = server.accept()
    except ssl.SSLError:  # the client refused our certificate
        return
    with conn:
        conn.recv(1)


def test_create_default_context_is_green():
    assert isinstance(ssl.create_default_context(), ssl.SSLContext)
    assert isinstance(ssl.create_default_context(), stdssl.SSLContext)


def test_handshake_and_echo_over_tls(cert, tls_server):
    def echo_once():
        conn, _ = tls_server.accept()
        with conn:
            assert isinstance(conn, ssl.SSLSocket)
            conn.sendall(conn.recv(100).upper())

    gt = spawn(echo_once)
    with socket.create_connection(tls_server.getsockname()) as raw:
        with client_context(cert).wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"hello")
            assert tls.recv(100) == b"HELLO"
    gt.wait()


def test_tls_transfer_lets_other_green_threads_run(cert, tls_server):
    payload = b"z" * 2_000_000
    ticks = []

    def ticker():
        while True:
            ticks.append(1)
            sleep(0.001)

    def sink():
        conn, _ = tls_server.accept()
        with conn, conn.makefile("rb") as f:
            assert f.read(len(payload)) == payload
            conn.sendall(b"ok")

    ticking, server = spawn(ticker), spawn(sink)
    with socket.create_connection(tls_server.getsockname()) as raw:
        with client_context(cert).wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(payload)
            assert tls.recv(2) == b"ok"
    server.wait()
    ticking.kill()
    assert ticks


def test_tls_read_times_out(cert, tls_server):
    spawn(accept_and_hold, tls_server)
    with socket.create_connection(tls_server.getsockname()) as raw:
        with client_context(cert).wrap_socket(raw, server_hostname="localhost") as tls:
            tls.settimeout(0.05)
            with pytest.raises(TimeoutError):
                tls.recv(1)


def test_untrusted_certificate_fails_the_handshake(tls_server):
    spawn(accept_and_hold, tls_server)
    with socket.create_connection(tls_server.getsockname()) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")
