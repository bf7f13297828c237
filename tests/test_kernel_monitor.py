"""The blocking detector in a real kernel: what holds the hub is reported in the culprit's cell
while it happens, and nothing is reported when nothing waits for the hub."""

import re

import pytest
from kernel_helpers import running_kernel

SETUP = ("from notebook_coop import spawn, sleep\nimport threading, time\n"
         "def beat(n):\n    for _ in range(n):\n        sleep(0.01)\n")
HELD = "held the hub"


@pytest.fixture(scope="module")
def k():
    with running_kernel() as kernel:
        kernel.run(SETUP)
        yield kernel


def reports(k, cell):
    """The detector's display messages in a cell, in order of arrival."""
    return [m for m in k.by_parent[cell]
            if m["msg_type"] in ("display_data", "update_display_data")
            and HELD in m["content"]["data"]["text/plain"]]


def text(msg):
    return msg["content"]["data"]["text/plain"]


def wait_for_report(k, cell, words, timeout=10):
    k.wait_for(cell, lambda msgs: any(words in text(m) for m in reports(k, cell)), timeout)
    return next(m for m in reports(k, cell) if words in text(m))


def test_an_unpatched_sleep_in_a_green_thread_is_reported_in_its_cell_before_it_ends(k):
    cell = k.send("def blocker():\n    global slept_until\n    time.sleep(0.5)\n"
                  "    slept_until = time.time()\ngt = spawn(blocker)")
    first = wait_for_report(k, cell, "has held the hub")
    last = wait_for_report(k, cell, "The other green threads run again")
    assert first["received"] < float(k.evaluate("slept_until"))
    assert first["parent_header"]["msg_id"] == cell
    label = k.evaluate("gt.label").strip("'")
    assert f"green thread {label} has held the hub" in text(first)
    assert "now at Cell In[" in text(first) and "time.sleep(0.5)" in text(first)
    assert "The stop button raises KeyboardInterrupt in it" in text(first)
    assert re.search(rf"green thread {re.escape(label)} held the hub for [01]\.\d\d s",
                     text(last))
    assert len(text(last).splitlines()) == 1


@pytest.mark.parametrize("patched", [True, False])
def test_a_sleep_is_reported_only_when_time_is_not_patched(k, patched):
    k.run(f"%greenpatch {'on' if patched else 'off'} time")
    cell = k.run("napper = spawn(time.sleep, 0.4)\nothers = spawn(beat, 60)\nnapper.wait()\n"
                 "others.wait()")
    k.run("%greenpatch off")
    assert bool(reports(k, cell)) is not patched


def test_a_cell_that_computes_with_no_green_work_due_is_not_reported(k):
    k.run("parked = spawn(sleep, 30)")  # a green thread, with nothing due for 30 s
    cell = k.run("t = time.monotonic()\nwhile time.monotonic() - t < 0.5:\n    pass")
    k.run("parked.kill()")
    assert reports(k, cell) == []


def test_a_cell_that_computes_while_green_work_is_due_is_the_culprit(k):
    cell = k.send("waiting = spawn(int)\nt = time.monotonic()\n"
                  "while time.monotonic() - t < 0.5:\n    pass")
    report = wait_for_report(k, cell, "has held the hub")
    assert "the cell itself has held the hub" in text(report)
    assert "now at Cell In[" in text(report)
    ended = wait_for_report(k, cell, "The other green threads run again")  # after the cell
    assert re.search(r"the cell itself held the hub for 0\.[3-9]\d s", text(ended))


def test_a_cell_that_holds_the_hub_in_its_post_execute_hooks_is_reported_in_that_cell(k):
    """Figures are drawn by hooks that run after the cell's code (matplotlib's inline backend,
    %%greentrace): a hold there belongs to that cell too, not to the next one."""
    cell = k.run("waiting = spawn(int)\n"
                 "def draw():\n"
                 "    get_ipython().events.unregister('post_execute', draw)\n"
                 "    t = time.monotonic()\n"
                 "    while time.monotonic() - t < 0.5:\n"
                 "        pass\n"
                 "get_ipython().events.register('post_execute', draw)")
    wait_for_report(k, cell, "the cell itself has held the hub")
    wait_for_report(k, cell, "The other green threads run again")
    after = k.run("sleep(0.3)")
    assert reports(k, after) == []


def test_the_status_line_of_a_green_thread_that_holds_the_hub_says_so(k):
    cell = k.run("%%greenspawn --name holder\ntime.sleep(1.5)")
    k.wait_for(cell, lambda msgs: any(m["msg_type"] == "update_display_data"
                                      and "holder has held the hub for" in text(m)
                                      and text(m).startswith("holder: running")
                                      for m in msgs))
    k.wait_for_text(cell, "holder: done")


def test_repeated_blocks_at_one_place_are_collapsed_into_one_report(k):
    cell = k.run("%%greenspawn -n 6 --name repeat\ntime.sleep(0.15)")
    wait_for_report(k, cell, "6 blocks at this place")
    shown = [m for m in reports(k, cell) if m["msg_type"] == "display_data"]
    assert len(shown) == 1


def test_greenmonitor_off_silences_the_reports_and_on_brings_them_back(k):
    assert k.stdout(k.run("%greenmonitor off")).startswith("off")
    quiet = k.run("gt = spawn(time.sleep, 0.4)")
    k.run("gt.wait()")  # the hub ran it between the cells, holding the kernel's loop
    on = k.stdout(k.run("%greenmonitor on --threshold 0.2"))
    assert on.startswith("on: reports holds of the hub longer than 0.2 s")
    loud = k.send("def loud():\n    time.sleep(0.4)\ngt = spawn(loud)")
    wait_for_report(k, loud, "has held the hub")
    assert [text(m) for m in reports(k, quiet)] == []
    k.run("%greenmonitor --threshold 0.1")


def test_code_can_subscribe_to_the_reports(k):
    k.run("from notebook_coop.jupyter.driver import current_driver\nheard = []\n"
          "def mine():\n    return [(r.kind, r.ended) for r in heard\n"
          "            if r.culprit.startswith('subscribed_block')]\n"
          "current_driver().monitor.subscribe(heard.append)")
    k.run("def subscribed_block():\n    time.sleep(0.3)\nspawn(subscribed_block)")
    k.run("while len(mine()) < 2:  # the watchdog reports the end at its next look\n"
          "    sleep(0.01)\ncurrent_driver().monitor.unsubscribe(heard.append)", timeout=10)
    assert k.evaluate("mine()") == "[('green thread', False), ('green thread', True)]"


@pytest.mark.parametrize("line", ["maybe", "--threshold x", "--threshold -1", "on off"])
def test_greenmonitor_with_bad_input_prints_its_usage(k, line):
    cell = k.run(f"%greenmonitor {line}", allow_error=True)
    assert "UsageError" in k.text(cell)
    assert "%greenmonitor [--threshold S]" in k.text(cell)
    assert k.evaluate("1+1") == "2"


def test_unloading_the_extension_stops_the_watchdog_and_loading_starts_it():
    running = "any(t.name == 'notebook_coop monitor' for t in threading.enumerate())"
    with running_kernel() as k:
        k.run("import threading")
        assert k.evaluate(running) == "True"
        k.run("%unload_ext notebook_coop")
        assert k.evaluate(running) == "False"
        k.run("%load_ext notebook_coop")
        assert k.evaluate(running) == "True"
