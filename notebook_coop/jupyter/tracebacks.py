"""Green threads' errors as IPython shows any failing cell's: an error output with `ename`,
`evalue` and a traceback from IPython's own formatter (its colours, `Cell In[n]`, the code lines),
without notebook_coop's frames unless the error happened inside notebook_coop.

`install(shell)` makes it so for
- green threads whose exception nobody waits for (`greenthread.error_reporter`): the error
  output lands in the cell that spawned them;
- the cell's own tracebacks (`gt.wait()` re-raising, `%%greenspawn --wait`, the stop button
  in a green wait): the shell's formatter leaves notebook_coop's frames out.
"""

from __future__ import annotations

from typing import Any

from IPython.utils.path import compress_user

from .. import greenthread
from ..frames import trimmed
from ..greenthread import GreenThread

__all__ = ["install", "show_error", "uninstall", "where"]


def show_error(shell: Any, exc: BaseException, tb: Any = None, thread: GreenThread | None = None,
               ) -> None:
    """Show `exc` as an error output in the current context's cell (the one a green thread was
    spawned in, when called inside it); `thread` names the green thread it ended."""
    tb = exc.__traceback__ if tb is None else tb
    stb = shell.InteractiveTB.structured_traceback(type(exc), exc, trimmed(tb), tb_offset=0)
    if thread is not None:
        stb = [f"Exception in green thread {thread.label}:", *stb]
    shell._showtraceback(type(exc), exc, stb)


def _report_in_cell(thread: GreenThread, exc: BaseException) -> None:
    """greenthread.error_reporter in a kernel: the error output, in the thread's own cell."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        greenthread.print_error(thread, exc)
    else:
        show_error(shell, exc, thread._tb, thread)


def where(shell: Any, filename: str, lineno: int) -> str:
    """A code location as IPython's tracebacks write it: `Cell In[3], line 2` or `File path:2`."""
    named = shell.compile.format_code_name(filename) if shell is not None else None
    if named is not None:
        return f"{named[0]} {named[1]}, line {lineno}"
    return f"File {compress_user(filename)}:{lineno}"


class _TrimmingFormatter:
    """Wraps the shell's InteractiveTB.structured_traceback to leave notebook_coop's frames out."""

    def __init__(self, formatter: Any) -> None:
        self.formatter = formatter
        self.original = formatter.structured_traceback

    def __call__(self, etype: Any, evalue: Any, etb: Any = None, tb_offset: int | None = None,
                 context: int = 5) -> list[str]:
        if etb is not None and not isinstance(etb, tuple):
            etb = trimmed(etb)
        return self.original(etype, evalue, etb, tb_offset, context)


def install(shell: Any) -> None:
    """Show green threads' errors in their cells, and trim the shell's tracebacks."""
    greenthread.error_reporter = _report_in_cell
    formatter = shell.InteractiveTB
    if not isinstance(formatter.__dict__.get("structured_traceback"), _TrimmingFormatter):
        formatter.structured_traceback = _TrimmingFormatter(formatter)


def uninstall(shell: Any) -> None:
    """Undo install(): plain tracebacks on stderr, the shell's formatter as it was."""
    if greenthread.error_reporter is _report_in_cell:
        greenthread.error_reporter = greenthread.print_error
    formatter = shell.InteractiveTB
    if isinstance(formatter.__dict__.get("structured_traceback"), _TrimmingFormatter):
        del formatter.structured_traceback
