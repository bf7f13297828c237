"""The recorder: what the hub did, as plain numbers in a bounded ring buffer.

    with record() as rec:                  # or: rec = Recorder(); rec.start(); ...; rec.stop()
        pool.imap(fetch, urls)
    rec.summary()                          # a table per green thread: run, ready, blocked...
    rec.plot()                             # a timeline (matplotlib Figure)
    rec.to_chrome_trace("trace.json")      # for Perfetto or chrome://tracing

Each event is five integers `(t, code, tid, a, b)`: a `perf_counter_ns` timestamp, an event
code, the green thread's id (ROOT for the root, HUB for the hub), and two numbers whose meaning
depends on the code. They are kept flat, five to an event, in one list: no tuple an event to
allocate, for the garbage collector to count, or to take twice the memory; `rec.events` reads
them back as tuples. Strings (thread names, spawn sites, what a
thread waits on) are kept once each in side tables, so a recording holds no reference to the
objects it saw. The hub calls the recorder directly: one truth test when nothing records, one
call a switch when it does (see slice_ended).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from time import perf_counter_ns
from typing import Any

from greenlet import getcurrent

from ..greenthread import ENDINGS, GreenThread
from ..hub import get_hub, thread_of
from ..instruments import Instrument
from ..sync import Lock
from . import describe, origin
from .palette import WAIT_REASONS

ROOT, HUB, FOREIGN = 0, -1, -2
"""Thread ids of the root greenlet, the hub's greenlet and any other greenlet."""

SPAWN, BLOCK, WAKE, YIELD, EXIT, POLL, TICK, MARK = range(1, 9)
"""Event codes. a and b: SPAWN (parent, 0), BLOCK: a run slice ends with a wait (reason,
object), WAKE: scheduled (waker, 0), YIELD: sleep(0), a slice ends and the thread is ready at
once (0, 0), EXIT (outcome, 0), POLL (end time, fds woken), TICK: a kernel-driven pass begins
(1, 0) or ends (0, 0), MARK (text, 0). Where a slice starts is not recorded (it would cost a
clock read a switch): the timeline infers it (see timeline.py)."""

REASON_CODES = {reason: code for code, reason in enumerate(WAIT_REASONS, 1)}
OUTCOME_CODES = {outcome: code for code, outcome in enumerate(ENDINGS)}

DEFAULT_SIZE = 1_000_000
"""Events kept (about 90 MB at most); older ones are dropped and counted."""
WIDTH = 5
"""Numbers an event."""


class Events(Sequence):
    """A recording's newest `size` events as `(t, code, tid, a, b)` tuples, oldest first: a
    read-only view of the recorder's flat log (which may hold a few older ones, not yet
    trimmed). Iterating copies first, so events recorded meanwhile do not join in."""

    def __init__(self, log: list[int], size: int) -> None:
        self._log, self._size = log, size

    def __len__(self) -> int:
        return min(len(self._log) // WIDTH, self._size)

    def _first(self) -> int:
        return len(self._log) - WIDTH * len(self)

    def __getitem__(self, index: Any) -> Any:
        count = len(self)
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(count))]
        i = index + count if index < 0 else index
        if not 0 <= i < count:
            raise IndexError("event index out of range")
        at = self._first() + WIDTH * i
        return tuple(self._log[at:at + WIDTH])

    def __iter__(self) -> Iterator[tuple[int, int, int, int, int]]:
        numbers = iter(self._log[self._first():])
        return zip(*[numbers] * WIDTH, strict=True)

    def __reversed__(self) -> Iterator[tuple[int, int, int, int, int]]:
        """Newest first, lazily (a live view takes only its last few): read it before the hub
        runs on, as a trim would shift what it reads."""
        log = self._log
        for at in range(len(log) - WIDTH, self._first() - 1, -WIDTH):
            yield tuple(log[at:at + WIDTH])


