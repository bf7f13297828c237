"""Timelines of a recording with matplotlib: a row per green thread, coloured by state.

    rec.plot()                      # the root, the hub's waits for I/O, then each thread
    compare(rec_unpatched, rec_patched, titles=("time.sleep", "patched"))

Run is green, ready amber, each wait reason its own colour (palette.py); a tick at the left
of a row marks its spawn, a dot its end (red cross: it failed; grey cross: killed). Run and
ready segments too short to see are widened to about a pixel and drawn over the waits. Past
`max_rows` threads, rows are grouped by name (`worker[3]` and `fetch#12` join `worker` and
`fetch`) and each group's row shows how many of its threads were in each state.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from functools import cache
from typing import Any

from .palette import BLOCKED, OUTCOME_COLOURS, READY, RUN, WAIT_REASONS, colour
from .timeline import Timeline, Track

MAX_ROWS = 200
"""Above this many threads, rows are grouped by name."""

GROUP_BINS = 400
"""Time bins of a grouped row's state mix."""

THINNEST = 1 / 800
"""Run and ready segments are drawn at least this share of the time axis wide (about a pixel):
a 20 µs beat in a recording of seconds would otherwise vanish from the picture."""

_STATE_ORDER = (RUN, READY, *WAIT_REASONS, BLOCKED, "tick")
_SUFFIX = re.compile(r"(\[\d+\]|#\d+|\d+)$")


def group_key(name: str) -> str:
    """The name a thread's row is grouped under: its name without a trailing index or id."""
    return _SUFFIX.sub("", name) or name


def timeline_figure(timeline: Timeline, max_rows: int = MAX_ROWS, title: str | None = None,
                    width: float = 10.0) -> Any:
    """A Figure of `timeline` (see the module docstring)."""
    fig = _new_figure(width, _height(_row_count(timeline, max_rows)))
    ax = fig.add_subplot()
    draw(ax, timeline, max_rows)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    fig.tight_layout()
    return fig


def compare(a: Any, b: Any, titles: tuple[str, str] = ("first", "second"),
            max_rows: int = MAX_ROWS, width: float = 10.0) -> Any:
    """Two recordings (Recorders or Timelines) one above the other on a shared time axis."""
    timelines = [_as_timeline(x) for x in (a, b)]
    rows = [_row_count(t, max_rows) for t in timelines]
    fig = _new_figure(width, _height(rows[0]) + _height(rows[1]) - 0.6)
    axes = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [r + 1 for r in rows]})
    for ax, timeline, title in zip(axes, timelines, titles, strict=True):
        draw(ax, timeline, max_rows)
        ax.set_title(f"{title}: {timeline.span * 1e-9:.3g} s", loc="left", fontsize=10)
    axes[0].set_xlabel("")
    axes[0].set_xlim(0, max(t.span for t in timelines) * 1e-9)
    fig.tight_layout()
    return fig


def _as_timeline(x: Any) -> Timeline:
    return x if isinstance(x, Timeline) else x.timeline()


def _new_figure(width: float, height: float) -> Any:
    return _figure_class()(figsize=(width, height))


@cache
def _figure_class() -> type:
    """A matplotlib Figure that Jupyter shows as a PNG whatever the backend, made outside
    pyplot so that it is shown once (where it is returned or displayed), not at every cell end."""
    from matplotlib.figure import Figure

    class TimelineFigure(Figure):
        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
            return buffer.getvalue()

    return TimelineFigure


def _height(rows: int) -> float:
    return min(0.9 + 0.28 * (rows + 1), 14.0)


def _row_count(timeline: Timeline, max_rows: int) -> int:
    threads = timeline.threads()
    if len(threads) > max_rows:
        threads = {group_key(t.name) for t in threads}
    return len(threads) + (1 if timeline.polls else 0) + (1 if 0 in timeline.tracks else 0)


def draw(ax: Any, timeline: Timeline, max_rows: int = MAX_ROWS, legend: bool = True) -> None:
    """Draw `timeline` on the matplotlib Axes `ax`: one row per thread (or group), top down."""
    origin = timeline.start
    labels: list[str] = []
    spans: dict[str, list] = defaultdict(list)
    if 0 in timeline.tracks:
        _add_track(spans, timeline.tracks[0], len(labels), origin)
        labels.append("root")
    if timeline.polls:
        spans["poll"] += [(len(labels), (s - origin) * 1e-9, (e - s) * 1e-9)
                          for s, e, _ in timeline.polls]
        labels.append("hub: waits for I/O")
    threads = timeline.threads()
    grouped = len(threads) > max_rows
    if grouped:
        _draw_groups(ax, timeline, threads, labels)
    else:
        for track in threads:
            _add_track(spans, track, len(labels), origin)
            labels.append(_row_label(track))
        _draw_ends(ax, threads, len(labels) - len(threads), origin)
    _draw_spans(ax, spans, timeline.span * 1e-9 * THINNEST)
    _draw_marks(ax, timeline, origin)
    _finish_axes(ax, timeline, labels, spans, grouped, legend)


def _row_label(track: Track) -> str:
    return track.name if len(track.name) <= 24 else track.name[:23] + "…"


def _add_track(spans: dict, track: Track, row: int, origin: int) -> None:
    for s in track.segments:
        spans[s.state].append((row, (s.start - origin) * 1e-9, s.length * 1e-9))


