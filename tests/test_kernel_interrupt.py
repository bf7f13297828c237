"""The kernel's interrupt button with green threads: each case on a fresh kernel."""

import time

import pytest
from kernel_helpers import running_kernel

SETUP = "from notebook_coop import spawn, sleep\nimport time"


@pytest.fixture
def k():
    with running_kernel() as kernel:
        kernel.run(SETUP)
        yield kernel


def test_interrupt_in_a_blocked_cell_raises_there_and_the_hub_lives_on(k):
    background = k.run("def beat():\n    while True:\n        print('beat')\n        sleep(0.05)\n"
                       "spawn(beat)")
    blocked = k.send("print('sleeping', flush=True)\nsleep(30)")
    k.wait_for_text(blocked, "sleeping")
    k.km.interrupt_kernel()
    assert k.reply(blocked)["content"]["ename"] == "KeyboardInterrupt"
    assert k.evaluate("t = time.monotonic(); sleep(0.2); time.monotonic() - t >= 0.19") == "True"
    beats = k.stdout(background).count("beat")
    k.run("sleep(0.2)")
    assert k.stdout(background).count("beat") > beats


def test_second_interrupt_raises_inside_a_green_thread_hogging_the_cpu(k):
    waiting = k.send("def hog():\n    print('hogging', flush=True)\n    while True:\n        pass\n"
                     "gt = spawn(hog)\ngt.wait()")
    k.wait_for_text(waiting, "hogging")
    k.km.interrupt_kernel()
    time.sleep(0.3)  # the first one is pending in the hub, which the hog never lets run
    k.km.interrupt_kernel()
    reply = k.reply(waiting)
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert k.evaluate("gt.dead") == "True"
    assert k.evaluate("t = time.monotonic(); sleep(0.2); time.monotonic() - t >= 0.19") == "True"


def test_interrupt_while_idle_kills_a_runaway_green_thread(k):
    runaway = k.run("def runaway():\n    print('running away', flush=True)\n"
                    "    while True:\n        pass\nrun = spawn(runaway)")
    k.wait_for_text(runaway, "running away")
    k.km.interrupt_kernel()
    assert "KeyboardInterrupt" in k.wait_for_text(runaway, "KeyboardInterrupt")
    assert k.evaluate("run.dead") == "True"
