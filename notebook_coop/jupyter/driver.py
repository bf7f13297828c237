"""The hub inside a Jupyter kernel: `%load_ext notebook_coop`.

Once loaded, green threads spawned by a cell keep running between cells while the kernel stays
responsive, and what they print, display or raise lands in the cell that spawned them, also after
that cell finished and while other cells run:

    %load_ext notebook_coop
    from notebook_coop import spawn, sleep

    def ticker(name, n):
        for i in range(n):
            print(name, i)          # shows up under this cell, one line every 0.5 s
            sleep(0.5)

    gt = spawn(ticker, "a", 10)     # the cell returns at once; run other cells meanwhile

How it runs. The kernel's asyncio loop drives the hub in short ticks (a few milliseconds each)
whenever a green thread is ready, a timer is due or a watched socket has data. Under heavy green
load the kernel keeps its fair share (jupyter.fair_share): shorter ticks while requests wait,
and a shorter GIL switch interval while ticks use their whole budget. A cell that
blocks on a green call (`sleep(1)`, `gt.wait()`, `pool.waitall()`, `queue.get()`) runs the
hub itself until it is woken; the other green threads keep running and printing meanwhile.
While a plain (non-async) cell blocks the kernel handles no other request, widget clicks
included; an async cell that waits with `await gt` keeps it serving.

The blocking detector (notebook_coop.watch.monitor) runs while the extension is loaded: when a
green thread (or the cell itself) holds the hub while other green work is due, it says so in
the culprit's cell as it happens (`%greenmonitor on|off [--threshold S]`).

Interrupt (the stop button, Ctrl-C in a terminal), pressed once (see jupyter.stop_button):
- while a cell waits on a green call: KeyboardInterrupt in the cell; green threads live on,
  except one that holds the hub at that moment, which gets a KeyboardInterrupt too;
- while the kernel idles: KeyboardInterrupt only in a green thread that holds the hub (its
  traceback lands in its own cell), and the kernel answers again.

asyncio both ways. In a cell, `await gt` waits for a green thread while the kernel keeps serving
requests. In a green thread, `wait_awaitable(coro_or_future)` runs a coroutine on the kernel's
loop and blocks only that green thread. `asyncio.run()` stays unsupported in a cell: the kernel's
loop already runs on this thread, and a nested loop would starve it and the hub alike.

Other OS threads (kernel subshells, worker threads) must not call blocking green functions: they
get WrongThreadError. They hand work over with `get_hub().call_threadsafe(fn, *args)`.

Kernel shutdown and restart kill every green thread (their `finally:` blocks run) within
SHUTDOWN_GRACE seconds. `%unload_ext` / `%reload_ext` detach and re-attach the driver; the
green threads and the hub stay. In plain IPython (terminal) the hub is self-driven only:
background green threads run while a cell waits on a green call. Not supported: a kernel on
trio (`trio_loop=True`) and GUI event loops (`%gui qt`), where the hub is self-driven only.
"""

from __future__ import annotations

import asyncio
import atexit
import signal
import threading
import traceback
from collections.abc import Awaitable
from time import monotonic, perf_counter
from typing import Any

from greenlet import getcurrent

from .. import tpool
from ..greenthread import GreenThread, kill_all, live_threads
from ..hub import Hub, WrongThreadError, get_hub, peek_hub
from ..watch.monitor import Monitor
from . import tracebacks
from .block_reports import CellReports
from .fair_share import FairShare
from .stop_button import StopButton

__all__ = ["KernelDriver", "current_driver", "install", "uninstall", "wait_awaitable"]

TICK_BUDGET = 0.005
"""Seconds of green work one kernel-driven tick may run before the kernel gets the loop back."""

CELL_POLL = 0.01
"""While a cell runs, tick at least this often when the loop turns (an async cell awaiting)."""

SHUTDOWN_GRACE = 1.2
"""Seconds the green threads get to unwind at kernel shutdown (the kernel is killed at 2.5 s)."""

TPOOL_GRACE = 0.3
"""Seconds tpool's threads then get to finish their current call."""

