"""A recording replayed into per-thread timelines: back-to-back segments of run, ready and waits.

Every green thread is in exactly one state at any instant, so its segments never overlap and
add up to the time it was observed: from its spawn (or the start of the recording) to its exit
(or the end). What a thread did before the recording first saw it is shown as `blocked`.
The root's time inside kernel-driven passes is shown as `tick`: the kernel lent the hub its turn.
Only a running root drives a pass, so a pass also ends whatever the root was shown doing; in a
kernel the root's run time between cells is the kernel's own loop, idle or not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from time import perf_counter_ns
from typing import Any

from ..greenthread import ENDINGS
from .palette import BLOCKED, READY, RUN, WAIT_REASONS
from .recorder import BLOCK, EXIT, HUB, MARK, POLL, ROOT, SPAWN, TICK, WAKE, YIELD


@dataclass(slots=True)
class Segment:
    """One stretch of a thread's time in one state (times in ns, perf_counter_ns)."""

    start: int
    end: int
    state: str
    on: str = ""
    """What it waited on (an object's label), for waits."""

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass
class Track:
    """One thread's row: its segments, how it began and ended, and who woke it."""

    tid: int
    name: str
    parent: int | None = None
    site: str = ""
    cell: str = ""
    spawned: int | None = None
    exited: int | None = None
    outcome: str | None = None
    error: str = ""
    segments: list[Segment] = field(default_factory=list)
    wakers: Counter = field(default_factory=Counter)
    yields: int = 0
    """sleep(0) calls."""

    def time_in(self, state: str) -> int:
        """ns spent in `state` (run, ready, a wait reason, blocked or tick)."""
        return sum(s.length for s in self.segments if s.state == state)

    @property
    def slices(self) -> list[int]:
        """Lengths of its run slices, in ns."""
        return [s.length for s in self.segments if s.state == RUN]

    @property
    def ready_latencies(self) -> list[int]:
        """How long it waited for the hub each time it was ready, in ns."""
        return [s.length for s in self.segments if s.state == READY]


@dataclass
class Flow:
    """A wake-up: `waker` made `woken` ready at time `t`."""

    t: int
    waker: int
    woken: int


