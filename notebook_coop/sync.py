"""Events, semaphores and locks for green threads, with eventlet's semantics.

    done = Event()
    spawn(lambda: done.send("ok"))
    done.wait()                     # "ok"; send() never switches, waiters wake at the next turn

    sem = Semaphore(2)
    with sem:                       # at most two green threads in here at once, served FIFO
        fetch(url)
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .arguments import whole_number
from .greenthread import as_exception, getcurrent
from .hub import get_hub

__all__ = ["BoundedSemaphore", "CappedSemaphore", "Event", "Lock", "Semaphore"]

_NOT_SENT = object()


class Event:
    """A one-shot value for any number of waiters: send() once, then reset() to reuse."""

    def __init__(self) -> None:
        self._result: Any = _NOT_SENT
        self._exc: BaseException | None = None
        self._waiters: list = []

    def __repr__(self) -> str:
        state = "ready" if self.ready() else f"{len(self._waiters)} waiting"
        return f"<Event {state}>"

    def ready(self) -> bool:
        """Whether send() (or send_exception()) has been called."""
        return self._result is not _NOT_SENT

    def has_exception(self) -> bool:
        return self.ready() and self._exc is not None

    def has_result(self) -> bool:
        return self.ready() and self._exc is None

    def poll(self, notready: Any = None) -> Any:
        """The sent value (or its exception raised) if ready, else `notready`."""
        return self.wait() if self.ready() else notready

    def wait(self, timeout: float | None = None) -> Any:
        """Block until sent: return the value or raise the exception; None after `timeout`."""
        if not self.ready():
            hub = get_hub()
            token = hub.token()
            self._waiters.append(token)
            try:
                hub.wait("event", self, timeout)
            finally:
                if token in self._waiters:
                    self._waiters.remove(token)
            if not self.ready():
                return None
        if self._exc is not None:
            raise self._exc
        return self._result

    def send(self, result: Any = None, exc: BaseException | None = None) -> None:
        """Set the value and wake every waiter at the hub's next turn (never switches)."""
        if self.ready():
            raise AssertionError("Trying to re-send() an already-triggered event.")
        self._result, self._exc = result, exc
        waiters, self._waiters = self._waiters, []
        if waiters:
            hub = get_hub()
            for token in waiters:
                hub.wake(token)

    def send_exception(self, *args: Any) -> None:
        """Like send(), but waiters raise this exception (class, instance or exc_info)."""
        self.send(None, as_exception(args, "send_exception"))

    def reset(self) -> None:
        """Make a sent event fresh again, for another send()."""
        if not self.ready():
            raise AssertionError("Trying to re-reset() a fresh event.")
        self._result, self._exc = _NOT_SENT, None


class Semaphore:
    """A counter of permits: acquire() takes one (blocking while none is left), release()
    gives one back. Waiters are served first come, first served."""

    def __init__(self, value: int = 1) -> None:
        self.counter = whole_number(value, f"{type(self).__name__} value", minimum=0)
        self._waiters: deque = deque()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} counter={self.counter} waiters={len(self._waiters)}>"

    @property
    def balance(self) -> int:
        """Permits left minus green threads waiting: negative when there is a queue."""
        return self.counter - len(self._waiters)

    def locked(self) -> bool:
        """Whether acquire() would block now."""
        return self.counter <= 0

    def bounded(self) -> bool:
        return False

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take a permit; False if not `blocking` (or after `timeout`) and none was free."""
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        if not self.locked():
            self.counter -= 1
            return True
        if not blocking:
            return False
        return self._wait_for_permit(timeout)

    def _wait_for_permit(self, timeout: float | None) -> bool:
        hub = get_hub()
        entry = [hub.token(), False]
        self._waiters.append(entry)
        try:
            hub.wait("lock", self, timeout)
        except BaseException:
            self._abandon(entry)
            raise
        if entry[1]:
            return True
        self._abandon(entry)
        return False

    def _abandon(self, entry: list) -> None:
        """A waiter leaves (timeout or exception): pass on a permit it was already handed."""
        if entry[1]:
            self.release()
        elif entry in self._waiters:
            self._waiters.remove(entry)

    __enter__ = acquire

    def __exit__(self, *exc_info: Any) -> None:
        self.release()

    def release(self, blocking: bool = True) -> bool:
        """Give a permit back: straight to the longest waiter if there is one (the counter
        stays 0 then; it can be negative after a pool shrinks)."""
        if self._waiters and self.counter == 0:
            entry = self._waiters.popleft()
            entry[1] = True
            get_hub().wake(entry[0])
        else:
            self.counter += 1
        return True


class BoundedSemaphore(Semaphore):
    """A Semaphore that refuses to be released above its initial value."""

    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        self.original_counter = self.counter

    def bounded(self) -> bool:
        return True

    def release(self, blocking: bool = True) -> bool:
        if self.counter >= self.original_counter and not self._waiters:
            raise ValueError("Semaphore released too many times")
        return super().release(blocking)


class Lock(Semaphore):
    """A Semaphore(1) that refuses to be released while unlocked. `owner` is the green thread
    (or the root greenlet) holding it, for run info and deadlock lints."""

    def __init__(self) -> None:
        super().__init__(1)
        self.owner: Any = None

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        if not super().acquire(blocking, timeout):
            return False
        self.owner = getcurrent()
        return True

    __enter__ = acquire

    def release(self, blocking: bool = True) -> bool:
        if self.counter > 0:
            raise RuntimeError("cannot release un-acquired lock")
        self.owner = None
        return super().release(blocking)

    def _at_fork_reinit(self) -> None:
        self.counter = 1
        self.owner = None
        self._waiters.clear()


class CappedSemaphore:
    """A semaphore whose counter stays within [0, limit]: acquire() blocks at 0 and release()
    blocks at `limit`."""

    def __init__(self, count: int, limit: int) -> None:
        count = whole_number(count, "CappedSemaphore count", minimum=0)
        limit = whole_number(limit, "CappedSemaphore limit")
        if count > limit:
            raise ValueError(f"CappedSemaphore count {count} is above its limit {limit}")
        self.limit = limit
        self._takes = Semaphore(count)
        self._gives = Semaphore(limit - count)

    def __repr__(self) -> str:
        return f"<CappedSemaphore counter={self.counter} limit={self.limit}>"

    @property
    def counter(self) -> int:
        return self._takes.counter

    @property
    def balance(self) -> int:
        """Acquires possible before one blocks; negative: releases needed to free acquirers."""
        return self._takes.balance - self._gives.balance

    def locked(self) -> bool:
        return self._takes.locked()

    def bounded(self) -> bool:
        return True

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take one (blocking at 0); first make room for a release, which a release blocked
        at the limit takes at once."""
        if not blocking and self.locked():
            return False
        self._gives.release()
        try:
            taken = self._takes.acquire(blocking, timeout)
        except BaseException:
            self._gives.counter -= 1
            raise
        if not taken:
            self._gives.counter -= 1
        return taken

    __enter__ = acquire

    def __exit__(self, *exc_info: Any) -> None:
        self.release()

    def release(self, blocking: bool = True) -> bool:
        """Give one back (blocking at the limit); an acquire waiting at 0 gets it at once."""
        if not blocking and self._gives.locked():
            return False
        self._takes.release()
        try:
            return self._gives.acquire()
        except BaseException:
            self._takes.counter -= 1
            raise

