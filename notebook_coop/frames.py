"""Telling notebook_coop's own frames from the user's: for spawn sites, tracebacks and the
blocking detector.

A user reads a traceback from their own code down to where it went wrong. The machinery that
runs a green thread (`run_on`, a magic's wrapper) or waits for one (`sleep -> wait -> block`)
is noise there, unless the error happened inside notebook_coop itself:

    exc.with_traceback(trimmed(exc.__traceback__))   # the user's frames only
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import CodeType, FrameType, TracebackType
from typing import TypeVar

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

_F = TypeVar("_F", bound=Callable)

DELIVERY_POINTS: set[CodeType] = set()
"""Code where notebook_coop hands an exception to user code on purpose (a wait that a timeout,
kill or interrupt is thrown into; a signal handler): an error raised there is the user's."""


def delivers(fn: _F) -> _F:
    """Mark `fn` as a delivery point (see DELIVERY_POINTS); costs nothing at call time."""
    DELIVERY_POINTS.add(fn.__code__)
    return fn


def is_library(code: CodeType) -> bool:
    """Whether `code` belongs to notebook_coop itself."""
    return code.co_filename.startswith(PACKAGE_DIR)


def caller_site(depth: int = 2) -> tuple[CodeType, int] | None:
    """(code, instruction offset) of the first frame outside notebook_coop, from `depth`
    frames up (1: the caller of caller_site) outwards; `site_line` makes it a line. The line
    is left for later: computing it costs more than everything else here."""
    frame: FrameType | None = sys._getframe(depth)
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE_DIR):
        frame = frame.f_back
    return None if frame is None else (frame.f_code, frame.f_lasti)


def site_line(code: CodeType, offset: int) -> tuple[str, int]:
    """(filename, line) of the instruction at `offset` in `code`."""
    for start, end, line in code.co_lines():
        if start <= offset < end and line is not None:
            return code.co_filename, line
    return code.co_filename, code.co_firstlineno


def trimmed(tb: TracebackType | None) -> TracebackType | None:
    """`tb` without notebook_coop's frames. If the error was raised inside notebook_coop (not
    at a delivery point), its frames below the user's stay: only the machinery above goes.
    A traceback of notebook_coop's frames alone is returned whole."""
    entries = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    if not entries:
        return None
    users = [i for i, e in enumerate(entries) if not is_library(e.tb_frame.f_code)]
    if not users:
        return entries[0]
    innermost = entries[-1].tb_frame.f_code
    if is_library(innermost) and innermost not in DELIVERY_POINTS:
        keep = entries[users[0]:]
    else:
        keep = [entries[i] for i in users]
    chain = None
    for entry in reversed(keep):
        chain = TracebackType(chain, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return chain
