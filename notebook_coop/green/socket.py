"""Green `socket`: sockets whose blocking calls suspend only the calling green thread.

    from notebook_coop.green import socket
    sock = socket.create_connection(("127.0.0.1", 8080), timeout=5)
    sock.sendall(b"ping")          # other green threads run while this one waits
    reply = sock.recv(4096)        # socket.timeout (TimeoutError) after 5 s, as with the stdlib

The descriptor is always non-blocking underneath; the timeout the user set lives on the Python
side. Every call tries the system call first and waits only on EAGAIN, and the descriptor stays
registered with the hub between waits until the socket closes, so an echoed message costs one
`recv`, one `send` and the `recv` that finds nothing more. Name lookups run on tpool threads.
From an OS thread other than the hub's, a green socket waits with a plain `poll`.
"""

from __future__ import annotations

import errno as _errno
import os as _os
import select as _select
import socket as _stdsocket
from collections.abc import Callable
from time import monotonic
from typing import Any

from ..hub import READ, WRITE, green_hub, peek_hub
from ..tpool import execute as _execute
from . import _real_get_ident, rebind, reexport

reexport(_stdsocket, globals())

_real_socket = _stdsocket._socket.socket
_IP_FAMILIES = (_stdsocket.AF_INET, _stdsocket.AF_INET6)
_real_poll = _select.poll
_POLL_EVENTS = {READ: _select.POLLIN, WRITE: _select.POLLOUT}
_FORWARD_LOOKUPS = ("getaddrinfo", "gethostbyname", "gethostbyname_ex")
"""Name lookups that need no thread when the host is already an IP address."""
_REVERSE_LOOKUPS = ("gethostbyaddr", "getnameinfo")


def _timed_out() -> TimeoutError:
    return TimeoutError("timed out")


def wait_for(fd: int, event: int, deadline: float | None, keep: bool = False,
             on: Any = None) -> None:
    """Wait until `fd` is ready for `event` (READ or WRITE) or `deadline` (time.monotonic)
    passes (socket.timeout). Cooperative on the hub's thread, a plain poll elsewhere. `on` is
    the socket the fd belongs to, for observers."""
    timeout = None if deadline is None else deadline - monotonic()
    if timeout is not None and timeout <= 0:
        raise _timed_out()
    hub = green_hub()
    if hub is not None:
        hub.wait_fd(fd, event, timeout, keep, on)
        return
    poller = _real_poll()
    poller.register(fd, _POLL_EVENTS[event])
    if not poller.poll(None if timeout is None else max(1, int(timeout * 1000 + 0.999))):
        raise _timed_out()


def forget_fd(fd: int) -> None:
    """Unregister `fd` from the hub before it closes (thread-safely from other threads)."""
    hub = peek_hub()
    if hub is None:
        return
    if hub.thread_id == _real_get_ident():
        hub.forget_fd(fd)
    else:
        hub.call_threadsafe(hub.forget_fd, fd)


def _check_timeout(value: Any) -> float | None:
    """The stdlib's rules for a socket timeout: None, or a non-negative int or float."""
    if value is None:
        return None
    if not isinstance(value, (int, float)):
        raise TypeError(f"Timeout value must be int, float or None, not {type(value).__name__}")
    if value != value:
        raise ValueError("Invalid value NaN (not a number)")
    if value < 0:
        raise ValueError("Timeout value out of range")
    return float(value)


def _cooperative(method: Callable, event: int) -> Callable:
    """A socket method that tries the call first and, on EAGAIN, waits for `event` and retries
    until the socket's timeout."""
    def call(self: socket, *args: Any) -> Any:
        try:
            return method(self, *args)
        except BlockingIOError:
            if self._timeout == 0.0:
                raise
        deadline = None if self._timeout is None else monotonic() + self._timeout
        while True:
            self._wait(event, deadline)
            try:
                return method(self, *args)
            except BlockingIOError:
                pass

    call.__name__ = call.__qualname__ = method.__name__
    call.__doc__ = f"{method.__doc__}\n\nGreen: waits only the calling green thread."
    return call


