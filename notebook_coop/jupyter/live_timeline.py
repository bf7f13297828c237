"""The dashboard's live timeline: the recorder's last seconds, redrawn about once a second.

Recording costs every switch a little (see benchmarks/README.md), so it runs only while the
toggle is on. The events are copied on the hub's thread; replaying and drawing them (a few
hundred ms for thousands of threads) happens on a real OS thread, so the hub is never held, and
the picture comes back to the hub's thread through `call_threadsafe`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from time import monotonic
from typing import Any

import ipywidgets as widgets

from ..patcher import original
from ..watch.detail import track_detail
from ..watch.recorder import Recorder
from ..watch.timeline import Tail, Timeline

WINDOW = 5.0
"""Seconds of recording shown."""

REDRAW_EVERY = 1.0
"""Seconds between redraws at least: more while a drawing takes over a quarter of that, so
that the drawing thread never takes the GIL from the hub for long."""

EVENTS = 200_000
"""Events the recording keeps."""

DRAWN = 30_000
"""Events drawn at most (the most recent): a busy hub's window is shorter than WINDOW."""

MAX_ROWS = 30
"""Above this many threads the timeline groups rows by name."""

_real_thread = original("_thread")  # real threads and locks whatever is patched


class LiveTimeline:
    """A record toggle (class coop-record) and the picture (an Image, class coop-timeline)."""

    def __init__(self, make: Callable, hub: Any, on: bool = False) -> None:
        self.hub = hub
        self.recorder: Recorder | None = None
        self.track_text = ""
        """The selected thread's recorded detail, from the last drawing."""
        self.selected: int | None = None
        self._drawn_at = 0.0
        self._pause = REDRAW_EVERY
        self._drawing = False
        self._idle = _real_thread.allocate_lock()
        """Held while a drawing thread runs: closing waits for it."""
        self._closed = False
        self.toggle = make(widgets.ToggleButton, "coop-record", description="record timeline",
                           value=False, tooltip="record the hub's switches (costs a little "
                                                "each switch) and draw the last seconds")
        self.image = make(widgets.Image, "coop-timeline", format="png",
                          layout=make(widgets.Layout, display="none", max_width="100%"))
        self.box = make(widgets.VBox, children=[self.toggle, self.image])
        self.toggle.observe(lambda change: self.record(change["new"]), "value")
        self.toggle.value = on

    def record(self, on: bool) -> None:
        """Start or stop the recording behind the picture."""
        if on and self.recorder is None and not self._closed:
            self.recorder = Recorder(EVENTS).start()
        elif not on and self.recorder is not None:
            self.recorder.stop()
            self.recorder = None

    def refresh(self) -> None:
        """On the hub's thread: start a redraw if one is due."""
        now = monotonic()
        if self.recorder is None or self._drawing or now - self._drawn_at < self._pause:
            return
        self._drawing, self._drawn_at = True, now
        self._idle.acquire()
        try:
            tail = Tail(self.recorder, WINDOW, DRAWN)
            _real_thread.start_new_thread(self._draw, (tail, self.selected))
        except BaseException:
            self._idle.release()
            self._drawing = False
            raise

    def _draw(self, tail: Tail, selected: int | None) -> None:
        """On a drawing thread: replay, draw, and hand the PNG to the hub's thread."""
        from ..watch.plot import timeline_figure

        png, detail, started = None, "", monotonic()
        try:
            timeline = Timeline(tail)
            if self._closed:  # the kernel may be shutting down: end soon
                return
            figure = timeline_figure(timeline, max_rows=MAX_ROWS, width=9.0,
                                     title=f"the last {timeline.span * 1e-9:.2g} s")
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=60)
            png = buffer.getvalue()
            if selected is not None:
                detail = track_detail(timeline.tracks.get(selected), tail.names)
        finally:
            self._pause = max(REDRAW_EVERY, 4 * (monotonic() - started))
            if not self._closed:
                self.hub.call_threadsafe(self._show, png, detail)
            self._idle.release()

    def _show(self, png: bytes | None, detail: str) -> None:
        self._drawing = False
        if self._closed or png is None:
            return
        self.image.value = png
        self.image.layout.display = "block"
        self.track_text = detail

    def close(self, wait: float = 1.0) -> None:
        """Stop recording, and wait up to `wait` seconds for a drawing under way to end."""
        self._closed = True
        self.record(False)
        if self._idle.acquire(True, wait):
            self._idle.release()
