"""Green `os`: `read` and `write` on pipes, sockets and terminals, and `waitpid`, that suspend
only the calling green thread.

    r, w = os.pipe()
    spawn(os.write, w, b"hello")
    os.read(r, 5)                  # waits cooperatively for the writer

A non-blocking descriptor is tried first and waited on only on EAGAIN. A blocking one is waited
on until ready, then read or written as the original does (as eventlet: a write larger than the
free space of a blocking pipe may still block). Regular files never wait. `waitpid` for one
child waits on a pidfd.
"""

from __future__ import annotations

import os as _os
import stat as _stat
from collections.abc import Callable
from typing import Any

from ..greenthread import sleep as _green_sleep
from ..hub import READ, WRITE, green_hub
from . import reexport

reexport(_os, globals())

_original_read = _os.read
_original_write = _os.write
_original_waitpid = _os.waitpid
_WAITABLE = (_stat.S_ISFIFO, _stat.S_ISSOCK, _stat.S_ISCHR)
_POLL_BACKOFF = (0.001, 0.05)
"""waitpid for any child polls, from the first interval doubling up to the second."""


def _waitable(fd: int) -> bool:
    """Whether epoll can watch `fd` (pipes, sockets, terminals; not regular files)."""
    mode = _os.fstat(fd).st_mode
    return any(test(mode) for test in _WAITABLE)


def _cooperative(call: Callable, fd: int, arg: Any, event: int) -> Any:
    """`call(fd, arg)`, waiting for `event` on the fd as a green thread: after EAGAIN on a
    non-blocking fd, before the call on a blocking one (pipes, ttys, sockets only)."""
    hub = green_hub()
    if hub is None or not _waitable(fd):
        return call(fd, arg)
    if _os.get_blocking(fd):
        hub.wait_fd(fd, event)
        return call(fd, arg)
    while True:
        try:
            return call(fd, arg)
        except BlockingIOError:
            hub.wait_fd(fd, event)


def read(fd: int, n: int, /) -> bytes:
    """Read at most `n` bytes from `fd`, letting other green threads run while it waits."""
    return _cooperative(_original_read, fd, n, READ)


def write(fd: int, data: bytes, /) -> int:
    """Write to `fd`, letting other green threads run while it waits; returns bytes written."""
    return _cooperative(_original_write, fd, data, WRITE)


def waitpid(pid: int, options: int, /) -> tuple[int, int]:
    """os.waitpid that waits cooperatively (on a pidfd for one child, else by polling)."""
    hub = green_hub()
    if hub is None or options & _os.WNOHANG:
        return _original_waitpid(pid, options)
    result = _original_waitpid(pid, options | _os.WNOHANG)
    if result[0]:
        return result
    if pid > 0 and hasattr(_os, "pidfd_open"):
        return _wait_pidfd(hub, pid, options)
    return _wait_polling(pid, options)


def _wait_pidfd(hub: object, pid: int, options: int) -> tuple[int, int]:
    try:
        pidfd = _os.pidfd_open(pid)
    except OSError:  # gone already, or not ours: let the original say so
        return _original_waitpid(pid, options)
    try:
        while True:
            result = _original_waitpid(pid, options | _os.WNOHANG)
            if result[0]:
                return result
            hub.wait_fd(pidfd, READ)
    finally:
        _os.close(pidfd)


def _wait_polling(pid: int, options: int) -> tuple[int, int]:
    delay, longest = _POLL_BACKOFF
    while True:
        result = _original_waitpid(pid, options | _os.WNOHANG)
        if result[0]:
            return result
        _green_sleep(delay)
        delay = min(delay * 2, longest)


def wait() -> tuple[int, int]:
    """os.wait that waits cooperatively for any child."""
    return waitpid(-1, 0)


def patched_attributes() -> dict[str, object]:
    return {"read": read, "write": write, "waitpid": waitpid, "wait": wait}