class socket(_stdsocket.socket):
    """A stdlib socket whose blocking calls wait cooperatively, honouring its timeout."""

    __slots__ = ("_timeout", "_kept")

    def __init__(self, family: int = -1, type: int = -1, proto: int = -1,
                 fileno: int | None = None) -> None:
        super().__init__(family, type, proto, fileno)
        self._timeout = _real_socket.gettimeout(self)
        self._kept = False
        _real_socket.settimeout(self, 0.0)

    # -- timeouts: the user's on the Python side, non-blocking underneath ------------------------

    @property
    def timeout(self) -> float | None:
        """The timeout the user set (None: blocking, 0.0: non-blocking)."""
        return self._timeout

    def gettimeout(self) -> float | None:
        return self._timeout

    def settimeout(self, value: float | None) -> None:
        self._timeout = _check_timeout(value)

    def setblocking(self, flag: bool) -> None:
        self._timeout = None if flag else 0.0

    def getblocking(self) -> bool:
        return self._timeout != 0.0

    # -- waiting -------------------------------------------------------------------------------

    def _wait(self, event: int, deadline: float | None) -> None:
        fd = _real_socket.fileno(self)
        if fd < 0:
            raise OSError(_errno.EBADF, "Bad file descriptor")
        self._kept = True
        wait_for(fd, event, deadline, keep=True, on=self)

    def _deadline(self) -> float | None:
        return None if self._timeout is None else monotonic() + self._timeout

    # -- the cooperative calls -----------------------------------------------------------------

    recv = _cooperative(_real_socket.recv, READ)
    recv_into = _cooperative(_real_socket.recv_into, READ)
    recvfrom = _cooperative(_real_socket.recvfrom, READ)
    recvfrom_into = _cooperative(_real_socket.recvfrom_into, READ)
    recvmsg = _cooperative(_real_socket.recvmsg, READ)
    recvmsg_into = _cooperative(_real_socket.recvmsg_into, READ)
    send = _cooperative(_real_socket.send, WRITE)
    sendto = _cooperative(_real_socket.sendto, WRITE)
    sendmsg = _cooperative(_real_socket.sendmsg, WRITE)
    _accept = _cooperative(_real_socket._accept, READ)
    accept = rebind(_stdsocket.socket.accept, globals())

    def sendall(self, data: Any, flags: int = 0) -> None:
        """Send all of `data`, waiting cooperatively whenever the send buffer is full."""
        if self._timeout == 0.0:
            return _real_socket.sendall(self, data, flags)
        try:
            sent = _real_socket.send(self, data, flags)
        except BlockingIOError:
            sent = 0
        if (type(data) is bytes or type(data) is bytearray) and sent == len(data):
            return None
        self._send_rest(data, flags, sent)
        return None

    def _send_rest(self, data: Any, flags: int, sent: int) -> None:
        deadline = self._deadline()
        with memoryview(data) as view, view.cast("B") as octets:
            total = len(octets)
            while sent < total:
                try:
                    sent += _real_socket.send(self, octets[sent:], flags)
                except BlockingIOError:
                    self._wait(WRITE, deadline)

    def connect(self, address: Any) -> None:
        """Connect to `address`, waiting cooperatively for the handshake."""
        error = self._connect(address)
        if error is None:
            raise _timed_out()
        if error:
            raise OSError(error, _os.strerror(error))

    def connect_ex(self, address: Any) -> int:
        """connect() that returns an error number instead of raising (EAGAIN on timeout)."""
        error = self._connect(address)
        return _errno.EAGAIN if error is None else error

    def _connect(self, address: Any) -> int | None:
        """Start connecting, then wait for the outcome: an errno, 0, or None on timeout."""
        address = self._resolved(address)
        deadline = self._deadline()
        while True:
            error = _real_socket.connect_ex(self, address)
            if self._timeout == 0.0 or error not in (_errno.EINPROGRESS, _errno.EAGAIN):
                return error
            try:
                self._wait(WRITE, deadline)
            except TimeoutError:
                return None
            if error == _errno.EINPROGRESS:  # EAGAIN (a full AF_UNIX backlog): try again
                return self.getsockopt(_stdsocket.SOL_SOCKET, _stdsocket.SO_ERROR)

    def _resolved(self, address: Any) -> Any:
        """An IP address tuple with a host name looked up off the hub's thread."""
        if (self.family in _IP_FAMILIES and isinstance(address, tuple)
                and isinstance(address[0], str) and not _is_numeric(address[0])):
            info = getaddrinfo(address[0], address[1], self.family, self.type, self.proto)
            return (info[0][4][0],) + address[1:]
        return address

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """Send a file's contents through cooperative send() calls."""
        return self._sendfile_use_send(file, offset, count)

    # -- letting go of the descriptor ----------------------------------------------------------

    def _real_close(self, _ss: Any = _real_socket) -> None:
        if self._kept:
            self._kept = False
            fd = _ss.fileno(self)
            if fd >= 0:
                forget_fd(fd)
        _ss.close(self)

    def detach(self) -> int:
        if self._kept:
            self._kept = False
            forget_fd(_real_socket.fileno(self))
        return super().detach()

    def __del__(self) -> None:
        if getattr(self, "_kept", False) and _real_socket.fileno(self) >= 0:
            forget_fd(_real_socket.fileno(self))
        _real_socket.__del__(self)


def _is_numeric(host: str) -> bool:
    """Whether `host` is an IPv4 or IPv6 literal (no lookup needed)."""
    for family in _IP_FAMILIES:
        try:
            _stdsocket.inet_pton(family, host.split("%", 1)[0])
            return True
        except (OSError, ValueError):
            pass
    return not host


def _offloaded(name: str) -> Callable:
    """A name lookup that runs on a tpool thread (forward lookups of IP addresses at once)."""
    real = getattr(_stdsocket, name)
    forward = name in _FORWARD_LOOKUPS

    def lookup(*args: Any, **kwargs: Any) -> Any:
        host = args[0] if args else kwargs.get("host")
        if forward and (host is None or (isinstance(host, str) and _is_numeric(host))):
            return real(*args, **kwargs)
        return _execute(real, *args, **kwargs)

    lookup.__name__ = lookup.__qualname__ = name
    lookup.__doc__ = f"{real.__doc__}\n\nGreen: runs on a tpool thread."
    return lookup


getaddrinfo = _offloaded("getaddrinfo")
gethostbyname = _offloaded("gethostbyname")
gethostbyname_ex = _offloaded("gethostbyname_ex")
gethostbyaddr = _offloaded("gethostbyaddr")
getnameinfo = _offloaded("getnameinfo")

socketpair = rebind(_stdsocket.socketpair, globals())
fromfd = rebind(_stdsocket.fromfd, globals())
create_connection = rebind(_stdsocket.create_connection, globals())
create_server = rebind(_stdsocket.create_server, globals())
getfqdn = rebind(_stdsocket.getfqdn, globals())


def patched_attributes() -> dict[str, object]:
    names = ("socket", "socketpair", "fromfd", "create_connection", "create_server",
             "getfqdn") + _FORWARD_LOOKUPS + _REVERSE_LOOKUPS
    return {name: globals()[name] for name in names}
