"""The stop button (SIGINT) with green threads around: one press stops what the user waits for.

- A cell blocked in a green wait (`sleep`, `gt.wait()`, ...) gets KeyboardInterrupt at the
  hub's next turn. If a green thread holds the hub at that moment (no switch for longer than
  the blocking detector's threshold), the hub's next turn would never come: that thread gets a
  KeyboardInterrupt too, and its traceback lands in its own cell.
- A cell that computes gets KeyboardInterrupt as usual; an async cell's await is cancelled.
- While the kernel is idle, a press interrupts only a green thread that holds the hub; one
  that yields normally is never touched.

A press can come a moment before the holding thread passes the threshold (or before the hub's
next turn shows that it never comes). The press then waits: the watchdog thread of the blocking
detector checks it at every look and, if the run slice that was running at the press still
runs past the threshold, sends the signal again, so that the handler runs inside the holding
thread. A press is answered once: by the cell's interrupt, by the holding thread's, or not at
all when the slice ends in time. KeyboardInterrupt is never raised in the hub's own greenlet
or in notebook_coop's bookkeeping.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from time import monotonic
from typing import Any

from greenlet import getcurrent

from ..frames import delivers, is_library
from ..hub import Hub, peek_hub

__all__ = ["StopButton"]


@dataclass
class _Press:
    slices: int
    at: float
    resent: bool = False


class StopButton:
    """The SIGINT handler of a kernel driver, and the check its monitor runs for it."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.pending: _Press | None = None
        self._root_interrupt_queued = False

    @delivers
    def on_sigint(self, signum: int, frame: Any) -> None:
        """The handler: see the module docstring."""
        hub = self.driver.hub or peek_hub()
        press, self.pending = self.pending, None
        if hub is None:
            self._outer(signum, frame)
            return
        if self._holding(frame):
            self._stop_what_waits(hub, signum, frame)
            raise KeyboardInterrupt
        if press is not None and press.resent:
            if self._in_green_thread():  # still held, but in notebook_coop's own code: retry
                press.resent = False
                self.pending = press
            return
        self._stop_what_waits(hub, signum, frame)
        self.pending = _Press(hub.slices, monotonic())

    def forget(self) -> None:
        """A cell starts: a press that came before it is over. (Its resent signal may have
        found the kernel's own handler, and a press still marked resent would take the
        cell's first press for its echo and drop it.)"""
        self.pending = None

    def check(self) -> None:
        """On the watchdog's thread after each look: resend a waiting press once the slice
        that ran at the press has held the hub past the threshold; drop it once it ended."""
        press, monitor = self.pending, self.driver.monitor
        hub = monitor.hub
        if press is None or press.resent:
            return
        since = monitor.held_since()
        if hub.slices != press.slices or since is None or monitor.idle_at > press.at:
            self.pending = None  # the slice ended, or the hub went idle: nobody holds it
        elif (monotonic() - since >= monitor.threshold
              and signal.getsignal(signal.SIGINT) == self.on_sigint):
            press.resent = True
            signal.pthread_kill(hub.thread_id, signal.SIGINT)

    # -- the cases ----------------------------------------------------------------------------

    def _holding(self, frame: Any) -> bool:
        """Whether a green thread runs user code and has held the hub past the threshold."""
        monitor = self.driver.monitor
        return (monitor is not None and self._in_green_thread()
                and frame is not None and not is_library(frame.f_code)
                and monitor.held_for() >= monitor.threshold)

    @staticmethod
    def _in_green_thread() -> bool:
        return getattr(getcurrent(), "task", None) is not None

    def _stop_what_waits(self, hub: Hub, signum: int, frame: Any) -> None:
        """Interrupt the cell: at the hub's next turn if it waits on a green call; through the
        kernel's own handler if it computes (or awaits, in an async cell)."""
        driver = self.driver
        if hub.root_blocked:
            if not self._root_interrupt_queued:
                self._root_interrupt_queued = True
                hub.call_threadsafe(self._interrupt_root, hub)
        elif not driver.ticking or driver.outer_sigint() is not signal.default_int_handler:
            self._outer(signum, frame)  # outside a tick the root runs the cell: raise there

    @delivers
    def _outer(self, signum: int, frame: Any) -> None:
        """The handler the kernel had installed for this request, if there is one."""
        outer = self.driver.outer_sigint()
        if callable(outer):
            outer(signum, frame)

    def _interrupt_root(self, hub: Hub) -> None:
        """On the hub: raise KeyboardInterrupt in the cell if it still waits; the press is
        answered either way."""
        self._root_interrupt_queued = False
        self.pending = None
        if hub.root_blocked:
            hub.throw_into(hub.root, KeyboardInterrupt())
