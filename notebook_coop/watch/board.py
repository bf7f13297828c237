"""What a dashboard shows, sampled from the hub at each refresh: plain rows, no widgets.

    board = Board()
    snap = board.sample()               # every live thread's row, pools, queues, tpool, the hub
    rows, rest = snap.view(sort="run", descending=True, text="fetch", top=25)
    print(snap)                         # the same as text, for terminals and nbclient

Nothing is measured per switch: a thread's state is read when a sample is taken, and the time
since the last sample is added to the state it is in then (ready or blocked), so those two
columns are estimates, as exact as samples are frequent. Run time, slices and the longest slice
come from the hub's accounting (on in the kernel). Threads that started and ended between two
samples are never seen; the others are kept as recently finished once they end.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
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
    """One sample: threads, finished ones, gauges, hub figures and lints."""

    rows: list[Row]
    finished: list[Row]
    pools: list[Gauge]
    queues: list[Gauge]
    tpool: Gauge
    hub: dict[str, float]
    lints: list[str] = field(default_factory=list)

    def view(self, sort: str = "id", descending: bool = False, text: str = "",
             top: int = 25) -> tuple[list[Row], int]:
        """The `top` rows matching `text` (in name, state or wait reason), sorted by `sort`;
        and how many more matched."""
        if sort not in SORT_KEYS:
            raise ValueError(f"sort by one of {', '.join(SORT_KEYS)}, not {sort!r}")
        needle = text.strip().lower()
        rows = [r for r in self.rows if _matches(r, needle)] if needle else self.rows
        if sort != "id" or descending:
            rows = sorted(rows, key=lambda r: getattr(r, sort), reverse=descending)
        return rows[:top], max(0, len(rows) - top)

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


def _matches(row: Row, needle: str) -> bool:
    return needle in row.name.lower() or needle in row.state or needle in row.reason


class Board:
    """Samples the hub for one dashboard; keeps what a sample needs from the one before."""

    def __init__(self, hub: Any = None) -> None:
        self.hub = hub or get_hub()
        self.finished: deque[Row] = deque(maxlen=FINISHED_KEPT)
        self._times: dict[int, list[float]] = {}
        """Thread id -> [ready seconds, blocked seconds] so far, sampled."""
        self._seen: dict[int, tuple[GreenThread, Row]] = {}
        self._at = monotonic()
        self._slices = self.hub.slices
        self._lints: list[str] = []
        self._linted_at = -LINT_EVERY

    def sample(self, extra: dict[str, float] | None = None) -> Snapshot:
        """Read the hub now (see the module docstring); `extra` adds hub figures (loop lag...)."""
        now = monotonic()
        elapsed, self._at = now - self._at, now
        threads = self.hub.live_threads()
        rows = [self._row(gt, elapsed) for gt in threads]
        self._note_finished(rows)
        if now - self._linted_at >= LINT_EVERY:
            self._linted_at = now
            self._lints = _cheap_lints(threads, self.hub)
        return Snapshot(rows, list(self.finished), _pools(), _queues(), tpool_gauge(),
                        self._hub_figures(elapsed, len(rows), extra), self._lints)

    def _row(self, gt: GreenThread, elapsed: float) -> Row:
        state, reason = _state(gt)
        times = self._times.get(gt.id)
        if times is None:
            times = self._times[gt.id] = [0.0, 0.0]
        elif state == "ready":
            times[0] += elapsed
        elif state in ("sleeping", "blocked"):
            times[1] += elapsed
        return Row(gt, gt.id, gt.label, state, reason, gt.run_time, times[0], times[1],
                   gt.switches, gt.longest_slice)

    def _note_finished(self, rows: list[Row]) -> None:
        """Threads seen last time and not live now have ended: keep them as finished."""
        live = {r.id: (r.thread, r) for r in rows}
        for tid, (gt, row) in self._seen.items():
            if tid not in live:
                self._times.pop(tid, None)
                row.state, row.reason = gt.outcome or "done", ""
                row.run, row.slices, row.longest = gt.run_time, gt.switches, gt.longest_slice
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


def _state(gt: GreenThread) -> tuple[str, str]:
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
    lines = ["green threads: " + ", ".join(f"{k} {_figure(v)}" for k, v in hub.items())]
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


def _figure(value: float) -> str:
    return f"{value:,.0f}" if isinstance(value, int) or value >= 100 else f"{value:.3g}"
