"""Instruments: listeners for scheduler events, the base of recorders and dashboards.

Subclass `Instrument`, override the events you need and pass it to `get_hub().add_instrument`.
Every event carries `t`, a `time.perf_counter_ns()` timestamp. `who` is a GreenThread, or a
greenlet for the root (where a cell or a script runs). A thread's life reads

    spawned -> scheduled -> running -> blocked -> scheduled -> running -> ... -> exited

where `running` starts a run slice, `blocked`, `yielded` and `exited` end it, and `scheduled`
means woken and waiting for the hub (a thread resumed straight from a timer or I/O gets no
`scheduled`; one that yielded is ready at once).
Events cost one truth test on the hub's paths while no instrument is installed; `switched` uses
greenlet's trace hook, so it is only enabled while an instrument overrides it.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any


class Instrument:
    """Base listener: every event is a no-op."""

    direct = False
    """True for instruments that never raise (the recorder): the hub then calls a lone one
    without the error guard that drops a failing instrument, and, while it keeps no accounting,
    calls its `slice_ended(who, reason, on, requeue)` if it has one (which reads the clock
    itself) in place of blocked() and yielded(): one call a switch instead of two."""

    def spawned(self, t: int, gt: Any) -> None:
        """`gt` was created (its name, parent and function are set)."""

    def scheduled(self, t: int, who: Any, waker: Any) -> None:
        """`who` was woken by `waker` (a GreenThread, the root or the hub's greenlet) and
        waits for its turn."""

    def running(self, t: int, who: Any) -> None:
        """`who` starts a run slice: its first, or after a wait."""

    def blocked(self, t: int, who: Any, reason: str, on: Any) -> None:
        """`who` ends a run slice to wait: `reason` is sleep, io-read, io-write, event,
        queue-get, queue-put, lock, join, tpool or future; `on` is what it waits on."""

    def yielded(self, t: int, who: Any) -> None:
        """`who` called sleep(0): its run slice ends and it is ready again at once. By default
        reported as `blocked` (sleep) and `scheduled` (by itself)."""
        self.blocked(t, who, "sleep", None)
        self.scheduled(t, who, who)

    def exited(self, t: int, gt: Any) -> None:
        """`gt` finished; `gt.outcome` says how (done, failed, killed or cancelled)."""

    def switched(self, t: int, origin: Any, target: Any) -> None:
        """Control passed from `origin` to `target` (either may be the hub's greenlet)."""

    def tick_began(self, t: int) -> None:
        """The host loop (the kernel) starts driving one bounded pass of the hub."""

    def tick_ended(self, t: int) -> None:
        """That pass is over: the host loop has its turn back."""

    def polled(self, started: int, ended: int, timeout: float, events: int) -> None:
        """The hub waited for I/O (up to `timeout` seconds, -1: no limit); `events` fds woke."""


EVENTS = tuple(name for name, value in vars(Instrument).items()
               if callable(value) and not name.startswith("_"))


def overrides(instrument: Instrument, event: str) -> bool:
    """Whether `instrument` listens to `event`: `switched` needs greenlet's trace hook and
    `running` a clock read at every resume, so the hub pays for them only when asked."""
    return getattr(type(instrument), event) is not getattr(Instrument, event)


class Fanout(Instrument):
    """Several instruments as one: each event goes to each; one that raises is reported and
    removed (through `drop`) instead of breaking the hub."""

    def __init__(self, instruments: list[Instrument], drop: Callable[[Instrument], None]) -> None:
        self.instruments, self.drop = instruments, drop

    def _deliver(self, event: str, args: tuple) -> None:
        for instrument in self.instruments:
            try:
                getattr(instrument, event)(*args)
            except Exception:
                traceback.print_exc()
                self.drop(instrument)


def _forwarder(event: str) -> Callable:
    def forward(self: Fanout, *args: Any) -> None:
        self._deliver(event, args)

    forward.__name__ = event
    return forward


for _event in EVENTS:
    setattr(Fanout, _event, _forwarder(_event))
