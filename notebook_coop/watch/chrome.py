"""Export a recording in the Trace Event Format, for Perfetto (ui.perfetto.dev) and
chrome://tracing.

One track per green thread (and the root, the hub's I/O waits and the kernel's passes), each a
row of back-to-back slices named for the state (run, ready, or the wait reason) with what it
waited on and its cell in `args`; a counter of threads ready to run; flow arrows from the thread
that woke another to the one it woke; marks as instant events. Times are microseconds since the
recording started.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .palette import READY
from .recorder import HUB, ROOT
from .timeline import Timeline, Track

PID = 1
_ROOT_TID, _HUB_TID, _TICK_TID, _FIRST_THREAD_TID = 1, 2, 3, 10


def trace_tid(tid: int) -> int:
    """Our thread id (ROOT, HUB or a green thread's id) as a trace tid."""
    return {ROOT: _ROOT_TID, HUB: _HUB_TID}.get(tid, tid + _FIRST_THREAD_TID)


def chrome_trace(timeline: Timeline, path: Any = None) -> dict:
    """The trace as a dict (`traceEvents` and more); also written to `path` as JSON if given."""
    start = timeline.start

    def us(ns: int) -> float:
        return (ns - start) / 1000

    events: list[dict] = [_meta("process_name", 0, "notebook_coop hub")]
    for index, track in enumerate(timeline.ordered()):
        events += _track_events(track, index, us)
    events += _hub_events(timeline, us)
    events += _ready_counter(timeline, us)
    events += _flows(timeline, us)
    events += [{"ph": "i", "s": "g", "pid": PID, "tid": _ROOT_TID, "ts": us(t), "name": text}
               for t, text in timeline.marks]
    trace = {"traceEvents": events, "displayTimeUnit": "ms",
             "otherData": {"dropped_events": timeline.dropped}}
    if path is not None:
        Path(path).write_text(json.dumps(trace))
    return trace


def _meta(name: str, tid: int, value: Any, key: str = "name") -> dict:
    return {"ph": "M", "pid": PID, "tid": tid, "name": name, "args": {key: value}}


def _track_events(track: Track, index: int, us: Any) -> list[dict]:
    tid = trace_tid(track.tid)
    label = track.name if track.tid <= 0 else f"{track.name} (#{track.tid})"
    events = [_meta("thread_name", tid, label),
              _meta("thread_sort_index", tid, index, "sort_index")]
    for s in track.segments:
        args = {"on": s.on} if s.on else {}
        if track.cell:
            args["cell"] = track.cell
        events.append({"ph": "X", "pid": PID, "tid": tid, "ts": us(s.start),
                       "dur": s.length / 1000, "name": s.state, "cat": "state", "args": args})
    if track.exited is not None:
        end = {"ph": "i", "s": "t", "pid": PID, "tid": tid, "ts": us(track.exited),
               "name": track.outcome or "exited"}
        if track.error:
            end["args"] = {"error": track.error}
        events.append(end)
    return events


def _hub_events(timeline: Timeline, us: Any) -> list[dict]:
    events = []
    if timeline.polls:
        events += [_meta("thread_name", _HUB_TID, "hub: waits for I/O"),
                   _meta("thread_sort_index", _HUB_TID, -2, "sort_index")]
        events += [{"ph": "X", "pid": PID, "tid": _HUB_TID, "ts": us(s), "dur": (e - s) / 1000,
                    "name": "poll", "cat": "hub", "args": {"fds woken": n}}
                   for s, e, n in timeline.polls]
    if timeline.ticks:
        events += [_meta("thread_name", _TICK_TID, "kernel-driven passes"),
                   _meta("thread_sort_index", _TICK_TID, -1, "sort_index")]
        events += [{"ph": "X", "pid": PID, "tid": _TICK_TID, "ts": us(s), "dur": (e - s) / 1000,
                    "name": "tick", "cat": "hub"} for s, e in timeline.ticks]
    return events


def _ready_counter(timeline: Timeline, us: Any) -> list[dict]:
    """How many threads were ready (woken, waiting for the hub) over time."""
    steps = []
    for track in timeline.tracks.values():
        for s in track.segments:
            if s.state == READY:
                steps += [(s.start, 1), (s.end, -1)]
    steps.sort()
    events, count = [], 0
    for t, step in steps:
        count += step
        events.append({"ph": "C", "pid": PID, "ts": us(t), "name": "ready threads",
                       "args": {"ready": count}})
    return events


def _flows(timeline: Timeline, us: Any) -> list[dict]:
    """An arrow from the waker's slice to the woken thread's ready slice, per wake-up."""
    events = []
    for number, flow in enumerate(timeline.flows, 1):
        if flow.waker not in timeline.tracks or flow.woken not in timeline.tracks:
            continue  # woken by the hub itself (a timer, I/O) or by a thread not recorded
        common = {"pid": PID, "ts": us(flow.t), "name": "wake", "cat": "wake", "id": number}
        events.append({**common, "ph": "s", "tid": trace_tid(flow.waker)})
        events.append({**common, "ph": "f", "bp": "e", "tid": trace_tid(flow.woken)})
    return events
