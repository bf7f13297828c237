"""A recording replayed into per-thread timelines: back-to-back segments of run, ready and waits.

Every green thread is in exactly one state at any instant, so its segments never overlap and
add up to the time it was observed: from its spawn (or the start of the recording) to its exit
(or the end). A thread first seen in the middle of something is given the state its first event
implies (one that blocks was running; one that runs was ready; one that is woken was blocked).
The root's time inside kernel-driven passes is shown as `tick`: the kernel lent the hub its turn.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from time import perf_counter_ns
from typing import Any

from .palette import BLOCKED, READY, RUN, WAIT_REASONS
from .recorder import BLOCK, EXIT, HUB, MARK, OUTCOMES, POLL, RESUME, ROOT, SPAWN, TICK, WAKE

_BEFORE_FIRST = {RESUME: READY, BLOCK: RUN, WAKE: BLOCKED, EXIT: RUN}
"""The state a thread first seen through an event must have been in just before it."""


@dataclass
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
    """sleep(0) calls: waits it was woken from by itself at once."""

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
        if events and self.dropped:
            self.start = events[0][0]  # what came before the oldest kept event is lost
        texts = self._recorder.texts
        for t, code, tid, a, b in events:
            if code == POLL:
                self.polls.append((t, a, b))
            elif code == TICK:
                self.ticks.append((t, a))
            elif code == MARK:
                self.marks.append((t, texts[a]))
            elif tid != HUB:
                self._thread_event(t, code, tid, a, b, texts)
        for tid, segment in self._open.items():
            end = self.tracks[tid].exited or self.end
            if end > segment.start:
                segment.end = end
                self.tracks[tid].segments.append(segment)
        self._open = {}
        if ROOT in self.tracks:
            self._carve_ticks(self.tracks[ROOT])

    def _track(self, tid: int) -> Track:
        track = self.tracks.get(tid)
        if track is None:
            rec = self._recorder
            track = self.tracks[tid] = Track(
                tid, rec.names.get(tid, f"#{tid}"), rec.parents.get(tid), rec.sites.get(tid, ""),
                rec.cells.get(tid, ""), error=rec.errors.get(tid, ""))
        return track

    def _thread_event(self, t: int, code: int, tid: int, a: int, b: int, texts: list) -> None:
        track = self._track(tid)
        if code == SPAWN:
            track.spawned = t
            self._open[tid] = Segment(t, t, READY)
        elif code == RESUME:
            self._enter(track, t, code, Segment(t, t, RUN))
        elif code == BLOCK:
            reason = WAIT_REASONS[a - 1] if a else BLOCKED
            self._enter(track, t, code, Segment(t, t, reason, texts[b]))
        elif code == WAKE:
            self._enter(track, t, code, Segment(t, t, READY))
            if a == tid:
                track.yields += 1
            else:
                track.wakers[a] += 1
                self.flows.append(Flow(t, a, tid))
        elif code == EXIT:
            track.outcome = OUTCOMES[a]
            self._enter(track, t, code, None)
            track.exited = t

    def _enter(self, track: Track, t: int, code: int, segment: Segment | None) -> None:
        """Close the thread's current segment at `t` and open `segment` (None: it ended)."""
        current = self._open.pop(track.tid, None)
        if current is None and t > self.start and track.spawned is None:
            current = Segment(self.start, t, _BEFORE_FIRST[code])
        if current is not None and t > current.start:
            current.end = t
            track.segments.append(current)
        if segment is not None:
            self._open[track.tid] = segment

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