def _draw_spans(ax: Any, spans: dict, thinnest: float) -> None:
    """One collection of rectangles per state: fast for hundreds of thousands of segments.
    Run and ready rectangles are at least `thinnest` wide, on top of the others."""
    import numpy as np
    from matplotlib.collections import PolyCollection

    for state, items in spans.items():
        if not items:
            continue
        data = np.asarray(items, dtype=float)
        row, x, w = data[:, 0], data[:, 1], data[:, 2]
        visible = state in (RUN, READY)
        if visible:
            w = np.maximum(w, thinnest)
        y0, y1 = row - 0.4, row + 0.4
        verts = np.stack([np.stack([x, y0], 1), np.stack([x + w, y0], 1),
                          np.stack([x + w, y1], 1), np.stack([x, y1], 1)], axis=1)
        ax.add_collection(PolyCollection(verts, facecolors=colour(state), edgecolors="none",
                                         linewidths=0, zorder=2 if visible else 1))


def _draw_ends(ax: Any, threads: list[Track], first_row: int, origin: int) -> None:
    """A tick where each thread was spawned, a mark where it ended (by how it ended)."""
    spawns = [((t.spawned - origin) * 1e-9, first_row + i)
              for i, t in enumerate(threads) if t.spawned is not None]
    if spawns:
        xs, ys = zip(*spawns, strict=True)
        ax.scatter(xs, ys, marker="|", s=60, color="#333333", linewidths=1, zorder=3)
    for outcome, marker in (("done", "o"), ("failed", "X"), ("killed", "X"),
                            ("cancelled", "x")):
        ends = [((t.exited - origin) * 1e-9, first_row + i)
                for i, t in enumerate(threads) if t.exited is not None and t.outcome == outcome]
        if ends:
            xs, ys = zip(*ends, strict=True)
            size = 14 if outcome == "done" else 50
            ax.scatter(xs, ys, marker=marker, s=size, color=OUTCOME_COLOURS[outcome],
                       zorder=4, label=outcome if outcome != "done" else None)


def _draw_groups(ax: Any, timeline: Timeline, threads: list[Track], labels: list[str]) -> None:
    """Each group's row as stacked bands: the share of its threads in each state over time."""
    import numpy as np

    groups: dict[str, list[Track]] = defaultdict(list)
    for track in threads:
        groups[group_key(track.name)].append(track)
    edges = np.linspace(timeline.start, timeline.end, GROUP_BINS + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    xs = (centres - timeline.start) * 1e-9
    for name, members in groups.items():
        row = len(labels)
        shares = _state_shares(members, edges)
        base = np.full(len(xs), row - 0.4)
        for state in _STATE_ORDER:
            share = shares.get(state)
            if share is None:
                continue
            top = base + 0.8 * share / len(members)
            ax.fill_between(xs, base, top, step="mid", color=colour(state), linewidth=0)
            base = top
        labels.append(f"{name} ×{len(members)}")


def _state_shares(members: list[Track], edges: Any) -> dict[str, Any]:
    """Per state: thread-seconds spent in it within each bin, divided by the bin's width."""
    import numpy as np

    segments = [s for track in members for s in track.segments]
    count = len(segments)
    starts = np.fromiter((s.start for s in segments), float, count)
    ends = np.fromiter((s.end for s in segments), float, count)
    codes = {state: i for i, state in enumerate(_STATE_ORDER)}
    kinds = np.fromiter((codes.get(s.state, -1) for s in segments), int, count)
    width = edges[1] - edges[0]
    shares = {}
    for state, code in codes.items():
        mine = kinds == code
        if mine.any():
            covered = (_integral(np.sort(starts[mine]), edges)
                       - _integral(np.sort(ends[mine]), edges))
            shares[state] = np.diff(covered) / width
    return shares


def _integral(points: Any, edges: Any) -> Any:
    """sum over p in points of max(0, x - p), at each x in edges (points sorted)."""
    import numpy as np

    count = np.searchsorted(points, edges, side="right")
    before = np.concatenate([[0.0], np.cumsum(points)])[count]
    return count * edges - before


def _draw_marks(ax: Any, timeline: Timeline, origin: int) -> None:
    for t, text in timeline.marks:
        x = (t - origin) * 1e-9
        ax.axvline(x, color="#555555", linewidth=0.8, linestyle=":")
        ax.annotate(text, (x, 1.0), xycoords=("data", "axes fraction"), fontsize=7,
                    rotation=90, va="top", ha="right", color="#555555")


def _finish_axes(ax: Any, timeline: Timeline, labels: list[str], spans: dict, grouped: bool,
                 legend: bool) -> None:
    from matplotlib.patches import Patch

    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, max(timeline.span * 1e-9, 1e-6))
    ax.set_yticks(range(len(labels)), labels, fontsize=8 if len(labels) < 40 else 6)
    ax.set_xlabel("seconds since the recording started")
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if legend:
        present = [s for s in (*_STATE_ORDER, "poll") if spans.get(s)] if not grouped else \
            [RUN, READY, *WAIT_REASONS]
        handles = [Patch(color=colour(s), label=s) for s in present]
        handles += [h for h in ax.get_legend_handles_labels()[0] if not isinstance(h, Patch)]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
                  frameon=False)
