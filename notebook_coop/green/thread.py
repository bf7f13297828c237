"""Green `_thread`: a lock both kinds of thread share, per-green-thread identity and locals.

A green thread waits for `Lock` cooperatively; an OS thread waits as it would for a plain lock,
and a release from either side wakes a waiter on the other. So a `threading.Event` made on
the hub's thread can still be set by one of the kernel's threads (ipykernel's flush does that).
"""

from __future__ import annotations

import _thread
import operator
import os
from collections import deque
from collections.abc import Callable
from time import monotonic
from typing import Any
from weakref import WeakKeyDictionary, WeakSet, ref

from greenlet import getcurrent

from .. import hub as _hubmod
from ..greenthread import spawn_n
from ..hub import green_hub
from . import _real_get_ident, reexport

reexport(_thread, globals())

_real_allocate_lock = _thread.allocate_lock
_real_start_new_thread = _thread.start_new_thread
_real_count = _thread._count
_real_start_joinable_thread = getattr(_thread, "start_joinable_thread", None)  # 3.13+
_real_make_thread_handle = getattr(_thread, "_make_thread_handle", None)  # 3.13+
_real_shutdown = getattr(_thread, "_shutdown", None)  # 3.13+
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
        return f"<{state} {__name__}.Lock object at {id(self):#x}>"

    def locked(self) -> bool:
        return self._lock.locked()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """As _thread.lock.acquire; inside a green thread the wait lets the others run."""
        if timeout != -1:
            _check_timeout(blocking, timeout)
        if self._lock.acquire(False):
            return True
        if not blocking:
            return False
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


def _check_timeout(blocking: bool, timeout: Any) -> None:
    """The errors _thread.lock.acquire raises for a timeout it refuses."""
    if not isinstance(timeout, float):
        timeout = operator.index(timeout)
    elif timeout != timeout:
        raise ValueError("Invalid value NaN (not a number)")
    if not blocking:
        raise ValueError("can't specify a timeout for a non-blocking call")
    if timeout < 0:
        raise ValueError("timeout value must be a non-negative number")
    if timeout > _thread.TIMEOUT_MAX:
        raise OverflowError("timeout value is too large")


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
    return id(spawn_n(_run_as_thread, function, args, kwargs or {}))


_green_threads_running = 0
"""Green threads started as threads (start_new_thread, threading.Thread) and not ended yet."""


def _run_as_thread(function: Callable, args: tuple, kwargs: dict) -> None:
    """The body of a green thread started as a thread: counted by `_count()` while it runs."""
    global _green_threads_running
    _green_threads_running += 1
    try:
        function(*args, **kwargs)
    finally:
        _green_threads_running -= 1


def _count() -> int:
    """The threads running besides the main one: OS threads and green threads started as
    threads (as `_thread._count`, which threading's helpers use to wait for threads' ends)."""
    return _real_count() + _green_threads_running


