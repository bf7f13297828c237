"""Green `selectors`: selectors whose `select()` suspends only the calling green thread.

    sel = selectors.DefaultSelector()            # a green EpollSelector
    sel.register(sock, selectors.EVENT_READ)
    for key, events in sel.select(timeout=1):    # other green threads run meanwhile
        ...

Each asks the kernel once without waiting; only if nothing is ready does it wait through the
hub: the epoll selector on its own descriptor (kept registered until close), the poll and
select selectors through green select().
"""

from __future__ import annotations

import selectors as _selectors
from typing import Any

from ..hub import READ, green_hub
from . import reexport
from .select import select as _green_select
from .socket import forget_fd

reexport(_selectors, globals())


class _Cooperative:
    """select() that tries without waiting first, then waits cooperatively."""

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        hub = green_hub()
        if hub is None or (timeout is not None and timeout <= 0):
            return super().select(timeout)
        ready = super().select(0)
        if ready:
            return ready
        self._wait_ready(hub, timeout)
        return super().select(0)


class EpollSelector(_Cooperative, _selectors.EpollSelector):
    """An epoll selector whose select() waits through the hub on the epoll descriptor."""

    _kept = False

    def _wait_ready(self, hub: Any, timeout: float | None) -> None:
        self._kept = True
        try:
            hub.wait_fd(self.fileno(), READ, timeout, keep=True)
        except TimeoutError:
            pass

    def close(self) -> None:
        if self._kept and self.fileno() >= 0:
            self._kept = False
            forget_fd(self.fileno())
        super().close()


class _WaitOnRegistered(_Cooperative):
    """For selectors without a descriptor of their own: wait in green select()."""

    def _wait_ready(self, hub: Any, timeout: float | None) -> None:
        keys = self.get_map().values()
        _green_select([k.fd for k in keys if k.events & _selectors.EVENT_READ],
                      [k.fd for k in keys if k.events & _selectors.EVENT_WRITE], [], timeout)


class PollSelector(_WaitOnRegistered, _selectors.PollSelector):
    """A poll selector whose select() waits cooperatively."""


class SelectSelector(_WaitOnRegistered, _selectors.SelectSelector):
    """A select selector whose select() waits cooperatively."""


DefaultSelector = EpollSelector


def patched_attributes() -> dict[str, object]:
    return {"DefaultSelector": DefaultSelector, "EpollSelector": EpollSelector,
            "PollSelector": PollSelector, "SelectSelector": SelectSelector}
