"""The live dashboard: see, sort, stop and patch green threads from one widget.

    import notebook_coop
    notebook_coop.dashboard()          # or the line magic: %greentop [--top 50] [--timeline]

It shows the live green threads (state, what each waits on, spawning cell and site, run, ready
and blocked time, slices, the longest slice, lints, a kill button per row) sorted, filtered and
cut to the top N with a count of the rest; recently finished threads below, failed ones in red
with their error; the detail of a thread (click its id); a gauge per GreenPool, queue and
tpool; the hub's figures; a toggle per patch flag that patches or restores the live kernel; a
banner with the blocking detector's latest report and the lints; and, while its toggle is on,
a timeline of the recorder's last seconds. Where widgets cannot render (nbclient, a terminal)
it shows the same as text.

How it refreshes. A timer on the hub refreshes it a few times a second (REFRESH), so it runs
from the kernel-driven passes while the kernel idles and from the hub's own loop while a cell
waits on a green call; never from another OS thread, except the detector's banner, which the
watchdog updates while the hub itself is held. A refresh reads the hub's state then (nothing is
measured per switch) and assigns what it shows; ipywidgets sends only the values that changed.
A refresh that gets slow (10,000 threads) waits longer before the next one, so that refreshing
takes at most a tenth of the time. While a plain cell runs the kernel delivers no clicks: the
widget says so until the cell ends (the stop button still interrupts it).

`close()` (the ✕ button), `%unload_ext notebook_coop` and kernel shutdown end the timer, the
recording, the detector subscription and every comm of the widget. Dashboards are independent:
two at once work. Its timer is the hub's upkeep (`call_upkeep`): a cell that waits on something
nothing can ever end still gets DeadlockError while a dashboard is open.

The page structure that browser tests rely on (a stable contract):
- the outermost widget has the CSS class `coop-dashboard`;
- each live thread's row is an HBox of class `coop-row` (rows not in use also have the class
  `coop-hidden`, so select `.coop-row:not(.coop-hidden)`): a kill button of class `coop-kill`
  with the tooltip `kill <thread name>`, a state label of class `coop-state` whose text is the
  state word (running, ready, sleeping or blocked), a name label of class `coop-name`, and an
  id button of class `coop-select` that shows the thread's detail (class `coop-detail`);
- each recently finished thread is a line of class `coop-finished` (in an HTML widget of class
  `coop-finished-list`) with spans of classes `coop-name` and `coop-state` (done, failed, killed
  or cancelled) and, if it failed, `coop-error`;
- the patch toggles are ToggleButtons of class `coop-patch-<flag>` (coop-patch-time,
  coop-patch-socket, coop-patch-select, coop-patch-thread, coop-patch-os,
  coop-patch-subprocess);
- the timeline is an Image of class `coop-timeline`, shown once the ToggleButton of class
  `coop-record` is on (or `dashboard(timeline=True)`) and the first drawing is in;
- the detector banner has class `coop-banner`, the busy note `coop-note`, the lints
  `coop-lints`, the gauges `coop-gauges`, the close button `coop-close`.
"""

from __future__ import annotations

import atexit
import html
from time import monotonic, perf_counter
from typing import Any

import ipywidgets as widgets
from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from ..greenthread import GreenThread
from ..hub import get_hub
from ..watch.board import SORT_KEYS, Board, Snapshot, format_text, hub_line
from ..watch.detail import thread_detail
from ..watch.monitor import BlockReport
from . import block_reports
from .dashboard_parts import (
    STYLE,
    Columns,
    Parts,
    PatchToggles,
    ThreadRow,
    finished_html,
    gauges_html,
    header,
)
from .driver import current_driver
from .live_timeline import LiveTimeline

__all__ = ["Dashboard", "close_all", "dashboard"]

REFRESH = 0.25
"""Seconds between refreshes (longer while a refresh costs more than a tenth of that)."""

TOP = 25
"""Live rows shown unless told otherwise."""

MAX_TOP = 200
"""The most live rows a dashboard shows."""

GROW_BY = 5
"""Row widgets made per refresh, while more rows are wanted than exist."""

NUMBERS_EVERY = 1.0
"""Seconds between updates of the rows' times and counts (states change at every refresh):
most of a refresh's messages are those, so they set the comm traffic."""

GAUGES = 8
"""Pools and queues shown each (the busiest first)."""

