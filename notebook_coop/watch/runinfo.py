"""Run info: the spawn tree of the live green threads, what each waits on, and its stack.

    print(format_run_info())

    root: running
    ├── fetch#3: blocked on queue-get Queue#1 (0/10)  [In[4], spawned at In[4]:7]
    │     File "<In[4]>", line 9, in fetch
    │       item = jobs.get()
    └── worker#5 ×3 (worker#5, worker#6, worker#7): blocked on sleep
          ...

Threads whose state, wait and stack are the same are shown once with a count. Stacks show the
user's frames, not notebook_coop's own; lints follow the tree.
"""

from __future__ import annotations

import sys
import traceback
from collections import defaultdict
from typing import Any

from ..frames import is_library
from ..greenthread import GreenThread
from ..hub import get_hub
from . import origin
from .describe import describe
from .lints import live_lints


def state_of(gt: GreenThread) -> str:
    """`running`, `ready`, `blocked on queue-get Queue#1 (0/10)`, `not started`, or how it
    ended (done, failed, killed, cancelled)."""
    if gt.dead:
        return gt.outcome
    if gt.greenlet is None:
        return "not started"
    state = gt.state
    if state.startswith("blocked"):
        on = describe(gt.waiting_on)
        return f"blocked on {gt.reason}" + (f" {on}" if on else "")
    return state


def stack_of(gt: Any) -> list[str]:
    """The user's frames of a thread (or greenlet) as formatted traceback lines, innermost
    last: the running one's from here, a suspended one's from where it switched out."""
    g = gt.greenlet if isinstance(gt, GreenThread) else gt
    if g is None:
        return []
    from greenlet import getcurrent

    frame = sys._getframe(1) if g is getcurrent() else g.gr_frame
    frames = []
    while frame is not None:
        if not is_library(frame.f_code):
            frames.append((frame, frame.f_lineno))
        frame = frame.f_back
    summary = traceback.StackSummary.extract(reversed(frames), lookup_lines=True)
    for entry in summary:
        entry.filename = origin.short_file(entry.filename)
    return summary.format()


def format_run_info(stacks: bool = True, tree: bool = True, lints: bool = True) -> str:
    """The live green threads as text: a spawn tree (or a flat list), each with its state, what
    it waits on, its cell and spawn site, its stack; then the lints."""
    hub = get_hub()
    threads = hub.live_threads()
    root_state = f"blocked on {hub.root.reason}" if hub.root_blocked else "running"
    lines = [f"root: {root_state}"]
    children = _children(threads) if tree else {None: threads}
    _render(children, None, "", stacks, lines)
    if not threads:
        lines.append("(no live green threads)")
    if lints:
        lines += [f"! {sentence}" for sentence in live_lints(threads)]
    return "\n".join(lines)


def _children(threads: list[GreenThread]) -> dict[Any, list[GreenThread]]:
    """Live threads by their live parent (None: the root, or a parent that has ended)."""
    live = set(threads)
    tree: dict[Any, list[GreenThread]] = defaultdict(list)
    for gt in threads:
        parent = gt.parent if gt.parent in live else None
        tree[parent].append(gt)
    return tree


def _render(tree: dict, parent: Any, indent: str, stacks: bool, lines: list[str]) -> None:
    groups = _collapse(tree.get(parent, []), stacks)
    for i, (members, stack) in enumerate(groups):
        last = i == len(groups) - 1
        first = members[0]
        count = f" ×{len(members)} ({', '.join(m.label for m in members[:5])}" \
            f"{', ...' if len(members) > 5 else ''})" if len(members) > 1 else ""
        where = ", ".join(filter(None, [origin.cell_of(first)]))
        lines.append(f"{indent}{'└── ' if last else '├── '}{first.label}{count}: "
                     f"{state_of(first)}" + (f"  [{where}]" if where else ""))
        inner = indent + ("    " if last else "│   ")
        lines += [inner + "  " + text for entry in stack for text in entry.rstrip().split("\n")]
        for member in members:
            _render(tree, member, inner, stacks, lines)


def _collapse(threads: list[GreenThread], stacks: bool) -> list[tuple[list, list[str]]]:
    """Siblings in the same state with the same stack (and no children), as one entry each."""
    groups: dict[tuple, list[GreenThread]] = {}
    order: list[tuple] = []
    for gt in threads:
        stack = stack_of(gt) if stacks else []
        key = (gt.func, gt.reason, tuple(stack)) if gt.greenlet is not None else (id(gt),)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(gt)
    return [(groups[key], list(key[2]) if len(key) == 3 else []) for key in order]
