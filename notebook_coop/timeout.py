"""Timeouts: raise in the green thread that armed them, wherever it waits.

    with Timeout(2):               # raises Timeout in this green thread after 2 s
        reply = sock.recv(1024)
    with Timeout(2, False):        # silently leaves the block instead
        reply = sock.recv(1024)
    value = with_timeout(2, fetch, url, timeout_value=None)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from greenlet import getcurrent as _current_greenlet

from .hub import get_hub

__all__ = ["Timeout", "is_timeout", "with_timeout"]

_NONE = object()


class Timeout(BaseException):
    """Armed on creation: after `seconds`, raise `exception` (or this Timeout itself) in the
    green thread that created it. `exception=False` raises it only to be swallowed by the
    with-block. `seconds=None` never fires."""

    is_timeout = True

    def __init__(self, seconds: float | None = None, exception: Any = None) -> None:
        if not _raisable(exception):
            raise TypeError("Timeout's exception must be an exception class or instance, None or "
                            f"False, not {exception!r}")
        super().__init__(seconds)
        self.seconds = seconds
        self.exception = exception
        self._timer: int | None = None
        self._ticket: list | None = None
        self.start()

    def start(self) -> Timeout:
        """Arm it (done on creation; call again only after cancel)."""
        if self.pending:
            raise RuntimeError(f"{self!r} is already armed")
        if self.seconds is not None:
            g = _current_greenlet()
            self._ticket = [self, g, getattr(g, "task", None)]
            self._timer = get_hub().call_later(self.seconds, _fire, self._ticket)
        return self

    @property
    def pending(self) -> bool:
        """Whether it is armed and has not fired yet."""
        return self._timer is not None

    def cancel(self) -> None:
        """Disarm it; harmless when it already fired or was never armed."""
        if self._timer is not None:
            get_hub().cancel_timer(self._timer)
            self._timer = None
            self._ticket.clear()  # the cancelled timer lingers on the heap: let it hold nothing

    def _raise_value(self) -> BaseException:
        exc = self.exception
        if exc is None or isinstance(exc, bool):
            return self
        return exc() if isinstance(exc, type) else exc

    def __enter__(self) -> Timeout:
        if not self.pending:
            self.start()
        return self

    def __exit__(self, typ: Any, value: Any, tb: Any) -> bool:
        self.cancel()
        return value is self and self.exception is False

    def __str__(self) -> str:
        if self.seconds is None:
            return ""
        suffix = "" if self.exception is None or isinstance(self.exception, bool) \
            else f" ({self._raise_value()!r})"
        return f"{self.seconds} second{'' if self.seconds == 1 else 's'}{suffix}"

    def __repr__(self) -> str:
        state = "pending" if self.pending else "idle"
        return f"<Timeout seconds={self.seconds} {state}>"


def _raisable(exception: Any) -> bool:
    if exception is None or isinstance(exception, (bool, BaseException)):
        return True
    return isinstance(exception, type) and issubclass(exception, BaseException)


def _fire(ticket: list, _: Any = None) -> None:
    """The timer callback: throw into the creator, if it is still the same green thread."""
    timeout, g, task = ticket
    timeout._timer = None
    if getattr(g, "task", None) is task:
        get_hub().throw_into(g, timeout._raise_value())


def with_timeout(seconds: float, func: Callable, *args: Any, timeout_value: Any = _NONE,
                 **kwargs: Any) -> Any:
    """Call `func(*args, **kwargs)`; after `seconds` raise Timeout, or return `timeout_value`."""
    with Timeout(seconds) as timeout:
        try:
            return func(*args, **kwargs)
        except Timeout as exc:
            if exc is timeout and timeout_value is not _NONE:
                return timeout_value
            raise


def is_timeout(obj: Any) -> bool:
    """Whether `obj` is a timeout exception: ours, socket.timeout, TimeoutError..."""
    return bool(getattr(obj, "is_timeout", False)) or isinstance(obj, TimeoutError)