BUSY = ("A cell is running: clicks on this dashboard wait until it ends (the stop button "
        "interrupts it).")

_open: list[Dashboard] = []


class Dashboard(widgets.VBox):
    """The widget; see the module docstring."""

    def __init__(self, top: int = TOP, interval: float = REFRESH, timeline: bool = False) -> None:
        if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= MAX_TOP:
            raise ValueError(f"top must be an int from 1 to {MAX_TOP}, not {top!r}")
        if not interval > 0:
            raise ValueError(f"interval must be a positive number of seconds, not {interval!r}")
        self.hub = get_hub()
        self.board = Board(self.hub)
        self.interval = interval
        self.selected: GreenThread | None = None
        self.snapshot: Snapshot | None = None
        self.closed = True  # until it is fully open
        self._monitor = None
        self._timer: int | None = None
        self._due = 0.0
        self._lag = 0.0
        self.refresh_time = 0.0
        """Seconds its timer's refreshes have taken so far (on the hub's thread)."""
        self._numbers_at = -NUMBERS_EVERY
        self._wanting = False
        make = self._make = Parts()
        try:
            self._build(make, top, timeline)
            super().__init__(children=self._sections(), _dom_classes=("coop-dashboard",))
        except BaseException:
            make.close()
            raise
        self.closed = False
        self._subscribe()
        _opened(self)
        self.refresh()
        self._arm(interval)

    # -- building --------------------------------------------------------------------------

    def _build(self, make: Parts, top: int, timeline: bool) -> None:
        cols = Columns(make)
        self.style_sheet = make(widgets.HTML, value=STYLE)
        self.title = make(widgets.HTML, "coop-title")
        self.close_button = make(widgets.Button, "coop-close", description="✕",
                                 tooltip="close the dashboard",
                                 layout=make(widgets.Layout, width="3em"))
        self.close_button.on_click(lambda _: self.close())
        self.note = make(widgets.HTML, "coop-note")
        self.banner = make(widgets.HTML, "coop-banner")
        self.lints = make(widgets.HTML, "coop-lints")
        self.sort = make(widgets.Dropdown, "coop-sort", options=SORT_KEYS, value="id",
                         description="sort", layout=make(widgets.Layout, width="12em"))
        self.descending = make(widgets.ToggleButton, "coop-descending", description="↓",
                               tooltip="descending", layout=make(widgets.Layout, width="3em"))
        self.filter = make(widgets.Text, "coop-filter", placeholder="filter: name, state, reason",
                           continuous_update=True)
        self.top = make(widgets.BoundedIntText, "coop-top", value=top, min=1, max=MAX_TOP,
                        description="top", layout=make(widgets.Layout, width="10em"),
                        style={"description_width": "2.5em"})
        for control in (self.sort, self.descending, self.filter, self.top):
            control.observe(lambda _: self.refresh(rechoose=True), "value")
        self._cols = cols
        self.rows: list[ThreadRow] = []
        self.table = make(widgets.VBox, "coop-table", children=[header(make, cols)])
        self.more = make(widgets.Label, "coop-more")
        self.finished = make(widgets.HTML, "coop-finished-list")
        self.detail = make(widgets.HTML, "coop-detail")
        self.gauges = make(widgets.HTML, "coop-gauges")
        self.patches = PatchToggles(make, self._say)
        self.timeline = LiveTimeline(make, self.hub, timeline)

    def _sections(self) -> list[widgets.Widget]:
        make = self._make
        return [
            self.style_sheet,
            make(widgets.HBox, children=[self.title, self.close_button]),
            self.note, self.banner,
            make(widgets.HBox, children=[self.sort, self.descending, self.filter, self.top]),
            self.table, self.more,
            make(widgets.HTML, value="<b>recently finished</b>"),
            self.finished, self.detail,
            make(widgets.HTML, value="<b>pools, queues, tpool</b>"),
            self.gauges, self.patches.box, self.lints, self.timeline.box,
        ]

    # -- refreshing ------------------------------------------------------------------------

    def _arm(self, delay: float) -> None:
        self._due = monotonic() + delay
        self._timer = self.hub.call_upkeep(delay, self._on_timer)
        driver = current_driver()
        if driver is not None:
            driver.wake()

    def _on_timer(self, _: Any = None, __: Any = None) -> None:
        self._timer = None
        if self.closed:
            return
        self._lag = max(0.0, monotonic() - self._due)
        started = perf_counter()
        try:
            self.refresh()
        except Exception as exc:  # never a broken hub callback: say it, and stop refreshing
            self._say(f"the dashboard stopped refreshing: {type(exc).__name__}: {exc}")
            return
        took = perf_counter() - started
        self.refresh_time += took
        self._arm(max(self.interval, 10 * took))

    def refresh(self, rechoose: bool = False) -> None:
        """Sample the hub and show what changed (on the hub's thread, outside green threads).
        Which threads the rows show, and in what order, is chosen anew with the numbers (every
        NUMBERS_EVERY seconds), when a shown thread ends, or with `rechoose`; in between the
        rows keep their threads and show their states."""
        if self.closed:
            return
        driver = current_driver()
        extra = {"loop lag ms": self._lag * 1e3}
        if driver is not None:
            extra["longest pass ms"] = driver.longest_tick * 1e3
        snap = self.snapshot = self.board.sample(extra)
        now = monotonic()
        shown = None if rechoose or now - self._numbers_at >= NUMBERS_EVERY else self._kept(snap)
        numbers = shown is None
        if numbers:
            self._numbers_at = now
            shown, rest = snap.view(self.sort.value, self.descending.value, self.filter.value,
                                    self.top.value)
            self._grow(len(shown))
            self._wanting = len(shown) > len(self.rows)
            self.more.value = f"... and {rest + max(0, len(shown) - len(self.rows)):,} more" \
                if rest or self._wanting else ""
        for i, view in enumerate(self.rows):
            view.show(shown[i] if i < len(shown) else None, snap, numbers)
        self.finished.value = finished_html(snap.finished)
        self.gauges.value = gauges_html(_busiest(snap.pools) + _busiest(snap.queues)
                                        + [snap.tpool])
        self.title.value = "<b>green threads</b> " + html.escape(hub_line(snap.hub))
        self.lints.value = "".join(f"<div>⚠ {html.escape(s)}</div>" for s in snap.lints)
        self._show_busy(driver)
        self.patches.sync()
        self.timeline.refresh()
        self._show_detail()

    def _kept(self, snap: Snapshot) -> list | None:
        """The rows of the threads shown now, from `snap`; None if one of them has ended, or
        rows are free while other threads live (new ones may belong in them)."""
        if self._wanting:
            return None
        live = snap.live
        kept = []
        for view in self.rows:
            if view.thread is None:
                break
            if view.thread.id not in live:
                return None
            kept.append(snap.row(view.thread))
        if len(kept) < self.top.value and len(live) > len(kept):
            return None
        return kept

    def _grow(self, wanted: int) -> None:
        """Make row widgets as they are needed, GROW_BY at a time: a row is six models, and
        making a hundred at once would hold the hub."""
        missing = min(wanted - len(self.rows), GROW_BY)
        if missing <= 0:
            return
        self.rows += [ThreadRow(self._make, self._cols, self.select, self.refresh)
                      for _ in range(missing)]
        self.table.children = [*self.table.children, *(r.box for r in self.rows[-missing:])]

    def _show_busy(self, driver: Any) -> None:
        """The note that clicks wait: while a plain cell runs (not while a cell awaits, when the
        kernel's loop drives the hub and delivers clicks)."""
        running = driver is not None and driver.request_parent is not None
        self.note.value = BUSY if running and not self.hub.driven else ""

    def select(self, gt: GreenThread | None) -> None:
        """Show `gt`'s detail below the tables (and its recorded histograms while recording)."""
        self.selected = gt
        self.timeline.selected = gt.id if gt is not None else None
        self.timeline.track_text = ""
        self._show_detail()

    def _show_detail(self) -> None:
        gt = self.selected
        if gt is None:
            self.detail.value = ""
            return
        text = thread_detail(gt, list(self.snapshot.live.values()))
        recorded = self.timeline.track_text or (
            "" if self.timeline.recorder else "(turn on the timeline recording to see its "
            "slices, its waits for the hub and who wakes it)")
        self.detail.value = f"<pre>{html.escape(text)}\n{html.escape(recorded)}</pre>"

    def _say(self, text: str) -> None:
        self.note.value = html.escape(text)

    # -- the blocking detector ---------------------------------------------------------------

    def _subscribe(self) -> None:
        driver = current_driver()
        self._monitor = driver.monitor if driver is not None else None
        if self._monitor is not None:
            self._monitor.subscribe(self._on_block)

    def _on_block(self, report: BlockReport) -> None:
        """On the watchdog's thread: the latest report, in the banner."""
        driver = current_driver()
        shell = driver.shell if driver is not None else None
        text = block_reports.describe(shell, report) if shell is not None else report.culprit
        self.banner.value = f"<pre>{html.escape(text)}</pre>"

    # -- text and closing --------------------------------------------------------------------

    def text(self) -> str:
        """What the widget shows, as plain text (a fresh sample)."""
        return format_text(self.board.sample() if not self.closed else self.snapshot)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = self.text()
        return bundle

    def __repr__(self) -> str:
        live = len(self.snapshot.live) if self.snapshot is not None else 0
        return f"<Dashboard {'closed' if self.closed else 'open'}: {live} live green threads>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text())

    def close(self) -> None:
        """End refreshing and recording, leave the detector, close every comm."""
        if getattr(self, "closed", True):  # closed already, or never opened
            return
        self.closed = True
        if self._timer is not None:
            self.hub.cancel_timer(self._timer)
            self._timer = None
        if self._monitor is not None:
            self._monitor.unsubscribe(self._on_block)
        self.timeline.close()
        _closed(self)
        super().close()
        self._make.close()


