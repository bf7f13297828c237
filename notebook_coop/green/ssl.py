"""Green `ssl`: TLS over green sockets; handshakes, reads and writes suspend only the calling
green thread.

    context = ssl.create_default_context()           # a green SSLContext
    with socket.create_connection((host, 443)) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(request)                      # other green threads run meanwhile

The TLS object runs over a descriptor that is non-blocking underneath; whenever OpenSSL wants
to read or write, the green thread waits for that and retries, honouring the socket's timeout.
"""

from __future__ import annotations

import ssl as _stdssl
from collections.abc import Callable
from time import monotonic
from typing import Any

from ..hub import READ, WRITE
from . import rebind, reexport
from . import socket as _green_socket

reexport(_stdssl, globals())

socket = _green_socket.socket
create_connection = _green_socket.create_connection


def _cooperative(method: Callable) -> Callable:
    """An SSLSocket method retried whenever OpenSSL wants the socket readable or writable,
    waiting cooperatively in between until the socket's timeout."""
    def call(self: SSLSocket, *args: Any, **kwargs: Any) -> Any:
        deadline = None
        while True:
            try:
                return method(self, *args, **kwargs)
            except (_stdssl.SSLWantReadError, _stdssl.SSLWantWriteError) as exc:
                if self._timeout == 0.0:
                    raise
                event = READ if isinstance(exc, _stdssl.SSLWantReadError) else WRITE
            if deadline is None and self._timeout is not None:
                deadline = monotonic() + self._timeout
            self._wait(event, deadline)

    call.__name__ = call.__qualname__ = method.__name__
    call.__doc__ = method.__doc__
    return call


class SSLSocket(_stdssl.SSLSocket, _green_socket.socket):
    """An SSLSocket over a green socket: TLS operations wait cooperatively."""

    read = _cooperative(_stdssl.SSLSocket.read)
    write = _cooperative(_stdssl.SSLSocket.write)
    send = _cooperative(_stdssl.SSLSocket.send)
    do_handshake = _cooperative(_stdssl.SSLSocket.do_handshake)
    unwrap = _cooperative(_stdssl.SSLSocket.unwrap)


class SSLContext(_stdssl.SSLContext):
    """An SSLContext whose wrap_socket() returns green SSLSockets."""

    sslsocket_class = SSLSocket


create_default_context = rebind(_stdssl.create_default_context, globals())
_create_unverified_context = rebind(_stdssl._create_unverified_context, globals())
_create_default_https_context = create_default_context
get_server_certificate = rebind(_stdssl.get_server_certificate, globals())
_GREEN = {"SSLSocket": SSLSocket, "SSLContext": SSLContext,
          "create_default_context": create_default_context,
          "_create_unverified_context": _create_unverified_context,
          "get_server_certificate": get_server_certificate}
if hasattr(_stdssl, "wrap_socket"):  # removed in Python 3.12
    wrap_socket = _GREEN["wrap_socket"] = rebind(_stdssl.wrap_socket, globals())


def patched_attributes() -> dict[str, object]:
    return dict(_GREEN)
