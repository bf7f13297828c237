"""The blocking detector: a watchdog thread that notices when something holds the hub.

    monitor = Monitor(get_hub(), threshold=0.1)
    monitor.subscribe(print)    # BlockReport dataclasses, delivered on the watchdog's thread
    monitor.start()
    ...
    monitor.stop()

The hub counts ended run slices (`hub.slices`). Every threshold/4 seconds the watchdog reads
the count. While work is due (a ready green thread, a due timer) or a host loop's pass runs (the
kernel's loop waits for it), a count that has not moved for `threshold` seconds means that
whatever runs on the hub's thread holds everyone else up: a green thread that never yields (a
CPU loop, an unpatched `time.sleep`), a hub callback, or the root itself (a cell that computes
while green threads wait). The watchdog keeps the time it last saw the count change instead of
resetting a flag at each look, so a block that straddles a look is never missed; a hold is
counted from the first look that could see it, so one shorter than `threshold` is never
reported (it is noticed between `threshold` and `threshold` + two looks). Nothing is
thrown into the culprit, and the hub pays nothing per switch: the culprit and its stack are read
from `sys._current_frames()`.

Reports: one when a block is noticed (`ended=False`), again at most every `update_every` seconds
while it lasts, and one when the culprit finally yields (`ended=True`, with the total). A culprit
that blocks again at the same place within `collapse_for` seconds of its last full report is
counted (`repeat`, `total`) instead of reported afresh, in at most one report per `update_every`.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from time import monotonic
from types import FrameType
from typing import Any

from ..frames import is_library
from ..greenthread import GreenThread, record_spawn_sites
from ..hub import Hub

__all__ = ["BlockReport", "Monitor"]

MAX_FRAMES = 20
"""The innermost frames of the culprit a report keeps."""

_RUN_ON = GreenThread.run_on.__code__
_HUB_LOOP = Hub._run.__code__


@dataclass
class BlockReport:
    """What holds the hub, for how long, and where."""

    block: int
    """The block's number: the reports of one block share it."""
    kind: str
    """"green thread", "root" (a cell or a script's main code) or "hub callback"."""
    culprit: str
    """The green thread's label, or the kind."""
    thread: GreenThread | None
    held: float
    """Seconds the hub has been held so far; once ended, in all."""
    ended: bool
    """False while the block lasts, True once the culprit yielded."""
    stack: list[traceback.FrameSummary] = field(default_factory=list)
    """The culprit's frames, outermost first, without notebook_coop's own."""
    spawn_site: tuple[str, int] | None = None
    """Where the green thread was spawned (filename, line), if known."""
    repeat: int = 1
    """This is the n-th block at the same place within `collapse_for` seconds."""
    total: float = 0.0
    """Seconds those `repeat` blocks held the hub together (this one so far included)."""
    first_block: int = 0
    """The number of the block reported in full first at this place: repeats belong to it."""
    collapsed: bool = False
    """True for the closing report of a repeat that was not reported while it lasted."""

    @property
    def line(self) -> traceback.FrameSummary | None:
        """The culprit's current line: its innermost frame."""
        return self.stack[-1] if self.stack else None


@dataclass
class _Place:
    """Where blocks happened: when it was last reported in full, and what came since."""

    reported_at: float
    block: int
    count: int = 1
    total: float = 0.0
    emitted_at: float = 0.0
    pending: BlockReport | None = None


@dataclass
class _Block:
    number: int
    started: float
    kind: str
    thread: GreenThread | None
    stack: list[traceback.FrameSummary]
    place: _Place
    full: bool
    emitted_at: float = 0.0


