"""The hub: the one scheduler of the process, living on the thread that first used it.

It owns a ready queue of callbacks, a heap of timers, an epoll selector and a wake-up fd that
other OS threads write to. Green threads run on worker greenlets whose parent is the hub. The
hub is driven in one of two ways: self-driven, when the root greenlet blocks (a script, a cell
waiting on a green thread), or one bounded `tick()` at a time, when a host loop drives it.

Every callback on the ready queue and the timer heap is a plain tuple `(fn, a, b)`, called as
`fn(a, b)`. A blocked greenlet is woken through a *token* `(greenlet, generation)`: the
generation moves on whenever the greenlet resumes, so a stale wake-up is ignored.
"""

from __future__ import annotations

import heapq
import os
import select
import selectors
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable
from threading import get_ident
from time import monotonic, perf_counter
from typing import Any

from greenlet import getcurrent, greenlet, settrace

from .instruments import Instrument, wants_switches

READ = select.EPOLLIN if hasattr(select, "epoll") else selectors.EVENT_READ
WRITE = select.EPOLLOUT if hasattr(select, "epoll") else selectors.EVENT_WRITE
_ERROR = (select.EPOLLERR | select.EPOLLHUP) if hasattr(select, "epoll") else 0

MAX_IDLE_WORKERS = 1024
"""Finished workers kept for reuse: a live greenlet runs a new task far cheaper than a new one."""

POLL_INTERVAL = 0.001
"""While green threads keep the ready queue busy, the self-driven loop still polls this often."""

MAX_POLL_WAIT = 3600.0
"""The longest single epoll wait: far deadlines (sleep(inf)) are waited for in steps."""

_TIMED_OUT = object()


class DeadlockError(RuntimeError):
    """The root waits on something nothing can ever satisfy."""


class WrongThreadError(RuntimeError):
    """A green call came from an OS thread other than the hub's."""


class _Worker(greenlet):
    """A greenlet that runs green threads one after another."""

    __slots__ = ("task", "gen", "reason")


class _Watch:
    """The green threads waiting on one file descriptor, and what epoll watches for it."""

    __slots__ = ("reader", "writer", "mask")

    def __init__(self) -> None:
        self.reader = self.writer = None
        self.mask = 0


class _SelectorPoller:
    """epoll's interface over `selectors.DefaultSelector`, for systems without epoll."""

    def __init__(self) -> None:
        self._sel = selectors.DefaultSelector()

    def register(self, fd: int, mask: int) -> None:
        self._sel.register(fd, mask)

    def modify(self, fd: int, mask: int) -> None:
        self._sel.modify(fd, mask)

    def unregister(self, fd: int) -> None:
        self._sel.unregister(fd)

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        return [(key.fd, mask) for key, mask in self._sel.select(timeout)]

    def fileno(self) -> int:
        return self._sel.fileno() if hasattr(self._sel, "fileno") else -1

    def close(self) -> None:
        self._sel.close()


