"""Per-thread columns of a recording, Go-style: where each thread's time went, without overlap.

`rows(timeline)` gives plain dicts (times in seconds); `Summary` shows them as a table, HTML in
Jupyter and text elsewhere. Run, ready and the waits add up to the time each thread was seen.
"""

from __future__ import annotations

import html
from typing import Any

from .palette import BLOCKED, OUTCOME_COLOURS, READY, RUN, WAIT_REASONS, colour
from .timeline import Timeline, Track

NS = 1e-9


def percentile(values: list[int], q: float) -> int:
    """The nearest-rank q-quantile (0 < q <= 1) of `values`, 0 for none."""
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def row(track: Track, timeline: Timeline) -> dict[str, Any]:
    """One thread's figures as a plain dict (seconds, counts and strings)."""
    slices, latencies = track.slices, track.ready_latencies
    waits = {reason: track.time_in(reason) * NS for reason in (*WAIT_REASONS, BLOCKED)}
    seen_from = track.spawned or timeline.start
    return {
        "id": track.tid, "name": track.name, "state": track.outcome or "live",
        "error": track.error, "parent": track.parent, "site": track.site, "cell": track.cell,
        "seen": ((track.exited or timeline.end) - seen_from) * NS,
        "run": track.time_in(RUN) * NS, "ready": track.time_in(READY) * NS,
        "blocked": sum(waits.values()),
        **{f"blocked_{reason}": seconds for reason, seconds in waits.items()},
        "slices": len(slices), "longest_slice": max(slices, default=0) * NS,
        "slice_p50": percentile(slices, 0.5) * NS, "slice_p99": percentile(slices, 0.99) * NS,
        "ready_p50": percentile(latencies, 0.5) * NS,
        "ready_p99": percentile(latencies, 0.99) * NS,
        "woken_by": dict(track.wakers),
    }


def rows(timeline: Timeline) -> list[dict[str, Any]]:
    """A dict per green thread (and the root, if it did anything), in track order."""
    return [row(track, timeline) for track in timeline.ordered()]


_COLUMNS = (("id", "id"), ("name", "name"), ("state", "state"), ("run", "run"),
            ("ready", "ready"), ("blocked", "blocked"), ("slices", "slices"),
            ("longest_slice", "longest"), ("slice_p99", "slice p99"),
            ("ready_p99", "ready p99"), ("waits", "waits"))


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.3f} s"


def _cells(r: dict[str, Any]) -> dict[str, str]:
    waits = sorted(((k[8:], v) for k, v in r.items() if k.startswith("blocked_") and v),
                   key=lambda kv: -kv[1])
    state = r["state"] + (f" ({r['error']})" if r["error"] else "")
    return {"id": str(r["id"]), "name": r["name"], "state": state, "run": _ms(r["run"]),
            "ready": _ms(r["ready"]), "blocked": _ms(r["blocked"]), "slices": str(r["slices"]),
            "longest_slice": _ms(r["longest_slice"]), "slice_p99": _ms(r["slice_p99"]),
            "ready_p99": _ms(r["ready_p99"]),
            "waits": ", ".join(f"{reason} {_ms(seconds)}" for reason, seconds in waits)}


class Summary:
    """A recording's per-thread table: `print()` it, or let Jupyter display it as HTML."""

    def __init__(self, timeline: Timeline, lints: list[str] | None = None) -> None:
        self.timeline = timeline
        self.rows = rows(timeline)
        self.lints = lints or []

    def _head(self) -> str:
        span = self.timeline.span * NS
        dropped = f", {self.timeline.dropped} events dropped" if self.timeline.dropped else ""
        return f"{len(self.timeline.threads())} green threads over {_ms(span)}{dropped}"

    def __str__(self) -> str:
        table = [[title for _, title in _COLUMNS]]
        table += [[_cells(r)[key] for key, _ in _COLUMNS] for r in self.rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
                 .rstrip() for line in table]
        return "\n".join([self._head(), *lines, *self.lints])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(title)}</th>" for _, title in _COLUMNS)
        body = "".join(self._html_row(r) for r in self.rows)
        lints = "".join(f"<li>{html.escape(lint)}</li>" for lint in self.lints)
        return (f"<div><p>{html.escape(self._head())}</p><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>" + (f"<ul>{lints}</ul>" if lints else "")
                + "</div>")

    @staticmethod
    def _html_row(r: dict[str, Any]) -> str:
        cells = _cells(r)
        out = []
        for key, _ in _COLUMNS:
            style = ""
            if key == "state":
                style = f' style="color:{OUTCOME_COLOURS.get(r["state"], "inherit")}"'
            elif key in (RUN, READY):
                style = f' style="border-left:4px solid {colour(key)}"'
            out.append(f"<td{style}>{html.escape(cells[key])}</td>")
        return "<tr>" + "".join(out) + "</tr>"
