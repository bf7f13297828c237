"""GreenPool and GreenPile: bounded sets of green threads, with eventlet's semantics.

    pool = GreenPool(100)                  # at most 100 at once: spawn() blocks while full
    for body in pool.imap(fetch, urls):    # results in order, at most 100 in flight
        print(len(body))

    pile = GreenPile(pool)                 # collect results in spawn order
    for url in urls:
        pile.spawn(fetch, url)
    bodies = list(pile)
    pool.waitall()
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from greenlet import getcurrent as _current_greenlet

from .arguments import whole_number
from .greenthread import GreenThread, require_callable, spawn, spawn_n
from .hub import get_hub
from .queue import LightQueue
from .sync import Event, Semaphore

__all__ = ["GreenMap", "GreenPile", "GreenPool", "live_pools"]

_pools: weakref.WeakSet = weakref.WeakSet()


def live_pools() -> list[GreenPool]:
    """Every GreenPool still referenced somewhere, for dashboards and lints."""
    return list(_pools)


class GreenPool:
    """At most `size` green threads at a time; spawn() waits for a free slot."""

    def __init__(self, size: int = 1000) -> None:
        size = whole_number(size, "GreenPool size", minimum=0)
        self.size = size
        self.coroutines_running: set[GreenThread] = set()
        self.sem = Semaphore(size)
        self.no_coros_running = Event()
        self.no_coros_running.send(None)
        _pools.add(self)

    def __repr__(self) -> str:
        return f"<GreenPool size={self.size} running={self.running()} waiting={self.waiting()}>"

    def resize(self, new_size: int) -> None:
        """Change the size; shrinking lets running threads finish, it kills none."""
        new_size = whole_number(new_size, "GreenPool size", minimum=0)
        delta = new_size - self.size
        self.size = new_size
        if delta >= 0:
            for _ in range(delta):
                self.sem.release()
        else:
            self.sem.counter += delta

    def running(self) -> int:
        """Green threads running in the pool now."""
        return len(self.coroutines_running)

    def free(self) -> int:
        """Slots free now (negative after shrinking below the running count)."""
        return self.sem.counter

    def waiting(self) -> int:
        """Green threads blocked in spawn() waiting for a slot."""
        return max(0, -self.sem.balance)

    def _inside(self) -> bool:
        return getattr(_current_greenlet(), "task", None) in self.coroutines_running

    def spawn(self, function: Callable, *args: Any, **kwargs: Any) -> GreenThread:
        """Run `function` in a pool slot; waits while the pool is full. Called from one of the
        pool's own threads while it is full, it runs inline instead of deadlocking."""
        return self._spawn(spawn, function, args, kwargs)

    def spawn_n(self, function: Callable, *args: Any, **kwargs: Any) -> None:
        """Like spawn(), for fire-and-forget work; exceptions are printed."""
        self._spawn(spawn_n, function, args, kwargs)

    def _spawn(self, spawner: Callable, function: Callable, args: tuple, kwargs: dict) -> Any:
        require_callable(spawner.__name__, function)
        if self.sem.locked() and self._inside():
            gt = GreenThread(get_hub(), function, args, kwargs)
            gt.run_on(_current_greenlet())
            return gt
        self.sem.acquire()
        gt = spawner(function, *args, **kwargs)
        self._track(gt)
        return gt

    def _track(self, gt: GreenThread) -> None:
        if not self.coroutines_running:
            self.no_coros_running.reset()
        self.coroutines_running.add(gt)
        gt._link(self._spawn_done)

    def _spawn_done(self, gt: GreenThread) -> None:
        self.sem.release()
        self.coroutines_running.discard(gt)
        if not self.coroutines_running:
            self.no_coros_running.send(None)

    def waitall(self) -> None:
        """Block until every green thread in the pool has finished."""
        if self._inside():
            raise RuntimeError("waitall() from one of the pool's own green threads would never "
                               "return")
        self.no_coros_running.wait()

    def starmap(self, function: Callable | None, iterable: Iterable) -> GreenMap:
        """Like itertools.starmap, concurrently: results in order, at most `size` in flight."""
        if function is None:
            function = _as_tuple
        results = GreenMap(self)
        spawn_n(_feed, results, function, iterable)
        return results

    def imap(self, function: Callable | None, *iterables: Iterable) -> GreenMap:
        """Like map(): results in order, at most `size` calls in flight (memory-bounded)."""
        return self.starmap(function, zip(*iterables, strict=False))


def _as_tuple(*args: Any) -> tuple:
    return args


def _feed(results: GreenMap, function: Callable, iterable: Iterable) -> None:
    """Spawn one call per argument tuple (blocking while the pool is full), then end the map."""
    try:
        for args in iterable:
            results.spawn(function, *args)
    finally:
        results.done_spawning()


class GreenPile:
    """Results of spawned calls, iterated in spawn order (re-raising their exceptions)."""

    def __init__(self, size_or_pool: int | GreenPool = 1000) -> None:
        self.pool = size_or_pool if isinstance(size_or_pool, GreenPool) \
            else GreenPool(size_or_pool)
        self.waiters: LightQueue = LightQueue()
        self.counter = 0
        self.used = False

    def spawn(self, func: Callable, *args: Any, **kw: Any) -> None:
        """Run `func` in the pile's pool; its result comes out of iteration in this order."""
        self.used = True
        self.counter += 1
        try:
            gt = self.pool.spawn(func, *args, **kw)
        except BaseException:
            self.counter -= 1
            raise
        gt._observed = True
        self.waiters.put(gt)

    def __iter__(self) -> Iterator:
        return self

    def next(self) -> Any:
        """The next result in spawn order; StopIteration once all are out."""
        if not self.used or self.counter == 0:
            raise StopIteration()
        return self._next()

    __next__ = next

    def _next(self) -> Any:
        try:
            return self.waiters.get().wait()
        finally:
            self.counter -= 1


class GreenMap(GreenPile):
    """A GreenPile fed by another green thread: iteration waits for it to say it is done."""

    _DONE = object()

    def __init__(self, size_or_pool: int | GreenPool) -> None:
        super().__init__(size_or_pool)
        self.waiters = LightQueue(maxsize=self.pool.size)

    def done_spawning(self) -> None:
        """No more spawns: iteration ends after the results so far."""
        self.waiters.put(self._DONE)

    def next(self) -> Any:
        gt = self.waiters.get()
        if gt is self._DONE:
            self.waiters.put(self._DONE)
            raise StopIteration()
        return gt.wait()

    __next__ = next
