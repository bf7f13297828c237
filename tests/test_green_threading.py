"""Green threading primitives, used directly (no global patch): cooperative for green threads,
ordinary for OS threads, and a release on either side wakes a waiter on the other."""

from __future__ import annotations

import threading

import pytest

from notebook_coop import GreenPool, sleep, spawn
from notebook_coop.green import queue as green_queue
from notebook_coop.green import thread as green_thread
from notebook_coop.green import threading as green_threading
from notebook_coop.patcher import original

real = original("_thread")
real_sleep = original("time").sleep


def in_os_thread(fn, *args):
    """Run fn on a real OS thread (whatever is patched); returns the thread's join lock."""
    done = real.allocate_lock()
    done.acquire()

    def run():
        try:
            fn(*args)
        finally:
            done.release()

    real.start_new_thread(run, ())
    return done


def test_contended_lock_lets_other_green_threads_run():
    lock, order = green_thread.Lock(), []

    def holder():
        with lock:
            order.append("held")
            sleep(0.02)
            order.append("released")

    def waiter():
        with lock:
            order.append("waiter in")

    pool = GreenPool()
    pool.spawn(holder)
    pool.spawn(waiter)
    pool.spawn(order.append, "bystander")
    pool.waitall()
    assert order == ["held", "bystander", "released", "waiter in"]


def test_lock_acquire_times_out():
    lock = green_thread.Lock()
    lock.acquire()
    assert lock.acquire(timeout=0.02) is False
    assert lock.acquire(False) is False


def test_lock_release_from_an_os_thread_wakes_a_green_waiter():
    lock = green_thread.Lock()
    lock.acquire()
    in_os_thread(lambda: (real_sleep(0.02), lock.release()))
    assert lock.acquire(timeout=5) is True


def test_os_thread_waits_for_a_lock_a_green_thread_holds():
    lock, seen = green_thread.Lock(), []
    lock.acquire()
    done = in_os_thread(lambda: (lock.acquire(), seen.append("os got it"), lock.release()))
    sleep(0.02)
    assert seen == []
    lock.release()
    assert done.acquire(True, 5) and seen == ["os got it"]


def test_lock_bad_arguments_raise():
    lock = green_thread.Lock()
    lock.acquire()
    with pytest.raises(ValueError):
        lock.acquire(False, 1)
    with pytest.raises(ValueError):
        lock.acquire(True, -5)


def test_killed_waiter_gives_up_its_place_in_line():
    lock = green_thread.Lock()
    lock.acquire()
    victim = spawn(lock.acquire)
    second = spawn(lock.acquire)
    sleep(0)
    victim.kill()
    lock.release()
    assert second.wait() is True


def test_event_set_from_an_os_thread_wakes_a_green_waiter():
    event, ticks = green_threading.Event(), []
    spawn(lambda: [ticks.append(sleep(0.01)) for _ in range(3)])

    def set_after_three_ticks():  # which happen only if green threads run while we wait
        for _ in range(1000):
            if len(ticks) == 3:
                break
            real_sleep(0.005)
        event.set()

    in_os_thread(set_after_three_ticks)
    assert event.wait(10) is True
    assert len(ticks) == 3


def test_condition_notifies_a_green_waiter():
    cond, box = green_threading.Condition(), []

    def consumer():
        with cond:
            cond.wait_for(lambda: box)
            return box[0]

    gt = spawn(consumer)
    sleep(0)
    with cond:
        box.append("item")
        cond.notify()
    assert gt.wait() == "item"


def test_semaphore_bounds_green_threads():
    sem, active, peak = green_threading.Semaphore(2), [0], [0]

    def job():
        with sem:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
            sleep(0.01)
            active[0] -= 1

    pool = GreenPool()
    for _ in range(6):
        pool.spawn(job)
    pool.waitall()
    assert peak[0] == 2


def test_bounded_semaphore_refuses_extra_release():
    sem = green_threading.BoundedSemaphore(1)
    with pytest.raises(ValueError):
        sem.release()


def test_rlock_is_owned_per_green_thread():
    rlock = green_threading.RLock()
    with rlock, rlock:
        other = spawn(rlock.acquire, True, 0.02)
        assert other.wait() is False


def test_green_queue_hands_items_between_green_threads():
    q = green_queue.Queue()
    spawn(lambda: [q.put(i) for i in range(3)])
    assert [q.get(timeout=5) for _ in range(3)] == [0, 1, 2]
    simple = green_queue.SimpleQueue()
    gt = spawn(simple.get)
    sleep(0)
    simple.put("x")
    assert gt.wait() == "x"


def test_get_ident_is_per_green_thread_and_the_os_threads_outside():
    assert green_thread.get_ident() == threading.get_ident()
    def ident_after_a_switch():
        sleep(0)
        return green_thread.get_ident()

    threads = [spawn(ident_after_a_switch) for _ in range(3)]
    idents = {gt.wait() for gt in threads}
    assert len(idents) == 3 and threading.get_ident() not in idents


def test_local_keeps_data_per_green_thread_and_runs_init_in_each():
    class Counter(green_thread.local):
        def __init__(self, start):
            self.value = start

    counter = Counter(10)

    def bump(n):
        counter.value += n
        sleep(0.01)
        return counter.value

    results = [spawn(bump, n) for n in (1, 2, 3)]
    assert [gt.wait() for gt in results] == [11, 12, 13]
    assert counter.value == 10


def test_local_rejects_arguments_without_init():
    with pytest.raises(TypeError):
        green_thread.local(1)


def test_current_thread_in_a_green_thread_is_alive_then_dead():
    thread_box = []
    gt = spawn(lambda: thread_box.append(green_threading.current_thread()))
    gt.wait()
    dummy = thread_box[0]
    assert isinstance(dummy, threading.Thread) and dummy.name == f"GreenThread-{gt.id}"
    assert not dummy.is_alive()
    assert green_threading.current_thread() is threading.main_thread()
