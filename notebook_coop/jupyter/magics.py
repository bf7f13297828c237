"""Magics for green threads in a notebook: spawn, list, kill and wait for them.

    %%greenspawn -n 3 --name worker       # three copies of the cell body, each with `index`
    for step in range(5):
        print(f"worker {index}: step {step}")
        sleep(0.5)

    %greenspawn fetch(url)                 # one call, from a line
    %greenthreads                          # id, name, state, waiting on, run time, cell
    %greenkill worker                      # or an id, or --all
    %greenwait worker --timeout 5

The cell body runs like the body of a function whose globals are the notebook's: its variables
are its own (declare `global x` to publish one), and the value of its last expression is the
green thread's result (`gt.wait()`). Re-running a cell that spawned green threads through these
magics kills the ones it spawned before (the cell is known by the request's `metadata.cellId`);
spawning with a `--name` that live green threads already carry replaces those too.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import inspect
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable
from time import monotonic, strftime
from typing import Any, NamedTuple

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from ..greenthread import GreenThread, kill_all, live_threads, start_after
from ..hub import get_hub
from ..sync import Event, Semaphore
from ..timeout import Timeout
from ..watch.describe import describe
from ..watch.lints import live_lints
from ..watch.runinfo import format_run_info
from .block_reports import status_lines
from .driver import current_driver, running_count
from .tracebacks import show_error

STATUS_REFRESH = 1.0
"""Seconds between refreshes of a running %%greenspawn's status line."""

REPLACE_GRACE = 1.0
"""Seconds the green threads a re-run cell replaces get to unwind."""

_VALUED = {"-n", "--name", "--pool", "--after", "--timeout", "-o"}

ENDED_KEPT = 200
"""Finished green threads of the magics remembered by name and id, for %greenkill's answer."""

STATES = ("running", "done", "failed", "killed", "cancelled")
"""The words of the status lines, %greenwait and %greenkill, in the order they are listed."""


class Origin(NamedTuple):
    """Where a magic spawned a green thread: cell id, request, base name, execution count."""

    cell_id: str | None
    run_id: Any
    name: str | None
    count: int


_origins: weakref.WeakKeyDictionary[GreenThread, Origin] = weakref.WeakKeyDictionary()


class Ended(NamedTuple):
    """A finished green thread of the magics: when it ended and how (a state word)."""

    at: float
    wall: str
    state: str


_ended: OrderedDict[str, list[Ended]] = OrderedDict()
"""Names (NAME and NAME[i]) and ids (#N) of finished green threads -> how they ended."""


