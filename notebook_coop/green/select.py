"""Green `select`: `select.select` that suspends only the calling green thread.

It asks the kernel once without waiting; if nothing is ready, it registers the descriptors in
a private epoll and waits cooperatively on that epoll's own descriptor (readable as soon as any
of them is ready). Unlike the stdlib's, it has no FD_SETSIZE limit.
"""

from __future__ import annotations

import select as _select
from collections.abc import Iterable
from typing import Any

from ..hub import READ, green_hub
from . import reexport

reexport(_select, globals())

_original_select = _select.select
_IN, _OUT, _PRI = _select.EPOLLIN, _select.EPOLLOUT, _select.EPOLLPRI
_ERR = _select.EPOLLERR | _select.EPOLLHUP
_SHOWN = (_IN | _ERR, _OUT | _ERR, _PRI)
"""The epoll events that put a descriptor in select()'s read, write and exceptional lists."""


def _fd(obj: Any) -> int:
    fd = obj if isinstance(obj, int) else obj.fileno()
    if not isinstance(fd, int) or fd < 0:
        raise ValueError(f"file descriptor cannot be a negative integer ({fd!r})")
    return fd


def select(rlist: Iterable, wlist: Iterable, xlist: Iterable,
           timeout: float | None = None) -> tuple[list, list, list]:
    """Wait until some of the objects (ints or objects with fileno()) are ready for reading,
    writing or an exceptional condition, or `timeout` seconds pass; as the stdlib's select."""
    hub = green_hub()
    if hub is None:
        return _original_select(rlist, wlist, xlist, timeout)
    if timeout is not None and timeout < 0:
        raise ValueError("timeout must be non-negative")
    rlist, wlist, xlist = list(rlist), list(wlist), list(xlist)
    with _Interest(rlist, wlist, xlist) as interest:
        ready = interest.poll()
        if ready is None and timeout != 0:
            try:
                hub.wait_fd(interest.fileno(), READ, timeout)
            except TimeoutError:
                return [], [], []
            ready = interest.poll()
    return ready or ([], [], [])


class _Interest:
    """The descriptors one select() call watches, in a private epoll."""

    def __init__(self, rlist: list, wlist: list, xlist: list) -> None:
        self.lists = rlist, wlist, xlist
        self.masks: dict[int, int] = {}
        for objs, mask in zip(self.lists, (_IN, _OUT, _PRI), strict=True):
            for obj in objs:
                fd = _fd(obj)
                self.masks[fd] = self.masks.get(fd, 0) | mask
        self.always: set[int] = set()
        self.epoll = _select.epoll()
        try:
            for fd, mask in self.masks.items():
                self._register(fd, mask)
        except BaseException:
            self.epoll.close()
            raise

    def _register(self, fd: int, mask: int) -> None:
        try:
            self.epoll.register(fd, mask)
        except PermissionError:  # a regular file: select() calls it always ready
            self.always.add(fd)

    def fileno(self) -> int:
        return self.epoll.fileno()

    def poll(self) -> tuple[list, list, list] | None:
        """What is ready now, as select() returns it, or None if nothing is."""
        events = dict(self.epoll.poll(0))
        for fd in self.always:
            events[fd] = _IN | _OUT
        if not events:
            return None
        result = tuple([obj for obj in objs if events.get(_fd(obj), 0) & shown]
                       for objs, shown in zip(self.lists, _SHOWN, strict=True))
        return result if any(result) else None

    def __enter__(self) -> _Interest:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.epoll.close()


def patched_attributes() -> dict[str, object]:
    return {"select": select}