CONTROL_GRACE = 0.5
"""Seconds, then, for the kernel's control thread to finish its shutdown reply."""


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class KernelDriver:
    """Drives the hub from the kernel's asyncio loop and keeps SIGINT away from its bookkeeping.

    One exists per loaded extension; `install`/`uninstall` manage it.
    """

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.hub: Hub | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.cells: dict[str, int] = {}
        """msg_id of each execute request -> its execution count, for 'spawning cell'."""
        self.request_parent: dict | None = None
        """The parent message of the cell running now (None between cells)."""
        self.longest_tick = 0.0
        self.tick_count = 0
        self.fair_share: FairShare | None = None
        """Short ticks and a short GIL switch interval while green work saturates the loop."""
        self.monitor: Monitor | None = None
        self.reports: CellReports | None = None
        self.stop_button = StopButton(self)
        self._timer: asyncio.TimerHandle | None = None
        self._outer_sigint: list = []
        self._ticking = False

    # -- IPython events -----------------------------------------------------------------------

    def attach(self) -> None:
        """Listen to the shell's execution events, arm the shutdown hook, show green threads'
        errors IPython's way and start the blocking detector."""
        events = self.shell.events
        events.register("pre_execute", self.pre_execute)
        events.register("pre_run_cell", self.pre_run_cell)
        events.register("post_execute", self.post_execute)
        atexit.register(self.shutdown)
        tracebacks.install(self.shell)
        if _on_main_thread():
            self.monitor = Monitor(get_hub())
            self.monitor.checks.append(self.stop_button.check)
            self.reports = CellReports(self.shell, self)
            self.monitor.prepare.append(self.reports.prepare_thread)
            self.monitor.subscribe(self.reports)
            self.monitor.start()

    def detach(self) -> None:
        """Undo attach() and unbind from the loop; the hub and its green threads stay."""
        events = self.shell.events
        for name, callback in (("pre_execute", self.pre_execute),
                               ("pre_run_cell", self.pre_run_cell),
                               ("post_execute", self.post_execute)):
            if callback in events.callbacks[name]:
                events.unregister(name, callback)
        atexit.unregister(self.shutdown)
        while self._outer_sigint and _on_main_thread():
            signal.signal(signal.SIGINT, self._outer_sigint.pop())
        self.stop_monitor()
        tracebacks.uninstall(self.shell)
        self.unbind()

    def stop_monitor(self) -> None:
        """Stop the blocking detector's thread (at unload and shutdown)."""
        if self.monitor is not None:
            self.monitor.stop()

    def pre_execute(self) -> None:
        """A cell starts: bind to the loop if needed, take over SIGINT for green waits."""
        if not _on_main_thread():
            return
        self.bind()
        self.request_parent = _request(self.shell)
        self.stop_button.forget()
        self._outer_sigint.append(signal.signal(signal.SIGINT, self.stop_button.on_sigint))
        self.wake()

    def running_request(self) -> dict | None:
        """The parent message of the request the kernel handles now: the running cell's, also
        while hooks that run after its code (figures drawn by post_execute) still hold the hub."""
        return self.request_parent or _request(self.shell)

    def pre_run_cell(self, info: Any) -> None:
        """Remember which execution count this request's msg_id is, for %greenthreads."""
        msg_id = _request_header(self.shell).get("msg_id")
        if msg_id:
            stored = getattr(info, "store_history", False)
            self.cells[msg_id] = running_count(self.shell) if stored else self.shell.execution_count

    def post_execute(self) -> None:
        """A cell ended: give SIGINT back, and let the loop drive what the cell spawned."""
        if not _on_main_thread():
            return
        self.request_parent = None
        if self._outer_sigint:
            signal.signal(signal.SIGINT, self._outer_sigint.pop())
        self.bind()
        self.wake()

    # -- the loop -----------------------------------------------------------------------------

    def bind(self) -> bool:
        """Attach the hub to the kernel's loop (main thread, running kernel only); True if bound."""
        if self.loop is not None:
            return True
        loop = _kernel_loop(self.shell)
        if loop is None:
            return False
        try:
            hub = get_hub()
        except WrongThreadError as exc:
            print(f"notebook_coop: not driving the hub from the kernel: {exc}")
            return False
        self.hub, self.loop = hub, loop
        self.fair_share = FairShare(loop)
        hub.accounting = True  # run times for %greenthreads: two clock reads a switch
        loop.add_reader(hub.fileno(), self._tick)
        hub.awaitable_for = self.awaitable_for
        return True

    def unbind(self) -> None:
        """Stop driving: no reader, no timer, no await adapter left behind."""
        if self.loop is None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.loop.remove_reader(self.hub.fileno())
        if getattr(self.hub, "awaitable_for", None) == self.awaitable_for:
            del self.hub.awaitable_for
        self.fair_share.close()
        self.loop = None

    def wake(self) -> None:
        """Arm a tick for the hub's next deadline (now, if anything is ready)."""
        if self.loop is not None:
            self._arm(self.hub.next_deadline())

    def _arm(self, deadline: float | None) -> None:
        """Keep exactly one timer, at `deadline` (asyncio's loop.time() is time.monotonic())."""
        if deadline is None or deadline > self.loop.time():
            self.fair_share.idle()
        if self._outer_sigint:
            cap = self.loop.time() + CELL_POLL
            deadline = cap if deadline is None else min(deadline, cap)
        timer = self._timer
        if timer is not None:
            if deadline is not None and timer.when() == deadline:
                return
            timer.cancel()
        self._timer = None if deadline is None else self.loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._tick()

    def _tick(self) -> None:
        """One bounded pass of the hub, with SIGINT aimed at a green thread that never yields;
        its budget and the GIL's switch interval leave the kernel its fair share."""
        started = perf_counter()
        previous = signal.signal(signal.SIGINT, self.stop_button.on_sigint)
        self._ticking = True
        deadline = None
        budget = self.fair_share.budget(TICK_BUDGET)
        try:
            deadline = self.hub.tick(budget)
        except BaseException:  # a hub bug: report it, never let it stop the kernel's loop
            traceback.print_exc()
        finally:
            self._ticking = False
            signal.signal(signal.SIGINT, previous)
        elapsed = perf_counter() - started
        self.fair_share.tick_ended(elapsed, budget, due=deadline is not None
                                   and deadline <= monotonic())
        self.tick_count += 1
        if elapsed > self.longest_tick:
            self.longest_tick = elapsed
        if self.loop is not None:
            self._arm(deadline)

    # -- SIGINT -------------------------------------------------------------------------------

    @property
    def ticking(self) -> bool:
        """Whether a kernel-driven tick runs now (on the kernel's loop)."""
        return self._ticking

    def outer_sigint(self) -> Any:
        """The SIGINT handler the kernel installed for the running request, or None."""
        return self._outer_sigint[-1] if self._outer_sigint else None

    # -- asyncio both ways --------------------------------------------------------------------

    def awaitable_for(self, gt: GreenThread) -> asyncio.Future:
        """An asyncio future on the kernel loop that settles like `gt.wait()` would."""
        future = self.loop.create_future()
        gt.link(_settle, future)
        self.wake()
        return future

    # -- lifecycle ----------------------------------------------------------------------------

    def shutdown(self) -> None:
        """At interpreter exit: kill every green thread so its `finally:` blocks run, then let
        the kernel's control thread finish answering the shutdown request."""
        hub = peek_hub()
        self.stop_monitor()
        self.unbind()
        if hub is not None and hub.thread_id == threading.get_ident():
            kill_all(live_threads(), SHUTDOWN_GRACE)
            tpool.killall(timeout=TPOOL_GRACE)
        _let_control_finish(getattr(self.shell, "kernel", None))