@magics_class
class GreenMagics(Magics):
    """%%greenspawn, %greenspawn, %greenthreads, %greenkill, %greenwait."""

    @magic_arguments(name="%greenspawn")
    @argument("-n", type=int, default=None, metavar="N",
              help="run N copies; each sees its own `index` (0 to N-1)")
    @argument("--name", help="name the green thread(s) (copies are NAME[i]); live ones of "
                             "that name are replaced")
    @argument("--pool", type=int, metavar="SIZE", help="let at most SIZE copies run at once")
    @argument("--after", type=float, default=0.0, metavar="SECONDS",
              help="start after SECONDS")
    @argument("--wait", action="store_true",
              help="block until done and re-raise the first failure (works under nbclient)")
    @argument("--timeout", type=float, metavar="S",
              help="raise Timeout in each copy that runs longer than S seconds")
    @argument("-o", dest="output", metavar="VAR",
              help="store the GreenThread (a list with -n) in the variable VAR")
    @argument("code", nargs="*", help="line form only: the call (or statement) to run")
    @line_cell_magic
    def greenspawn(self, line: str, cell: str | None = None) -> None:
        """Run the cell body as green thread(s) in the notebook; the line form
        `%greenspawn [options] CODE` runs the rest of the line.

        Without --wait the cell returns at once and shows a live status line; output and
        tracebacks of the green threads land in this cell, also later.
        """
        __tracebackhide__ = True  # noqa: F841 (IPython hides this frame in tracebacks)
        options, code = (line, cell) if cell is not None else _split_options(line)
        args = parse_argstring(self.greenspawn, options)
        if cell is not None and args.code:
            raise UsageError("%%greenspawn takes options only on its line; the code is the cell")
        _check_numbers(args)
        if not code.strip():
            raise UsageError("nothing to run: give %greenspawn a call, or %%greenspawn a body")
        origin = _origin(self.shell, args.name)
        body = _compile_body(self.shell, code, origin.count, with_index=args.n is not None)
        _replace_previous(origin)
        threads = _spawn_copies(body, args, origin)
        if args.output:
            self.shell.user_ns[args.output] = threads if args.n is not None else threads[0]
        if args.wait:
            _wait_or_kill(self.shell, threads)
        elif getattr(self.shell, "kernel", None) is not None:
            SpawnStatus(_label(args, threads), threads).show(self.shell)

    @magic_arguments()
    @argument("--tree", action="store_true",
              help="show the spawn tree: who spawned whom, with what each waits on")
    @argument("--stacks", action="store_true",
              help="show each thread's stack (identical ones collapsed with a count)")
    @line_magic
    def greenthreads(self, line: str) -> None:
        """Print a table of the live green threads: id, name, state, what each waits on,
        run time, switches and the cell that spawned it; then what looks wrong (lints)."""
        args = parse_argstring(self.greenthreads, line)
        if args.tree or args.stacks:
            print(format_run_info(stacks=args.stacks, tree=args.tree))
            return
        threads = live_threads()
        if not threads:
            print("no live green threads")
            return
        rows = [("id", "name", "state", "waiting on", "run time", "switches", "cell")]
        rows += [_row(self.shell, gt) for gt in threads]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            print("  ".join(cells).rstrip())
        for sentence in live_lints(threads):
            print(f"! {sentence}")

    @magic_arguments()
    @argument("--all", action="store_true", help="kill every live green thread")
    @argument("targets", nargs="*", metavar="NAME|ID", help="green threads to kill")
    @line_magic
    def greenkill(self, line: str) -> None:
        """Kill green threads by name or id (or --all); their `finally:` blocks run."""
        args = parse_argstring(self.greenkill, line)
        if not args.all and not args.targets:
            raise UsageError("give the names or ids of the green threads to kill (see "
                             "%greenthreads), or --all")
        if args.all and args.targets:
            raise UsageError("give names or ids, or --all, but not both")
        if args.all:
            threads, finished = live_threads(), []
        else:
            finished = [t for t in args.targets if _ended_only(t, live_threads())]
            live = [t for t in args.targets if t not in finished]
            threads = _select(live, live_threads())
        stragglers = kill_all(threads, REPLACE_GRACE)
        if threads or not finished:
            print(f"killed {len(threads) - len(stragglers)} green thread(s)"
                  + (f"; still unwinding: {_names(stragglers)}" if stragglers else ""))
        for target in finished:
            print(_already_finished(target))

    @magic_arguments()
    @argument("--timeout", type=float, metavar="S", help="stop waiting after S seconds")
    @argument("targets", nargs="*", metavar="NAME|ID",
              help="green threads to wait for (default: all live ones)")
    @line_magic
    def greenwait(self, line: str) -> None:
        """Block until the given green threads (or all) end; print how each ended."""
        args = parse_argstring(self.greenwait, line)
        if args.timeout is not None and args.timeout < 0:
            raise UsageError("--timeout must be at least 0")
        live = live_threads()
        threads = _select(args.targets, _with_finished(live)) if args.targets else live
        running = wait_all(threads, args.timeout, handles_errors=False)
        print(_summary(threads, running))


# -- %%greenspawn's pieces --------------------------------------------------------------------

def _split_options(line: str) -> tuple[str, str]:
    """`--name w -n 3 f(x)` -> ("--name w -n 3", "f(x)"): options first, then the code
    (which keeps its own spacing and quotes); `--` ends the options early."""
    rest, taken = line.strip(), []
    while rest.startswith("-"):
        token, _, rest = rest.partition(" ")
        rest = rest.lstrip()
        if token == "--":
            break
        taken.append(token)
        if token in _VALUED and rest:
            value, _, rest = rest.partition(" ")
            taken.append(value)
            rest = rest.lstrip()
    return " ".join(taken), rest


