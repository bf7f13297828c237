"""Run blocking calls on real OS threads while only the calling green thread waits.

    data = tpool.execute(read_huge_file, path)   # the other green threads keep running
    db = tpool.Proxy(connect())                  # every method call goes through execute
    tpool.wait_future(executor.submit(f, x))     # any concurrent.futures.Future, cooperatively

The pool starts threads as calls need them, up to NOTEBOOK_COOP_TPOOL_THREADS (default 20) or
`set_num_threads(n)`. Called from a tpool thread, or any thread but the hub's, a call runs inline.
"""

from __future__ import annotations

import os
import time
from _queue import SimpleQueue
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from .arguments import whole_number
from .greenthread import require_callable
from .hub import TIMED_OUT, green_hub
from .patcher import original

__all__ = ["Proxy", "execute", "killall", "set_num_threads", "usage", "wait_future"]

ENV_THREADS = "NOTEBOOK_COOP_TPOOL_THREADS"
DEFAULT_THREADS = 20

_real_thread = original("_thread")  # tpool's threads are real whatever is patched
_real_start_new_thread = _real_thread.start_new_thread
_real_allocate_lock = _real_thread.allocate_lock
_real_local = _real_thread._local

_jobs: SimpleQueue = SimpleQueue()
_workers: list = []
"""One exit lock per running worker thread: held while it lives."""
_started = 0
"""Worker threads started so far: each one's number, `worker[n]`, for what observers show."""
_size: int | None = None
_pending = 0
_in_worker = _real_local()


class Job:
    """One execute() call on its way through the pool: what its green thread waits on."""

    __slots__ = ("hub", "token", "fn", "args", "kwargs", "worker")

    def __init__(self, hub: Any, token: tuple, fn: Callable, args: tuple, kwargs: dict) -> None:
        self.hub, self.token, self.fn, self.args, self.kwargs = hub, token, fn, args, kwargs
        self.worker: int | None = None

    def __repr__(self) -> str:
        where = "queued" if self.worker is None else f"worker[{self.worker}]"
        return f"{where} {getattr(self.fn, '__qualname__', self.fn)!r}"


def _configured_size() -> int:
    raw = os.environ.get(ENV_THREADS, str(DEFAULT_THREADS))
    try:
        size = int(raw)
    except ValueError:
        raise ValueError(f"{ENV_THREADS} must be a positive integer, not {raw!r}") from None
    if size < 1:
        raise ValueError(f"{ENV_THREADS} must be a positive integer, not {raw!r}")
    return size


def set_num_threads(n: int) -> None:
    """Use at most `n` worker threads (extra idle ones exit at once, busy ones after their job)."""
    global _size
    size = whole_number(n, "set_num_threads()'s n")
    if size < 1:
        raise ValueError(f"set_num_threads() needs a positive integer, not {n!r}")
    _size = size
    for _ in range(len(_workers) - size):
        _jobs.put(None)


def _worker(exit_lock: Any, number: int) -> None:
    """A worker's life: run jobs and post each outcome back to the hub, until told to stop."""
    _in_worker.active = True
    try:
        while True:
            job = _jobs.get()
            if job is None:
                return
            job.worker = number
            hub, token, fn, args, kwargs = job.hub, job.token, job.fn, job.args, job.kwargs
            job.args = job.kwargs = None
            del job
            try:
                outcome = (True, fn(*args, **kwargs))
            except BaseException as exc:
                outcome = (False, exc)
            hub.wake_threadsafe(token, outcome)
            del outcome, fn, args, kwargs
    finally:
        _workers.remove(exit_lock)
        exit_lock.release()


def _grow() -> None:
    global _size, _started
    if _size is None:
        _size = _configured_size()
    if _pending > len(_workers) and len(_workers) < _size:
        exit_lock = _real_allocate_lock()
        exit_lock.acquire()
        _workers.append(exit_lock)
        _started += 1
        _real_start_new_thread(_worker, (exit_lock, _started))


