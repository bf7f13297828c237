"""Lints: what looks wrong in a hub's green threads, said as sentences.

    for sentence in live_lints():
        print(sentence)     # "fetch#3 ran 2.1 s without yielding (its longest run slice)"

Live lints read the hub's registry of threads (their run-time accounting, on in the kernel, gives
the longest slice and the sleep(0) count), pools and queues; `recording_lints` reads a
recording. Each lint is cheap enough to run at every dashboard refresh of a few thousand threads.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

from ..frames import is_library
from ..greenthread import GreenThread
from ..hub import TIMED_OUT, get_hub
from ..pool import live_pools
from ..queue import live_queues
from ..sync import Lock
from .describe import describe, label

LONG_SLICE = 0.1
"""A run slice at least this long (seconds) holds every other green thread up: say so."""

SPIN_YIELDS = 1000
"""A thread that yielded this often, and did little else, spins on sleep(0)."""

GROWING_CHECKS, GROWING_SIZE = 3, 100
"""A queue that grew at each of this many checks in a row, and holds at least this many items."""

_queue_sizes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def live_lints(threads: list[GreenThread] | None = None) -> list[str]:
    """Every lint about the hub's live threads, its pools and its queues."""
    hub = get_hub()
    threads = hub.live_threads() if threads is None else threads
    return (long_slices(threads) + spinners(threads) + deadlocks(threads, hub)
            + orphaned_waits(threads, hub) + saturated_pools() + growing_queues())


def long_slices(threads: list[Any]) -> list[str]:
    return [f"{gt.label} ran {gt.longest_slice:.2g} s without yielding (its longest run slice)"
            for gt in threads if gt.longest_slice >= LONG_SLICE]


def spinners(threads: list[Any]) -> list[str]:
    return [f"{gt.label} spins on sleep(0): {gt.yields:,} yields and little else"
            for gt in threads if gt.yields >= SPIN_YIELDS and gt.yields >= 0.9 * gt.switches]


# -- who waits for whom ------------------------------------------------------------------------


def waits_for(who: Any) -> tuple[Any, str] | None:
    """The thread (or root greenlet) that `who` waits for, and how to say it: a join, or the
    holder of a Lock."""
    on = who.waiting_on if isinstance(who, GreenThread) else getattr(who, "on", None)
    if isinstance(on, GreenThread) and not on.dead:
        return on, f"waits for {on.label} to end"
    if isinstance(on, Lock) and on.owner is not None:
        return on.owner, f"waits for {label(on)}, held by {_name(on.owner)}"
    return None


def deadlocks(threads: list[Any], hub: Any) -> list[str]:
    """Cycles of joins and Lock holders: each thread waits for the next, the last for the first."""
    found, seen = [], set()
    waiters = [*threads, hub.root] if hub.root_blocked else threads
    for start in waiters:
        path, node = [], start
        while node is not None and id(node) not in seen and node not in path:
            path.append(node)
            edge = waits_for(node)
            node = edge[0] if edge else None
        seen.update(id(n) for n in path)
        if node is not None and node in path:
            cycle = path[path.index(node):]
            steps = [f"{_name(a)} {waits_for(a)[1]}" for a in cycle]
            found.append("deadlock: " + "; ".join(steps))
    return found


def _name(who: Any) -> str:
    return who.label if isinstance(who, GreenThread) else "root"


# -- waits nothing can end ---------------------------------------------------------------------


def orphaned_waits(threads: list[Any], hub: Any) -> list[str]:
    """Threads waiting, with no timeout, on an object nothing but themselves refers to."""
    timed = _tokens_with_timeouts(hub)
    found = []
    for gt in threads:
        on, g = gt.waiting_on, gt.greenlet
        if on is None or isinstance(on, (GreenThread, int)) or g in timed:
            continue
        if gt.reason in ("sleep", "io-read", "io-write", "tpool", "future"):
            continue
        if _only_referred_to_by(on, g):
            found.append(f"{gt.label} waits forever on {describe(on)} with no timeout, "
                         "and no live thread can wake it (nothing else refers to it)")
    return found


def _tokens_with_timeouts(hub: Any) -> set:
    """Greenlets whose current wait has a timeout timer pending."""
    return {a[0] for _, _, fn, a, b in list(hub.timers) if b is TIMED_OUT and fn == hub.resume}


def _only_referred_to_by(obj: Any, g: Any) -> bool:
    """Whether every reference to `obj` comes from greenlet `g` (its frames) or from our own
    frames here."""
    for ref in gc.get_referrers(obj):
        if ref is g:
            continue
        code = getattr(ref, "f_code", None)
        if code is not None and is_library(code):
            continue
        return False
    return True


# -- pools and queues --------------------------------------------------------------------------


def saturated_pools() -> list[str]:
    return [f"{label(pool)} is saturated: {pool.running()}/{pool.size} running, "
            f"{pool.waiting()} caller(s) waiting for a slot"
            for pool in live_pools() if pool.waiting() > 0 and pool.free() <= 0]


def growing_queues() -> list[str]:
    """Queues that grew at each of the last GROWING_CHECKS checks (this call is one)."""
    found = []
    for q in live_queues():
        size = q.qsize()
        history = _queue_sizes.setdefault(q, [])
        history.append(size)
        del history[:-(GROWING_CHECKS + 1)]
        rising = len(history) > GROWING_CHECKS and all(
            a < b for a, b in zip(history, history[1:], strict=False))
        if rising and size >= GROWING_SIZE:
            found.append(f"{describe(q)} keeps growing: {size:,} items, more at each check")
    return found


# -- from a recording --------------------------------------------------------------------------


def recording_lints(timeline: Any) -> list[str]:
    """Long slices and spinning threads, as a recording saw them."""
    found = []
    for track in timeline.threads():
        longest = max(track.slices, default=0) * 1e-9
        if longest >= LONG_SLICE:
            found.append(f"{track.name} ran {longest:.2g} s without yielding")
        if track.yields >= SPIN_YIELDS and track.yields >= 0.9 * len(track.slices):
            found.append(f"{track.name} spins on sleep(0): {track.yields:,} yields "
                         "and little else")
    return found
