"""Servers and clients in a few lines, as eventlet's convenience functions.

    def handle(sock, addr):                      # one green thread per connection
        with sock:
            while data := sock.recv(4096):
                sock.sendall(data)

    server = listen(("127.0.0.1", 6000))
    serve(server, handle)                        # until a handler raises StopServe

The sockets are green (notebook_coop.green.socket), whether or not the stdlib is patched.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

from greenlet import GreenletExit, getcurrent

from .green import socket as _socket
from .hub import get_hub
from .pool import GreenPool

__all__ = ["ReusePortUnavailableWarning", "ReuseRandomPortWarning", "StopServe", "connect",
           "listen", "serve"]


class StopServe(Exception):
    """Raise from a serve() handler to stop the server; serve() then returns."""


class ReuseRandomPortWarning(Warning):
    """listen() on port 0 with reuse_port=True: another process could share the random port."""


class ReusePortUnavailableWarning(Warning):
    """listen() could not set SO_REUSEPORT (the platform defines it but refuses it)."""


def listen(addr: Any, family: int = _socket.AF_INET, backlog: int = 50,
           reuse_addr: bool = True, reuse_port: bool | None = None) -> _socket.socket:
    """A green server socket bound to `addr` and listening, with eventlet's options:
    SO_REUSEADDR by default; SO_REUSEPORT when asked, or by default on a fixed port (never by
    default on port 0, and with a ReuseRandomPortWarning when asked for there). A platform
    that refuses SO_REUSEPORT gives a ReusePortUnavailableWarning, not an error."""
    sock = _socket.socket(family, _socket.SOCK_STREAM)
    try:
        if reuse_addr and sys.platform[:3] != "win":
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        if _wants_reuse_port(addr, family, reuse_port):
            _set_reuse_port(sock)
        sock.bind(addr)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def _wants_reuse_port(addr: Any, family: int, reuse_port: bool | None) -> bool:
    if family not in (_socket.AF_INET, _socket.AF_INET6) \
            or not hasattr(_socket, "SO_REUSEPORT"):
        return False
    if addr[1] != 0:
        return reuse_port is None or bool(reuse_port)
    if reuse_port:
        warnings.warn("listen() on a random port (0) with SO_REUSEPORT: another process can "
                      "bind the same port and take a share of its connections; pass a fixed "
                      "port or reuse_port=False", ReuseRandomPortWarning, stacklevel=3)
    return bool(reuse_port)


def _set_reuse_port(sock: _socket.socket) -> None:
    try:
        sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEPORT, 1)
    except OSError as exc:
        warnings.warn(f"SO_REUSEPORT is defined but refused here ({exc}); listening without it",
                      ReusePortUnavailableWarning, stacklevel=3)


def connect(addr: Any, family: int = _socket.AF_INET, bind: Any = None) -> _socket.socket:
    """A green socket connected to `addr` (bound to `bind` first when given)."""
    sock = _socket.socket(family, _socket.SOCK_STREAM)
    try:
        if bind is not None:
            sock.bind(bind)
        sock.connect(addr)
    except BaseException:
        sock.close()
        raise
    return sock


def serve(sock: _socket.socket, handle: Callable[[Any, Any], Any],
          concurrency: int = 1000) -> None:
    """Accept connections on `sock` until stopped, running `handle(client_sock, addr)` in a
    GreenPool of `concurrency` green threads and closing each client socket after its handler.
    A handler raising StopServe makes serve() return; any other exception from a handler is
    raised by serve(). Handlers still running go on; the caller owns `sock`."""
    if not callable(handle):
        raise TypeError(f"serve() needs a callable handler, not {handle!r}")
    pool = GreenPool(concurrency)
    hub = get_hub()
    server = getcurrent()
    serving = [True]

    def stop(exc: BaseException) -> None:
        if serving[0]:
            serving[0] = False
            hub.throw_into(server, exc)

    def finished(gt: Any, client: _socket.socket) -> None:
        client.close()
        try:
            gt.wait()
        except GreenletExit:
            pass
        except Exception as exc:
            hub.call_soon(stop, exc)

    try:
        while True:
            client, addr = sock.accept()
            pool.spawn(handle, client, addr).link(finished, client)
            del client
    except StopServe:
        return
    finally:
        serving[0] = False