def execute(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call `fn(*args, **kwargs)` on a worker thread; only the calling green thread waits.
    Returns its result or re-raises its exception (with the worker's traceback)."""
    require_callable("execute", fn)
    hub = green_hub()
    if hub is None or getattr(_in_worker, "active", False):
        return fn(*args, **kwargs)
    global _pending
    _pending += 1
    try:
        _grow()
        job = Job(hub, hub.token(), fn, args, kwargs)
        _jobs.put(job)
        ok, value = hub.wait_foreign("tpool", job)
    finally:
        _pending -= 1
    if ok:
        return value
    try:
        raise value
    finally:
        del value


def killall(timeout: float | None = None) -> bool:
    """Stop every worker thread once its current job ends; waits up to `timeout` seconds
    (None: for ever). Returns whether all stopped. Later calls start new threads."""
    locks = list(_workers)
    for _ in locks:
        _jobs.put(None)
    if timeout is None:
        return all(lock.acquire() for lock in locks)
    deadline = time.monotonic() + timeout
    return all(lock.acquire(True, max(0.0, deadline - time.monotonic())) for lock in locks)


def wait_future(future: Future, timeout: float | None = None) -> Any:
    """The result of a concurrent.futures.Future (any Executor's) or a look-alike (a Dask
    distributed Future), waiting only the calling green thread; raises its exception, or
    TimeoutError after `timeout`."""
    if not all(hasattr(future, name) for name in ("add_done_callback", "done", "result")):
        raise TypeError(f"wait_future() needs a concurrent.futures.Future (or one with its "
                        f"add_done_callback, done and result), not {future!r}")
    hub = green_hub()
    if hub is None:
        return future.result(timeout)
    if not future.done():
        token = hub.token()
        future.add_done_callback(lambda _: hub.wake_threadsafe(token))
        if hub.wait_foreign("future", future, timeout) is TIMED_OUT:
            raise TimeoutError(f"future not done after {timeout} s")
    return future.result()


def _proxy_call(autowrap: tuple, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    result = execute(fn, *args, **kwargs)
    return Proxy(result, autowrap) if autowrap and isinstance(result, autowrap) else result


class Proxy:
    """Wraps an object so that calling its methods runs them through `execute`.

    Results of the types in `autowrap`, and attributes or call results named in
    `autowrap_names`, come back wrapped too (a connection's cursors, say).
    """

    def __init__(self, obj: Any, autowrap: tuple = (), autowrap_names: tuple = ()) -> None:
        self._obj = obj
        self._autowrap = tuple(autowrap)
        self._autowrap_names = tuple(autowrap_names)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._obj, name)
        wrap_name = name in self._autowrap_names
        if not callable(attr):
            if wrap_name or (self._autowrap and isinstance(attr, self._autowrap)):
                return Proxy(attr, self._autowrap)
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = _proxy_call(self._autowrap, attr, *args, **kwargs)
            return Proxy(result) if wrap_name and not isinstance(result, Proxy) else result

        return call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = _proxy_call(self._autowrap, self._obj, *args, **kwargs)
        return Proxy(result) if "__call__" in self._autowrap_names else result

    def __getitem__(self, key: Any) -> Any:
        return _proxy_call(self._autowrap, self._obj.__getitem__, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        _proxy_call(self._autowrap, self._obj.__setitem__, key, value)

    def __enter__(self) -> Any:
        return _proxy_call(self._autowrap, self._obj.__enter__)

    def __exit__(self, *exc_info: Any) -> Any:
        return _proxy_call(self._autowrap, self._obj.__exit__, *exc_info)

    def __iter__(self) -> Any:
        it = iter(self._obj)
        return self if it is self._obj else Proxy(it, self._autowrap)

    def __next__(self) -> Any:
        return _proxy_call(self._autowrap, next, self._obj)

    # cheap and frequent: not worth a thread hop
    def __eq__(self, other: Any) -> bool:
        return self._obj == other

    def __hash__(self) -> int:
        return hash(self._obj)

    def __repr__(self) -> str:
        return repr(self._obj)

    def __str__(self) -> str:
        return str(self._obj)

    def __len__(self) -> int:
        return len(self._obj)

    def __bool__(self) -> bool:
        return bool(self._obj)

    def __contains__(self, item: Any) -> bool:
        return item in self._obj


def usage() -> tuple[int, int, int]:
    """(calls in flight, worker threads running, the most it may run), for dashboards."""
    return _pending, len(_workers), _size if _size is not None else _configured_size()
