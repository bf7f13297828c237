"""What a dashboard shows, sampled from the hub at each refresh: plain rows, no widgets.

    board = Board()
    snap = board.sample()               # the live threads, pools, queues, tpool, the hub
    rows, rest = snap.view(sort="run", descending=True, text="fetch", top=25)
    print(snap)                         # as text, for terminals and nbclient

Nothing is measured per switch. A sample looks at each live thread once: if it is ready, the
time since the last sample is added to its ready time; its blocked time is the rest of its age
once run and ready time are taken off. Ready and blocked are so estimates, as exact as samples
are frequent; run time, slices and the longest slice come from the hub's accounting (on in the
kernel). Rows (with what a thread waits on, its cell and spawn site) are made only for the
threads a view shows. Threads that started and ended between two samples are never seen; the
others are kept as recently finished once they end.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter
from time import monotonic
from typing import Any

from greenlet import getcurrent

from .. import tpool
from ..greenthread import GreenThread
from ..hub import get_hub
from ..pool import live_pools
from ..queue import live_queues
from . import lints, origin
from .describe import describe, label

FINISHED_KEPT = 20
"""Recently finished threads kept for the table below the live ones."""

LINT_EVERY = 2.0
"""Seconds between runs of the lints (deadlock search, pools, queues) over all threads."""

SORT_KEYS = ("id", "name", "state", "run", "ready", "blocked", "slices", "longest")
"""Columns a view sorts by."""


@dataclass(slots=True)
class Row:
    """One green thread as sampled: cheap columns for all, details for the rows shown."""

    thread: GreenThread
    id: int
    name: str
    state: str
    """running, ready, sleeping, blocked, or how it ended: done, failed, killed, cancelled."""
    reason: str
    run: float
    ready: float
    blocked: float
    slices: int
    longest: float
    error: str = ""

    def waiting(self) -> str:
        """What it waits on: the reason and the object as it looks now."""
        on = describe(self.thread.waiting_on) if self.reason else ""
        return f"{self.reason} {on}".strip()

    def cell(self) -> str:
        return origin.cell_of(self.thread)

    def site(self) -> str:
        return origin.format_site(self.thread.spawn_site)


@dataclass
class Gauge:
    """A pool, queue or tpool as numbers: `value` of `limit` (None: unbounded), `waiting`."""

    name: str
    value: int
    limit: int | None
    waiting: int
    note: str = ""


@dataclass
class Snapshot:
    """One sample: the live threads, finished ones, gauges, hub figures and lints. Rows are
    made only for the threads a view shows."""

    live: dict[int, GreenThread]
    """The live threads by id, oldest first."""
    finished: list[Row]
    pools: list[Gauge]
    queues: list[Gauge]
    tpool: Gauge
    hub: dict[str, float]
    lints: list[str] = field(default_factory=list)
    taken: float = 0.0
    """When it was sampled (time.monotonic)."""
    readiness: dict[int, float] = field(default_factory=dict)
    """Thread id -> seconds it was seen ready, sampled."""

    def row(self, gt: GreenThread) -> Row:
        """A live thread's row."""
        state, reason = state_of(gt)
        ready = self.readiness.get(gt.id, 0.0)
        waited = max(0.0, self.taken - gt.created - gt.run_time)
        return Row(gt, gt.id, gt.label, state, reason, gt.run_time, min(ready, waited),
                   max(0.0, waited - ready), gt.switches, gt.longest_slice)

    def view(self, sort: str = "id", descending: bool = False, text: str = "",
             top: int = 25) -> tuple[list[Row], int]:
        """The `top` rows matching `text` (in name, state or wait reason), sorted by `sort`;
        and how many more matched."""
        if sort not in SORT_KEYS:
            raise ValueError(f"sort by one of {', '.join(SORT_KEYS)}, not {sort!r}")
        threads: Any = self.live.values()
        needle = text.strip().lower()
        if needle:
            threads = [gt for gt in threads if _matches(gt, needle)]
        count = len(threads)
        if sort == "id":
            chosen = list(reversed(threads))[:top] if descending else list(islice(threads, top))
        else:
            key = self._key(sort)
            chosen = (heapq.nlargest if descending else heapq.nsmallest)(top, threads, key)
        return [self.row(gt) for gt in chosen], max(0, count - top)

    def _key(self, sort: str) -> Any:
        """A sort key on a GreenThread, for a column of Row. Times sort as they are shown
        (two significant digits), then by id: rows keep their order while their times move
        within the digits shown, so a refresh has less to send."""
        if sort == "state":
            return lambda gt: (state_of(gt)[0], gt.id)
        if sort in ("ready", "blocked"):
            return lambda gt: (_shown(getattr(self.row(gt), sort)), gt.id)
        if sort in ("run", "longest"):
            get = attrgetter("run_time" if sort == "run" else "longest_slice")
            return lambda gt: (_shown(get(gt)), gt.id)
        return attrgetter({"name": "label", "slices": "switches"}[sort])

    def lints_of(self, row: Row) -> list[str]:
        """The lints about this thread: those that begin with its name, and the deadlock
        cycles it is a step of."""
        name = row.name + " "
        return [s for s in self.lints
                if s.startswith(name) or f": {name}" in s or f"; {name}" in s]

    def __str__(self) -> str:
        return format_text(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(format_text(self))


def _shown(seconds: float) -> float:
    """A time as a table shows it: two significant digits."""
    return float(f"{seconds:.2g}")


def _matches(gt: GreenThread, needle: str) -> bool:
    state, reason = state_of(gt)
    return needle in gt.label.lower() or needle in state or needle in reason


class Board:
    """Samples the hub for one dashboard; keeps what a sample needs from the one before."""

    def __init__(self, hub: Any = None) -> None:
        self.hub = hub or get_hub()
        self.finished: deque[Row] = deque(maxlen=FINISHED_KEPT)
        self._ready: dict[int, float] = {}
        """Thread id -> seconds it was seen ready so far (only threads ever seen ready)."""
        self._seen: dict[int, GreenThread] = {}
        self._at = monotonic()
        self._slices = self.hub.slices
        self._lints: list[str] = []
        self._linted_at = -LINT_EVERY

    def sample(self, extra: dict[str, float] | None = None) -> Snapshot:
        """Read the hub now (see the module docstring); `extra` adds hub figures (loop lag...)."""
        now = monotonic()
        elapsed, self._at = now - self._at, now
        live, ready = {}, self._ready
        for tid, weak in list(self.hub.threads.items()):  # the one pass over every thread
            gt = weak()
            if gt is None or gt.dead:
                continue
            live[tid] = gt
            g = gt.greenlet
            if g is None or not g.reason:
                ready[tid] = ready.get(tid, 0.0) + elapsed
        snap = Snapshot(live, [], _pools(), _queues(), tpool_gauge(),
                        self._hub_figures(elapsed, len(live), extra), taken=now,
                        readiness=ready)
        self._note_finished(live, snap)
        snap.finished = list(self.finished)
        if now - self._linted_at >= LINT_EVERY:
            self._linted_at = now
            self._lints = _cheap_lints(list(live.values()), self.hub)
        snap.lints = self._lints
        return snap

    def _note_finished(self, live: dict[int, GreenThread], snap: Snapshot) -> None:
        """Threads seen last time and not live now have ended: keep them as finished."""
        for tid in sorted(self._seen.keys() - live.keys()):
            gt = self._seen[tid]
            if gt.dead:
                row = snap.row(gt)
                self._ready.pop(tid, None)
                exc = gt.exception if row.state == "failed" else None
                row.error = f"{type(exc).__name__}: {exc}".rstrip(": ") if exc else ""
                self.finished.appendleft(row)
        self._seen = live

    def _hub_figures(self, elapsed: float, live: int, extra: dict | None) -> dict[str, float]:
        hub = self.hub
        switched, self._slices = hub.slices - self._slices, hub.slices
        return {
            "live threads": live, "spawned": hub.thread_count,
            "switches/s": switched / elapsed if elapsed > 0 else 0.0,
            "ready": len(hub.ready), "timers": max(0, len(hub.timers) - len(hub._cancelled)),
            "fds": sum(1 for w in list(hub._watches.values()) if w.reader or w.writer),
            **(extra or {}),
        }


def state_of(gt: GreenThread) -> tuple[str, str]:
    """A thread's state word and wait reason, read cheaply."""
    if gt.dead:
        return gt.outcome or "done", ""
    reason = gt.reason
    if reason:
        return ("sleeping" if reason == "sleep" else "blocked"), reason
    return ("running" if gt.greenlet is getcurrent() else "ready"), ""


def _cheap_lints(threads: list[GreenThread], hub: Any) -> list[str]:
    """The lints fast enough for thousands of threads (waits nothing can end need a scan of
    every object per wait: %greenthreads shows those)."""
    return (lints.long_slices(threads) + lints.spinners(threads) + lints.deadlocks(threads, hub)
            + lints.saturated_pools() + lints.growing_queues())


def _pools() -> list[Gauge]:
    return [Gauge(label(p), p.running(), p.size, p.waiting(), "callers waiting")
            for p in live_pools()]


def _queues() -> list[Gauge]:
    return [Gauge(label(q), q.qsize(), q.maxsize, q.getting(),
                  f"getters waiting, {q.putting()} putters") for q in live_queues()]


def tpool_gauge() -> Gauge:
    """tpool's threads busy of the most it may run, and calls queued for a thread."""
    calls, threads, size = tpool.usage()
    return Gauge("tpool", min(calls, threads), size, max(0, calls - threads),
                 f"calls queued, {threads} threads started")


# -- text -------------------------------------------------------------------------------------

TEXT_ROWS = 25
"""Live rows in the text rendering."""


def format_text(snap: Snapshot, top: int = TEXT_ROWS) -> str:
    """The snapshot as plain text: hub figures, the top rows, finished ones, gauges, lints."""
    hub = snap.hub
    lines = ["green threads: " + hub_line(hub)]
    rows, rest = snap.view(top=top)
    table = [("id", "name", "state", "waiting on", "run", "ready", "blocked", "slices")]
    table += [(str(r.id), r.name, r.state, r.waiting(), seconds(r.run), seconds(r.ready),
               seconds(r.blocked), str(r.slices)) for r in rows]
    table += [(str(r.id), r.name, r.state, r.error, seconds(r.run), "", "", str(r.slices))
              for r in snap.finished]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
              for line in table]
    if rest:
        lines.append(f"... and {rest:,} more live threads")
    lines += [gauge_text(g) for g in (*snap.pools, *snap.queues, snap.tpool)]
    lines += [f"! {sentence}" for sentence in snap.lints]
    return "\n".join(lines)


def gauge_text(g: Gauge) -> str:
    """`GreenPool#1: 3/10, 2 callers waiting`."""
    limit = "inf" if g.limit is None else str(g.limit)
    return f"{g.name}: {g.value}/{limit}, {g.waiting} {g.note}"


def seconds(value: float) -> str:
    """Two significant digits and a unit (rounded, so that a refresh sends only real change)."""
    if value <= 0:
        return "0"
    if value < 1e-3:
        return f"{_two_digits(value * 1e6)} µs"
    if value < 1:
        return f"{_two_digits(value * 1e3)} ms"
    return f"{_two_digits(value)} s"


def _two_digits(x: float) -> str:
    """1.2, 12, 120, 1,200: two significant digits, never an exponent."""
    return f"{x:.2g}" if x < 100 else f"{round(x, -len(str(int(x))) + 2):,.0f}"


def hub_line(figures: dict[str, float]) -> str:
    """`live threads 12, switches/s 3,400, loop lag ms 0.4, ...`."""
    return ", ".join(f"{name} {_figure(value)}" for name, value in figures.items())


def _figure(value: float) -> str:
    if isinstance(value, int) or value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2g}"
