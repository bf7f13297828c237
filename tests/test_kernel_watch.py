"""Watching the scheduler in a real kernel: %%greentrace and %greenthreads --tree --stacks."""

import pytest
from kernel_helpers import running_kernel


@pytest.fixture(scope="module")
def k():
    with running_kernel() as kernel:
        kernel.run("from notebook_coop import sleep, spawn, GreenPool")
        yield kernel


WORKERS = """%%greentrace
def worker(n):
    for _ in range(3):
        sleep(0.01 * n)
pool = GreenPool(3)
for n in range(1, 4):
    pool.spawn(worker, n)
"""


def test_greentrace_waits_for_the_spawned_threads_and_draws_their_timeline(k):
    cell = k.run(WORKERS)
    [shown] = k.messages(cell, "display_data")
    assert "image/png" in shown["content"]["data"]
    assert k.evaluate("sorted(t.outcome for t in _greentrace.timeline().threads())") == \
        "['done', 'done', 'done']"
    assert k.evaluate("_greentrace.recording") == "False"


def test_greentrace_names_the_cell_and_line_that_spawned_each_thread(k):
    cell = k.run(WORKERS)
    count = k.evaluate("_greentrace.timeline().threads()[0].cell")
    sites = k.evaluate("sorted({t.site for t in _greentrace.timeline().threads()})")
    assert count == f"'In[{k.replies[cell]['content']['execution_count']}]'"
    assert sites == f"['{count[1:-1]}:7']", k.text(cell)


def test_greentrace_for_stops_recording_while_threads_still_run(k):
    k.run("%%greentrace --for 0.2 --no-plot -o rec\nlong = spawn(sleep, 30)")
    assert k.evaluate("rec.recording, long.dead") == "(False, False)"
    assert k.evaluate("rec.timeline().span < 5e9") == "True"
    k.run("long.kill()")


def test_greentrace_can_show_the_summary_table(k):
    cell = k.run("%%greentrace --no-plot --summary\nspawn(sleep, 0.01)")
    [table] = k.messages(cell, "display_data")
    assert "text/html" in table["content"]["data"]
    assert "green threads over" in table["content"]["data"]["text/plain"]


@pytest.mark.parametrize("options, message", [("--for -1", "--for must be a positive"),
                                              ("--size 0", "--size must be at least 1"),
                                              ("--bogus", "unrecognized arguments")])
def test_bad_greentrace_options_print_a_usage_error(k, options, message):
    cell = k.run(f"%%greentrace {options}\n1", allow_error=True)
    assert message in k.text(cell)
    assert k.evaluate("1 + 1") == "2"


def test_greenthreads_tree_shows_the_stack_and_the_cell_of_each_thread(k):
    k.run("from notebook_coop import Queue\njobs = Queue()\n"
          "def consumer():\n    return jobs.get()\n"
          "%greenspawn --name eater consumer()")
    cell = k.run("%greenthreads --tree --stacks")
    out = k.stdout(cell)
    assert "eater: blocked on queue-get Queue#" in out, out
    assert "return jobs.get()" in out and "[In[" in out
    k.run("%greenkill eater")


def test_greenthreads_ends_with_the_lints(k):
    k.run("from notebook_coop import Event\n"
          "def alone():\n    Event().wait()\n"
          "%greenspawn --name lonely alone()")
    out = k.stdout(k.run("%greenthreads"))
    assert "! lonely waits forever on Event#" in out
    k.run("%greenkill lonely")