def _let_control_finish(kernel: Any) -> None:
    """Wait (at most CONTROL_GRACE) until the control thread's loop comes round.

    ipykernel's exit hook stops the IOPub thread while the control thread may still be flushing
    its last status after the shutdown reply: that flush then waits 10 s, the exit hook waits
    for it, and the kernel is killed at 2.5 s. Green threads' output sent just before makes the
    IOPub thread late enough for this to happen; once the loop comes round, the flush is over.
    """
    thread = getattr(kernel, "control_thread", None)
    if thread is None or not thread.is_alive() or thread is threading.current_thread():
        return
    came_round = threading.Event()
    thread.io_loop.add_callback(came_round.set)
    came_round.wait(CONTROL_GRACE)


def _settle(gt: GreenThread, future: asyncio.Future) -> None:
    if future.done():
        return
    try:
        value = gt.wait()
    except BaseException as exc:
        future.set_exception(exc)
    else:
        future.set_result(value)


def _kernel_loop(shell: Any) -> asyncio.AbstractEventLoop | None:
    """The running kernel's asyncio loop, or None (terminal IPython, trio, no loop yet)."""
    kernel = getattr(shell, "kernel", None)
    loop = getattr(getattr(kernel, "io_loop", None), "asyncio_loop", None)
    return loop if loop is not None and loop.is_running() else None


def _request(shell: Any) -> dict | None:
    """The parent message of the request running now, or None outside a kernel."""
    kernel = getattr(shell, "kernel", None)
    return (kernel.get_parent("shell") or None) if kernel is not None else None


def _request_header(shell: Any) -> dict:
    return (_request(shell) or {}).get("header", {})


def running_count(shell: Any) -> int:
    """N of In[N] for the cell running now. IPython counts it up before the cell runs from 9.x
    on, after it ran before; its display hook knows which (it numbers Out[N])."""
    return shell.displayhook.prompt_count


def wait_awaitable(aw: Awaitable) -> Any:
    """From a green thread: run a coroutine (or wait for an asyncio future) on the kernel's loop
    and return its result; only this green thread blocks. In a cell, use `await aw` instead."""
    driver = current_driver()
    if driver is None or driver.loop is None:
        raise RuntimeError("wait_awaitable() needs a running kernel with notebook_coop loaded")
    if getattr(getcurrent(), "task", None) is None:
        raise RuntimeError("wait_awaitable() blocks a green thread; in a cell, use `await` instead")
    hub = driver.hub
    future = asyncio.ensure_future(aw, loop=driver.loop)
    token = hub.token()
    future.add_done_callback(lambda _: hub.wake_threadsafe(token))
    try:
        hub.wait("future", future)
    finally:
        if not future.done():
            future.cancel()
    return future.result()


_driver: KernelDriver | None = None


def current_driver() -> KernelDriver | None:
    """The driver of the loaded extension, or None."""
    return _driver


def install(shell: Any) -> KernelDriver:
    """Attach a driver to `shell`, replacing any previous one (so a reload never doubles up)."""
    global _driver
    uninstall()
    _driver = KernelDriver(shell)
    _driver.attach()
    return _driver


def uninstall() -> None:
    """Detach the driver: no events, reader, timer, SIGINT handler or atexit hook left."""
    global _driver
    if _driver is not None:
        _driver.detach()
        _driver = None
