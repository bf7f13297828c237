"""A fair share of the kernel for its own requests while green threads keep the CPU busy.

The kernel's loop drives the hub in ticks on the main thread. Under heavy green load (10,000
threads waking every 50 ms), ticks follow one another back to back, and two things starve:

- the loop's other callbacks (the shell request that just arrived) wait for a whole tick:
  so while the loop has other callbacks ready, a tick gets a short budget;
- the kernel's own threads (shell channel, IOPub) wait for the GIL, which a busy main thread
  hands over only every `sys.getswitchinterval()` seconds (5 ms by default), at each of the
  several hops a request takes, and not at all while the loop lets go of it and takes it
  straight back more often than that (each select between two ticks does: a waiting thread
  asks for the GIL only after a whole interval in which nobody took it). So while ticks use
  their whole budget, or end with work still due, the switch interval is short, and it is put
  back as soon as a tick ends early with nothing due (and when the extension unloads).

    share = FairShare(loop)
    budget = share.budget(TICK_BUDGET)         # before a tick
    share.tick_ended(elapsed, budget, due)     # after it: `due` if work is due already
    share.idle()                         # nothing due: no tick is armed for now
    share.close()                        # the switch interval as it was
"""

from __future__ import annotations

import asyncio
import sys

SHORT_BUDGET = 0.001
"""Seconds a tick may run while the kernel's loop has other callbacks waiting."""

BUSY_SWITCH_INTERVAL = 0.0005
"""The GIL's switch interval while green work saturates the loop: other threads wait at most
this long for it."""


class FairShare:
    """Short ticks while the loop has other work, a short GIL switch interval while saturated."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.saturated = False
        """Whether the last tick used its whole budget or left work due (the switch interval
        is short then)."""
        self._interval: float | None = None  # the interval to put back, while ours is set

    def budget(self, full: float) -> float:
        """The next tick's budget: `full`, or SHORT_BUDGET while other callbacks are ready."""
        return min(full, SHORT_BUDGET) if self.others_ready() else full

    def others_ready(self) -> bool:
        """Whether the loop has callbacks ready besides the tick that runs now (asyncio's own
        loops keep them in `_ready`; a loop without one counts as having none)."""
        return bool(getattr(self.loop, "_ready", None))

    def tick_ended(self, elapsed: float, budget: float, due: bool = False) -> None:
        """After a tick: a short switch interval while ticks use their whole budget or leave
        work `due` at once, the original one again once a tick ends early with none."""
        if elapsed < budget and not due:
            self.idle()
        elif self._interval is None:
            self.saturated = True
            self._interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._interval, BUSY_SWITCH_INTERVAL))

    def idle(self) -> None:
        """The hub has nothing due now (or a tick ended early): the loop is not saturated."""
        self.saturated = False
        self.close()

    def close(self) -> None:
        """Put the switch interval back (at unload, or once ticks stop saturating the loop)."""
        if self._interval is not None:
            sys.setswitchinterval(self._interval)
            self._interval = None