def _check_numbers(args: Any) -> None:
    for value, name, least in ((args.n, "-n", 1), (args.pool, "--pool", 1),
                               (args.after, "--after", 0), (args.timeout, "--timeout", 0)):
        if value is not None and value < least:
            raise UsageError(f"{name} must be at least {least}, not {value}")


def _compile_body(shell: Any, code: str, count: int, with_index: bool) -> Callable:
    """The code as a function with the notebook's globals, compiled under a cached cell name
    so tracebacks show its lines; its last expression becomes its return value."""
    source = shell.transform_cell(code)
    filename = shell.compile.cache(source, count, raw_code=code)
    body = ast.parse(source, filename).body or [ast.Pass()]
    if isinstance(body[-1], ast.Expr):
        body[-1] = ast.copy_location(ast.Return(value=body[-1].value), body[-1])
    params = ast.arguments(posonlyargs=[], args=[ast.arg(arg="index")] if with_index else [],
                           kwonlyargs=[], kw_defaults=[], defaults=[])
    extra = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
    func = ast.FunctionDef(name="greenspawn_cell", args=params, body=body, decorator_list=[],
                           lineno=1, col_offset=0, **extra)
    module = ast.fix_missing_locations(ast.Module(body=[func], type_ignores=[]))
    namespace: dict = {}
    exec(compile(module, filename, "exec"), shell.user_ns, namespace)
    fn = namespace["greenspawn_cell"]
    if inspect.isgeneratorfunction(fn):
        raise UsageError("the body of %%greenspawn cannot contain `yield`")
    names = {"co_name": "<module>"}  # so that tracebacks read as any failing cell's
    if hasattr(fn.__code__, "co_qualname"):
        names["co_qualname"] = "<module>"
    fn.__code__ = fn.__code__.replace(**names)
    return fn


def _origin(shell: Any, name: str | None) -> Origin:
    kernel = getattr(shell, "kernel", None)
    parent = (kernel.get_parent("shell") if kernel is not None else None) or {}
    run_id = parent.get("header", {}).get("msg_id") or shell.execution_count
    cell_id = parent.get("metadata", {}).get("cellId")
    return Origin(cell_id, run_id, name, running_count(shell))


def _replace_previous(origin: Origin) -> None:
    """Kill what an earlier run of this cell (or of this --name) spawned through the magics."""
    old = [gt for gt, o in list(_origins.items()) if not gt.dead and o.run_id != origin.run_id
           and ((origin.cell_id and o.cell_id == origin.cell_id)
                or (origin.name and o.name == origin.name))]
    if old:
        kill_all(old, REPLACE_GRACE)
        print(f"notebook_coop: replaced {len(old)} green thread(s) started earlier: "
              f"{_names(old)}")


def _spawn_copies(body: Callable, args: Any, origin: Origin) -> list[GreenThread]:
    slots = Semaphore(args.pool) if args.pool else None
    copies = [()] if args.n is None else [(i,) for i in range(args.n)]
    threads = []
    for index_args in copies:
        name = args.name and (args.name if args.n is None else f"{args.name}[{index_args[0]}]")
        runner = _runner(body, index_args, args.timeout, slots, f"In[{origin.count}]")
        gt = GreenThread(get_hub(), runner, (), None, name=name or None,
                         site=(body.__code__.co_filename, 1))
        start_after(gt, args.after)
        _origins[gt] = origin
        gt._link(_note_end)
        threads.append(gt)
    return threads


def _runner(body: Callable, index_args: tuple, seconds: float | None, slots: Semaphore | None,
            cell: str) -> Callable:
    """The body of one copy, named for its cell (an unnamed copy's label is `In[3]#12`)."""
    def run() -> Any:
        with slots or contextlib.nullcontext(), Timeout(seconds):
            return body(*index_args)

    run.__name__ = run.__qualname__ = cell
    return run


def _note_end(gt: GreenThread) -> None:
    """Remember how a magic's green thread ended, under its names and its id."""
    ended = Ended(monotonic(), strftime("%H:%M:%S"), gt.state)
    origin = _origins.get(gt)
    for key in {f"#{gt.id}", gt.name, origin and origin.name} - {None}:
        _ended.setdefault(key, []).append(ended)
        _ended.move_to_end(key)
    while len(_ended) > ENDED_KEPT:
        _ended.popitem(last=False)


