"""JupyterLab in headless Chromium for tests: a server of our own, a browser, a notebook page.

    with jupyter_lab(tmp_path) as lab, chromium(tmp_path) as browser:
        page = NotebookPage.open(browser, lab, write_notebook(lab.root, "demo", cells))
        page.run_all()
        page.wait_visible(".my-widget")
        page.screenshot("demo")

Chromium is Debian's (`apt-get install chromium`, which `.ci/run` does), driven by Playwright;
Playwright never downloads a browser here. Outside CI a missing Chromium skips the test with the
reason; under CI (`CI` set) it fails it. Screenshots and the server's log are kept as test
artifacts in `$NOTEBOOK_COOP_ARTIFACTS`, or `test-artifacts/` in the repository.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
import pytest
from kernel_helpers import REPO, kernel_env

ARTIFACTS = Path(os.environ.get("NOTEBOOK_COOP_ARTIFACTS") or REPO / "test-artifacts")
# Generous: a loaded 2-core machine starts JupyterLab and a kernel in 10-20 s.
SERVER_START_S = 90
WAIT_MS = 60_000
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# Start a kernel without asking, no news or update checks, and every cell in the DOM.
LAB_OVERRIDES = {
    "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True,
                                               "windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}


def require_browser() -> str:
    """The Chromium executable; skips the test without one, or fails it under CI."""
    found = shutil.which("chromium")
    missing = None
    if found is None:
        missing = "Chromium is not installed (apt-get install chromium; .ci/run does)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "Playwright is not installed (pip install -e '.[test]')"
    if missing and os.environ.get("CI"):
        pytest.fail(f"{missing}; a browser test cannot be skipped under CI", pytrace=False)
    if missing:
        pytest.skip(missing)
    return found


def artifact_dir(name: str) -> Path:
    """A fresh folder of test artifacts for the test called `name`."""
    folder = ARTIFACTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab: where its notebooks live and how to reach it."""

    root: Path
    port: int
    token: str

    def url(self, path: str) -> str:
        """The address of `path` on this server, with the token."""
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"


def _lab_command(root: Path, home: Path, port: int, token: str) -> list[str]:
    settings = home / "app-settings"
    settings.mkdir()
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES))
    return [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
            f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
            f"--LabApp.app_settings_dir={settings}",
            f"--LabApp.user_settings_dir={home / 'user-settings'}",
            f"--LabApp.workspaces_dir={home / 'workspaces'}"]


def _lab_env(home: Path) -> dict:
    """This process's environment with Jupyter's and IPython's folders made private."""
    dirs = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data",
            "JUPYTER_RUNTIME_DIR": "runtime", "IPYTHONDIR": "ipython"}
    return kernel_env({var: str(home / sub) for var, sub in dirs.items()})


def _wait_until_up(proc: subprocess.Popen, lab: Lab, log: Path) -> None:
    """Poll /api/status until the server answers; fail with its log if it exits or stalls."""
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited ({proc.returncode}):\n{log.read_text()}")
        with contextlib.suppress(OSError, urllib.error.URLError):
            with urllib.request.urlopen(lab.url("api/status"), timeout=5):
                return
        time.sleep(0.2)
    raise RuntimeError(f"JupyterLab did not answer in {SERVER_START_S} s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    """End the server and the kernels it started (those and nothing else)."""
    try:
        started = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        started = []
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    _, alive = psutil.wait_procs(started, timeout=10)
    for child in alive:
        child.kill()


@contextlib.contextmanager
def jupyter_lab(tmp_path: Path, artifacts: Path) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 at a free port with a random token, serving a fresh folder."""
    root, home = tmp_path / "notebooks", tmp_path / "jupyter-home"
    root.mkdir()
    home.mkdir()
    lab = Lab(root, free_port(), secrets.token_hex(16))
    log = artifacts / "jupyterlab.log"
    with log.open("w") as out:
        proc = subprocess.Popen(_lab_command(root, home, lab.port, lab.token), cwd=root,
                                env=_lab_env(home), stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(proc, lab, log)
        yield lab
    finally:
        _stop(proc)


@contextlib.contextmanager
def chromium(tmp_path: Path, executable: str) -> Iterator:
    """A headless Chromium (a Playwright BrowserContext) with a fresh profile, closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            tmp_path / "chromium-profile", executable_path=executable, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 1600})
        context.set_default_timeout(WAIT_MS)
        try:
            yield context
        finally:
            context.close()


def write_notebook(root: Path, name: str, cells: list[str]) -> str:
    """Save code `cells` as `<name>.ipynb` (Python 3 kernel) under root; its file name."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, root / f"{name}.ipynb")
    return f"{name}.ipynb"


class NotebookPage:
    """A notebook open in JupyterLab, with its kernel started: run cells, find, click, shoot."""

    def __init__(self, page, artifacts: Path) -> None:
        self.page, self.artifacts = page, artifacts

    @classmethod
    def open(cls, browser, lab: Lab, notebook: str, artifacts: Path) -> NotebookPage:
        """Open `notebook` alone in a workspace of its own; wait until its kernel is idle."""
        page = browser.new_page()
        page.goto(lab.url(f"lab/workspaces/{Path(notebook).stem}/tree/{notebook}"))
        self = cls(page, artifacts)
        self.wait_idle()
        return self

    def wait_idle(self) -> None:
        """Wait until the status bar says the kernel is idle (it says nothing before one runs)."""
        from playwright.sync_api import expect

        expect(self.page.locator("#jp-main-statusbar")).to_contain_text("| Idle",
                                                                       timeout=WAIT_MS)

    def command(self, menu: str, command: str) -> None:
        """Pick a JupyterLab command from a main menu (`Run`, `notebook:run-all-cells`)."""
        self.page.locator(".lm-MenuBar-item", has_text=menu).click()
        self.page.locator(f".lm-Menu-item[data-command='{command}']").click()

    def run_all(self) -> None:
        """Run > Run All Cells."""
        self.command("Run", "runmenu:run-all")

    def cell(self, containing: str):
        """The code cell whose source contains `containing`."""
        return self.page.locator(".jp-CodeCell").filter(
            has=self.page.locator(".jp-InputArea-editor", has_text=containing))

    def run_cell(self, containing: str) -> None:
        """Select the code cell containing `containing` and run it (Run > Run Selected Cell)."""
        self.cell(containing).locator(".jp-InputArea-prompt").click()
        self.command("Run", "notebook:run-cell")

    def output_text(self, containing: str) -> str:
        """The text of the outputs of the cell containing `containing`."""
        return self.cell(containing).locator(".jp-OutputArea").inner_text()

    def wait_output(self, containing: str, text: str) -> str:
        """Wait until that cell's output shows `text`; the output's text."""
        from playwright.sync_api import expect

        outputs = self.cell(containing).locator(".jp-OutputArea")
        expect(outputs).to_contain_text(text, timeout=WAIT_MS)
        return outputs.inner_text()

    def wait_visible(self, selector: str):
        """Wait until `selector` matches a visible element; its locator (the first match)."""
        found = self.page.locator(selector).first
        found.wait_for(state="visible", timeout=WAIT_MS)
        return found

    def screenshot(self, name: str, selector: str | None = None) -> Path:
        """Save the page (or the element `selector` matches) as `<name>.png`; its path."""
        path = self.artifacts / f"{name}.png"
        if selector is None:
            self.page.screenshot(path=path, full_page=True)
        else:
            self.page.locator(selector).first.screenshot(path=path)
        return path
