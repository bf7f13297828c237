"""Real kernels for tests: start one through jupyter_client, run cells, read output by cell.

    with running_kernel() as k:
        msg_id = k.run("print(1)")
        assert k.stdout(msg_id) == "1\\n"

Every IOPub message is kept, grouped by its parent msg_id, so output that a green thread prints
long after its cell finished is still found under that cell.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from jupyter_client import BlockingKernelClient, KernelManager

REPO = Path(__file__).resolve().parent.parent
EXTENSION = "notebook_coop"
LOAD = f"%load_ext {EXTENSION}"


def kernel_env(extra: dict | None = None) -> dict:
    """The test process's environment, with the repository importable in the kernel."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), str(REPO)]))
    env.update(extra or {})
    return env


class Kernel:
    """A started kernel and a client, with IOPub messages grouped by parent msg_id."""

    def __init__(self, km: KernelManager, kc: BlockingKernelClient) -> None:
        self.km, self.kc = km, kc
        self.by_parent: dict[str, list[dict]] = defaultdict(list)
        self.replies: dict[str, dict] = {}

    def send(self, code: str, cell_id: str | None = None) -> str:
        """Send an execute request (as JupyterLab does, with `metadata.cellId`); its msg_id."""
        content = {"code": code, "silent": False, "store_history": True,
                   "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        metadata = {"cellId": cell_id} if cell_id else {}
        msg = self.kc.session.msg("execute_request", content, metadata=metadata)
        self.kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def run(self, code: str, timeout: float = 20, allow_error: bool = False,
            cell_id: str | None = None) -> str:
        """Execute `code`, wait for its reply and its idle status; returns its msg_id."""
        msg_id = self.send(code, cell_id)
        reply = self.replies[msg_id] = self.reply(msg_id, timeout)
        self.idle(msg_id, timeout)
        if reply["content"]["status"] != "ok" and not allow_error:
            raise AssertionError(f"cell failed: {code!r}\n{reply['content']}\n{self.text(msg_id)}")
        return msg_id

    def idle(self, msg_id: str, timeout: float = 20) -> None:
        """Wait until request `msg_id` is over (its idle status): after an error reply, the
        kernel aborts requests that arrive before then."""
        self.wait_for(msg_id, lambda msgs: any(_is_idle(m) for m in msgs), timeout)

    def reply(self, msg_id: str, timeout: float = 20) -> dict:
        """The shell reply to request `msg_id`."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_shell_msg(timeout=max(0.01, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def evaluate(self, expr: str, timeout: float = 20) -> str:
        """The text/plain result of `expr` evaluated in the kernel."""
        msg_id = self.run(expr, timeout)
        for msg in self.by_parent[msg_id]:
            if msg["msg_type"] == "execute_result":
                return msg["content"]["data"]["text/plain"]
        raise AssertionError(f"no result for {expr!r}: {self.text(msg_id)}")

    def drain(self, timeout: float = 0.0) -> None:
        """File every IOPub message that arrives within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return
            self._file(msg)

    def wait_for(self, msg_id: str, done, timeout: float = 10) -> list[dict]:
        """Drain IOPub until `done(messages of msg_id)` holds; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while not done(self.by_parent[msg_id]):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; output so far: {self.text(msg_id)!r}")
            try:
                msg = self.kc.get_iopub_msg(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            self._file(msg)
        return self.by_parent[msg_id]

    def _file(self, msg: dict) -> None:
        """Keep `msg` under its parent, with the wall-clock time it was read (`received`)."""
        msg["received"] = time.time()
        self.by_parent[msg["parent_header"].get("msg_id", "")].append(msg)

    def wait_for_text(self, msg_id: str, text: str, timeout: float = 10) -> str:
        """Drain IOPub until `text` appears in the output of request `msg_id`."""
        self.wait_for(msg_id, lambda msgs: text in _text(msgs), timeout)
        return self.text(msg_id)

    def stdout(self, msg_id: str) -> str:
        """Everything the request's cell (and its green threads) printed to stdout so far."""
        return "".join(m["content"]["text"] for m in self.by_parent[msg_id]
                       if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")

    def text(self, msg_id: str) -> str:
        """All text output of a request so far: streams, results, displays and tracebacks."""
        return _text(self.by_parent[msg_id])

    def messages(self, msg_id: str, msg_type: str) -> list[dict]:
        return [m for m in self.by_parent[msg_id] if m["msg_type"] == msg_type]


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(text: str) -> str:
    """`text` without ANSI colour codes (IPython colours its tracebacks)."""
    return ANSI.sub("", text)


def _is_idle(msg: dict) -> bool:
    return msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"


def _text(msgs: list[dict]) -> str:
    parts = []
    for m in msgs:
        content = m["content"]
        if m["msg_type"] == "stream":
            parts.append(content["text"])
        elif m["msg_type"] == "error":
            parts.append(plain("\n".join(content["traceback"])) + f"\n{content['ename']}")
        elif m["msg_type"] in ("execute_result", "display_data", "update_display_data"):
            parts.append(content["data"].get("text/plain", ""))
    return "".join(parts)


@contextlib.contextmanager
def running_kernel(load: bool = True, kernel_name: str = "python3",
                   extra_env: dict | None = None, **km_kwargs) -> Iterator[Kernel]:
    """A fresh kernel (with the extension loaded unless `load=False`), shut down afterwards."""
    km = KernelManager(kernel_name=kernel_name, **km_kwargs)
    km.start_kernel(env=kernel_env(extra_env), cwd=str(REPO))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        kernel = Kernel(km, kc)
        if load:
            kernel.run(LOAD)
        yield kernel
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)