class Recorder(Instrument):
    """Records the hub's scheduling events between start() and stop()."""

    direct = True

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(f"Recorder size must be a positive int, not {size!r}")
        self.size = size
        self._log: list[int] = []
        self._limit = WIDTH * (size + max(size // 4, 1000))
        """The log's length that triggers a trim back to `size` events, in batches so that
        keeping the ring costs little. Checked by every event but the slice ends (a third of
        a recorded switch's cost): those come between two of the hub's polls, at most a
        millisecond apart while it is busy, and the polls are recorded."""
        self._trimmed = 0
        self.events = Events(self._log, size)
        self.started: int | None = None
        self.stopped: int | None = None
        self.stopper = ROOT
        """Who stopped the recording: it was running at the end."""
        self.names: dict[int, str] = {ROOT: "root", HUB: "hub"}
        self.parents: dict[int, int] = {}
        self.sites: dict[int, str] = {}
        self.cells: dict[int, str] = {}
        self.errors: dict[int, str] = {}
        self.texts: list[str] = [""]
        """Object labels and marks, by the number events carry (0: none)."""
        self._text_ids: dict[str, int] = {"": 0}
        self._objects: dict[int, tuple] = {}
        self._hub: Any = None

    def __repr__(self) -> str:
        state = "recording" if self.recording else "stopped" if self.stopped else "new"
        return f"<Recorder {state}: {len(self.events)} events, {self.dropped} dropped>"

    # -- start and stop ------------------------------------------------------------------------

    @property
    def recording(self) -> bool:
        return self.started is not None and self.stopped is None

    @property
    def total(self) -> int:
        """Events recorded, dropped ones included."""
        return self._trimmed + len(self._log) // WIDTH

    @property
    def dropped(self) -> int:
        """Events that did not fit in the ring buffer (the oldest ones go)."""
        return self.total - len(self.events)

    def start(self) -> Recorder:
        """Begin recording (once per Recorder)."""
        if self.started is not None:
            raise RuntimeError("a Recorder records once; make a new one to record again")
        hub = self._hub = get_hub()
        for gt in hub.live_threads():
            self._know(gt, "")
        self.started = perf_counter_ns()
        hub.add_instrument(self)
        return self

    def stop(self) -> Recorder:
        """End recording; harmless if already stopped."""
        if self.recording:
            self.stopped = perf_counter_ns()
            self._hub.remove_instrument(self)
            self.stopper = self._tid(thread_of(getcurrent()))
        return self

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def mark(self, text: str) -> None:
        """Put a labelled instant into the recording (shown on timelines and in traces)."""
        if self.recording:
            self._record(perf_counter_ns(), MARK, ROOT, self._text(str(text)), 0)

    # -- what the hub calls --------------------------------------------------------------------

    def _record(self, t: int, code: int, tid: int, a: int, b: int) -> None:
        log = self._log
        log.extend((t, code, tid, a, b))
        if len(log) > self._limit:
            self._trim()

    def _trim(self) -> None:
        """Drop the events older than the newest `size` (counted in `dropped`)."""
        extra = len(self._log) - WIDTH * self.size
        del self._log[:extra]
        self._trimmed += extra // WIDTH

    def _tid(self, who: Any) -> int:
        if who.__class__ is GreenThread:
            return who.id
        hub = self._hub
        return ROOT if who is hub.root else HUB if who is hub.greenlet else FOREIGN

    def spawned(self, t: int, gt: Any) -> None:
        self._know(gt, origin.format_site(gt.spawn_site))
        self._record(t, SPAWN, gt.id, self.parents[gt.id], 0)

    def scheduled(self, t: int, who: Any, waker: Any) -> None:
        self._record(t, WAKE, self._tid(who), self._tid(waker), 0)

    def blocked(self, t: int, who: Any, reason: str, on: Any) -> None:
        self.slice_ended(who, reason, on, False, t)

    def yielded(self, t: int, who: Any) -> None:
        self.slice_ended(who, "sleep", None, True, t)

    def slice_ended(self, who: Any, reason: str, on: Any, requeue: bool, t: int = 0) -> None:
        """blocked() or, with `requeue`, yielded(), reading the clock itself unless given `t`:
        the hub calls this one directly at every switch out while it keeps no accounting.
        It leaves the trim to the next poll's event (see _limit)."""
        t = t or perf_counter_ns()
        tid = who.id if who.__class__ is GreenThread else self._tid(who)
        log = self._log
        if requeue:
            log.extend((t, YIELD, tid, 0, 0))
        else:
            log.extend((t, BLOCK, tid, REASON_CODES.get(reason, 0),
                        0 if on is None else self._object(on)))

    def exited(self, t: int, gt: Any) -> None:
        outcome = gt.outcome
        if outcome == "failed":
            exc = gt._exc
            self.errors[gt.id] = f"{type(exc).__name__}: {exc}".rstrip(": ")
        self._record(t, EXIT, gt.id, OUTCOME_CODES[outcome], 0)

    def polled(self, started: int, ended: int, timeout: float, events: int) -> None:
        self._record(started, POLL, HUB, ended, events)

    def tick_began(self, t: int) -> None:
        self._record(t, TICK, HUB, 1, 0)

    def tick_ended(self, t: int) -> None:
        self._record(t, TICK, HUB, 0, 0)

    # -- side tables ---------------------------------------------------------------------------

    def _know(self, gt: Any, site: str) -> None:
        """Remember a thread's name, parent, spawn site and cell (once, at spawn or at start)."""
        tid = gt.id
        self.names[tid] = gt.label
        parent = gt.parent
        self.parents[tid] = parent.id if isinstance(parent, GreenThread) else self._tid(parent)
        if site:
            self.sites[tid] = site
        cell = origin.cell_of(gt)
        if cell:
            self.cells[tid] = cell

    def _object(self, on: Any) -> int:
        """The text number of `on`'s label, cached by identity (checked through a weak
        reference, so a new object at a dead one's address is named afresh); a Lock's with
        its holder."""
        if on.__class__ is Lock:  # who holds it changes from one wait to the next
            return self._text(describe.describe(on))
        hit = self._objects.get(id(on))
        if hit is not None and hit[0]() is on:
            return hit[1]
        number = self._text(describe.label(on))
        try:
            self._objects[id(on)] = (weakref.ref(on), number)
        except TypeError:  # an int (a bare fd) or another value without weak references
            pass
        return number

    def _text(self, text: str) -> int:
        number = self._text_ids.get(text)
        if number is None:
            number = self._text_ids[text] = len(self.texts)
            self.texts.append(text)
        return number

    # -- views (see timeline.py, summary.py, plot.py, chrome.py) ------------------------------

    def timeline(self) -> Any:
        """The recording as per-thread segments of run, ready and waits (a Timeline)."""
        from .timeline import Timeline

        return Timeline(self)

    def rows(self) -> list[dict]:
        """One plain dict per green thread: times by state, slices and their percentiles."""
        from .summary import rows

        return rows(self.timeline())

    def summary(self) -> Any:
        """A table of rows(): HTML in Jupyter, text elsewhere (print it, or let it display)."""
        from .lints import recording_lints
        from .summary import Summary

        timeline = self.timeline()
        return Summary(timeline, recording_lints(timeline))

    def plot(self, **options: Any) -> Any:
        """A timeline Figure: a row per green thread, coloured by state (see plot.timeline)."""
        from .plot import timeline_figure

        return timeline_figure(self.timeline(), **options)

    def to_chrome_trace(self, path: Any = None) -> dict:
        """Trace Event Format for Perfetto and chrome://tracing; written to `path` if given."""
        from .chrome import chrome_trace

        return chrome_trace(self.timeline(), path)


@contextmanager
def record(size: int = DEFAULT_SIZE) -> Iterator[Recorder]:
    """Record the hub's scheduling for the duration of a with-block."""
    rec = Recorder(size)
    with rec:
        yield rec
