"""`threading` under the thread patch, used as ported code uses it: from inside green threads.

Each test checks one promise of CPython's contract for its locks and threads (the one
`Lib/test/lock_tests.py` checks for the real module) on the patched module, on every
supported Python: 3.13 starts threads through handles, earlier versions through sentinel locks.
"""

from __future__ import annotations

import _thread
import functools
import re
import threading
import time

import pytest

from notebook_coop import Event, spawn
from notebook_coop.patcher import original, patched

pytestmark = pytest.mark.usefixtures("clean_hub")
real_thread = original("_thread")


def in_green_thread(test):
    """Run the test's body in a green thread with the thread and time patches on."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        with patched(thread=True, time=True):
            return spawn(test, *args, **kwargs).wait()

    return run


def start(target, *args, **kwargs) -> threading.Thread:
    """A started threading.Thread. A green thread runs until it blocks, so when start()
    returns, the new thread waits on whatever it waits on first."""
    thread = threading.Thread(target=target, args=args, kwargs=kwargs)
    thread.start()
    return thread


def in_os_thread(fn) -> list:
    """Run fn on a real OS thread and wait for it on a (patched: green) lock; its result or
    exception in a one-item list."""
    box, done = [], threading.Lock()
    done.acquire()

    def run():
        try:
            box.append(fn())
        except Exception as exc:  # handed to the test
            box.append(exc)
        finally:
            done.release()

    real_thread.start_new_thread(run, ())
    assert done.acquire(True, 10)
    return box


# -- Lock -------------------------------------------------------------------------------------

@in_green_thread
def test_lock_refuses_a_timeout_on_a_non_blocking_acquire():
    lock = threading.Lock()
    with pytest.raises(ValueError, match="non-blocking"):
        lock.acquire(False, 1)
    assert not lock.locked()


@in_green_thread
def test_lock_refuses_a_negative_timeout_other_than_minus_one():
    lock = threading.Lock()
    with pytest.raises(ValueError, match="non-negative"):
        lock.acquire(timeout=-2)
    assert lock.acquire(timeout=-1) is True


@in_green_thread
def test_lock_refuses_timeouts_too_large_or_not_numbers():
    lock = threading.Lock()
    with pytest.raises(OverflowError):
        lock.acquire(timeout=_thread.TIMEOUT_MAX * 2)
    with pytest.raises(TypeError):
        lock.acquire(timeout="1")
    with pytest.raises(ValueError):
        lock.acquire(timeout=float("nan"))
    assert lock.acquire(timeout=_thread.TIMEOUT_MAX) is True


@in_green_thread
def test_lock_repr_starts_with_its_state():
    lock = threading.Lock()
    assert re.fullmatch(r"<unlocked \S+ object at 0x[0-9a-f]+>", repr(lock))
    lock.acquire()
    assert re.fullmatch(r"<locked \S+ object at 0x[0-9a-f]+>", repr(lock))


@in_green_thread
def test_lock_is_usable_after_a_timed_out_acquire():
    lock = threading.Lock()
    lock.acquire()
    assert lock.acquire(timeout=0.01) is False
    lock.release()
    assert lock.acquire(blocking=False) is True


@in_green_thread
def test_lock_waiter_lets_other_threads_run_until_the_release():
    lock, order = threading.Lock(), []
    lock.acquire()
    waiter = start(lambda: (lock.acquire(), order.append("waiter got it")))
    bystander = start(order.append, "bystander ran")
    bystander.join()
    order.append("releasing")
    lock.release()
    waiter.join()
    assert order == ["bystander ran", "releasing", "waiter got it"]


@in_green_thread
def test_lock_may_be_released_by_another_thread():
    lock = threading.Lock()
    lock.acquire()
    start(lock.release).join()
    assert not lock.locked()


@in_green_thread
def test_lock_at_fork_reinit_leaves_it_unlocked():
    lock = threading.Lock()
    lock.acquire()
    lock._at_fork_reinit()
    assert lock.acquire(blocking=False) is True


# -- RLock ------------------------------------------------------------------------------------

@in_green_thread
def test_rlock_is_reentrant_for_its_owner_and_held_until_the_last_release():
    rlock, tries = threading.RLock(), []

    def try_it():
        tries.append(rlock.acquire(blocking=False))
        if tries[-1]:
            rlock.release()

    with rlock:
        with rlock:
            start(try_it).join()
        start(try_it).join()
    start(try_it).join()
    assert tries == [False, False, True]


@in_green_thread
def test_rlock_release_by_another_thread_raises():
    rlock, release = threading.RLock(), threading.Event()
    holder = start(lambda: (rlock.acquire(), release.wait(), rlock.release()))
    with pytest.raises(RuntimeError):
        rlock.release()
    release.set()
    holder.join()


@in_green_thread
def test_rlock_release_when_not_held_raises():
    with pytest.raises(RuntimeError):
        threading.RLock().release()


@in_green_thread
def test_rlock_refuses_a_timeout_on_a_non_blocking_acquire():
    with pytest.raises(ValueError):
        threading.RLock().acquire(False, 1)


# -- Condition --------------------------------------------------------------------------------

@in_green_thread
def test_condition_notify_wakes_as_many_waiters_as_asked_oldest_first():
    cond, woken = threading.Condition(), []

    def waiter(i):
        with cond:
            cond.wait()
            woken.append(i)

    threads = [start(waiter, i) for i in range(4)]
    with cond:
        cond.notify(2)
    threads[1].join()
    assert woken == [0, 1]
    with cond:
        cond.notify_all()
    for thread in threads:
        thread.join()
    assert woken == [0, 1, 2, 3]


@in_green_thread
def test_condition_wait_for_returns_the_predicate_value_at_its_timeout():
    cond = threading.Condition()
    with cond:
        assert cond.wait_for(lambda: 0, timeout=0.01) == 0


@in_green_thread
def test_condition_wait_without_the_lock_raises():
    with pytest.raises(RuntimeError):
        threading.Condition().wait(0.01)


# -- Semaphore, BoundedSemaphore ----------------------------------------------------------------

@in_green_thread
def test_semaphore_refuses_a_negative_value():
    with pytest.raises(ValueError):
        threading.Semaphore(-1)


@in_green_thread
def test_semaphore_release_n_lets_n_waiters_in():
    sem, entered = threading.Semaphore(0), []
    threads = [start(lambda i=i: (sem.acquire(), entered.append(i))) for i in range(3)]
    sem.release(2)
    threads[0].join()
    threads[1].join()
    assert sorted(entered) == [0, 1] and threads[2].is_alive()
    sem.release()
    threads[2].join()


@in_green_thread
def test_semaphore_acquire_times_out_and_refuses_a_timeout_when_not_blocking():
    sem = threading.Semaphore(0)
    assert sem.acquire(timeout=0.01) is False
    with pytest.raises(ValueError):
        sem.acquire(False, 1)


@in_green_thread
def test_bounded_semaphore_refuses_a_release_beyond_its_value():
    sem = threading.BoundedSemaphore(2)
    sem.acquire()
    sem.release()
    with pytest.raises(ValueError, match="too many times"):
        sem.release()


# -- Event ------------------------------------------------------------------------------------

@in_green_thread
def test_event_set_wakes_every_waiter():
    event, results = threading.Event(), []
    threads = [start(lambda: results.append(event.wait())) for _ in range(3)]
    event.set()
    for thread in threads:
        thread.join()
    assert results == [True, True, True]


@in_green_thread
def test_event_wait_returns_false_at_its_timeout_and_true_once_set():
    event = threading.Event()
    assert event.wait(0.01) is False
    event.set()
    assert event.wait(0) is True
    event.clear()
    assert event.wait(0.01) is False


# -- Barrier ----------------------------------------------------------------------------------

@in_green_thread
def test_barrier_lets_all_parties_through_with_distinct_indices_and_one_action():
    indices, actions = [], []
    barrier = threading.Barrier(3, action=lambda: actions.append(len(indices)))
    threads = [start(lambda: indices.append(barrier.wait())) for _ in range(3)]
    for thread in threads:
        thread.join()
    assert sorted(indices) == [0, 1, 2] and actions == [0]


@in_green_thread
def test_barrier_wait_timeout_breaks_it_for_every_waiter():
    barrier, errors = threading.Barrier(3), []

    def wait(timeout):
        try:
            barrier.wait(timeout)
        except threading.BrokenBarrierError:
            errors.append(timeout)

    patient = start(wait, None)
    start(wait, 0.01).join()
    patient.join()
    assert sorted(errors, key=str) == [0.01, None] and barrier.broken


@in_green_thread
def test_barrier_reset_breaks_the_current_wait_and_is_usable_again():
    barrier, outcomes = threading.Barrier(2), []

    def wait():
        try:
            outcomes.append(barrier.wait())
        except threading.BrokenBarrierError:
            outcomes.append("broken")

    start(wait)
    barrier.reset()
    threads = [start(wait), start(wait)]
    for thread in threads:
        thread.join()
    assert outcomes[0] == "broken" and sorted(outcomes[1:]) == [0, 1]


# -- Thread -----------------------------------------------------------------------------------

@in_green_thread
def test_thread_runs_green_with_its_own_identity():
    seen = {}
    thread = start(lambda: seen.update(ident=threading.get_ident(), os=real_thread.get_ident(),
                                       me=threading.current_thread()))
    thread.join()
    assert seen["os"] == real_thread.get_ident()  # the hub's OS thread
    assert seen["ident"] == thread.ident != threading.get_ident()
    assert seen["me"] is thread and not thread.is_alive()


@in_green_thread
def test_thread_join_with_a_timeout_returns_while_it_still_runs():
    release = threading.Event()
    thread = start(release.wait)
    thread.join(0.01)
    assert thread.is_alive()
    release.set()
    thread.join()
    assert not thread.is_alive()


@in_green_thread
def test_thread_cannot_join_itself_or_be_joined_before_it_starts():
    errors = []

    def join_itself():
        try:
            threading.current_thread().join()
        except RuntimeError as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=join_itself)
    with pytest.raises(RuntimeError, match="before it is started"):
        thread.join()
    thread.start()
    thread.join()
    assert errors == ["cannot join current thread"]


@in_green_thread
def test_thread_repr_tells_started_from_stopped():
    release = threading.Event()
    thread = start(release.wait)
    assert "started" in repr(thread)
    release.set()
    thread.join()
    assert "stopped" in repr(thread)


@in_green_thread
def test_thread_can_be_joined_from_an_os_thread():
    thread = start(time.sleep, 0.05)
    assert in_os_thread(lambda: (thread.join(10), thread.is_alive())[1]) == [False]


@in_green_thread
def test_thread_started_from_an_os_thread_under_the_patch_is_an_os_thread():
    def in_os():
        seen = []
        thread = threading.Thread(target=lambda: seen.append(real_thread.get_ident()))
        thread.start()
        thread.join(10)
        return seen[0] != real_thread.get_ident() and not thread.is_alive()

    assert in_os_thread(in_os) == [True]


def test_thread_made_before_the_patch_starts_as_a_green_thread(clean_hub):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(real_thread.get_ident()))
    with patched(thread=True, time=True):
        spawn(lambda: (thread.start(), thread.join())).wait()
    assert seen == [real_thread.get_ident()] and not thread.is_alive()


@in_green_thread
def test_running_threads_are_counted_and_enumerated():
    release, before = threading.Event(), _thread._count()
    thread = start(release.wait)
    assert _thread._count() == before + 1
    assert thread in threading.enumerate() and threading.active_count() >= 2
    release.set()
    thread.join()
    assert _thread._count() == before and thread not in threading.enumerate()


@in_green_thread
def test_an_error_in_a_thread_goes_to_excepthook_and_join_returns(monkeypatch):
    hooked = []
    monkeypatch.setattr(threading, "excepthook", lambda args: hooked.append(args.exc_type))
    thread = start(int, "not a number")
    thread.join()
    assert hooked == [ValueError] and not thread.is_alive()


@in_green_thread
def test_timer_runs_its_function_after_the_interval_unless_cancelled():
    calls = []
    fired = threading.Timer(0.01, calls.append, args=("fired",))
    cancelled = threading.Timer(0.01, calls.append, args=("cancelled",))
    fired.start()
    cancelled.start()
    cancelled.cancel()
    fired.join()
    cancelled.join()
    assert calls == ["fired"]


@in_green_thread
def test_main_thread_stays_the_interpreter_main_thread():
    main = threading.main_thread()
    assert main is not threading.current_thread()
    assert main.ident == real_thread.get_ident() and main.is_alive()


@in_green_thread
def test_current_thread_of_a_plain_green_thread_lives_and_joins_with_it():
    release, box = Event(), []
    gt = spawn(lambda: (box.append((threading.current_thread(), threading.get_ident())),
                        release.wait()))
    spawn(lambda: None).wait()  # gt started before this one and now waits
    dummy, ident = box[0]
    assert dummy.is_alive() and dummy.ident == ident
    dummy.join(0.01)
    release.send()
    dummy.join()
    assert not dummy.is_alive() and gt.dead
