"""The blocking detector's reports in the notebook: in the culprit's cell, while it happens.

The hub's thread is the one that is stuck, so the reports travel from the watchdog's thread
straight through the kernel's IOPub channel (thread-safe in ipykernel), with the parent header of
the culprit's cell: the cell that spawned the green thread (read from the thread's contextvars,
never entered from here), or the running cell when the cell itself holds the hub. A report is a
display that says who holds the hub, for how long so far, its current line, where it was spawned
and that the stop button raises KeyboardInterrupt in it; it is updated in place while the block
lasts, and becomes one line with the total once the culprit yields. Later blocks at the same
place update that line with a count. A %%greenspawn status line of the culprit says it too.
"""

from __future__ import annotations

import sys
import weakref
from typing import Any

from ..watch.monitor import BlockReport, function_name
from .tracebacks import where

__all__ = ["CellReports", "describe", "publish", "status_lines"]

MAX_SHOWN = 1000
"""Display ids remembered (to update rather than show again); the oldest are forgotten."""

status_lines: weakref.WeakSet = weakref.WeakSet()
"""The %%greenspawn status lines still running (magics.SpawnStatus): a block by one of their
threads is noted in them, since their own refresh waits for the hub."""


def publish(kernel: Any, parent: dict, msg_type: str, content: dict) -> None:
    """Send an IOPub message for the cell of `parent`, from any thread."""
    kernel.session.send(kernel.iopub_socket, msg_type, content, parent=parent,
                        ident=msg_type.encode())


def show_text(kernel: Any, parent: dict, text: str, display_id: str, update: bool) -> None:
    """Display `text` in the cell of `parent` under `display_id`, or update that display."""
    content = {"data": {"text/plain": text}, "metadata": {},
               "transient": {"display_id": display_id}}
    publish(kernel, parent, "update_display_data" if update else "display_data", content)


class CellReports:
    """A monitor subscriber that shows each report in the culprit's cell (see module doc)."""

    def __init__(self, shell: Any, driver: Any) -> None:
        self.shell, self.driver = shell, driver
        self.kernel = getattr(shell, "kernel", None)
        self._shown: dict[str, None] = {}
        """Display ids shown, oldest first."""
        self._root_cells: dict[int, dict | None] = {}
        """Blocks by the cell itself that are still going on -> the cell they began in."""
        self.after_block = 0
        """Only blocks numbered above this are shown (those before began while off)."""

    def prepare_thread(self) -> None:
        """On the watchdog's thread as it starts: open its IOPub event pipe now (ipykernel
        keeps one per sending thread), so the first report opens no descriptor later."""
        io_thread = getattr(getattr(self.kernel, "iopub_socket", None), "io_thread", None)
        if io_thread is not None and io_thread.thread.is_alive():
            getattr(io_thread, "_event_pipe", None)

    def __call__(self, report: BlockReport) -> None:
        if report.block <= self.after_block:
            return  # it began while the reports were off: no half story
        text = describe(self.shell, report)
        if self.kernel is None:  # terminal IPython: the terminal is the cell
            if not report.collapsed:
                sys.__stderr__.write(text + "\n")
            return
        parent = self._cell_of(report)
        if parent:
            display_id = f"notebook_coop-block-{report.first_block}-{parent['header']['msg_id']}"
            show_text(self.kernel, parent, text, display_id, update=display_id in self._shown)
            self._remember(display_id)
        if report.thread is not None:
            self._note_in_status_lines(report)

    def _cell_of(self, report: BlockReport) -> dict | None:
        """The parent message of the culprit's cell, or None if it has none. The cell itself
        is the one running when its block began (it may have finished when the block ends)."""
        if report.thread is None:
            if report.ended:
                return self._root_cells.pop(report.block, None) or self.driver.running_request()
            return self._root_cells.setdefault(report.block, self.driver.running_request())
        var = getattr(self.kernel, "_shell_parent", None)
        return report.thread.context.get(var) if var is not None else None

    def _remember(self, display_id: str) -> None:
        self._shown[display_id] = None
        if len(self._shown) > MAX_SHOWN:
            del self._shown[next(iter(self._shown))]

    def _note_in_status_lines(self, report: BlockReport) -> None:
        note = None if report.ended else (
            report.thread, f"{report.culprit} has held the hub for {report.held:.1f} s")
        for status in list(status_lines):
            if report.thread in status.threads and status.ended is None:
                status.note = note
                show_text(self.kernel, status.parent, repr(status), status.display_id,
                          update=True)


def describe(shell: Any, report: BlockReport) -> str:
    """The report as the notebook shows it: several lines while it lasts, one once ended."""
    who = {"green thread": f"green thread {report.culprit}", "root": "the cell itself",
           "hub callback": "a hub callback"}[report.kind]
    stack = _cell_stack(shell, report)
    if stack:
        now = _line(shell, stack[-1])
    elif report.thread is not None:
        now = f"{function_name(report.thread.func)}()"
    else:
        now = "an unknown line"
    if report.ended:
        again = (f" {report.repeat} blocks at this place so far, {report.total:.1f} s in all."
                 if report.repeat > 1 else "")
        return (f"notebook_coop: {who} held the hub for {report.held:.2f} s (at {now}). "
                f"The other green threads run again.{again}")
    lines = [f"notebook_coop: {who} has held the hub for {report.held:.1f} s so far. "
             + _consequence(report.kind),
             f"    now at {now}"]
    if report.spawn_site is not None:
        lines.append(f"    spawned at {where(shell, *report.spawn_site)}")
    if len(stack) > 1:
        lines.append("    stack (most recent call last):")
        lines += [f"      {where(shell, f.filename, f.lineno)}, in {f.name}" for f in stack]
    lines.append(_remedy(report.kind))
    return "\n".join(lines)


def _consequence(kind: str) -> str:
    if kind == "root":
        return ("Green threads that are due wait until it ends or waits on a green call "
                "(sleep, gt.wait(), ...).")
    return "No other green thread runs until it yields."


def _remedy(kind: str) -> str:
    if kind == "green thread":
        return ("    The stop button raises KeyboardInterrupt in it. Blocking calls (time.sleep, "
                "sockets) block every green thread unless patched (%greenpatch on); long "
                "computations can yield with sleep(0), and calls that no patch reaches (C code, "
                "big files) can run in an OS thread with tpool.execute.")
    if kind == "root":
        return "    The stop button interrupts the cell."
    return "    A hub callback must not block: spawn a green thread for such work."


def _cell_stack(shell: Any, report: BlockReport) -> list:
    """The culprit's frames; for the cell itself, from its first frame in a cell on."""
    stack = report.stack
    if report.kind == "root" and shell is not None:
        cells = [i for i, f in enumerate(stack) if shell.compile.format_code_name(f.filename)]
        if cells:
            return stack[cells[0]:]
    return stack


def _line(shell: Any, frame: Any) -> str:
    code = (frame.line or "").strip()
    return where(shell, frame.filename, frame.lineno) + (f": {code}" if code else "")