def _busiest(gauges: list) -> list:
    return sorted(gauges, key=lambda g: (-g.waiting, -g.value))[:GAUGES]


# -- open dashboards ---------------------------------------------------------------------------


_accounting_before: list[bool] = []


def _opened(board: Dashboard) -> None:
    """The first dashboard turns on run-time accounting (on anyway in the kernel)."""
    if not _open:
        atexit.register(close_all)
        _watch_cells(True)
        _accounting_before[:] = [board.hub.accounting]
        board.hub.accounting = True
    _open.append(board)


def _closed(board: Dashboard) -> None:
    if board in _open:
        _open.remove(board)
    if not _open:
        atexit.unregister(close_all)
        _watch_cells(False)
        board.hub.accounting = _accounting_before[0] if _accounting_before else False


def _watch_cells(on: bool) -> None:
    """Say at once that a cell started (its blocking may leave no refresh to say it)."""
    driver = current_driver()
    if driver is None:
        return
    events = driver.shell.events
    for name, callback in (("pre_execute", _cell_starts), ("post_execute", _cell_ends)):
        if on:
            events.register(name, callback)
        elif callback in events.callbacks[name]:
            events.unregister(name, callback)


def _cell_starts() -> None:
    for board in list(_open):
        board.note.value = BUSY


