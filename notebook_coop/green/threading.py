"""Green `threading`: the stdlib's classes, running on green locks and green identities.

The patch replaces only the low-level names the stdlib's own classes look up when they run
(`_allocate_lock`, `get_ident`, and how threads start and end: `_start_new_thread` and
`_set_sentinel` up to Python 3.12, `_start_joinable_thread`, `_ThreadHandle`,
`_make_thread_handle` and `_thread_shutdown` from 3.13), so `threading.Event`, `Condition`,
`Semaphore`, `RLock`, `Barrier` and `queue.Queue` all wait cooperatively, and
`threading.Thread(...).start()` from a green thread starts a green thread. The classes of this
module (for `import_patched`) are copies of the stdlib's bound to green names whether or not
the patch is on.
"""

from __future__ import annotations

import threading as _threading
import weakref
from typing import Any

from . import rebind, reexport
from . import thread as _green_thread

reexport(_threading, globals())

Lock = _green_thread.Lock
local = _green_thread.local
get_ident = _green_thread.get_ident
_allocate_lock = allocate_lock = _green_thread.allocate_lock
_start_new_thread = _green_thread.start_new_thread
_CRLock = None
current_task = _green_thread.current_task

_original_current_thread = _threading.current_thread
_original_set_sentinel = getattr(_threading, "_set_sentinel", None)  # up to 3.12
_NEW_THREAD_START = hasattr(_threading, "_start_joinable_thread")  # 3.13+: handles, no sentinels
if _NEW_THREAD_START:
    _start_joinable_thread = _green_thread.start_joinable_thread
    _ThreadHandle = _green_thread._ThreadHandle
    _make_thread_handle = _green_thread._make_thread_handle
    _thread_shutdown = _green_thread._shutdown


def _set_sentinel() -> Any:
    """For Thread's bookkeeping up to 3.12: a lock released when the current green thread ends
    (joining a Thread waits for it; the interpreter's exit waits for the non-daemon ones')."""
    task = current_task()
    if task is None:
        return _original_set_sentinel()
    sentinel = allocate_lock()
    task._link(_release_sentinel, (sentinel,))
    return sentinel


def _release_sentinel(task: Any, sentinel: Lock) -> None:
    if sentinel.locked():
        sentinel.release()


class GreenDummyThread(_threading.Thread):
    """What current_thread() returns in a green thread not started through threading.Thread:
    alive while the green thread runs, joinable, never registered in threading._active."""

    def __init__(self, task: Any) -> None:
        super().__init__(name=task.name or f"GreenThread-{task.id}", daemon=True)
        self._green_handle = _green_thread.handle_of(task)
        if _NEW_THREAD_START:
            self._handle = self._green_handle
        self._ident = id(task)
        self._started.set()

    def is_alive(self) -> bool:
        alive = not self._green_handle.is_done()
        self._is_stopped = not alive  # what Thread.__repr__ reads up to 3.12
        return alive

    def join(self, timeout: float | None = None) -> None:
        if self._green_handle._task() is current_task():
            raise RuntimeError("cannot join current thread")
        self._green_handle.join(None if timeout is None else max(timeout, 0))


_dummies: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def current_thread() -> _threading.Thread:
    """The Thread object of the caller: one per green thread inside green threads."""
    task = current_task()
    if task is None:
        return _original_current_thread()
    thread = _threading._active.get(id(task))
    if thread is None:
        thread = _dummies.get(task)
        if thread is None:
            thread = _dummies[task] = GreenDummyThread(task)
    return thread


currentThread = current_thread  # noqa: N816 - the stdlib's alias


def _green_classes() -> dict[str, Any]:
    """Condition, Semaphore, BoundedSemaphore, Event, Barrier and RLock on green names."""
    ns = dict(vars(_threading))
    ns.update(_allocate_lock=allocate_lock, Lock=Lock, get_ident=get_ident, _CRLock=None)
    classes = {"_PyRLock": rebind(_threading._PyRLock, ns),
               "Condition": rebind(_threading.Condition, ns)}
    classes["Semaphore"] = rebind(_threading.Semaphore, ns)
    classes["BoundedSemaphore"] = rebind(_threading.BoundedSemaphore, ns,
                                           (classes["Semaphore"],))
    classes["Event"] = rebind(_threading.Event, ns)
    classes["Barrier"] = rebind(_threading.Barrier, ns)
    ns.update(classes, RLock=rebind(_threading.RLock, ns))
    classes["RLock"] = ns["RLock"]
    return classes


globals().update(_green_classes())


def patched_attributes() -> dict[str, object]:
    names = {"get_ident": get_ident, "_allocate_lock": allocate_lock, "Lock": Lock,
             "_CRLock": None, "current_thread": current_thread, "currentThread": current_thread,
             "local": local}
    if _NEW_THREAD_START:
        names.update(_start_joinable_thread=_start_joinable_thread, _ThreadHandle=_ThreadHandle,
                     _make_thread_handle=_make_thread_handle, _thread_shutdown=_thread_shutdown)
    else:
        names.update(_start_new_thread=_start_new_thread, _set_sentinel=_set_sentinel)
    return names
