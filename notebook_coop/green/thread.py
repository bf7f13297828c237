"""Green `_thread`: a lock both kinds of thread share, per-green-thread identity and locals.

A green thread waits for `Lock` cooperatively; an OS thread waits as it would for a plain lock,
and a release from either side wakes a waiter on the other. So a `threading.Event` made on
the hub's thread can still be set by one of the kernel's threads (ipykernel's flush does that).
"""

from __future__ import annotations

import _thread
from collections import deque
from collections.abc import Callable
from time import monotonic
from typing import Any
from weakref import WeakKeyDictionary

from greenlet import getcurrent

from .. import hub as _hubmod
from ..greenthread import spawn_n
from ..hub import green_hub
from . import _real_get_ident, reexport

reexport(_thread, globals())

_real_allocate_lock = _thread.allocate_lock
_real_start_new_thread = _thread.start_new_thread
_RealLocal = _thread._local
_RealRLock = _thread.RLock
_WOKEN = object()


class Lock:
    """A lock green threads wait for cooperatively and OS threads wait for as usual."""

    __slots__ = ("_lock", "_waiters", "__weakref__")

    def __init__(self) -> None:
        self._lock = _real_allocate_lock()
        self._waiters: deque = deque()

    def __repr__(self) -> str:
        state = "locked" if self._lock.locked() else "unlocked"
        return f"<green {state} lock object at {id(self):#x}>"

    def locked(self) -> bool:
        return self._lock.locked()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """As _thread.lock.acquire; inside a green thread the wait lets the others run."""
        if self._lock.acquire(False):
            return True
        if not blocking:
            if timeout != -1:
                raise ValueError("can't specify a timeout for a non-blocking call")
            return False
        if timeout < 0 and timeout != -1:
            raise ValueError("timeout value must be a non-negative number")
        hub = green_hub()
        if hub is None:
            return self._lock.acquire(True, timeout)
        return self._wait(hub, None if timeout == -1 else monotonic() + timeout)

    def _wait(self, hub: Any, deadline: float | None) -> bool:
        """Queue up, retry, sleep until a release (from any thread) or the deadline."""
        while True:
            entry = [hub.token()]
            self._waiters.append(entry)
            acquired = False
            try:
                acquired = self._lock.acquire(False)
                if acquired:
                    return True
                left = None if deadline is None else deadline - monotonic()
                if left is not None and left <= 0:
                    return False
                woke = hub.wait_foreign("lock", self, left)  # the holder may be an OS thread
                acquired = self._lock.acquire(False)
                if acquired or woke is _hubmod.TIMED_OUT:
                    return acquired
            finally:
                self._leave(entry, acquired)

    def _leave(self, entry: list, acquired: bool) -> None:
        """Drop our place in line; a wake-up we were handed but did not use goes to the next."""
        woken = entry[0] is _WOKEN
        entry[0] = None
        if woken and not acquired and not self._lock.locked():
            self._wake_next()

    def _wake_next(self) -> None:
        """On the hub's thread: schedule the first live waiter to retry."""
        waiters = self._waiters
        while waiters:
            entry = waiters.popleft()
            token = entry[0]
            if token is not None:
                entry[0] = _WOKEN
                _hubmod._process_hub.wake(token)
                return

    def release(self) -> None:
        """Unlock and wake one green waiter (through the hub when called from another thread)."""
        self._lock.release()
        if self._waiters:
            hub = _hubmod._process_hub
            if hub.thread_id == _real_get_ident():
                self._wake_next()
            else:
                hub.call_threadsafe(self._wake_next)

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info: Any) -> None:
        self.release()

    def _at_fork_reinit(self) -> None:
        self._lock = _real_allocate_lock()
        self._waiters.clear()

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked


def allocate_lock() -> Lock:
    """A new green-aware lock."""
    return Lock()


def get_ident() -> int:
    """Inside a green thread, an identity of its own; elsewhere the OS thread's."""
    task = getattr(getcurrent(), "task", None)
    return _real_get_ident() if task is None else id(task)


def current_task() -> Any:
    """The GreenThread running now, or None outside green threads."""
    return getattr(getcurrent(), "task", None)


def start_new_thread(function: Callable, args: tuple, kwargs: dict | None = None) -> int:
    """From the hub's thread, start a green thread; elsewhere an OS thread. Returns its ident."""
    if not isinstance(args, tuple):
        raise TypeError("2nd arg must be a tuple")
    if kwargs is not None and not isinstance(kwargs, dict):
        raise TypeError("optional 3rd arg must be a dictionary")
    if green_hub() is None:
        return _real_start_new_thread(function, args, kwargs or {})
    return id(spawn_n(function, *args, **(kwargs or {})))


class _LocalState:
    """The namespaces of one `local`: a real thread-local for OS threads, a weak map for green
    threads, and the arguments to run __init__ with in each new one."""

    __slots__ = ("os_threads", "green", "args", "kwargs", "lock")

    def __init__(self, args: tuple, kwargs: dict) -> None:
        self.os_threads = _RealLocal()
        self.green: WeakKeyDictionary = WeakKeyDictionary()
        self.args, self.kwargs = args, kwargs
        self.lock = _RealRLock()

    def namespace(self) -> tuple[dict, bool]:
        """The caller's namespace, and whether it was just created."""
        task = getattr(getcurrent(), "task", None)
        if task is None:
            try:
                return self.os_threads.namespace, False
            except AttributeError:
                ns = self.os_threads.namespace = {}
                return ns, True
        ns = self.green.get(task)
        if ns is None:
            ns = self.green[task] = {}
            return ns, True
        return ns, False


def _select(self: Any) -> None:
    """Point `self.__dict__` at the caller's namespace, initialising a new one."""
    state = object.__getattribute__(self, "_local__state")
    ns, fresh = state.namespace()
    object.__setattr__(self, "__dict__", ns)
    cls = type(self)
    if fresh and cls.__init__ is not object.__init__:
        cls.__init__(self, *state.args, **state.kwargs)


class local:  # noqa: N801 - the stdlib's name
    """threading.local where each green thread (not only each OS thread) has its own data."""

    __slots__ = ("_local__state", "__dict__", "__weakref__")

    def __new__(cls, /, *args: Any, **kwargs: Any) -> local:
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError("Initialization arguments are not supported")
        self = object.__new__(cls)
        state = _LocalState(args, kwargs)
        object.__setattr__(self, "_local__state", state)
        object.__setattr__(self, "__dict__", state.namespace()[0])
        return self

    def __getattribute__(self, name: str) -> Any:
        with object.__getattribute__(self, "_local__state").lock:
            _select(self)
            return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object's '__dict__' is read-only")
        with object.__getattribute__(self, "_local__state").lock:
            _select(self)
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object's '__dict__' is read-only")
        with object.__getattribute__(self, "_local__state").lock:
            _select(self)
            object.__delattr__(self, name)


_local = local


def patched_attributes() -> dict[str, object]:
    return {"allocate_lock": allocate_lock, "allocate": allocate_lock, "get_ident": get_ident,
            "start_new_thread": start_new_thread, "start_new": start_new_thread,
            "_local": local}