def _cell_ends() -> None:
    for board in list(_open):
        board.note.value = ""


def close_all() -> None:
    """Close every open dashboard (at %unload_ext and at exit)."""
    for board in list(_open):
        board.close()


def open_dashboards() -> list[Dashboard]:
    """The dashboards open now."""
    return list(_open)


def dashboard(top: int = TOP, interval: float = REFRESH, timeline: bool = False) -> Dashboard:
    """A live dashboard of the hub's green threads (see the module docstring): `top` rows,
    refreshed every `interval` seconds; `timeline` starts the recording for the timeline."""
    return Dashboard(top=top, interval=interval, timeline=timeline)


@magic_arguments()
@argument("--top", type=int, default=TOP, metavar="N",
          help="live rows shown (default %(default)s)")
@argument("--timeline", action="store_true", help="start recording for the live timeline")
def greentop(line: str) -> None:
    """Show the live dashboard of green threads (text in a terminal, where widgets cannot)."""
    args = parse_argstring(greentop, line)
    if not 1 <= args.top <= MAX_TOP:
        raise UsageError(f"--top must be from 1 to {MAX_TOP}, not {args.top}")
    driver = current_driver()
    if driver is None or getattr(driver.shell, "kernel", None) is None:
        print(format_text(Board().sample()))
        return
    display(dashboard(top=args.top, timeline=args.timeline))


def register(ip: Any) -> None:
    """Register %greentop with an IPython shell (called by the extension's loader)."""
    ip.register_magic_function(greentop, "line", "greentop")


def unregister(ip: Any) -> None:
    """Close every dashboard and remove %greentop (at unload)."""
    close_all()
    ip.magics_manager.magics["line"].pop("greentop", None)
