"""Run info and lints: the spawn tree, states and stacks, and each lint on a made-up case."""

import re
import time

import pytest
from lock_cycle import hold

from notebook_coop import Event, GreenPool, Lock, Queue, format_run_info, record, sleep, spawn
from notebook_coop.watch import lints
from notebook_coop.watch.runinfo import stack_of, state_of

pytestmark = pytest.mark.usefixtures("clean_hub")


@pytest.fixture
def accounting(clean_hub):
    clean_hub.accounting = True
    yield
    clean_hub.accounting = False


jobs = Queue()


def fetch():
    return jobs.get()  # the line its stack shows


def sleeper():
    sleep(30)


def parent_of_three():
    for _ in range(3):
        spawn(sleeper)
    sleep(30)


def test_run_info_shows_each_threads_state_what_it_waits_on_and_its_stack():
    gt = spawn(fetch)
    sleep(0)
    info = format_run_info()
    assert f"{gt.label}: blocked on queue-get Queue#" in info
    assert "return jobs.get()  # the line its stack shows" in info
    assert "notebook_coop/" not in info
    gt.kill()


def test_run_info_nests_children_under_their_parent_and_collapses_identical_ones():
    parent = spawn(parent_of_three)
    sleep(0)
    sleep(0)
    lines = format_run_info().splitlines()
    [parent_line] = [n for n, line in enumerate(lines) if parent.label in line]
    [kids_line] = [n for n, line in enumerate(lines) if "×3" in line]
    assert kids_line > parent_line and lines[kids_line].startswith("    └── sleeper#")
    assert sum("sleep(30)" in line for line in lines) == 2  # the parent's and the children's
    parent.kill()
    for gt in parent.hub.live_threads():
        gt.kill()


def test_a_flat_listing_without_stacks():
    gt = spawn(sleeper)
    sleep(0)
    info = format_run_info(stacks=False, tree=False, lints=False)
    assert info.splitlines() == ["root: running", f"└── {gt.label}: blocked on sleep"]
    gt.kill()


def test_states_read_as_words():
    done = Event()
    waiting, fresh = spawn(done.wait), spawn(int)
    sleep(0)
    assert state_of(waiting).startswith("blocked on event Event#")
    assert state_of(spawn(int)) == "not started"
    done.send()
    waiting.wait()
    fresh.wait()
    assert (state_of(waiting), state_of(fresh)) == ("done", "done")


def test_the_running_threads_stack_is_its_own():
    assert any("test_the_running_threads_stack_is_its_own" in line
               for line in stack_of(spawn(int).hub.root))


# -- lints ---------------------------------------------------------------------------------


def test_a_thread_that_held_the_hub_is_said_to_have_run_without_yielding(accounting):
    gt = spawn(time.sleep, 0.12)
    gt.wait()
    assert lints.long_slices([gt]) == [
        f"{gt.label} ran {gt.longest_slice:.2g} s without yielding (its longest run slice)"]
    quick = spawn(sleep, 0.001)
    quick.wait()
    assert lints.long_slices([quick]) == []


def test_a_thread_spinning_on_sleep_zero_is_named(accounting):
    def spin():
        for _ in range(lints.SPIN_YIELDS):
            sleep(0)

    gt = spawn(spin)
    gt.wait()
    assert lints.spinners([gt]) == [f"{gt.label} spins on sleep(0): 1,000 yields and little else"]


def test_a_cycle_of_locks_is_a_deadlock_named_with_its_locks(clean_hub):
    a, b = Lock(), Lock()
    t1, t2 = spawn(hold, a, b), spawn(hold, b, a)
    sleep(0.01)
    [sentence] = lints.deadlocks(clean_hub.live_threads(), clean_hub)
    assert sentence.startswith("deadlock: ")
    assert f"{t1.label} waits for" in sentence and f"held by {t2.label}" in sentence
    assert f"{t2.label} waits for" in sentence and f"held by {t1.label}" in sentence
    t1.kill()
    t2.kill()


def test_threads_joining_each_other_are_a_deadlock(clean_hub):
    others = {}

    def join_other(me):
        sleep(0)
        others[me].wait()

    t1, t2 = spawn(join_other, "a"), spawn(join_other, "b")
    others.update(a=t2, b=t1)
    sleep(0.01)
    [sentence] = lints.deadlocks(clean_hub.live_threads(), clean_hub)
    assert f"{t1.label} waits for {t2.label} to end" in sentence
    assert f"{t2.label} waits for {t1.label} to end" in sentence
    t1.kill()
    t2.kill()


def test_no_deadlock_is_reported_for_a_plain_wait(clean_hub):
    lock = Lock()
    holder = spawn(lambda: (lock.acquire(), sleep(30)))
    waiter = spawn(lock.acquire)
    sleep(0)
    assert lints.deadlocks(clean_hub.live_threads(), clean_hub) == []
    holder.kill()
    waiter.kill()


def test_a_wait_on_an_object_nothing_else_refers_to_is_an_orphaned_wait(clean_hub):
    def wait_alone():
        Event().wait()

    shared = Event()
    alone, together = spawn(wait_alone), spawn(shared.wait)
    timed = spawn(lambda: Event().wait(30))
    sleep(0)
    found = lints.orphaned_waits(clean_hub.live_threads(), clean_hub)
    assert len(found) == 1 and found[0].startswith(f"{alone.label} waits forever on Event#")
    for gt in (alone, together, timed):
        gt.kill()


def test_a_full_pool_with_callers_waiting_is_saturated():
    pool = GreenPool(1)
    pool.spawn(sleep, 30)
    caller = spawn(pool.spawn, sleep, 30)
    sleep(0)
    assert [s for s in lints.saturated_pools() if "1/1 running, 1 caller(s) waiting" in s]
    caller.kill()
    for gt in list(pool.coroutines_running):
        gt.kill()


def test_a_queue_that_grows_at_every_check_is_named():
    q = Queue()
    for round_ in range(lints.GROWING_CHECKS + 1):
        for _ in range(lints.GROWING_SIZE):
            q.put(round_)
        found = [s for s in lints.growing_queues() if "keeps growing" in s and "Queue#" in s]
    assert found and found[0].endswith(f"{q.qsize():,} items, more at each check")
    q.get()
    assert not [s for s in lints.growing_queues() if f"{q.qsize():,} items" in s]


def test_a_recordings_summary_names_long_slices():
    with record() as rec:
        spawn(time.sleep, 0.12).wait()
    assert re.search(r"sleep#\d+ ran 0\.1\d* s without yielding", str(rec.summary()))
