"""The kernel's stop button with green threads, pressed once: each case on a fresh kernel."""

import time

import pytest
from kernel_helpers import running_kernel

SETUP = ("from notebook_coop import spawn, sleep\nimport time\n"
         "def hog():\n    print('hogging', flush=True)\n    while True:\n        pass\n"
         "def yielder():\n    while True:\n        for _ in range(100):\n            sleep(0)\n"
         "        sleep(0.005)\n")
HUB_WORKS = "t = time.monotonic(); sleep(0.2); time.monotonic() - t >= 0.19"


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
    k.idle(blocked)
    assert k.evaluate(HUB_WORKS) == "True"
    beats = k.stdout(background).count("beat")
    k.wait_for(background, lambda _: k.stdout(background).count("beat") > beats)  # beating on


def test_one_press_stops_a_cell_waiting_on_a_thread_that_holds_the_hub_and_the_thread(k):
    waiting = k.send("gt = spawn(hog)\ngt.wait()")
    k.wait_for_text(waiting, "hogging")
    pressed = time.monotonic()
    k.km.interrupt_kernel()
    reply = k.reply(waiting)
    assert time.monotonic() - pressed < 3  # promptly, on a loaded machine too
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    k.idle(waiting)
    assert k.evaluate("gt.state") == "'failed'"
    assert k.evaluate(HUB_WORKS) == "True"


def test_one_press_stops_a_thread_holding_the_hub_and_the_queued_cell_then_runs(k):
    holder = k.run("gt = spawn(hog)")
    k.wait_for_text(holder, "hogging")
    waiting = k.send("sleep(0.1)")  # queued behind the hog, which holds the kernel's loop
    time.sleep(0.3)
    k.km.interrupt_kernel()
    k.wait_for(holder, lambda msgs: any(m["msg_type"] == "error" for m in msgs))
    [error] = k.messages(holder, "error")
    assert error["content"]["ename"] == "KeyboardInterrupt"
    assert k.reply(waiting)["content"]["status"] == "ok"  # it ran once the hub was free
    assert k.evaluate("gt.state") == "'failed'"


def test_interrupt_while_idle_kills_a_runaway_green_thread_with_its_traceback_in_its_cell(k):
    runaway = k.run("run = spawn(hog)")
    k.wait_for_text(runaway, "hogging")
    k.km.interrupt_kernel()
    k.wait_for(runaway, lambda msgs: any(m["msg_type"] == "error" for m in msgs))
    assert "Cell In[" in k.text(runaway) and "while True" in k.text(runaway)
    assert k.evaluate("run.dead") == "True"


def test_presses_while_idle_never_kill_threads_that_yield(k):
    k.run("threads = [spawn(yielder) for _ in range(5)] + [spawn(sleep, 30)]")
    for _ in range(10):
        k.km.interrupt_kernel()
        time.sleep(0.05)
    assert k.evaluate("[gt.state for gt in threads if gt.dead]") == "[]"


def test_a_press_while_a_cell_waits_stops_the_cell_and_no_bystander(k):
    k.run("threads = [spawn(yielder) for _ in range(5)]")
    blocked = k.send("print('waiting', flush=True)\nsleep(30)")
    k.wait_for_text(blocked, "waiting")
    k.km.interrupt_kernel()
    assert k.reply(blocked)["content"]["ename"] == "KeyboardInterrupt"
    k.idle(blocked)
    assert k.evaluate("[gt.state for gt in threads if gt.dead]") == "[]"


def test_a_press_cancels_an_async_cell_awaiting_a_green_thread_and_leaves_the_thread(k):
    k.run("threads = [spawn(yielder) for _ in range(3)]\ngt = spawn(sleep, 30)")
    awaiting = k.send("print('awaiting', flush=True)\nawait gt")
    k.wait_for_text(awaiting, "awaiting")
    k.km.interrupt_kernel()
    reply = k.reply(awaiting)["content"]
    assert reply["status"] == "error"
    k.idle(awaiting)
    assert k.evaluate("gt.dead, [t.state for t in threads if t.dead]") == "(False, [])"


def test_a_press_left_over_from_an_earlier_cell_does_not_swallow_the_next_one(k):
    """A press whose resent signal met the kernel's own handler stays pending, marked resent:
    the next cell's first press must still stop that cell."""
    k.run("from notebook_coop.jupyter.driver import current_driver\n"
          "from notebook_coop.jupyter.stop_button import _Press\n"
          "current_driver().stop_button.pending = _Press(0, 0.0, resent=True)")
    waiting = k.send("print('waiting', flush=True)\nsleep(30)")
    k.wait_for_text(waiting, "waiting")
    k.km.interrupt_kernel()
    assert k.reply(waiting, timeout=5)["content"]["ename"] == "KeyboardInterrupt"
