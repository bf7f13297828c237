"""What a notebook user sees in JupyterLab, checked in headless Chromium (see browser_helpers).

One JupyterLab and one browser serve the module; each test opens a notebook of its own, runs it
with Run All Cells, clicks like a user and saves screenshots as test artifacts.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest
from browser_helpers import (
    WAIT_MS,
    Lab,
    NotebookPage,
    artifact_dir,
    chromium,
    jupyter_lab,
    require_browser,
    write_notebook,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    executable = require_browser()
    with chromium(tmp_path_factory.mktemp("chromium"), executable) as context:
        yield context


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with jupyter_lab(tmp_path_factory.mktemp("lab"), artifact_dir("jupyterlab")) as server:
        yield server


@contextlib.contextmanager
def notebook(browser, lab: Lab, name: str, cells: list[str]) -> Iterator[NotebookPage]:
    """Write the notebook, open it in a new tab with its kernel idle, and run all its cells;
    on a failure the tab is saved as failure.png; the tab is closed afterwards."""
    page = NotebookPage.open(browser, lab, write_notebook(lab.root, name, cells),
                             artifact_dir(name))
    try:
        page.run_all()
        yield page
    except BaseException:
        page.screenshot("failure")
        raise
    finally:
        page.page.close()


GREEN_OUTPUT_CELLS = [
    "%load_ext notebook_coop\nimport ipywidgets as widgets\nimport notebook_coop as coop",
    # The cell returns at once; its green thread keeps printing into it.
    "%%greenspawn --name ticker\nfor step in range(3):\n"
    "    coop.sleep(0.3)\n    print(f'ticker says {step}')",
    """\
# a button that kills a green thread
def victim():
    try:
        while True:
            coop.sleep(0.05)
    finally:
        print("victim unwound")

gt = coop.spawn(victim)
state = widgets.Label(gt.state)
state.add_class("test-state")
button = widgets.Button(description="kill")
button.add_class("test-kill")

def on_click(_):
    gt.kill()
    state.value = gt.state

button.on_click(on_click)
widgets.HBox([button, state])""",
]


def test_green_threads_print_into_their_cell_and_a_click_kills_one(browser, lab: Lab) -> None:
    """Output after a cell returned lands under it; a widget click ends a green thread."""
    with notebook(browser, lab, "green-output", GREEN_OUTPUT_CELLS) as page:
        page.wait_output("%%greenspawn", "ticker says 2")
        page.wait_visible(".test-kill")
        page.wait_idle()
        assert page.page.locator(".test-state").inner_text() in ("blocked(sleep)", "ready")
        page.screenshot("before-kill")

        page.page.locator(".test-kill").click()
        page.wait_output("# a button that kills", "victim unwound")
        assert page.page.locator(".test-state").inner_text() == "killed"
        page.screenshot("after-kill")


DASHBOARD_CELLS = [
    "%load_ext notebook_coop\nimport time\nimport notebook_coop as coop",
    """\
# green threads to watch
def ticker():
    while True:
        coop.sleep(0.1)

def victim():
    try:
        while True:
            coop.sleep(0.1)
    finally:
        print("victim unwound")
        go.send()

def waiter():
    go.wait()

go = coop.Event()
threads = [coop.spawn(fn) for fn in (ticker, victim, waiter)]""",
    "coop.dashboard(timeline=True)",
    """\
# the experiment: 4 workers x 5 jobs of time.sleep(0.05)
def jobs(worker):
    for _ in range(5):
        time.sleep(0.05)

with coop.record() as rec:
    start = time.perf_counter()
    pool = coop.GreenPool(4)
    for worker in range(4):
        pool.spawn(jobs, worker)
    pool.waitall()
    total = time.perf_counter() - start