def _wait_or_kill(shell: Any, threads: list[GreenThread]) -> None:
    """--wait: block until all end; raise the first failure after showing the others."""
    try:
        wait_all(threads, None, handles_errors=True)
    except BaseException:
        kill_all(threads, REPLACE_GRACE)
        raise
    failed = [gt for gt in threads if gt.outcome == "failed"]
    for gt in failed[1:]:
        show_error(shell, gt.exception, thread=gt)
    if failed:
        raise failed[0].exception


def wait_all(threads: list[GreenThread], timeout: float | None,
             handles_errors: bool) -> list[GreenThread]:
    """Block until every thread ended (or `timeout` passed); returns those still running.
    With `handles_errors`, their failures are the caller's to report, not printed by them."""
    pending = [gt for gt in threads if not gt.dead]
    if pending:
        done, left = Event(), [len(pending)]

        def ended(_: GreenThread) -> None:
            left[0] -= 1
            if left[0] == 0:
                done.send()

        for gt in pending:
            if handles_errors:
                gt.link(ended)
            else:
                gt._link(ended)  # leaves their tracebacks to be printed in their own cells
        try:
            done.wait(timeout)
        finally:
            for gt in pending:
                gt.unlink(ended)
    return [gt for gt in threads if not gt.dead]


def _label(args: Any, threads: list[GreenThread]) -> str:
    if args.name:
        return args.name
    return f"green thread #{threads[0].id}" if len(threads) == 1 else \
        f"green threads #{threads[0].id}-#{threads[-1].id}"


class SpawnStatus:
    """A status line under a %%greenspawn cell, updated in place through a display handle:
    how many copies run, are done, failed (with the first error), were killed or cancelled,
    and the time so far. While one of them holds the hub, the blocking detector updates it
    (the `note`), since its own refresh waits for the hub."""

    def __init__(self, label: str, threads: list[GreenThread]) -> None:
        self.label, self.threads = label, threads
        self.started = monotonic()
        self.ended: float | None = None
        self.handle: Any = None
        self.context = None
        self.parent: dict | None = None
        self.note: tuple[GreenThread, str] | None = None
        """(thread, what the blocking detector says of it) while it holds the hub."""

    @property
    def display_id(self) -> str:
        return self.handle.display_id

    def show(self, shell: Any) -> None:
        """Display it in the current cell and keep it fresh until every copy ends."""
        self.context = contextvars.copy_context()
        self.parent = shell.kernel.get_parent("shell")
        self.handle = display(self, display_id=True)
        for gt in self.threads:
            gt._link(self._ended_one)
        status_lines.add(self)
        get_hub().call_later(STATUS_REFRESH, self._refresh)

    def __repr__(self) -> str:
        counts = _counts(self.threads)
        parts = [f"{n} {state}" for state, n in counts.items()]
        if len(self.threads) == 1:
            parts = list(counts)
        failed = next((gt for gt in self.threads if gt.outcome == "failed"), None)
        error = f" ({_error_line(failed.exception)})" if failed is not None else ""
        elapsed = (self.ended or monotonic()) - self.started
        note = f"; {self.note[1]}" if self.note and not self.note[0].dead else ""
        return f"{self.label}: {', '.join(parts)}{error} [{elapsed:.1f} s]{note}"

    def _ended_one(self, _: GreenThread) -> None:
        if all(gt.dead for gt in self.threads):
            self.ended = monotonic()
            status_lines.discard(self)
        self._update()

    def _refresh(self, _a: Any = None, _b: Any = None) -> None:
        if self.ended is None:
            self._update()
            get_hub().call_later(STATUS_REFRESH, self._refresh)

    def _update(self) -> None:
        self.context.run(self.handle.update, self)


def _counts(threads: list[GreenThread]) -> dict[str, int]:
    """How many of `threads` are in each state word (running, done, failed, ...), in order."""
    counts = Counter("running" if not gt.dead else gt.state for gt in threads)
    return {state: counts[state] for state in STATES if counts[state]}