class Monitor:
    """A watchdog thread over one hub; see the module docstring."""

    def __init__(self, hub: Hub, threshold: float = 0.1, *, update_every: float = 1.0,
                 collapse_for: float = 10.0) -> None:
        self.hub = hub
        self.threshold = threshold
        self.update_every = update_every
        self.collapse_for = collapse_for
        self.checks: list[Callable[[], None]] = []
        """Called on the watchdog's thread after every look (the stop button uses it)."""
        self.prepare: list[Callable[[], None]] = []
        """Called once on the watchdog's thread as it starts, before its first look."""
        self._subscribers: list[Callable[[BlockReport], None]] = []
        self._mark = (hub.slices, monotonic())
        self.idle_at = 0.0
        """When a look last found no work due and no pass running (time.monotonic)."""
        self._last_look = -1.0
        self._block: _Block | None = None
        self._places: dict[tuple, _Place] = {}
        self._count = 0
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._sites_before = False

    # -- settings and subscribers ---------------------------------------------------------------

    @property
    def threshold(self) -> float:
        """Seconds without a switch, while work is due, that count as a block."""
        return self._threshold

    @threshold.setter
    def threshold(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError(f"the threshold must be a positive number of seconds, not {seconds}")
        self._threshold = float(seconds)

    def subscribe(self, callback: Callable[[BlockReport], None]) -> Callable:
        """Call `callback(report)` for every report, on the watchdog's thread; returns it."""
        self._subscribers.append(callback)
        return callback

    def unsubscribe(self, callback: Callable[[BlockReport], None]) -> None:
        """Stop calling `callback` (no error if it was not subscribed)."""
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def subscribed(self, callback: Callable[[BlockReport], None]) -> bool:
        """Whether `callback` hears the reports."""
        return callback in self._subscribers

    # -- running ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the watchdog thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the watchdog thread (and note spawn sites for the reports)."""
        if self.running:
            return
        self._stopping.clear()
        self._mark = (self.hub.slices, monotonic())
        self._sites_before = record_spawn_sites(True)
        self._thread = threading.Thread(target=self._watch, name="notebook_coop monitor",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the watchdog thread; a block in progress is no longer reported."""
        if self._thread is None:
            return
        self._stopping.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self._thread = None
        self._block = None
        record_spawn_sites(self._sites_before)

    @property
    def blocks(self) -> int:
        """How many blocks it has noticed so far (the last report's `block` number at most)."""
        return self._count

    def held_for(self) -> float:
        """Seconds the hub's current run slice has held it, as the watchdog last saw it (0 if
        the hub switched since). Safe from any thread, a signal handler included."""
        slices, since = self._mark
        return monotonic() - since if self.hub.slices == slices else 0.0

    def held_since(self) -> float | None:
        """When the current hold started (time.monotonic), or None if the hub switched since."""
        slices, since = self._mark
        return since if self.hub.slices == slices else None

    def _watch(self) -> None:
        for prepare in self.prepare:
            prepare()
        while not self._stopping.wait(self._threshold / 4):
            try:
                self.look(monotonic())
                for check in list(self.checks):
                    check()
            except Exception:  # never let the watchdog die silently
                traceback.print_exc(file=sys.__stderr__)

    # -- one look -----------------------------------------------------------------------------

    def look(self, now: float) -> None:
        """Compare the hub's slice count with the last look, and report what holds it."""
        hub = self.hub
        slices = hub.slices
        held_slices, since = self._mark
        eligible = hub.work_due() or hub.driven
        was_idle = self.idle_at == self._last_look
        self._last_look = now
        if not eligible:
            self.idle_at = now
        if slices != held_slices or not eligible or was_idle:
            self._mark = (slices, now)  # a hold is counted from the first look that sees it
            if self._block is not None:
                self._end(now)
        elif self._block is not None:
            self._ongoing(now)
        elif now - since >= self._threshold:
            self._begin(since, now)
        self._flush(now)

    def _begin(self, since: float, now: float) -> None:
        found = _culprit(self.hub)
        if found is None:
            return
        kind, thread, stack, key = found
        self._count += 1
        place = self._places.get(key)
        fresh = place is None or now - place.reported_at > self.collapse_for
        if fresh:
            place = self._places[key] = _Place(reported_at=now, block=self._count)
        else:
            place.count += 1
        self._block = _Block(self._count, since, kind, thread, stack, place, fresh)
        if fresh:
            self._emit_block(now, ended=False)

    def _ongoing(self, now: float) -> None:
        block = self._block
        if now - max(block.emitted_at, block.started + self._threshold) < self.update_every:
            return
        found = _culprit(self.hub)
        if found is not None:
            block.stack = found[2]
        block.full = True  # a repeat that lasts this long deserves a report of its own
        self._emit_block(now, ended=False)

    def _end(self, now: float) -> None:
        block, self._block = self._block, None
        place = block.place
        held = now - block.started
        place.total += held
        report = self._report(block, held, ended=True)
        if block.full or now - place.emitted_at >= self.update_every:
            place.pending = None
            place.emitted_at = now
            self._emit(report)
        else:
            place.pending = report

    def _emit_block(self, now: float, ended: bool) -> None:
        block = self._block
        block.emitted_at = block.place.emitted_at = now
        self._emit(self._report(block, now - block.started, ended))

    def _report(self, block: _Block, held: float, ended: bool) -> BlockReport:
        thread = block.thread
        place = block.place
        return BlockReport(
            block=block.number, kind=block.kind, thread=thread,
            culprit=thread.label if thread is not None else block.kind,
            held=held, ended=ended, stack=block.stack,
            spawn_site=getattr(thread, "spawn_site", None), repeat=place.count,
            total=place.total if ended else place.total + held, first_block=place.block,
            collapsed=not block.full)

    def _flush(self, now: float) -> None:
        """Send collapsed reports whose turn came; forget places quiet for long enough."""
        for key, place in list(self._places.items()):
            if place.pending is not None and now - place.emitted_at >= self.update_every:
                report, place.pending = place.pending, None
                place.emitted_at = now
                self._emit(report)
            elif place.pending is None and now - place.reported_at > self.collapse_for and (
                    self._block is None or self._block.place is not place):
                del self._places[key]

    def _emit(self, report: BlockReport) -> None:
        for callback in list(self._subscribers):
            try:
                callback(report)
            except Exception:
                traceback.print_exc(file=sys.__stderr__)
                self.unsubscribe(callback)


def _culprit(hub: Hub) -> tuple[str, GreenThread | None, list, tuple] | None:
    """What runs on the hub's thread now: (kind, green thread, stack, place key), from the
    thread's current frame; None if the thread has no frame (it ended)."""
    frame = sys._current_frames().get(hub.thread_id)
    if frame is None:
        return None
    kind, thread, frames = _walk(frame)
    users = [f for f in frames if not is_library(f.f_code)] or frames
    if kind == "green thread" and users:
        code = users[-1].f_code  # its outermost frame: the function it runs
        key = (kind, code.co_filename, code.co_firstlineno)
    elif kind == "green thread":  # it runs a function without Python frames (time.sleep)
        key = (kind, function_name(getattr(thread, "func", None)))
    else:
        inner = users[0] if users else frame
        key = (kind, inner.f_code.co_filename, inner.f_lineno)
    stack = [traceback.FrameSummary(f.f_code.co_filename, f.f_lineno, f.f_code.co_name)
             for f in reversed(users[:MAX_FRAMES])]
    return kind, thread, stack, key


def function_name(fn: Any) -> str:
    """`module.qualname` of a callable, for a green thread that shows no frames of its own."""
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    module = getattr(fn, "__module__", None)
    return f"{module}.{name}" if module else name


def _walk(frame: FrameType | None) -> tuple[str, Any, list[FrameType]]:
    """Frames from the innermost out, up to the green thread's `run_on` (kind green thread),
    the hub's loop (hub callback) or the bottom of the stack (root)."""
    frames = []
    while frame is not None:
        code = frame.f_code
        if code is _RUN_ON:
            return "green thread", frame.f_locals.get("self"), frames
        if code is _HUB_LOOP:
            return "hub callback", None, frames
        frames.append(frame)
        frame = frame.f_back
    return "root", None, frames
