"""Queues between green threads, with eventlet's semantics.

    q = Queue()              # maxsize=None: unbounded; put() never blocks
    q = Queue(10)            # put() blocks while 10 items wait
    q = Queue(0)             # a channel: put() blocks until a get() takes the item
    spawn(q.put, "job")
    q.get(timeout=1)         # "job", or queue.Empty after a second

LightQueue has no task tracking; Queue adds task_done() and join(). PriorityQueue hands out
the smallest item first, LifoQueue the newest.
"""

from __future__ import annotations

import heapq
import weakref
from collections import deque
from queue import Empty, Full
from typing import Any

from .arguments import whole_number
from .hub import TIMED_OUT, get_hub
from .sync import Event

__all__ = ["Empty", "Full", "LifoQueue", "LightQueue", "PriorityQueue", "Queue", "live_queues"]

_queues: weakref.WeakSet = weakref.WeakSet()


def live_queues() -> list[LightQueue]:
    """Every queue still referenced somewhere, for dashboards and lints."""
    return list(_queues)


def _bound(maxsize: Any) -> int | None:
    """A queue's maxsize as given (an int, a whole float, or None): None when unbounded."""
    if maxsize is None:
        return None
    maxsize = whole_number(maxsize, "maxsize")
    return None if maxsize < 0 else maxsize


class LightQueue:
    """A FIFO of items between green threads; `maxsize` None (or negative) is unbounded and
    0 makes a channel."""

    def __init__(self, maxsize: int | None = None) -> None:
        self.maxsize = _bound(maxsize)
        self._init(self.maxsize)
        self._items = self.queue if _plain(type(self)) else _Hooks(self)
        """What put() and get() store into and take from (append, popleft): the storage
        itself, called without a Python call of ours, unless a subclass overrides _put or _get."""
        self._taken = 0.0
        """Items taken by get() so far, as a float: adding 1.0 takes a float from the free
        list, where each int above 256 is a new allocation (exact up to 2**53 items)."""
        self._getters: deque = deque()
        self._putters: deque = deque()
        _queues.add(self)

    # storage: overridden by PriorityQueue and LifoQueue
    def _init(self, maxsize: int | None) -> None:
        self.queue: Any = deque()

    def _put(self, item: Any) -> None:
        self.queue.append(item)

    def _get(self) -> Any:
        return self.queue.popleft()

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} maxsize={self.maxsize} size={self.qsize()} "
                f"getting={self.getting()} putting={self.putting()}>")

    def qsize(self) -> int:
        """Items waiting in the queue."""
        return len(self.queue)

    def empty(self) -> bool:
        return not self.queue

    def full(self) -> bool:
        """Whether put() would block now (a channel is always full)."""
        return self.maxsize is not None and self.qsize() >= self.maxsize

    def getting(self) -> int:
        """Green threads blocked in get()."""
        return len(self._getters)

    def putting(self) -> int:
        """Green threads blocked in put()."""
        return len(self._putters)

    def resize(self, size: int | None) -> None:
        """Change maxsize; putters that now fit are let in."""
        self.maxsize = _bound(size)
        while self._putters and not self.full():
            self._admit_putter()
        for _ in range(min(len(self._getters), len(self.queue))):
            self._item_added()

    # -- put -----------------------------------------------------------------------------------

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """Add `item`; while full, block (up to `timeout`) or raise Full. On a channel
        (maxsize 0) the item goes to a getter, and put returns once that getter has run with it;
        without a waiting getter, a non-blocking put raises Full."""
        if self.maxsize is None or len(self.queue) < self.maxsize:
            self._items.append(item)
            if self._getters:
                self._item_added()
            return
        if not block and not (self.maxsize == 0 and self._getters):
            raise Full
        self._wait_as_putter(item, block, timeout)

    def _wait_as_putter(self, item: Any, block: bool, timeout: float | None) -> None:
        """Queue up with the item until a getter (or room) takes it; Full after `timeout`."""
        hub = get_hub()
        entry = [hub.token(), item, False, block]  # token, item, taken, blocking
        self._putters.append(entry)
        if self.maxsize == 0:
            self._item_added()  # a channel: call a getter over to take it
        try:
            hub.wait("queue-put", self, timeout)
        finally:
            if not entry[2] and entry in self._putters:
                self._putters.remove(entry)
        if not entry[2]:
            raise Full

    def put_nowait(self, item: Any) -> None:
        self.put(item, False)

    def _item_added(self) -> None:
        """An item went in: wake the longest-waiting getter, if any."""
        if self._getters:
            get_hub().wake(self._getters.popleft())

    def _admit_putter(self) -> None:
        """Move the longest-waiting putter's item into the queue and wake it (on a channel it
        resumes after the getter that took the item)."""
        entry = self._putters.popleft()
        entry[2] = True
        self._items.append(entry[1])
        get_hub().wake(entry[0])

    # -- get -----------------------------------------------------------------------------------

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """Take the next item; while there is none, block (up to `timeout`) or raise Empty."""
        if self.queue:
            item = self._items.popleft()
        else:
            item = self._await_item(block, timeout)
        self._taken += 1.0
        # only a bounded queue has putters (resize to unbounded lets them all in)
        if self.maxsize is not None and self._putters and not self.full():
            self._admit_putter()
        return item

    def _await_item(self, block: bool, timeout: float | None) -> Any:
        """Take an item once there is one: from a waiting putter (a channel), or put while we
        wait as a getter (up to `timeout`); Empty if none comes."""
        timed_out = False
        while not self.queue:
            if self._putters:  # a channel: take the item straight from the longest putter
                self._admit_putter()
            elif not block or timed_out:
                raise Empty
            else:
                timed_out = self._wait_as_getter(timeout) is TIMED_OUT
        return self._items.popleft()

    def get_nowait(self) -> Any:
        return self.get(False)

    def _wait_as_getter(self, timeout: float | None) -> Any:
        hub = get_hub()
        token = hub.token()
        self._getters.append(token)
        try:
            return hub.wait("queue-get", self, timeout)
        except BaseException:
            if token not in self._getters and (self.queue or self._putters):
                self._item_added()  # we were woken for an item we will not take: pass it on
            if not self._getters:
                self._refuse_waiting_nowait_putters()
            raise
        finally:
            if token in self._getters:
                self._getters.remove(token)


    def _refuse_waiting_nowait_putters(self) -> None:
        """No getter is left to take what non-blocking puts offered a channel: they get Full."""
        for entry in [e for e in self._putters if not e[3]]:
            self._putters.remove(entry)
            get_hub().wake(entry[0])


