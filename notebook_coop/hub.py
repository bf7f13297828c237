"""The hub: the one scheduler of the process, living on the thread that first used it.

It owns a ready queue of callbacks, a heap of timers, an epoll selector and a wake-up fd that
other OS threads write to. Green threads run on worker greenlets whose parent is the hub. The
hub is driven in one of two ways: self-driven, when the root greenlet blocks (a script, a cell
waiting on a green thread), or one bounded `tick()` at a time, when a host loop drives it.

Every callback on the ready queue and the timer heap is a plain tuple `(fn, a, b)`, called as
`fn(a, b)`. All waiting goes through `wait()` and all waking through `wake()`: a blocked greenlet
is woken through a *token* `(greenlet, generation)`; the generation moves on whenever the
greenlet resumes, so a stale wake-up is ignored.

    token = hub.token()
    waiters.append(token)                          # where a waker will find it
    value = hub.wait("event", on=self, timeout=1)  # TIMED_OUT if nobody woke us in time
    ...
    hub.wake(waiters.popleft(), value)             # elsewhere: ready at the hub's next turn
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
from time import monotonic, perf_counter, perf_counter_ns
from typing import Any
from weakref import ref

from greenlet import getcurrent, greenlet, settrace

from .frames import delivers
from .instruments import Fanout, Instrument, overrides

READ = select.EPOLLIN if hasattr(select, "epoll") else selectors.EVENT_READ
WRITE = select.EPOLLOUT if hasattr(select, "epoll") else selectors.EVENT_WRITE
_ERROR = (select.EPOLLERR | select.EPOLLHUP) if hasattr(select, "epoll") else 0

MAX_IDLE_WORKERS = 1024
"""Finished workers kept for reuse: a live greenlet runs a new task far cheaper than a new one."""

POLL_INTERVAL = 0.001
"""While green threads keep the ready queue busy, a self-driven pass ends this often, so that
due timers fire (I/O is polled less often: see Hub._poll_when_due)."""

TIMERS_PER_CHECK = 16
"""A pass checks its time budget after this many timers: each may run a green thread's slice,
so a larger batch lets a kernel tick overrun its budget further."""

HANDOFF_CHUNK = 64
"""Ready callbacks run (or handed off to) between two checks of the budget: a larger chunk
saves switches into the hub, a smaller one keeps a kernel tick closer to its budget."""

MAX_POLL_WAIT = 3600.0
"""The longest single epoll wait: far deadlines (sleep(inf)) are waited for in steps."""

TIMED_OUT = object()
"""What `wait` returns when its timeout passed before anything woke it."""


class DeadlockError(RuntimeError):
    """The root waits on something nothing can ever satisfy."""


class WrongThreadError(RuntimeError):
    """A green call came from an OS thread other than the hub's."""


