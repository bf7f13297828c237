"""The dashboard's pieces, each a few stock ipywidgets that update only what changed.

A refresh assigns every value it shows; ipywidgets sends a trait only when its value differs,
so an unchanged row costs no message. Layouts and styles are shared by the widgets of a column,
so a row is six models, not eighteen.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from ipywidgets.widgets.widget_string import HTMLStyle, LabelStyle

from .. import patcher
from ..greenthread import kill
from ..watch.board import Gauge, Row, Snapshot, gauge_text, seconds
from ..watch.palette import COLOURS, OUTCOME_COLOURS

STATE_COLOURS = {"running": COLOURS["run"], "ready": "#b07800", "sleeping": "#2171b5",
                 "blocked": "#6a51a3", **OUTCOME_COLOURS}

STYLE = """<style>
.coop-dashboard .coop-cols {white-space:nowrap}
.coop-dashboard .coop-cols span {display:inline-block; overflow:hidden; white-space:nowrap;
  text-overflow:ellipsis; vertical-align:top; font-family:monospace; font-size:12px;
  padding-right:5px}
.coop-dashboard .c-wait {width:12em} .coop-dashboard .c-cell {width:4em}
.coop-dashboard .c-site {width:7em} .coop-dashboard .c-num {width:4.5em; text-align:right}
.coop-dashboard .c-lint {width:10em; color:#d62728}
.coop-dashboard .coop-table {overflow-x:auto; align-items:flex-start}
.coop-dashboard .coop-table > .widget-hbox {flex-wrap:nowrap}
.coop-dashboard .coop-table > .widget-hbox > * {flex-shrink:0}
.coop-dashboard .coop-head {font-weight:bold}
.coop-dashboard .coop-banner {color:#d62728}
""" + "".join(f".coop-dashboard .coop-state.coop-st-{state} {{color:{colour} !important}}\n"
              for state, colour in STATE_COLOURS.items()) + """
.coop-dashboard .coop-st-failed {font-weight:bold}
.coop-dashboard .coop-error {color:#d62728}
.coop-dashboard .coop-hidden {display:none !important}
.coop-dashboard .c-name {width:10em} .coop-dashboard span.coop-state {width:6.5em}
.coop-dashboard .coop-bar {display:inline-block; width:10em; height:0.8em; background:#eee;
  vertical-align:middle} .coop-dashboard .coop-bar span {display:block; height:100%;
  background:#2ca02c}
</style>"""

COLUMNS = ("waiting on", "cell", "spawn site", "run", "ready", "blocked", "slices", "longest",
           "lints")
_SPANS = ("c-wait", "c-cell", "c-site", "c-num", "c-num", "c-num", "c-num", "c-num", "c-lint")


class Parts:
    """Makes widgets and remembers each one, so that closing closes them all."""

    def __init__(self) -> None:
        self.made: list[widgets.Widget] = []

    def __call__(self, cls: type, *classes: str, **kwargs: Any) -> Any:
        widget = cls(**kwargs, **({"_dom_classes": classes} if classes else {}))
        self.made.append(widget)
        return widget

    def close(self) -> None:
        for widget in reversed(self.made):
            widget.close()
        self.made.clear()


class Columns:
    """Shared layouts and styles for the fixed-width columns of the thread tables."""

    def __init__(self, make: Parts) -> None:
        self.id = make(widgets.Layout, width="4em")
        self.name = make(widgets.Layout, width="10em")
        self.state = make(widgets.Layout, width="6.5em")
        self.kill = make(widgets.Layout, width="3em")
        self.info = make(widgets.Layout)
        self.row = make(widgets.Layout)
        self.label = make(LabelStyle)
        self.html = make(HTMLStyle)
        self.button = make(widgets.ButtonStyle)


def info_html(cells: list[str], title: str = "") -> str:
    """The row's other columns as fixed-width spans (see STYLE)."""
    spans = "".join(f'<span class="{cls}">{html.escape(text)}</span>'
                    for cls, text in zip(_SPANS, cells, strict=True))
    attr = f' title="{html.escape(title)}"' if title else ""
    return f'<div class="coop-cols"{attr}>{spans}</div>'


class ThreadRow:
    """One live thread: kill, its id (click for detail), name, state and other columns; kill
    first, so it stays in view when a narrow page scrolls the columns."""

    def __init__(self, make: Parts, cols: Columns, select: Callable[[Any], None],
                 after_kill: Callable[[], None]) -> None:
        self.thread: Any = None
        self.select = make(widgets.Button, "coop-select", layout=cols.id, style=cols.button)
        self.name = make(widgets.Label, "coop-name", layout=cols.name, style=cols.label)
        self.state = make(widgets.Label, "coop-state", layout=cols.state, style=cols.label)
        self.info = make(widgets.HTML, layout=cols.info, style=cols.html)
        self.kill = make(widgets.Button, "coop-kill", description="✕", layout=cols.kill,
                         style=cols.button, button_style="danger")
        self.box = make(widgets.HBox, "coop-row", "coop-hidden", children=[
            self.kill, self.select, self.name, self.state, self.info], layout=cols.row)
        self.select.on_click(lambda _: select(self.thread))
        self.kill.on_click(lambda _: self._kill(after_kill))

    def show(self, row: Row | None, snap: Snapshot, numbers: bool) -> None:
        """Bind to `row` (None: hide the row); its other columns change only with `numbers`
        or when the row shows another thread than before."""
        if row is None:
            self.thread = None
            self.box._dom_classes = ("coop-row", "coop-hidden")
            return
        if row.thread is self.thread and not numbers:
            set_state(self.state, row.state)
            return
        self.thread = row.thread
        self.select.description = str(row.id)
        self.name.value = row.name
        self.kill.tooltip = f"kill {row.name}"
        set_state(self.state, row.state)
        lints = snap.lints_of(row)
        self.info.value = info_html(
            [row.waiting(), row.cell(), row.site(), seconds(row.run), seconds(row.ready),
             seconds(row.blocked), str(row.slices), seconds(row.longest),
             f"⚠ {lints[0]}" if lints else ""], "\n".join(lints))
        self.box._dom_classes = ("coop-row",)

    def _kill(self, after: Callable[[], None]) -> None:
        if self.thread is not None and not self.thread.dead:
            kill(self.thread)
        after()


def set_state(label: widgets.Label, state: str) -> None:
    """A state label's word and its colour class, in one message."""
    with label.hold_sync():
        label.value = state
        label._dom_classes = ("coop-state", f"coop-st-{state}")


def finished_html(rows: list[Row]) -> str:
    """The recently finished threads, one line each: name, how it ended, its error in red."""
    lines = []
    for row in rows:
        error = f'<span class="coop-error">{html.escape(row.error)}</span>' if row.error else ""
        lines.append(
            f'<div class="coop-finished coop-cols"><span class="c-num">{row.id}</span>'
            f'<span class="coop-name c-name">{html.escape(row.name)}</span>'
            f'<span class="coop-state coop-st-{row.state}">{row.state}</span>'
            f'<span class="c-num">{seconds(row.run)}</span>'
            f'<span class="c-num">{row.slices}</span>{error}</div>')
    return "".join(lines)


def gauges_html(gauges: list[Gauge]) -> str:
    """A bar and a line of text per pool, queue and tpool."""
    lines = []
    for g in gauges:
        limit = g.limit if g.limit is not None else max(g.value, 1)
        width = 100 * min(g.value, limit) / max(limit, 1)
        lines.append(f'<div class="coop-gauge"><span class="coop-bar"><span style="width:'
                     f'{width:.0f}%"></span></span> {html.escape(gauge_text(g))}</div>')
    return "".join(lines)


def header(make: Parts, cols: Columns) -> widgets.HBox:
    """The column titles, aligned with ThreadRow."""
    titles = [make(widgets.Label, "coop-head", value=text, layout=layout, style=cols.label)
              for text, layout in (("", cols.kill), ("id", cols.id), ("name", cols.name),
                                   ("state", cols.state))]
    rest = make(widgets.HTML, "coop-head", value=info_html(list(COLUMNS)), style=cols.html)
    return make(widgets.HBox, children=[*titles, rest])


class PatchToggles:
    """A toggle per patch flag: on patches its modules in the live kernel, off restores them."""

    def __init__(self, make: Parts, report: Callable[[str], None]) -> None:
        self.report = report
        self._syncing = False
        self.toggles = {flag: make(widgets.ToggleButton, f"coop-patch-{flag}", description=flag,
                                   value=patcher.is_monkey_patched(flag),
                                   tooltip=f"patch {', '.join(modules)}",
                                   layout=make(widgets.Layout, width="7em"))
                        for flag, modules in patcher.PATCHES.items()}
        for flag, toggle in self.toggles.items():
            toggle.observe(lambda change, flag=flag: self._flip(flag, change["new"]), "value")
        self.box = make(widgets.HBox, children=[make(widgets.Label, value="patched:"),
                                                *self.toggles.values()])

    def _flip(self, flag: str, on: bool) -> None:
        if self._syncing:
            return
        modules = list(patcher.PATCHES[flag])
        try:
            changed = patcher.patch_modules(modules) if on else patcher.unpatch_modules(modules)
        except ImportError as exc:
            self.report(f"cannot patch {flag}: {exc}")
            changed = []
        else:
            self.report(f"{'patched' if on else 'restored'}: {', '.join(changed) or 'nothing'}")
        self.sync()

    def sync(self) -> None:
        """Show what is patched now (a %greenpatch may have changed it)."""
        self._syncing = True
        try:
            for flag, toggle in self.toggles.items():
                toggle.value = patcher.is_monkey_patched(flag)
                toggle.button_style = "success" if toggle.value else ""
        finally:
            self._syncing = False
