"""A fair share of the kernel while green threads keep the CPU busy: short ticks while the loop
has other work, a short GIL switch interval only while ticks use their whole budget or leave
work due."""

import asyncio
import sys

import pytest
from kernel_helpers import running_kernel

from notebook_coop.jupyter.fair_share import BUSY_SWITCH_INTERVAL, SHORT_BUDGET, FairShare


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def interval():
    """The process's switch interval, put back after the test whatever it did."""
    original = sys.getswitchinterval()
    yield original
    sys.setswitchinterval(original)


def test_a_tick_gets_its_full_budget_while_nothing_else_is_ready(loop):
    assert FairShare(loop).budget(0.005) == 0.005


def test_a_tick_gets_a_short_budget_while_the_loop_has_other_callbacks(loop):
    loop.call_soon(print)
    assert FairShare(loop).budget(0.005) == SHORT_BUDGET


def test_the_switch_interval_is_short_only_while_ticks_use_their_whole_budget(loop, interval):
    share = FairShare(loop)
    share.tick_ended(0.002, 0.005)
    assert sys.getswitchinterval() == interval
    share.tick_ended(0.005, 0.005)
    assert (share.saturated, sys.getswitchinterval()) == (True, BUSY_SWITCH_INTERVAL)
    share.tick_ended(0.006, 0.005)
    assert sys.getswitchinterval() == BUSY_SWITCH_INTERVAL
    share.tick_ended(0.001, 0.005)
    assert (share.saturated, sys.getswitchinterval()) == (False, interval)


def test_the_switch_interval_is_short_while_ticks_end_early_with_work_still_due(loop, interval):
    """Back-to-back short ticks let go of the GIL between them too often for a waiting thread
    to ask for it: that is saturation too."""
    share = FairShare(loop)
    share.tick_ended(0.001, 0.005, due=True)
    assert (share.saturated, sys.getswitchinterval()) == (True, BUSY_SWITCH_INTERVAL)
    share.tick_ended(0.001, 0.005, due=False)
    assert (share.saturated, sys.getswitchinterval()) == (False, interval)


def test_closing_puts_the_switch_interval_back(loop, interval):
    share = FairShare(loop)
    share.tick_ended(0.005, 0.005)
    share.close()
    assert sys.getswitchinterval() == interval


BUSY = """
from notebook_coop import spawn, sleep
from notebook_coop.jupyter.driver import current_driver
laps = [0]
def busy():
    while True:
        laps[0] += 1
        sleep(0)
busy_threads = [spawn(busy) for _ in range(10_000)]
"""


@pytest.fixture(scope="module")
def busy_kernel():
    with running_kernel() as kernel:
        yield kernel


def test_a_kernel_under_10000_busy_threads_answers_and_they_keep_running(busy_kernel):
    k = busy_kernel
    original = float(k.evaluate("import sys; sys.getswitchinterval()"))
    k.run(BUSY)
    before = int(k.evaluate("laps[0]"))
    assert k.evaluate("1+1") == "2"
    assert int(k.evaluate("laps[0]")) > before  # the green threads ran between the requests
    assert k.evaluate("current_driver().fair_share.saturated") == "True"
    assert float(k.evaluate("sys.getswitchinterval()")) == BUSY_SWITCH_INTERVAL < original
    k.run("%greenkill --all")
    k.run("sleep(0.05)")  # ticks that end early from here on
    assert float(k.evaluate("sys.getswitchinterval()")) == original


def test_unloading_the_extension_puts_the_switch_interval_back(busy_kernel):
    k = busy_kernel
    original = float(k.evaluate("import sys; sys.getswitchinterval()"))
    k.run(BUSY)
    assert float(k.evaluate("sys.getswitchinterval()")) == BUSY_SWITCH_INTERVAL
    k.run("%unload_ext notebook_coop")
    assert float(k.evaluate("sys.getswitchinterval()")) == original
    k.run("%load_ext notebook_coop")
    k.run("%greenkill --all")
