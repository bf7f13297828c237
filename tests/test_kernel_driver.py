"""The hub inside a real kernel: background green threads, output routing, asyncio both ways."""

import time

import pytest
from kernel_helpers import EXTENSION, running_kernel

TICKER = """
from notebook_coop import spawn, sleep, get_hub
def ticker(name, n, pause=0.02):
    for i in range(n):
        print(name, i)
        sleep(pause)
"""


@pytest.fixture(scope="module")
def k():
    with running_kernel() as kernel:
        kernel.run(TICKER)
        yield kernel


def test_green_thread_output_lands_in_its_cell_after_later_cells_ran(k):
    spawning = k.run("gt = spawn(ticker, 'late', 3, 0.1)")
    later = k.run("print('other cell')")
    assert k.wait_for_text(spawning, "late 2") == "late 0\nlate 1\nlate 2\n"
    assert k.stdout(later) == "other cell\n"


def test_interleaved_threads_print_into_their_own_cells(k):
    first = k.run("spawn(ticker, 'x', 5)")
    second = k.run("spawn(ticker, 'y', 5)")
    k.wait_for_text(first, "x 4")
    k.wait_for_text(second, "y 4")
    assert "y" not in k.stdout(first) and "x" not in k.stdout(second)


def test_a_blocked_cell_runs_the_background_threads(k):
    background = k.run("phase = 'before'\n"
                       "def report():\n"
                       "    for _ in range(2000):  # until the cell below ends, 20 s at most\n"
                       "        print(phase)\n"
                       "        if phase == 'after':\n"
                       "            break\n"
                       "        sleep(0.01)\n"
                       "spawn(report)")
    k.run("phase = 'during'; sleep(0.2); phase = 'after'")
    assert "during" in k.wait_for_text(background, "after", timeout=10)


def test_uncaught_traceback_lands_in_the_spawning_cell(k):
    failing = k.run("def boom():\n    sleep(0.05)\n    raise ValueError('boom')\nspawn(boom)")
    k.run("1")
    text = k.wait_for_text(failing, "ValueError")
    assert "raise ValueError('boom')" in text


def test_kernel_answers_while_1000_green_threads_loop(k):
    k.run("def spin():\n    while True:\n        sleep(0)\n"
          "spinners = [spawn(spin) for _ in range(1000)]")
    k.run("sleep(0.05)")  # they are all running now
    started = time.monotonic()
    assert k.evaluate("1+1") == "2"
    assert time.monotonic() - started < 5  # an unbounded tick would never let it answer
    k.run("from notebook_coop.greenthread import kill_all\nkill_all(spinners, 1.0)")
    assert k.evaluate("sum(not gt.dead for gt in spinners)") == "0"


def test_kernel_loop_clock_is_the_hubs_clock(k):
    k.run("import time\nfrom notebook_coop.jupyter.driver import current_driver\n"
          "d = current_driver()")
    assert k.evaluate("abs(d.loop.time() - time.monotonic()) < 1e-3") == "True"


def test_await_green_thread_in_a_cell(k):
    msg_id = k.run("def slow():\n    sleep(0.05)\n    return 'slow result'\n"
                   "print(await spawn(slow))")
    assert k.stdout(msg_id) == "slow result\n"


def test_awaiting_a_failed_green_thread_raises_in_the_cell(k):
    msg_id = k.run("def bad():\n    raise KeyError('nope')\nawait spawn(bad)", allow_error=True)
    assert "KeyError" in k.text(msg_id)


def test_green_thread_waits_for_a_coroutine_on_the_kernel_loop(k):
    msg_id = k.run("import asyncio\nfrom notebook_coop.jupyter.driver import wait_awaitable\n"
                   "async def answer():\n    await asyncio.sleep(0.02)\n    return 42\n"
                   "print(await spawn(wait_awaitable, answer()))")
    assert k.stdout(msg_id) == "42\n"


def test_blocking_green_call_from_another_os_thread_raises_wrong_thread_error(k):
    msg_id = k.run("import threading\nfrom notebook_coop import WrongThreadError\nerrors = []\n"
                   "def other():\n    try:\n        sleep(0.01)\n"
                   "    except WrongThreadError as exc:\n        errors.append(exc)\n"
                   "t = threading.Thread(target=other); t.start(); t.join()\n"
                   "print(type(errors[0]).__name__, 'call_threadsafe' in str(errors[0]))")
    assert k.stdout(msg_id) == "WrongThreadError True\n"


def test_other_os_threads_hand_work_to_the_hub_with_call_threadsafe(k):
    k.run("import threading\nhanded = []\n"
          "t = threading.Thread(target=get_hub().call_threadsafe, args=(handed.append, 'work'))\n"
          "t.start(); t.join()")
    k.run("sleep(0.05)")
    assert k.evaluate("handed") == "['work']"


def test_reload_ext_keeps_one_driver_one_reader_and_the_green_threads(k):
    survivor = k.run("gt = spawn(ticker, 'survivor', 30, 0.02)")
    k.run(f"%reload_ext {EXTENSION}")
    k.run(f"%reload_ext {EXTENSION}")
    k.run("from notebook_coop.jupyter.driver import current_driver, KernelDriver\n"
          "ip = get_ipython()\n"
          "drivers = {type(cb.__self__) for cb in ip.events.callbacks['post_execute']"
          " if hasattr(cb, '__self__')}\n"
          "loop = current_driver().loop\n"
          "readers = [key for key in loop._selector.get_map().values()"
          " if key.fd == get_hub().fileno()]")
    assert k.evaluate("[t.__name__ for t in drivers if t is KernelDriver], len(readers)") \
        == "(['KernelDriver'], 1)"
    assert "survivor 29" in k.wait_for_text(survivor, "survivor 29")


def test_unload_removes_reader_timer_and_magics(k):
    k.run(f"%unload_ext {EXTENSION}")
    try:
        assert k.evaluate("any(key.fd == get_hub().fileno()"
                          " for key in loop._selector.get_map().values())") == "False"
        assert k.evaluate("'greenspawn' in ip.magics_manager.magics['cell']") == "False"
        assert k.evaluate("current_driver() is None") == "True"
    finally:
        k.run(f"%load_ext {EXTENSION}")