def _plain(cls: type) -> bool:
    """Whether a queue class stores and takes items with its storage's append and popleft."""
    return cls._put is LightQueue._put and cls._get is LightQueue._get


class _Hooks:
    """The storage's append and popleft for a subclass that overrides _put or _get: its own
    hook where it has one (a bound method), else the storage's method."""

    __slots__ = ("append", "popleft")

    def __init__(self, queue: LightQueue) -> None:
        cls = type(queue)
        self.append = queue.queue.append if cls._put is LightQueue._put else queue._put
        self.popleft = queue.queue.popleft if cls._get is LightQueue._get else queue._get


class Queue(LightQueue):
    """A LightQueue that counts unfinished tasks: task_done() after each get, join() to wait
    until every item put has been processed."""

    def __init__(self, maxsize: int | None = None) -> None:
        super().__init__(maxsize)
        self._done = 0
        self._all_done = Event()
        self._all_done.send(None)

    @property
    def unfinished_tasks(self) -> int:
        """Items put and not yet marked done: counted from the queue's length and the items
        taken, so that a put costs no counting of its own."""
        return len(self.queue) + int(self._taken) - self._done

    @unfinished_tasks.setter
    def unfinished_tasks(self, count: int) -> None:
        """Assignable, as in eventlet and the standard library; join() returns once it is 0."""
        self._done = len(self.queue) + int(self._taken) - count
        if count <= 0 and not self._all_done.ready():
            self._all_done.send(None)

    def task_done(self) -> None:
        """Mark one item taken with get() as processed."""
        unfinished = self.unfinished_tasks
        if unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._done += 1
        if unfinished == 1 and not self._all_done.ready():
            self._all_done.send(None)

    def join(self) -> None:
        """Block until every item put has been marked done with task_done()."""
        if self.unfinished_tasks > 0:
            if self._all_done.ready():
                self._all_done.reset()
            self._all_done.wait()


class PriorityQueue(Queue):
    """A Queue that hands out the lowest item first (put (priority, data) tuples)."""

    def _init(self, maxsize: int | None) -> None:
        self.queue = []

    def _put(self, item: Any) -> None:
        heapq.heappush(self.queue, item)

    def _get(self) -> Any:
        return heapq.heappop(self.queue)


class LifoQueue(Queue):
    """A Queue that hands out the most recently put item first."""

    def _init(self, maxsize: int | None) -> None:
        self.queue = []

    def _get(self) -> Any:
        return self.queue.pop()
