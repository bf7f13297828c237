"""Patching inside a real kernel: it keeps answering, streaming, handling widget messages and
interrupting while patched."""

from __future__ import annotations

import time

import pytest
from kernel_helpers import running_kernel

TICKER = """
import time, threading
from notebook_coop import spawn
def ticker(n, every):
    for i in range(n):
        print("tick", i, threading.current_thread().name, flush=True)
        time.sleep(every)
gt = spawn(ticker, {n}, {every})
"""


@pytest.fixture(scope="module")
def kernel():
    with running_kernel() as k:
        yield k


def test_greenpatch_on_and_off_in_a_kernel(kernel):
    on = kernel.run("%greenpatch on time thread")
    assert "patched: " in kernel.stdout(on)
    assert kernel.evaluate("__import__('time').sleep is not __import__('notebook_coop').patcher."
                           "original('time').sleep") == "True"
    kernel.run("%greenpatch off")
    assert kernel.evaluate("__import__('time').sleep is __import__('notebook_coop').patcher."
                           "original('time').sleep") == "True"


def test_patched_kernel_answers_while_a_green_thread_streams(kernel):
    kernel.run("%greenpatch on time thread")
    try:
        cell = kernel.run(TICKER.format(n=20, every=0.05))
        assert kernel.evaluate("1 + 1") == "2"
        kernel.wait_for_text(cell, "tick 19", timeout=20)
        assert "GreenThread-" in kernel.stdout(cell)
    finally:
        kernel.run("%greenpatch off")


def test_interrupt_stops_a_patched_sleep(kernel):
    kernel.run("%greenpatch on time thread")
    try:
        msg_id = kernel.send("import time; print('sleeping', flush=True); time.sleep(60)")
        kernel.wait_for_text(msg_id, "sleeping")  # the cell runs (an idle kernel ignores SIGINT)
        kernel.km.interrupt_kernel()
        reply = kernel.reply(msg_id, timeout=15)
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        assert kernel.evaluate("2 + 2") == "4"
    finally:
        kernel.run("%greenpatch off")


SLIDER = """
import ipywidgets as widgets
slider = widgets.IntSlider(max=1000)
seen = []
slider.observe(lambda change: seen.append(change["new"]), names="value")
"""


def send_slider_value(kernel, comm_id: str, value: int) -> None:
    """Move the slider as a browser does: a comm_msg `update` on the widget's comm."""
    content = {"comm_id": comm_id,
               "data": {"method": "update", "state": {"value": value}, "buffer_paths": []}}
    kernel.kc.shell_channel.send(kernel.kc.session.msg("comm_msg", content))


@pytest.mark.slow
def test_patched_kernel_answers_streams_and_handles_widgets_for_a_minute(kernel):
    kernel.run("%greenpatch on")
    try:
        cell = kernel.run(TICKER.format(n=120, every=0.5))
        kernel.run(SLIDER)
        comm_id = kernel.evaluate("slider.model_id").strip("'")
        sent = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            sent.append(len(sent) + 1)
            send_slider_value(kernel, comm_id, sent[-1])
            started = time.monotonic()
            assert kernel.evaluate("21 * 2", timeout=10) == "42"
            assert time.monotonic() - started < 5
            if len(sent) % 10 == 0:
                assert kernel.evaluate("seen[-1]") == str(sent[-1])
            time.sleep(1)
        assert kernel.evaluate(f"seen == {sent!r}") == "True"
        kernel.wait_for_text(cell, "tick 119", timeout=20)
    finally:
        kernel.run("%greenpatch off")