class _ThreadHandle:
    """What threading.Thread holds on its thread (Python 3.13+): the green thread's, or, for a
    thread started from another OS thread, the real handle it wraps. Joinable from any thread:
    a green lock is held until the green thread ends."""

    __slots__ = ("_real", "_ident", "_task", "_finished", "_lock", "__weakref__")

    def __init__(self) -> None:
        self._real: Any = None
        self._ident = 0
        self._task: Callable[[], Any] = lambda: None  # a weak reference once started
        self._finished = False
        self._lock: Lock | None = None

    def __repr__(self) -> str:
        return f"<{__name__}._ThreadHandle object: ident={self.ident}>"

    @property
    def ident(self) -> int:
        return self._real.ident if self._real is not None else self._ident

    def is_done(self) -> bool:
        return self._real.is_done() if self._real is not None else self._finished

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread's end (forever if timeout is None or negative)."""
        if self._real is not None:
            self._real.join(timeout)
            return
        if self._lock is None:
            raise _thread.error("thread not started")
        if self._finished:
            return
        if self._task() is current_task():
            raise RuntimeError("Cannot join current thread")
        if self._lock.acquire(True, -1 if timeout is None or timeout < 0 else timeout):
            self._lock.release()

    def _set_done(self) -> None:
        if self._real is not None:
            self._real._set_done()
            return
        self._finished = True
        _live.discard(self)
        _non_daemon.discard(self)
        if self._lock is not None and self._lock.locked():
            self._lock.release()

    def _check_unstarted(self) -> None:
        if self._lock is not None or self._real is not None:
            raise RuntimeError("thread already started")

    def _bind(self, task: Any, daemon: bool = True) -> _ThreadHandle:
        """Follow `task` from now until it ends."""
        self._check_unstarted()
        self._ident, self._task, self._lock = id(task), ref(task), Lock()
        self._lock.acquire()
        task._link(_thread_ended, (self,))
        _live.add(self)
        if not daemon:
            _non_daemon.add(self)
        return self


def _thread_ended(task: Any, handle: _ThreadHandle) -> None:
    handle._set_done()


_live: WeakSet[_ThreadHandle] = WeakSet()
"""Handles on green threads not ended yet."""
_non_daemon: set[_ThreadHandle] = set()
"""Those of non-daemon threads: the interpreter waits for them at exit."""


def handle_of(task: Any) -> _ThreadHandle:
    """A new handle on a green thread that already runs."""
    return _ThreadHandle()._bind(task)


def start_joinable_thread(function: Callable, handle: Any = None, daemon: bool = True) -> Any:
    """Python 3.13+'s thread start (threading.Thread.start): from the hub's thread a green
    thread, elsewhere an OS thread. Returns the handle, `handle` itself when one is given."""
    if not callable(function):
        raise TypeError("thread function must be callable")
    if isinstance(handle, _ThreadHandle):
        handle._check_unstarted()
        if green_hub() is None:
            handle._real = _real_start_joinable_thread(function, daemon=daemon)
            return handle
    elif green_hub() is None:
        return _real_start_joinable_thread(function, handle=handle, daemon=daemon)
    elif handle is None:
        handle = _ThreadHandle()
    else:
        owner = getattr(function, "__self__", None)
        if getattr(owner, "_handle", None) is not handle:  # a real handle we cannot drive
            return _real_start_joinable_thread(function, handle=handle, daemon=daemon)
        handle = owner._handle = _ThreadHandle()  # a Thread made before the patch
    return handle._bind(spawn_n(_run_as_thread, function, (), {}), daemon)


def _make_thread_handle(ident: int) -> Any:
    """A handle on the running thread (threading's main and dummy threads): a green one when
    `ident` is the running green thread's."""
    task = current_task()
    if task is None or ident != id(task):
        return _real_make_thread_handle(ident)
    return handle_of(task)


def _after_fork_in_child() -> None:
    """As CPython does in a forked child: every thread but the one that forked has ended, as
    far as threading can tell (their green threads run on if the child runs the hub)."""
    task = current_task()
    for handle in list(_live):
        if handle._task() is not task:
            handle._set_done()
    _non_daemon.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _shutdown() -> None:
    """threading's wait at interpreter exit (3.13+): first for the non-daemon green threads,
    when the caller can wait for them, then for the OS threads."""
    while _non_daemon and green_hub() is not None:
        next(iter(_non_daemon)).join()
    _real_shutdown()


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
    names = {"allocate_lock": allocate_lock, "allocate": allocate_lock, "get_ident": get_ident,
             "start_new_thread": start_new_thread, "start_new": start_new_thread,
             "_local": local, "_count": _count}
    if _real_start_joinable_thread is not None:
        names.update(start_joinable_thread=start_joinable_thread, _ThreadHandle=_ThreadHandle,
                     _make_thread_handle=_make_thread_handle)
    return names