def _error_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


# -- listing and choosing ---------------------------------------------------------------------

def _select(targets: list[str], threads: list[GreenThread]) -> list[GreenThread]:
    """Those of `threads` named (NAME also matches its copies NAME[i]) or numbered by targets."""
    chosen = []
    for target in targets:
        found = [gt for gt in threads if _matches(gt, target)]
        if not found:
            raise UsageError(f"no green thread named or numbered {target!r}; "
                             "see %greenthreads")
        chosen += [gt for gt in found if gt not in chosen]
    return chosen


def _with_finished(live: list[GreenThread]) -> list[GreenThread]:
    """`live` plus the finished green threads the magics spawned (so waiting on them is fine)."""
    return live + [gt for gt in list(_origins.keys()) if gt.dead]


def _matches(gt: GreenThread, target: str) -> bool:
    origin = _origins.get(gt)
    return (str(gt.id) == target.lstrip("#") or gt.name == target
            or (origin is not None and origin.name == target))


def _row(shell: Any, gt: GreenThread) -> tuple[str, ...]:
    state = gt.state.split("(")[0]
    waiting = " ".join(filter(None, [gt.reason, describe(gt.waiting_on)]))
    return (str(gt.id), gt.label, state, waiting, f"{gt.run_time:.3f} s",
            str(gt.switches), _spawning_cell(shell, gt))


def _spawning_cell(shell: Any, gt: GreenThread) -> str:
    """In[N] of the request that spawned `gt`, read from the contextvars it runs in."""
    origin = _origins.get(gt)
    if origin is not None:
        return f"In[{origin.count}]"
    kernel, driver = getattr(shell, "kernel", None), current_driver()
    if kernel is None or driver is None:
        return ""
    try:
        parent = gt.context.run(kernel.get_parent, "shell") or {}
    except RuntimeError:  # its context is entered right now
        return ""
    count = driver.cells.get(parent.get("header", {}).get("msg_id"))
    return f"In[{count}]" if count is not None else ""


def _names(threads: list[GreenThread]) -> str:
    return ", ".join(gt.label for gt in threads)


def _summary(threads: list[GreenThread], running: list[GreenThread]) -> str:
    """How each of `threads` ended: `2 done; 1 killed; w[2] failed: ValueError: x; ...`."""
    ended = [gt for gt in threads if gt.dead]
    counts = _counts([gt for gt in ended if gt.outcome != "failed"])
    parts = [f"{n} {state}" for state, n in counts.items()] or ["0 done"]
    parts += [f"{gt.label} failed: {_error_line(gt.exception)}"
              for gt in ended if gt.outcome == "failed"]
    if running:
        parts.append(f"still running: {_names(running)}")
    return "; ".join(parts)


def _ended_only(target: str, live: list[GreenThread]) -> bool:
    """Whether `target` names (or numbers) only green threads of the magics that finished."""
    return not any(_matches(gt, target) for gt in live) and _ended_key(target) in _ended


def _ended_key(target: str) -> str:
    return f"#{target.lstrip('#')}" if target.lstrip("#").isdigit() else target


def _already_finished(target: str) -> str:
    """`worker: already finished, the last 12.3 s ago (at 14:02:31): 3 done`."""
    endings = _ended[_ended_key(target)]
    last = max(endings)
    counts = Counter(e.state for e in endings)
    how = ", ".join(f"{counts[s]} {s}" for s in STATES if counts[s])
    return (f"{target}: already finished, the last {monotonic() - last.at:.1f} s ago "
            f"(at {last.wall}): {how}")


# -- registration -----------------------------------------------------------------------------

def register(ip: Any) -> None:
    """Register the magics with the shell `ip`."""
    ip.register_magics(GreenMagics(ip))


def unregister(ip: Any, magics: type[Magics] = GreenMagics) -> None:
    """Remove a Magics class's magics again (IPython has no API for it)."""
    manager = ip.magics_manager
    for kind, names in magics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop(magics.__name__, None)


def spawning_cell(shell: Any, gt: GreenThread) -> str:
    """In[N] of the cell that spawned `gt` (a magic's record, or its request), or ""."""
    return _spawning_cell(shell, gt)
