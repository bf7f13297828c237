"""One palette for every view of the scheduler: timelines, trace files, tables, dashboards.

A green thread is always in exactly one state: running, ready (woken, waiting for the hub) or
blocked for a reason. Each state has one colour; ended threads are marked by how they ended.
"""

from __future__ import annotations

RUN, READY = "run", "ready"

WAIT_REASONS = ("sleep", "io-read", "io-write", "event", "queue-get", "queue-put", "lock",
                "join", "tpool", "future")
"""Why a green thread waits, as the hub's wait path names it."""

BLOCKED = "blocked"
"""A wait whose reason the recording did not see begin (it started before recording)."""

STATES = (RUN, READY, *WAIT_REASONS, BLOCKED)

COLOURS = {
    RUN: "#2ca02c",        # green: doing work
    READY: "#ffb000",      # amber: could run, waits for the hub
    "sleep": "#c6dbef",
    "io-read": "#6baed6",
    "io-write": "#2171b5",
    "event": "#c9b3e6",
    "queue-get": "#9e9ac8",
    "queue-put": "#6a51a3",
    "lock": "#e6550d",
    "join": "#d9d9d9",
    "tpool": "#8c6d31",
    "future": "#e7969c",
    BLOCKED: "#bdbdbd",
    "poll": "#f0f0f0",     # the hub waiting for I/O
    "tick": "#756bb1",     # a pass driven by the kernel's loop
}

OUTCOME_COLOURS = {"done": "#2ca02c", "failed": "#d62728", "killed": "#7f7f7f",
                   "cancelled": "#7f7f7f"}
"""How a thread ended, as tqdm.notebook shows it: green done, red failed."""


def colour(state: str) -> str:
    """The colour of a state (a wait reason the palette does not know is drawn as blocked)."""
    return COLOURS.get(state, COLOURS[BLOCKED])
