"""Event, Semaphore, BoundedSemaphore, CappedSemaphore and Lock, as eventlet users rely on them."""

import pytest

from notebook_coop import (
    BoundedSemaphore,
    CappedSemaphore,
    Event,
    GreenletExit,
    Lock,
    Semaphore,
    Timeout,
    get_hub,
    kill,
    sleep,
    spawn,
)


def test_event_wait_returns_the_sent_value():
    done = Event()
    spawn(done.send, "ok")
    assert done.wait() == "ok"


def test_event_wakes_every_waiter():
    done = Event()
    waiters = [spawn(done.wait) for _ in range(3)]
    sleep(0)
    done.send(7)
    assert [gt.wait() for gt in waiters] == [7, 7, 7]


def test_event_send_does_not_switch():
    done, order = Event(), []
    waiter = spawn(lambda: order.append(("woke", done.wait())))
    sleep(0)
    done.send(1)
    order.append("after send")
    waiter.wait()
    assert order == ["after send", ("woke", 1)]


def test_event_send_twice_is_an_error():
    done = Event()
    done.send(1)
    with pytest.raises(AssertionError):
        done.send(2)


def test_event_wait_times_out_with_none():
    assert Event().wait(0.01) is None


def test_event_wait_after_send_returns_at_once():
    done = Event()
    done.send("early")
    assert done.wait() == "early"


def test_event_send_exception_raises_in_waiters():
    done = Event()
    waiter = spawn(done.wait)
    sleep(0)
    done.send_exception(KeyError("lost"))
    with pytest.raises(KeyError, match="lost"):
        waiter.wait()


def test_event_send_exception_accepts_a_class():
    done = Event()
    done.send_exception(ValueError)
    with pytest.raises(ValueError):
        done.wait()


def test_event_send_exception_rejects_non_exceptions():
    with pytest.raises(TypeError, match="exception class or instance"):
        Event().send_exception(42)


def test_event_ready_has_result_has_exception():
    done = Event()
    assert (done.ready(), done.has_result(), done.has_exception()) == (False, False, False)
    done.send(1)
    assert (done.ready(), done.has_result(), done.has_exception()) == (True, True, False)
    failed = Event()
    failed.send_exception(RuntimeError)
    assert (failed.ready(), failed.has_result(), failed.has_exception()) == (True, False, True)


def test_event_poll_returns_notready_until_sent():
    done = Event()
    assert done.poll("nope") == "nope"
    done.send(3)
    assert done.poll("nope") == 3


def test_event_reset_allows_a_second_send():
    done = Event()
    done.send(1)
    done.reset()
    assert not done.ready()
    done.send(2)
    assert done.wait() == 2


def test_event_reset_of_a_fresh_event_is_an_error():
    with pytest.raises(AssertionError):
        Event().reset()


def test_event_waiter_killed_leaves_no_registration():
    done = Event()
    waiter = spawn(done.wait)
    sleep(0)
    kill(waiter)
    assert done._waiters == []


def test_semaphore_limits_concurrency():
    sem, inside, peak = Semaphore(2), [0], [0]

    def work():
        with sem:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
            sleep(0.001)
            inside[0] -= 1

    threads = [spawn(work) for _ in range(6)]
    for gt in threads:
        gt.wait()
    assert peak[0] == 2


def test_semaphore_serves_waiters_in_order():
    sem, order = Semaphore(0), []
    threads = [spawn(lambda i=i: (sem.acquire(), order.append(i))) for i in range(4)]
    sleep(0)
    for _ in range(4):
        sem.release()
    for gt in threads:
        gt.wait()
    assert order == [0, 1, 2, 3]


def test_semaphore_nonblocking_acquire_returns_false_when_taken():
    sem = Semaphore(1)
    assert sem.acquire(blocking=False) is True
    assert sem.acquire(blocking=False) is False


def test_semaphore_acquire_times_out_with_false():
    sem = Semaphore(0)
    assert sem.acquire(timeout=0.01) is False
    assert sem.balance == 0


def test_semaphore_timeout_for_nonblocking_acquire_is_an_error():
    with pytest.raises(ValueError):
        Semaphore().acquire(blocking=False, timeout=1)


def test_semaphore_balance_counts_waiters():
    sem = Semaphore(1)
    sem.acquire()
    waiters = [spawn(sem.acquire) for _ in range(2)]
    sleep(0)
    assert (sem.counter, sem.balance, sem.locked()) == (0, -2, True)
    sem.release()
    sem.release()
    for gt in waiters:
        gt.wait()
    assert sem.balance == 0


def test_semaphore_permit_handed_to_a_waiter_that_dies_is_passed_on():
    sem, hub = Semaphore(0), get_hub()
    first, second = spawn(sem.acquire), spawn(sem.acquire)
    sleep(0)

    def release_then_kill_first():  # as when a Timeout fires in the same pass as the release
        sem.release()
        hub.throw_into(first.greenlet, GreenletExit())

    hub.call_soon(release_then_kill_first)
    assert second.wait() is True
    assert first.dead


def test_semaphore_rejects_a_negative_value():
    with pytest.raises(ValueError):
        Semaphore(-1)


def test_semaphore_rejects_a_non_integer_value():
    with pytest.raises(TypeError):
        Semaphore("2")


def test_semaphore_values_may_be_whole_floats_as_eventlet_takes_them():
    sem, bounded, capped = Semaphore(1e2), BoundedSemaphore(1.0), CappedSemaphore(1.0, 2.0)
    assert (sem.counter, bounded.counter, capped.counter, capped.limit) == (100, 1, 1, 2)
    with pytest.raises(ValueError, match="too many"):
        bounded.release()


@pytest.mark.parametrize("make", [Semaphore, BoundedSemaphore, lambda v: CappedSemaphore(v, 5),
                                  lambda v: CappedSemaphore(0, v)])
def test_semaphores_refuse_a_value_with_a_fraction(make):
    with pytest.raises(ValueError, match="whole number"):
        make(0.5)


def test_bounded_semaphore_refuses_extra_release():
    sem = BoundedSemaphore(1)
    with pytest.raises(ValueError, match="too many"):
        sem.release()


def test_lock_refuses_release_while_unlocked():
    lock = Lock()
    with pytest.raises(RuntimeError):
        lock.release()


def test_lock_is_a_context_manager():
    lock = Lock()
    with lock:
        assert lock.locked()
    assert not lock.locked()


def test_lock_acquire_inside_timeout_raises_timeout():
    lock = Lock()
    lock.acquire()
    with pytest.raises(Timeout):
        with Timeout(0.01):
            lock.acquire()
    lock.release()
    assert lock.acquire(blocking=False)


def test_capped_semaphore_blocks_release_at_its_limit():
    sem = CappedSemaphore(1, 1)
    releaser = spawn(sem.release)
    sleep(0)
    assert not releaser.dead
    assert sem.balance == 3  # as eventlet: 2 acquires possible, plus the release waiting
    sem.acquire()
    releaser.wait()
    assert sem.counter == 1


def test_capped_semaphore_blocks_acquire_at_zero():
    sem = CappedSemaphore(0, 2)
    assert sem.acquire(blocking=False) is False
    sem.release()
    assert sem.acquire(blocking=False) is True


def test_capped_semaphore_rejects_count_above_limit():
    with pytest.raises(ValueError):
        CappedSemaphore(3, 2)