class Hub:
    """Scheduler state in a few named structures, and one loop that drives it."""

    awaitable_for: Callable[[Any], Any] | None = None
    """Set by a host loop's driver (the kernel): turns a GreenThread into an awaitable."""

    def __init__(self) -> None:
        self.thread_id = get_ident()
        self.root: greenlet = _adopt(getcurrent())
        self.root_blocked = False
        self.greenlet = greenlet(self._run, parent=self.root)
        self.ready: deque = deque()
        self.timers: list = []
        self._cancelled: set[int] = set()
        self._seq = 0
        self._poller = select.epoll() if hasattr(select, "epoll") else _SelectorPoller()
        self._watches: dict[int, _Watch] = {}
        self._wake_r, self._wake_w = _wake_pipe()
        self._poller.register(self._wake_r, READ)
        self._threadsafe: deque = deque()
        self._wake_pending = False
        self._interrupt_pending = False
        self.awaiting_threads = 0
        self._idle: list[_Worker] = []
        self._tick_driver: greenlet | None = None
        self._tick_budget: float | None = None
        self._handoffs = 0
        self._passes = 0
        self._pass_cut = False
        self.instruments: list[Instrument] = []
        self._accounting = False
        self.watched = False
        self.thread_count = 0
        self.resume = self._resume
        self.start = self._start

    # -- timers -------------------------------------------------------------------------------

    def call_at(self, deadline: float, fn: Callable, a: Any = None, b: Any = None) -> int:
        """Call `fn(a, b)` at `deadline` (time.monotonic); returns a handle for cancel_timer."""
        if deadline != deadline:  # a NaN would spin the loop and break the heap's order
            raise ValueError("a delay or deadline cannot be NaN")
        self._seq = seq = self._seq + 1
        heapq.heappush(self.timers, (deadline, seq, fn, a, b))
        return seq

    def call_later(self, delay: float, fn: Callable, a: Any = None, b: Any = None) -> int:
        """Call `fn(a, b)` after `delay` seconds; returns a handle for cancel_timer."""
        return self.call_at(monotonic() + delay, fn, a, b)

    def cancel_timer(self, seq: int) -> None:
        """Forget a pending timer (lazily: it stays on the heap until popped or compacted)."""
        cancelled = self._cancelled
        cancelled.add(seq)
        if len(cancelled) > 256 and len(cancelled) * 2 > len(self.timers):
            self.timers = [t for t in self.timers if t[1] not in cancelled]
            heapq.heapify(self.timers)
            cancelled.clear()

    def next_deadline(self) -> float | None:
        """When the hub next has work: now if anything is ready, else the earliest live timer."""
        if self.ready or self._threadsafe:
            return monotonic()
        timers, cancelled = self.timers, self._cancelled
        while timers and timers[0][1] in cancelled:
            cancelled.discard(heapq.heappop(timers)[1])
        return timers[0][0] if timers else None

    # -- the ready queue ----------------------------------------------------------------------

    def call_soon(self, fn: Callable, *args: Any) -> None:
        """Run `fn(*args)` on the hub at its next turn, after what is already ready."""
        self.ready.append((_call, fn, args))

    def call_threadsafe(self, fn: Callable, *args: Any) -> None:
        """From any OS thread (or a signal handler): run `fn(*args)` on the hub soon."""
        self._threadsafe.append((fn, args))
        self._wake()

    def interrupt(self) -> None:
        """Signal-safe: throw KeyboardInterrupt into the root if it is blocked in a green wait."""
        self._interrupt_pending = True
        self._wake()

    def _wake(self) -> None:
        if not self._wake_pending:
            self._wake_pending = True
            try:
                os.write(self._wake_w, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except (BlockingIOError, OSError):
                pass

    # -- blocking and waking ------------------------------------------------------------------

    def token(self) -> tuple:
        """The current greenlet's wake-up token, for `resume` once what it waits on happens."""
        g = getcurrent()
        try:
            return (g, g.gen)
        except AttributeError:  # a greenlet that is not ours: give it the fields we track
            _adopt(g)
            return (g, 0)

    def block(self, reason: str, requeue: bool = False) -> Any:
        """Switch out until woken through this greenlet's token; returns the wake value.
        With `requeue`, first put our own resume on the ready queue (a yield: sleep(0)).

        While the hub is in a pass over the ready queue, a plain resume at its head is
        switched to directly: one greenlet switch instead of two through the hub."""
        g = getcurrent()
        try:
            task = g.task
        except AttributeError:  # the hub's own greenlet, or one that is not ours
            task = _adopt(g).task
        if task is None:
            return self._block_outside_task(g, reason, requeue)
        if requeue:
            self.ready.append((self.resume, (g, g.gen), None))
        g.reason = reason
        task.switches += 1
        if self.watched:
            self._watch_block(task, reason)
        try:
            ready = self.ready
            if self._handoffs > 0 and ready:
                fn, token, value = ready[0]
                if fn is self.resume:
                    ready.popleft()
                    self._handoffs -= 1
                    target, gen = token
                    if target.gen == gen and not target.dead:
                        target.gen = gen + 1
                        if self.instruments:
                            self.emit("woken", target.task or target, None)
                        return target.switch(value)
            return self.greenlet.switch()
        finally:
            g.reason = None
            if self.watched:
                task.resumed_at = perf_counter()

    def _watch_block(self, task: Any, reason: str) -> None:
        """Bookkeeping for observers only: run time, and the blocked event."""
        if self.accounting:
            task.run_time += perf_counter() - task.resumed_at
        if self.instruments:
            self.emit("blocked", task, reason)

    @property
    def accounting(self) -> bool:
        """Whether green threads' run_time is measured (costs two clock reads a switch)."""
        return self._accounting

    @accounting.setter
    def accounting(self, on: bool) -> None:
        task = getattr(getcurrent(), "task", None)
        if task is not None:
            task.resumed_at = perf_counter()
        self._accounting = on
        self.watched = on or bool(self.instruments)

    def _block_outside_task(self, g: greenlet, reason: str, requeue: bool) -> Any:
        """block() for the root (or a foreign greenlet): always through the hub's loop."""
        if g is self.greenlet:
            raise RuntimeError("a hub callback tried to block; spawn a green thread instead")
        if self.thread_id != get_ident():  # before touching any state the hub's thread owns
            raise WrongThreadError(_wrong_thread_message(self))
        if requeue:
            self.ready.append((self.resume, (g, g.gen), None))
        root = g is self.root
        g.reason = reason
        self.root_blocked = root
        if self.instruments:
            self.emit("blocked", g, reason)
        try:
            return self.greenlet.switch()
        finally:
            g.reason = None
            if root:
                self.root_blocked = False

    def _resume(self, token: tuple, value: Any = None) -> None:
        """Switch into the greenlet of `token` with `value`, unless the token went stale."""
        g, gen = token
        if g.gen != gen or g.dead:
            return
        g.gen = gen + 1
        if self.instruments:
            self.emit("woken", g.task or g, None)
        g.switch(value)

    def throw_into(self, g: greenlet, exc: BaseException) -> bool:
        """From the hub: raise `exc` in the blocked greenlet `g`; False if it cannot take it."""
        if g.dead or g is getcurrent() or (g is self.root and not self.root_blocked):
            return False
        g.gen += 1
        if self.instruments:
            self.emit("woken", g.task or g, None)
        g.throw(exc)
        return True

    # -- file descriptors ---------------------------------------------------------------------

    def wait_read(self, fd: int, timeout: float | None = None) -> None:
        """Block the current green thread until `fd` is readable; TimeoutError after `timeout`."""
        self.wait_fd(fd, READ, timeout)

    def wait_write(self, fd: int, timeout: float | None = None) -> None:
        """Block the current green thread until `fd` is writable; TimeoutError after `timeout`."""
        self.wait_fd(fd, WRITE, timeout)

    def wait_fd(self, fd: int, event: int, timeout: float | None = None,
                keep: bool = False) -> None:
        """Wait for one event on `fd`. With `keep`, the fd stays registered after the wait
        (saving two epoll_ctl calls a wait) until `forget_fd`; only owners that call it on close
        may keep."""
        watch = self._watches.get(fd)
        if watch is None:
            watch = self._watches[fd] = _Watch()
        slot = "reader" if event == READ else "writer"
        if getattr(watch, slot) is not None:
            raise RuntimeError(f"fd {fd} already has a green thread waiting to {slot[:-2]}")
        token = self.token()
        setattr(watch, slot, token)
        self._watch_mask(fd, watch, watch.mask | event)
        timer = None
        if timeout is not None:
            timer = self.call_later(timeout, self._resume, token, _TIMED_OUT)
        woken = None
        try:
            woken = self.block("io")
        finally:
            setattr(watch, slot, None)
            if not keep:
                self._drop_interest(fd, watch, event)
            if timer is not None and woken is not _TIMED_OUT:
                self.cancel_timer(timer)  # also when killed: a stale timer would delay deadlocks
        if woken is _TIMED_OUT:
            raise TimeoutError("timed out")

    def forget_fd(self, fd: int) -> None:
        """Unregister `fd` before it is closed; any green thread waiting on it gets an OSError."""
        watch = self._watches.pop(fd, None)
        if watch is None:
            return
        if watch.mask:
            try:
                self._poller.unregister(fd)
            except (OSError, KeyError, ValueError):  # already closed: epoll dropped it
                pass
        for token in (watch.reader, watch.writer):
            if token is not None:
                self.ready.append((self._throw_token, token, OSError(9, "file descriptor closed")))

    def _watch_mask(self, fd: int, watch: _Watch, mask: int) -> None:
        if mask == watch.mask:
            return
        if not watch.mask:
            self._poller.register(fd, mask)
        elif mask:
            self._poller.modify(fd, mask)
        else:
            self._poller.unregister(fd)
        watch.mask = mask

    def _drop_interest(self, fd: int, watch: _Watch, event: int) -> None:
        try:
            self._watch_mask(fd, watch, watch.mask & ~event)
        except OSError:
            watch.mask = 0
        if (not watch.mask and watch.reader is None and watch.writer is None
                and self._watches.get(fd) is watch):
            self._watches.pop(fd)

    def _throw_token(self, token: tuple, exc: BaseException) -> None:
        g, gen = token
        if g.gen == gen:
            self.throw_into(g, exc)

    def _dispatch_fd(self, fd: int, events: int) -> None:
        watch = self._watches.get(fd)
        if watch is None:
            try:
                self._poller.unregister(fd)
            except (OSError, KeyError, ValueError):
                pass
            return
        if events & _ERROR:
            events |= READ | WRITE
        idle = 0
        for event, token in ((READ, watch.reader), (WRITE, watch.writer)):
            if events & event:
                if token is None:
                    idle |= event
                else:
                    self._resume(token)
        if idle and self._watches.get(fd) is watch:  # not closed and re-watched meanwhile
            self._drop_interest(fd, watch, idle & watch.mask)

    # -- green threads on workers ------------------------------------------------------------

    def _start(self, task: Any, _: Any = None) -> None:
        """Run `task` (a GreenThread not yet started) on an idle worker, or a new one."""
        if task.dead:
            return
        worker = self._idle.pop() if self._idle else _adopt(_Worker(self._work, self.greenlet))
        worker.gr_context = task.context
        worker.switch(task)

    def _work(self, task: Any) -> None:
        """A worker's life: run a task, park, take the next one, until too many are idle."""
        me = getcurrent()
        while True:
            me.task = task
            task.run_on(me)
            me.task = None
            me.gen += 1
            if len(self._idle) >= MAX_IDLE_WORKERS:
                return
            self._idle.append(me)
            task = self.greenlet.switch()

    def new_task_id(self) -> int:
        self.thread_count += 1
        return self.thread_count

    # -- instruments --------------------------------------------------------------------------

    def add_instrument(self, instrument: Instrument) -> None:
        """Start delivering scheduler events to `instrument` (see instruments.Instrument)."""
        self.instruments.append(instrument)
        self.watched = True
        if wants_switches(instrument):
            settrace(self._trace_switch)

    def remove_instrument(self, instrument: Instrument) -> None:
        """Stop delivering events to `instrument`."""
        self.instruments.remove(instrument)
        self.watched = self._accounting or bool(self.instruments)
        if not any(wants_switches(i) for i in self.instruments):
            settrace(None)

    def emit(self, event: str, who: Any, detail: Any) -> None:
        """Deliver one event to every instrument; a failing instrument is removed, not fatal."""
        for instrument in list(self.instruments):
            try:
                getattr(instrument, event)(who, detail)
            except Exception:
                self.remove_instrument(instrument)
                traceback.print_exc()

    def _trace_switch(self, event: str, args: tuple) -> None:
        if event in ("switch", "throw"):
            origin, target = args
            self.emit("switched", getattr(origin, "task", None) or origin,
                      getattr(target, "task", None) or target)

    # -- the loop -----------------------------------------------------------------------------

    def tick(self, budget: float | None = 0.005) -> float | None:
        """One bounded pass for a host loop: the timers due at its start, the ready queue as it
        was (stopping early once `budget` seconds are spent), then poll(0). Returns the next
        deadline (time.monotonic) or None."""
        driver = getcurrent()
        if driver is self.greenlet or getattr(driver, "task", None) is not None:
            raise RuntimeError("tick() drives the hub from outside; a green thread cannot call it")
        self._tick_driver, self._tick_budget = driver, budget
        passes = self._passes
        self._pass_cut, self._handoffs = True, 0  # end a self-driven pass the root left mid-way
        self.greenlet.switch()
        if self._passes == passes:  # that finished an old pass: now run a bounded one of our own
            self._tick_driver = driver
            self.greenlet.switch()
        return self.next_deadline()

    def fileno(self) -> int:
        """The selector's fd: readable whenever a watched fd or the wake-up pipe is."""
        return self._poller.fileno()

    def _run(self) -> None:
        while True:
            try:
                self._iterate()
            except BaseException as exc:  # KeyboardInterrupt in the loop itself, or a bug
                self._escalate(exc)

    def _iterate(self) -> None:
        self._passes += 1
        self._pass_cut = False
        if self._interrupt_pending:
            self._interrupt_pending = False
            if self.root_blocked:
                self.throw_into(self.root, KeyboardInterrupt())
        started = perf_counter()
        budget = self._tick_budget if self._tick_driver is not None else None
        self._fire_timers(started, budget)
        self._run_ready(started, budget)
        driver = self._tick_driver
        if driver is not None:
            self._tick_driver = None
            self._poll(0)
            driver.switch()
        else:
            self._poll(self._poll_timeout())

    def _fire_timers(self, started: float, budget: float | None) -> None:
        timers, cancelled = self.timers, self._cancelled
        now = monotonic()
        count = 0
        while timers and timers[0][0] <= now and not self._pass_cut:
            _, seq, fn, a, b = heapq.heappop(timers)
            if seq in cancelled:
                cancelled.discard(seq)
                continue
            try:
                fn(a, b)
            except BaseException:
                self._report_callback_error()
            count += 1
            if count & 63 == 0 and _over(started, budget):
                return
            timers = self.timers

    def _run_ready(self, started: float, budget: float | None) -> None:
        """Run the ready queue in chunks that blocked green threads may hand off: as it was
        when driven by tick(), else until it empties or POLL_INTERVAL passes."""
        ready = self.ready
        if budget is None:
            remaining, budget = sys.maxsize, POLL_INTERVAL
        else:
            remaining = len(ready)
        while remaining > 0 and ready and not self._pass_cut:
            self._handoffs = chunk = min(remaining, 256)
            remaining -= chunk
            while self._handoffs > 0 and ready:
                self._handoffs -= 1
                fn, a, b = ready.popleft()
                try:
                    fn(a, b)
                except BaseException:
                    self._report_callback_error()
            if _over(started, budget):
                break
        self._handoffs = 0

    def _poll_timeout(self) -> float | None:
        deadline = self.next_deadline()
        if deadline is not None:
            return min(max(0.0, deadline - monotonic()), MAX_POLL_WAIT)
        if self._nothing_can_wake():
            self.throw_into(self.root, DeadlockError(
                f"the root waits ({self.root.reason}) on something nothing can ever satisfy: "
                "nothing is ready, no timer is pending, no file descriptor is watched and no "
                "other thread can wake the hub"))
            return 0.0
        return None

    def _nothing_can_wake(self) -> bool:
        if not self.root_blocked or self.awaiting_threads or self._wake_pending:
            return False
        return not any(w.reader or w.writer for w in self._watches.values())

    def _poll(self, timeout: float | None) -> None:
        if timeout is None:
            timeout = -1
        try:
            events = self._poller.poll(timeout)
        except InterruptedError:
            return
        wake_r = self._wake_r
        for fd, mask in events:
            if fd == wake_r:
                self._drain_threadsafe()
            else:
                self._dispatch_fd(fd, mask)

    def _drain_threadsafe(self) -> None:
        try:
            os.read(self._wake_r, 8)
        except (BlockingIOError, OSError):
            pass
        self._wake_pending = False  # after the read: a wake-up written before it is not lost
        queue, ready = self._threadsafe, self.ready
        while queue:
            fn, args = queue.popleft()
            ready.append((_call, fn, args))

    def _escalate(self, exc: BaseException) -> None:
        """An exception escaped the loop: hand it to whoever drives the hub, never lose it."""
        if self.root_blocked and self.throw_into(self.root, exc):
            return
        driver, self._tick_driver = self._tick_driver, None
        if driver is not None and not driver.dead:
            driver.throw(exc)
        else:
            self._report_callback_error()

    def _report_callback_error(self) -> None:
        sys.stderr.write("notebook_coop: a hub callback raised:\n")
        traceback.print_exc()

    def close(self) -> None:
        """Release the selector and the wake-up pipe (after fork, or at exit)."""
        for fd in {self._wake_r, self._wake_w}:
            os.close(fd)
        self._poller.close()


def _adopt(g: greenlet) -> greenlet:
    g.task = g.reason = None
    g.gen = 0
    return g


def _call(fn: Callable, args: tuple) -> None:
    fn(*args)


def _over(started: float, budget: float | None) -> bool:
    return budget is not None and perf_counter() - started > budget


def _wake_pipe() -> tuple[int, int]:
    """An eventfd where there is one (a single fd for both ends), else a non-blocking pipe."""
    if hasattr(os, "eventfd"):
        fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        return fd, fd
    r, w = os.pipe()
    for fd in (r, w):
        os.set_blocking(fd, False)
    return r, w


_process_hub: Hub | None = None
_lock = threading.Lock()


def get_hub() -> Hub:
    """The process's hub, created on first use on the calling thread."""
    hub = _process_hub
    if hub is not None and hub.thread_id == get_ident():
        return hub
    return _create_hub()


def _create_hub() -> Hub:
    global _process_hub
    with _lock:
        hub = _process_hub
        if hub is None:
            hub = _process_hub = Hub()
            return hub
    raise WrongThreadError(_wrong_thread_message(hub))


def _wrong_thread_message(hub: Hub) -> str:
    return (f"notebook_coop's hub runs on thread id {hub.thread_id}; this green call came from "
            f"thread {threading.current_thread().name!r}. Other threads reach it with "
            "get_hub().call_threadsafe(fn, *args), or push blocking work through tpool.")


def peek_hub() -> Hub | None:
    """The hub if one exists, without creating it."""
    return _process_hub


def _forget_hub_after_fork() -> None:
    global _process_hub
    if _process_hub is not None:
        try:
            _process_hub.close()
        except OSError:
            pass
    _process_hub = None


os.register_at_fork(after_in_child=_forget_hub_after_fork)
