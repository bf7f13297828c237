"""Instruments: listeners for scheduler events, the base of recorders and dashboards.

Subclass `Instrument`, override the events you need and pass it to `add_instrument`. Each event
method gets `(who, detail)`: `who` is the GreenThread (or the root greenlet). Events cost one
truth test on the hub's paths while no instrument is installed; `switched` uses greenlet's
trace hook, so it is only enabled while an instrument overrides it.
"""

from __future__ import annotations

from typing import Any


class Instrument:
    """Base listener: every event is a no-op."""

    def spawned(self, who: Any, parent: Any) -> None:
        """`who` was created by `parent` (a GreenThread, or the root greenlet)."""

    def switched(self, origin: Any, target: Any) -> None:
        """Control passed from `origin` to `target` (either may be the hub's greenlet)."""

    def blocked(self, who: Any, reason: str) -> None:
        """`who` switched out to wait: reason is sleep, io, event, queue, lock, join, ..."""

    def woken(self, who: Any, detail: None) -> None:
        """`who` is being resumed after a wait."""

    def exited(self, who: Any, exc: BaseException | None) -> None:
        """`who` finished, with the exception that ended it, if any."""


def wants_switches(instrument: Instrument) -> bool:
    """Whether `instrument` overrides `switched` (and so needs greenlet's trace hook)."""
    return type(instrument).switched is not Instrument.switched
