"""`%%greentrace`: record a cell and the green threads it spawns, and draw their timeline.

    %%greentrace --for 2
    pool = GreenPool(4)
    for w in range(4):
        pool.spawn(worker, w)

The cell runs as usual; then the magic waits until every green thread spawned while it records
has ended (or `--for` seconds have passed since the cell started, or the stop button), stops
recording and shows the timeline under the cell. The Recorder is kept in `_greentrace` (or the
variable given with `-o`) for `.summary()`, `.rows()` and `.to_chrome_trace(path)`.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from ..watch.recorder import DEFAULT_SIZE, SPAWN, Recorder
from .driver import running_count
from .magics import wait_all


@magics_class
class TraceMagics(Magics):
    """%%greentrace."""

    @magic_arguments()
    @argument("--for", dest="seconds", type=float, metavar="SECONDS",
              help="stop recording SECONDS after the cell started, even if threads still run")
    @argument("--size", type=int, default=DEFAULT_SIZE, metavar="N",
              help=f"keep at most N events (default {DEFAULT_SIZE:,}; older ones are dropped)")
    @argument("--no-plot", action="store_true", help="record only; draw nothing")
    @argument("--summary", action="store_true", help="also show the per-thread table")
    @argument("-o", dest="output", default="_greentrace", metavar="VAR",
              help="store the Recorder in VAR (default: _greentrace)")
    @cell_magic
    def greentrace(self, line: str, cell: str) -> None:
        """Record this cell and the green threads it spawns; draw their timeline under it."""
        args = parse_argstring(self.greentrace, line)
        if args.seconds is not None and args.seconds <= 0:
            raise UsageError("--for must be a positive number of seconds")
        if args.size < 1:
            raise UsageError("--size must be at least 1")
        rec = Recorder(args.size)
        self.shell.user_ns[args.output] = rec
        started = monotonic()
        rec.start()
        try:
            self._run_body(line, cell)
            rec.mark("cell returned")
            _wait_for_spawned(rec, None if args.seconds is None
                              else started + args.seconds - monotonic())
        except KeyboardInterrupt:
            rec.mark("interrupted")
            print("notebook_coop: recording stopped by the interrupt")
        finally:
            rec.stop()
        if not args.no_plot:
            display(rec.plot())
        if args.summary:
            display(rec.summary())

    def _run_body(self, line: str, cell: str) -> None:
        """Run the cell's body as this cell: named In[N] with the cell's own line numbers
        (the magic's line, as a comment, is line 1), its last value shown, its errors shown
        as usual."""
        shell = self.shell
        ahead = shell.execution_count - running_count(shell)  # 1 where IPython counts first
        shell.execution_count -= ahead  # the nested run compiles under the running cell's count
        try:
            shell.run_cell(f"# %%greentrace {line}\n{cell}", store_history=False)
        finally:
            shell.execution_count += ahead


def _wait_for_spawned(rec: Recorder, seconds: float | None) -> None:
    """Block until the threads spawned while recording (and theirs) ended, or `seconds` pass."""
    deadline = None if seconds is None else monotonic() + max(0.0, seconds)
    while True:
        spawned = {tid for _, code, tid, _, _ in list(rec.events) if code == SPAWN}
        live = [gt for gt in rec._hub.live_threads() if gt.id in spawned]
        left = None if deadline is None else deadline - monotonic()
        if not live or (left is not None and left <= 0):
            return
        wait_all(live, left, handles_errors=False)


def register(ip: Any) -> None:
    """Register %%greentrace with the shell `ip`."""
    ip.register_magics(TraceMagics(ip))