workers = [r for r in rec.rows() if r["name"].startswith("jobs#")]
ran = sum(r["run"] for r in workers)
slept = sum(r["blocked_sleep"] for r in workers)
print(f"time patched: {coop.is_monkey_patched('time')}; total {total:.3f} s; "
      f"workers ran {ran:.3f} s, slept {slept:.3f} s")""",
]
EXPERIMENT = "# the experiment"
FIGURES = re.compile(r"time patched: (True|False); total ([\d.]+) s; "
                     r"workers ran ([\d.]+) s, slept ([\d.]+) s")
SERIAL_S = 4 * 5 * 0.05
"""The experiment's length when the workers' sleeps cannot overlap."""

# The state words of the visible dashboard rows (live or finished) whose name starts with
# the given text: a row is the nearest ancestor of a name that also holds a state.
STATES_JS = """(prefix) => [...document.querySelectorAll('.coop-dashboard .coop-name')]
    .filter(name => name.offsetParent !== null && name.textContent.trim().startsWith(prefix))
    .map(name => {
        let row = name;
        while (!row.querySelector('.coop-state')) row = row.parentElement;
        return [name.textContent.trim(), row.querySelector('.coop-state').textContent.trim()];
    })"""


def states(page: NotebookPage, prefix: str) -> dict[str, str]:
    """{thread name: state word} for the visible dashboard rows of threads named prefix..."""
    return dict(page.page.evaluate(STATES_JS, prefix))


def wait_state(page: NotebookPage, prefix: str, wanted: str) -> str:
    """Wait until a dashboard row of a thread named prefix... says `wanted`; its name."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.page.wait_for_function(
            f"(prefix) => ({STATES_JS})(prefix).some(([, s]) => s === {wanted!r})",
            arg=prefix, timeout=WAIT_MS)
    except PlaywrightTimeout:
        raise AssertionError(f"no {prefix}... row says {wanted}: {states(page, prefix)}") from None
    return next(name for name, state in states(page, prefix).items() if state == wanted)


def experiment(page: NotebookPage, patched: bool) -> tuple[float, float, float]:
    """Wait for the experiment cell's line for `patched`; its total, run and sleep seconds."""
    text = page.wait_output(EXPERIMENT, f"time patched: {patched}")
    found = FIGURES.search(text)
    assert found, text
    return tuple(float(x) for x in found.groups()[1:])


def wait_redrawn(page: NotebookPage) -> None:
    """Wait until the live timeline has been drawn twice more: the first drawing may have
    started before what was just done."""
    timeline = page.page.locator(".coop-timeline")
    for _ in range(2):
        page.page.wait_for_function("(before) => document.querySelector('.coop-timeline')"
                                    ".src !== before", arg=timeline.get_attribute("src"))


def test_dashboard_shows_kills_and_patches(browser, lab: Lab) -> None:
    """Rows appear and change state, a kill button ends its thread, the time toggle patches."""
    with notebook(browser, lab, "dashboard", DASHBOARD_CELLS) as page:
        page.wait_visible(".coop-dashboard")
        wait_state(page, "ticker#", "sleeping")
        victim = wait_state(page, "victim#", "sleeping")
        wait_state(page, "waiter#", "blocked")
        total, ran, slept = experiment(page, patched=False)
        assert total >= SERIAL_S and ran > slept, (total, ran, slept)
        page.wait_visible(".coop-timeline")
        page.wait_idle()
        wait_redrawn(page)
        page.screenshot("running")
        page.screenshot("timeline-unpatched", ".coop-timeline")

        page.page.locator(f".coop-kill[title='kill {victim}']").click()
        wait_state(page, victim, "killed")
        wait_state(page, "waiter#", "done")  # the victim's finally: set its event
        page.wait_output("# green threads", "victim unwound")
        ticker = states(page, "ticker#")
        assert ticker and set(ticker.values()) <= {"sleeping", "ready"}, ticker  # untouched
        page.screenshot("killed")

        page.page.locator(".coop-patch-time").click()
        page.wait_visible(".coop-patch-time.mod-success")  # the kernel says: patched
        page.run_cell(EXPERIMENT)
        total, ran, slept = experiment(page, patched=True)
        assert total < SERIAL_S and slept > ran, (total, ran, slept)
        page.wait_idle()
        wait_redrawn(page)
        page.screenshot("patched")
        page.screenshot("timeline-patched", ".coop-timeline")
        page.screenshot("dashboard", ".coop-dashboard")
