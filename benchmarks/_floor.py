"""The floor: a minimal pure-Python green-thread scheduler, a deque and a heap over greenlet.

It does the benchmarks' work with nothing else: no tokens against stale wake-ups, no contextvars,
no registry, no timeouts, no file descriptors, no observers, no error reporting. What a real
library costs above it is the price of those; bench_core.py runs it as one more column.

    spawn(fn, *args) -> thread; join(thread); sleep(seconds); Event(); Queue(maxsize)
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from typing import Any

from greenlet import getcurrent, greenlet

_ready: deque = deque()  # (greenlet, value): resume each with its value, in order
_timers: list = []  # (deadline, sequence, greenlet)
_seq = 0


def _loop() -> None:
    """Resume what is ready, move due timers onto the ready queue, sleep until the next one."""
    ready, timers, monotonic = _ready, _timers, time.monotonic
    while True:
        now = monotonic()
        while timers and timers[0][0] <= now:
            ready.append((heapq.heappop(timers)[2], None))
        if ready:
            for _ in range(len(ready)):
                g, value = ready.popleft()
                g.switch(value)
        elif timers:
            time.sleep(max(0.0, timers[0][0] - monotonic()))
        else:
            raise RuntimeError("deadlock: nothing is ready and no timer is pending")


_hub = greenlet(_loop)


def _block() -> Any:
    return _hub.switch()


class Thread(greenlet):
    """A green thread: a greenlet that keeps its result and who waits for it."""

    def __init__(self, fn: Any, args: tuple) -> None:
        super().__init__(self._main, _hub)
        self.fn, self.args, self.done, self.value, self.waiters = fn, args, False, None, []

    def _main(self, _: Any = None) -> None:
        self.value = self.fn(*self.args)
        self.done = True
        for g in self.waiters:
            _ready.append((g, None))


def spawn(fn: Any, *args: Any) -> Thread:
    t = Thread(fn, args)
    _ready.append((t, None))
    return t


def join(t: Thread) -> Any:
    if not t.done:
        t.waiters.append(getcurrent())
        _block()
    return t.value


def sleep(seconds: float = 0) -> None:
    global _seq
    if seconds <= 0:
        _ready.append((getcurrent(), None))
    else:
        _seq += 1
        heapq.heappush(_timers, (time.monotonic() + seconds, _seq, getcurrent()))
    _block()


class Event:
    def __init__(self) -> None:
        self.fired, self.waiters = False, []

    def send(self, value: Any = None) -> None:
        self.fired = True
        _ready.extend((g, None) for g in self.waiters)
        self.waiters = []

    def wait(self) -> None:
        if not self.fired:
            self.waiters.append(getcurrent())
            _block()


class Queue:
    """A FIFO; with a maxsize, put blocks while it is full."""

    def __init__(self, maxsize: int | None = None) -> None:
        self.items: deque = deque()
        self.maxsize = maxsize
        self.getters: deque = deque()
        self.putters: deque = deque()

    def put(self, item: Any) -> None:
        while self.maxsize is not None and len(self.items) >= self.maxsize:
            self.putters.append(getcurrent())
            _block()
        self.items.append(item)
        if self.getters:
            _ready.append((self.getters.popleft(), None))

    def get(self) -> Any:
        while not self.items:
            self.getters.append(getcurrent())
            _block()
        if self.putters:
            _ready.append((self.putters.popleft(), None))
        return self.items.popleft()