class Timeline:
    """Built from a Recorder: tracks by thread id, the hub's polls and ticks, marks, flows."""

    def __init__(self, recorder: Any) -> None:
        self.start = recorder.started or 0
        self.end = recorder.stopped or perf_counter_ns()
        self.dropped = recorder.dropped
        self.tracks: dict[int, Track] = {}
        self.polls: list[tuple[int, int, int]] = []
        self.ticks: list[tuple[int, int]] = []
        self.marks: list[tuple[int, str]] = []
        self.flows: list[Flow] = []
        self._recorder = recorder
        self._open: dict[int, Segment] = {}
        self._replay(list(recorder.events))

    @property
    def span(self) -> int:
        return self.end - self.start

    def threads(self) -> list[Track]:
        """The green threads' tracks (not the root's), oldest first."""
        return [self.tracks[tid] for tid in sorted(self.tracks) if tid > 0]

    def ordered(self) -> list[Track]:
        """The root first (if it did anything), then the green threads."""
        root = [self.tracks[ROOT]] if ROOT in self.tracks else []
        return root + self.threads()

    # -- replay --------------------------------------------------------------------------------

    def _replay(self, events: list) -> None:
        """Walk the events in order. A run slice is not recorded where it starts (that would
        cost a clock read at every switch): it ends with the thread's BLOCK, YIELD or EXIT,
        and started where the hub last came free (`boundary`): the previous slice's end, the
        end of a poll, the start or end of a kernel-driven pass."""
        if events and self.dropped:
            self.start = events[0][0]  # what came before the oldest kept event is lost
        texts = self._recorder.texts
        self._boundary = self.start
        self._tick_began: int | None = None
        thread_event = self._thread_event
        for t, code, tid, a, b in events:
            if code > EXIT:  # the hub's and the recorder's own events
                self._hub_event(t, code, a, b, texts)
            elif tid != HUB:
                thread_event(t, code, tid, a, b, texts)
        self._close_all()
        if ROOT in self.tracks:
            self._carve_ticks(self.tracks[ROOT])

    def _hub_event(self, t: int, code: int, a: int, b: int, texts: list) -> None:
        if code == POLL:
            self.polls.append((t, a, b))
            self._boundary = a
        elif code == TICK:
            if a:
                self._tick_began = t
                self._run_until(self._track(ROOT), t)  # a pass is driven by a running root
            else:
                began = self.start if self._tick_began is None else self._tick_began
                self.ticks.append((began, t))
                if ROOT not in self._open:
                    self._track(ROOT).segments.append(Segment(began, t, "tick"))
            self._boundary = t
        elif code == MARK:
            self.marks.append((t, texts[a]))

    def _close_all(self) -> None:
        """The end of the recording: whoever stopped it was running; the rest stay as they were."""
        stopper = self._recorder.stopper
        if stopper in self._open:
            self._run_until(self._track(stopper), self.end)
        for tid, segment in self._open.items():
            end = self.tracks[tid].exited or self.end
            if end > segment.start:
                segment.end = end
                self.tracks[tid].segments.append(segment)
        self._open = {}

    def _track(self, tid: int) -> Track:
        track = self.tracks.get(tid)
        if track is None:
            rec = self._recorder
            track = self.tracks[tid] = Track(
                tid, rec.names.get(tid, f"#{tid}"), rec.parents.get(tid), rec.sites.get(tid, ""),
                rec.cells.get(tid, ""), error=rec.errors.get(tid, ""))
        return track

    def _thread_event(self, t: int, code: int, tid: int, a: int, b: int, texts: list) -> None:
        track = self.tracks.get(tid) or self._track(tid)
        if code == SPAWN:
            track.spawned = t
            self._open[tid] = Segment(t, t, READY)
        elif code == WAKE:
            self._switch(track, t, Segment(t, t, READY))
            if a != tid:
                track.wakers[a] += 1
                self.flows.append(Flow(t, a, tid))
        elif code == EXIT and ENDINGS[a] == "cancelled":  # never ran: ended by its killer
            track.outcome = ENDINGS[a]
            self._switch(track, t, None)
            track.exited = t
        elif code in (BLOCK, YIELD, EXIT):
            self._run_until(track, t)
            self._boundary = t
            if code == BLOCK:
                reason = WAIT_REASONS[a - 1] if a else BLOCKED
                self._open[tid] = Segment(t, t, reason, texts[b])
            elif code == YIELD:
                self._open[tid] = Segment(t, t, READY)
                track.yields += 1
            else:
                track.outcome, track.exited = ENDINGS[a], t

    def _switch(self, track: Track, t: int, segment: Segment | None) -> None:
        """Close the thread's current segment at `t` and open `segment` (None: it ended). A
        thread first seen here was blocked, for all the recording knows."""
        current = self._open.pop(track.tid, None)
        if current is None and track.spawned is None:
            current = Segment(self.start, t, BLOCKED)
        if current is not None and t > current.start:
            current.end = t
            track.segments.append(current)
        if segment is not None:
            self._open[track.tid] = segment

    def _run_until(self, track: Track, t: int) -> None:
        """A run slice of the thread ends at `t`: it began where the hub last came free (or
        when the thread became ready, if later)."""
        current = self._open.pop(track.tid, None)
        if current is None:
            began = max(self._boundary, self.start)
            if track.spawned is None and not track.segments and began > self.start:
                track.segments.append(Segment(self.start, began, BLOCKED))
        else:
            began = max(self._boundary, current.start)
            if began > current.start:
                current.end = began
                track.segments.append(current)
        if t > began:
            track.segments.append(Segment(began, t, RUN))

    def _carve_ticks(self, root: Track) -> None:
        """Inside a kernel-driven pass the root only lends its turn to the hub: show it as tick."""
        if not self.ticks:
            return
        carved: list[Segment] = []
        ticks = sorted(self.ticks)
        for segment in root.segments:
            if segment.state != RUN:
                carved.append(segment)
                continue
            cursor = segment.start
            for start, end in ticks:
                if end <= cursor or start >= segment.end:
                    continue
                if start > cursor:
                    carved.append(Segment(cursor, start, RUN))
                carved.append(Segment(max(start, cursor), min(end, segment.end), "tick"))
                cursor = min(end, segment.end)
            if cursor < segment.end:
                carved.append(Segment(cursor, segment.end, RUN))
        root.segments = carved


class Tail:
    """The last `seconds` of a recording that goes on (its `most` last events at most), read as
    Timeline reads a Recorder: taken on the hub's thread (a copy), replayed anywhere (a
    dashboard draws it on another thread)."""

    def __init__(self, recorder: Any, seconds: float, most: int | None = None) -> None:
        now = perf_counter_ns()
        cut = max(now - int(seconds * 1e9), recorder.started or now)
        kept = []
        for event in islice(reversed(recorder.events), most):
            if event[0] < cut:
                break
            kept.append(event)
        kept.reverse()
        self.events = kept
        self.started, self.stopped, self.stopper = cut, now, HUB
        self.dropped = recorder.total - len(kept)
        self.names, self.parents = dict(recorder.names), dict(recorder.parents)
        self.sites, self.cells = dict(recorder.sites), dict(recorder.cells)
        self.errors, self.texts = dict(recorder.errors), list(recorder.texts)