class _Worker(greenlet):
    """A greenlet that runs green threads one after another."""

    __slots__ = ("task", "gen", "reason", "on")


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
        self.upkeep: set[int] = set()
        """Pending timers of call_upkeep: work that never wakes a green thread."""
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
        self._busy_polled = 0.0
        """When the self-driven loop last polled with ready work waiting (perf_counter)."""
        self.instruments: list[Instrument] = []
        self.observer: Instrument | None = None
        """What the hub reports scheduler events to: None while nobody listens."""
        self._outer_trace: Any = None
        self._accounting = False
        self.watched = False
        """Whether a slice's end needs bookkeeping: accounting, or an observer."""
        self._end_slice: Callable | None = None
        """That bookkeeping when watched: _watch_block, or a lone direct observer's own
        slice_ended (called through a local: a bound method in an attribute is not a method
        call the interpreter can specialise)."""
        self.watch_resumes = False
        """Whether a slice's start does: accounting, or an observer of `running`."""
        self.thread_count = 0
        self.slices = 0
        """Run slices ended so far (every switch out of a green thread or the root, a host
        loop's tick() included): while it stands still and work is due, something holds the
        hub (see watch.monitor)."""
        self.threads: dict[int, ref] = {}
        """The live green threads' registry: id -> weak reference (see live_threads)."""
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
        """Call `fn(a, b)` after `delay` seconds; returns a handle for cancel_timer.

        A timer already due (delay <= 0: `Timeout(0)`) ends the hub's current pass, so that it
        fires before any wake-up that comes later in the pass, as in eventlet."""
        if delay <= 0:
            self._pass_cut, self._handoffs = True, 0
        return self.call_at(monotonic() + delay, fn, a, b)

    def call_upkeep(self, delay: float, fn: Callable, a: Any = None, b: Any = None) -> int:
        """call_later for the hub's upkeep (a dashboard's refresh), which never wakes a green
        thread: while only such timers are pending, a root that waits on what nothing else can
        satisfy still gets DeadlockError."""
        job = [fn, a, 0]
        job[2] = seq = self.call_later(delay, self._fire_upkeep, job, b)
        self.upkeep.add(seq)
        return seq

    def _fire_upkeep(self, job: list, b: Any) -> None:
        fn, a, seq = job
        self.upkeep.discard(seq)
        fn(a, b)

    def cancel_timer(self, seq: int) -> None:
        """Forget a pending timer (lazily: it stays on the heap until popped or compacted)."""
        if self.upkeep:
            self.upkeep.discard(seq)
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
        self._threadsafe.append((_call, fn, args))
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

    def wait(self, reason: str, on: Any = None, timeout: float | None = None) -> Any:
        """Block the current greenlet until `wake(token, value)` (returns `value`), or until
        `timeout` seconds pass (returns TIMED_OUT). `reason` (sleep, io-read, event, queue-get,
        lock, join, ...) and `on`, the object waited on, are what observers show."""
        if timeout is None:
            return self.block(reason, on)
        timer = self.call_later(timeout, self.resume, self.token(), TIMED_OUT)
        try:
            value = self.block(reason, on)
        except BaseException:
            self.cancel_timer(timer)
            raise
        if value is not TIMED_OUT:
            self.cancel_timer(timer)  # also a stale timer would delay deadlock detection
        return value

    def wait_foreign(self, reason: str, on: Any = None, timeout: float | None = None) -> Any:
        """wait() for a wake-up that another OS thread sends (tpool, a future): meanwhile a
        blocked root is not deadlocked, whatever the hub itself sees."""
        self.awaiting_threads += 1
        try:
            return self.wait(reason, on, timeout)
        finally:
            self.awaiting_threads -= 1

    def yield_turn(self) -> None:
        """sleep(0): let every other ready green thread run once, then carry on."""
        self.block("sleep", None, True)

    def wake(self, token: tuple, value: Any = None) -> None:
        """Make the greenlet of `token` ready: it resumes with `value` at the hub's next turn,
        unless the token went stale meanwhile. Never switches."""
        self.ready.append((self.resume, token, value))
        if self.observer is not None:
            self._observe_wake(token)

    def wake_threadsafe(self, token: tuple, value: Any = None) -> None:
        """wake() from any OS thread (or a signal handler)."""
        self._threadsafe.append((self.resume, token, value))
        self._wake()

    def _observe_wake(self, token: tuple) -> None:
        g, gen = token
        if g.gen == gen:
            self.observer.scheduled(perf_counter_ns(), thread_of(g), thread_of(getcurrent()))

    def token(self) -> tuple:
        """The current greenlet's wake-up token, for `resume` once what it waits on happens."""
        g = getcurrent()
        try:
            return (g, g.gen)
        except AttributeError:  # a greenlet that is not ours: give it the fields we track
            _adopt(g)
            return (g, 0)

    @delivers
    def block(self, reason: str, on: Any = None, requeue: bool = False) -> Any:
        """wait() without a timeout: switch out until woken through this greenlet's token, and
        return the wake value. With `requeue` (a yield: sleep(0)), first put our own resume on
        the ready queue. The hot path of every green wait, so it is written out flat.

        While the hub is in a pass over the ready queue, a resume at its head is switched to
        directly: one greenlet switch instead of two through the hub."""
        g = getcurrent()
        try:
            task = g.task
        except AttributeError:  # a greenlet that is not ours
            task = _adopt(g).task
        if task is None:  # the root, the hub itself, or a foreign greenlet
            return self._block_outside_task(g, reason, on, requeue)
        ready, resume = self.ready, self.resume
        if requeue:
            ready.append((resume, (g, g.gen), None))
        g.reason = reason
        g.on = on
        task.switches += 1
        self.slices += 1
        end_slice = self._end_slice
        if end_slice is not None:
            end_slice(task, reason, on, requeue)
        try:
            if self._handoffs > 0 and ready:
                fn, token, value = ready[0]
                if fn is resume:
                    ready.popleft()
                    self._handoffs -= 1
                    target, gen = token
                    if target.gen == gen and not target.dead:
                        target.gen = gen + 1
                        return target.switch(value)
            return self.greenlet.switch()
        finally:
            g.reason = g.on = None
            if self.watch_resumes:
                self._watch_resume(task)

    def _watch_block(self, who: Any, reason: str, on: Any, requeue: bool) -> None:
        """Bookkeeping for observers only: run time, and the end of a run slice."""
        now = perf_counter_ns()
        if self._accounting and not isinstance(who, greenlet):
            who.account_slice(now, requeue)
        observer = self.observer
        if observer is None:
            return
        if requeue:
            observer.yielded(now, who)
        else:
            observer.blocked(now, who, reason, on)

    def _watch_resume(self, who: Any) -> None:
        """Bookkeeping for observers only: a run slice starts."""
        now = perf_counter_ns()
        if not isinstance(who, greenlet):
            who.resumed_at = now
        if self.observer is not None:
            self.observer.running(now, who)

    @property
    def accounting(self) -> bool:
        """Whether green threads' run_time is measured (costs two clock reads a switch)."""
        return self._accounting

    @accounting.setter
    def accounting(self, on: bool) -> None:
        task = getattr(getcurrent(), "task", None)
        if task is not None:
            task.resumed_at = perf_counter_ns()
        self._accounting = on
        self._rewire(self._tracing())

    @delivers
    def _block_outside_task(self, g: greenlet, reason: str, on: Any, requeue: bool) -> Any:
        """block() for the root (or a foreign greenlet): always through the hub's loop."""
        if g is self.greenlet:
            raise RuntimeError("a hub callback tried to block; spawn a green thread instead")
        if self.thread_id != get_ident():  # before touching any state the hub's thread owns
            raise WrongThreadError(_wrong_thread_message(self))
        if requeue:
            self.ready.append((self.resume, (g, g.gen), None))
        root = g is self.root
        g.reason, g.on = reason, on
        self.slices += 1
        self.root_blocked = root
        end_slice = self._end_slice
        if end_slice is not None:
            end_slice(g, reason, on, requeue)
        try:
            return self.greenlet.switch()
        finally:
            g.reason = g.on = None
            if root:
                self.root_blocked = False
            if self.watch_resumes:
                self._watch_resume(g)

    def _resume(self, token: tuple, value: Any = None) -> None:
        """Switch into the greenlet of `token` with `value`, unless the token went stale."""
        g, gen = token
        if g.gen != gen or g.dead:
            return
        g.gen = gen + 1
        g.switch(value)

    def throw_into(self, g: greenlet, exc: BaseException) -> bool:
        """From the hub: raise `exc` in the blocked greenlet `g`; False if it cannot take it."""
        if g.dead or g is getcurrent() or (g is self.root and not self.root_blocked):
            return False
        g.gen += 1
        g.throw(exc)
        return True

    # -- file descriptors ---------------------------------------------------------------------

    def wait_read(self, fd: int, timeout: float | None = None, on: Any = None) -> None:
        """Block the current green thread until `fd` is readable; TimeoutError after `timeout`."""
        self.wait_fd(fd, READ, timeout, on=on)

    def wait_write(self, fd: int, timeout: float | None = None, on: Any = None) -> None:
        """Block the current green thread until `fd` is writable; TimeoutError after `timeout`."""
        self.wait_fd(fd, WRITE, timeout, on=on)

    def wait_fd(self, fd: int, event: int, timeout: float | None = None,
                keep: bool = False, on: Any = None) -> None:
        """Wait for one event on `fd` (`on`: the socket or file it belongs to, for observers).
        With `keep`, the fd stays registered after the wait (saving two epoll_ctl calls a wait)
        until `forget_fd`; only owners that call it on close may keep."""
        watch = self._watches.get(fd)
        if watch is None:
            watch = self._watches[fd] = _Watch()
        slot = "reader" if event == READ else "writer"
        if getattr(watch, slot) is not None:
            raise RuntimeError(f"fd {fd} already has a green thread waiting to {slot[:-2]}")
        setattr(watch, slot, self.token())
        self._watch_mask(fd, watch, watch.mask | event)
        try:
            woken = self.wait("io-read" if event == READ else "io-write",
                              fd if on is None else on, timeout)
        finally:
            setattr(watch, slot, None)
            if not keep:
                self._drop_interest(fd, watch, event)
        if woken is TIMED_OUT:
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
            self.slices += 1
            me.gen += 1
            if len(self._idle) >= MAX_IDLE_WORKERS:
                return
            self._idle.append(me)
            task = self.greenlet.switch()

    def live_threads(self) -> list:
        """Every green thread not finished yet, oldest first."""
        live = []
        for tid, weak in list(self.threads.items()):
            gt = weak()
            if gt is None:  # dropped without ever running: nothing will unregister it
                del self.threads[tid]
            elif not gt.dead:
                live.append(gt)
        return live

    # -- instruments --------------------------------------------------------------------------

    def add_instrument(self, instrument: Instrument) -> None:
        """Start delivering scheduler events to `instrument` (see instruments.Instrument)."""
        tracing = self._tracing()
        self.instruments.append(instrument)
        self._rewire(tracing)

    def remove_instrument(self, instrument: Instrument) -> None:
        """Stop delivering events to `instrument`."""
        tracing = self._tracing()
        self.instruments.remove(instrument)
        self._rewire(tracing)

    def _tracing(self) -> bool:
        return any(overrides(i, "switched") for i in self.instruments)

    def _rewire(self, was_tracing: bool) -> None:
        """Point `observer` at the instruments (a lone direct one is called as it is, the rest
        through a Fanout that drops a failing one), and hook greenlet's switch trace only while
        one of them wants switches, putting back the trace function that was there before."""
        instruments = self.instruments
        if not instruments:
            self.observer = None
        elif len(instruments) == 1 and instruments[0].direct:
            self.observer = instruments[0]
        else:
            self.observer = Fanout(list(instruments), self.remove_instrument)
        self.watched = self._accounting or self.observer is not None
        direct = None if self._accounting else getattr(self.observer, "slice_ended", None)
        self._end_slice = direct or (self._watch_block if self.watched else None)
        self.watch_resumes = self._accounting or any(
            overrides(i, "running") for i in instruments)
        tracing = self._tracing()
        if tracing and not was_tracing:
            self._outer_trace = settrace(self._trace_switch)
        elif was_tracing and not tracing:
            settrace(self._outer_trace)
            self._outer_trace = None

    def _trace_switch(self, event: str, args: tuple) -> None:
        outer = self._outer_trace
        if outer is not None:
            outer(event, args)
        if event in ("switch", "throw") and self.observer is not None:
            origin, target = args
            self.observer.switched(perf_counter_ns(), thread_of(origin), thread_of(target))

    # -- the loop -----------------------------------------------------------------------------

    def tick(self, budget: float | None = 0.005) -> float | None:
        """One bounded pass for a host loop: the timers due at its start, the ready queue as it
        was (stopping early once `budget` seconds are spent), then poll(0). Returns the next
        deadline (time.monotonic) or None."""
        driver = getcurrent()
        if driver is self.greenlet or getattr(driver, "task", None) is not None:
            raise RuntimeError("tick() drives the hub from outside; a green thread cannot call it")
        if self.observer is not None:
            self.observer.tick_began(perf_counter_ns())
        self._tick_driver, self._tick_budget = driver, budget
        passes = self._passes
        self._pass_cut, self._handoffs = True, 0  # end a self-driven pass the root left mid-way
        self.slices += 1  # the root's run slice ends here too: it hands the hub its turn
        self.greenlet.switch()
        if self._passes == passes:  # that finished an old pass: now run a bounded one of our own
            self._tick_driver = driver
            self.greenlet.switch()
        if self.observer is not None:
            self.observer.tick_ended(perf_counter_ns())
        return self.next_deadline()

    @property
    def driven(self) -> bool:
        """Whether a host loop's tick() is running a pass now (its loop waits for the pass)."""
        return self._tick_driver is not None

    def work_due(self) -> bool:
        """Whether something waits for the hub: a ready callback or a live timer that is due.
        Safe to ask from another OS thread (a watchdog): it only reads."""
        if self.ready or self._threadsafe:
            return True
        try:
            deadline, seq = self.timers[0][:2]
        except IndexError:
            return False
        return deadline <= monotonic() and seq not in self._cancelled

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
            self._poll_when_due()

    def _poll_when_due(self) -> None:
        """Self-driven: wait for I/O or the next deadline when nothing is ready; while green
        threads keep the queue busy, poll only every other GIL switch interval.

        A poll lets go of the GIL and takes it straight back. An OS thread waiting for the GIL
        (the kernel's IOPub and shell threads, tpool's workers) asks for it only after a whole
        switch interval in which nobody took it: polled every millisecond, it waited seconds."""
        timeout = self._poll_timeout()
        if timeout == 0.0:
            now = perf_counter()
            if now - self._busy_polled < 2 * sys.getswitchinterval():
                return
            self._busy_polled = now
        self._poll(timeout)

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
            if count % TIMERS_PER_CHECK == 0 and _over(started, budget):
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
            self._handoffs = chunk = min(remaining, HANDOFF_CHUNK)
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
        if (deadline is None or self.upkeep and self._only_upkeep_pending()) \
                and self._nothing_can_wake():
            self.throw_into(self.root, DeadlockError(
                f"the root waits ({self.root.reason}) on something nothing can ever satisfy: "
                "nothing is ready, no timer is pending, no file descriptor is watched and no "
                "other thread can wake the hub"))
            return 0.0
        if deadline is None:
            return None
        return min(max(0.0, deadline - monotonic()), MAX_POLL_WAIT)

    def _only_upkeep_pending(self) -> bool:
        """Whether every live timer is an upkeep timer, and nothing is ready."""
        if self.ready or self._threadsafe or not self.root_blocked:
            return False
        upkeep, cancelled = self.upkeep, self._cancelled
        if len(self.timers) - len(cancelled) > len(upkeep):  # the common case, at a glance
            return False
        return all(t[1] in upkeep or t[1] in cancelled for t in self.timers)

    def _nothing_can_wake(self) -> bool:
        if not self.root_blocked or self.awaiting_threads or self._wake_pending:
            return False
        return not any(w.reader or w.writer for w in self._watches.values())

    def _poll(self, timeout: float | None) -> None:
        if timeout is None:
            timeout = -1
        started = perf_counter_ns() if self.observer is not None else 0
        try:
            events = self._poller.poll(timeout)
        except InterruptedError:
            return
        if self.observer is not None and started:
            self.observer.polled(started, perf_counter_ns(), timeout, len(events))
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
        queue, ready, resume = self._threadsafe, self.ready, self.resume
        while queue:
            fn, a, b = queue.popleft()
            if fn is resume:
                self.wake(a, b)
            else:
                ready.append((fn, a, b))

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


def thread_of(g: greenlet) -> Any:
    """The GreenThread that greenlet `g` runs, or `g` itself (the root, the hub, a foreign one).
    (A finished GreenThread is false, so never `g.task or g`.)"""
    task = getattr(g, "task", None)
    return g if task is None else task


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
_MAIN_THREAD_IDENT = threading.main_thread().ident


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


def green_hub() -> Hub | None:
    """The hub if the caller may block cooperatively (on the hub's thread, and not the hub's
    own greenlet), else None: then green stand-ins fall back to the plain blocking call, so
    other OS threads never notice a patch. Creates the hub on the main thread if none exists."""
    hub = _process_hub
    if hub is None:
        if get_ident() != _MAIN_THREAD_IDENT:
            return None
        hub = get_hub()
    elif hub.thread_id != get_ident():
        return None
    return None if getcurrent() is hub.greenlet else hub


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
