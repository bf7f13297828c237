"""What a notebook user sees in JupyterLab, checked in headless Chromium (see browser_helpers).

One JupyterLab and one browser serve the module; each test opens a notebook of its own, runs it
with Run All Cells, clicks like a user and saves screenshots as test artifacts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from browser_helpers import (
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
