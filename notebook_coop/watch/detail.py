"""One green thread up close: its stack, its place in the spawn tree, and from a recording its
run slices, how long it waited for the hub once ready, and who woke it how often.

    print(thread_detail(gt, live_threads()))
    print(track_detail(timeline.tracks[gt.id], timeline))
"""

from __future__ import annotations

from typing import Any

from ..greenthread import GreenThread
from . import origin
from .runinfo import stack_of, state_of

BUCKETS = ((1e4, "<10 µs"), (1e5, "<100 µs"), (1e6, "<1 ms"), (1e7, "<10 ms"),
           (1e8, "<100 ms"), (float("inf"), ">=100 ms"))
"""Histogram bins, in ns."""

BAR = 30
"""Characters of the longest histogram bar."""


def thread_detail(gt: GreenThread, live: list[GreenThread]) -> str:
    """Its state, cell and spawn site, its ancestors and children, and its stack now."""
    lines = [f"{gt.label} (#{gt.id}): {state_of(gt)}"]
    where = ", ".join(filter(None, [origin.cell_of(gt), origin.format_site(gt.spawn_site)]))
    if where:
        lines.append(f"spawned in {where}")
    lines.append("spawn tree: " + " > ".join(_ancestors(gt)))
    children = [t.label for t in live if t.parent is gt]
    if children:
        more = f" and {len(children) - 10} more" if len(children) > 10 else ""
        lines.append(f"children: {', '.join(children[:10])}{more}")
    if gt.exception is not None and gt.outcome == "failed":
        lines.append(f"error: {type(gt.exception).__name__}: {gt.exception}")
    stack = stack_of(gt) if not gt.dead else []
    if stack:
        lines.append("stack (innermost last):")
        lines += [text.rstrip() for entry in stack for text in entry.rstrip().split("\n")]
    return "\n".join(lines)


def _ancestors(gt: GreenThread) -> list[str]:
    chain, node = [], gt
    while isinstance(node, GreenThread) and len(chain) < 20:
        chain.append(node.label)
        node = node.parent
    return ["root", *reversed(chain)]


def track_detail(track: Any, names: dict[int, str]) -> str:
    """A recorded thread's slice and ready-latency histograms and its wakers."""
    if track is None:
        return "not seen in the recording's last seconds"
    lines = ["run slices:", *histogram(track.slices),
             "ready -> running (waits for the hub):", *histogram(track.ready_latencies)]
    if track.wakers:
        woken = ", ".join(f"{names.get(tid, f'#{tid}')} {count}x"
                          for tid, count in track.wakers.most_common(8))
        lines.append(f"woken by: {woken}")
    return "\n".join(lines)


def histogram(values_ns: list[int]) -> list[str]:
    """Counts per decade as text bars; `(none)` for no values."""
    if not values_ns:
        return ["  (none)"]
    counts = [0] * len(BUCKETS)
    for value in values_ns:
        counts[next(i for i, (edge, _) in enumerate(BUCKETS) if value < edge)] += 1
    most = max(counts)
    return [f"  {name:>9} {'█' * max(1, round(BAR * n / most))} {n}"
            for (_, name), n in zip(BUCKETS, counts, strict=True) if n]
