"""eventlet's exact semantics where porting code depends on them: what runs first, what a
channel guarantees, what a semaphore at its limit does, what a timeout keeps alive."""

import gc
import weakref

import pytest

from notebook_coop import (
    CappedSemaphore,
    Empty,
    Full,
    GreenletExit,
    GreenPool,
    Queue,
    Timeout,
    sleep,
    spawn,
)

pytestmark = pytest.mark.usefixtures("clean_hub")


# -- Timeout(0): a timer already due fires before later wake-ups ---------------------------------


def test_a_zero_timeout_fires_before_a_pool_slot_freed_in_the_same_pass():
    sleep(0)  # the hub is now in the middle of a pass, as in any busy program
    pool = GreenPool(1)
    pool.spawn(int)  # frees its slot as soon as it runs
    with pytest.raises(Timeout):
        with Timeout(0):
            pool.spawn(int)
    pool.waitall()


def test_a_zero_timeout_wins_over_an_item_put_in_the_same_pass_and_the_item_stays():
    q = Queue()

    def getter():
        with Timeout(0):
            return q.get()

    taker = spawn(getter)
    spawn(q.put, "item")
    with pytest.raises(Timeout):
        taker.wait()
    assert q.get_nowait() == "item"


def test_a_zero_timeout_with_no_wait_in_between_never_fires():
    with Timeout(0):
        total = sum(range(10))
    sleep(0)
    assert total == 45


# -- Queue(0): a rendezvous channel ---------------------------------------------------------------


def test_a_channel_put_returns_only_after_the_getter_ran_with_the_item():
    channel, log = Queue(0), []

    def receiver():
        for _ in range(2):
            log.append(channel.get())

    def sender():
        for word in ("hello", "world"):
            log.append(f"sending {word}")
            channel.put(word)
            log.append(f"sent {word}")

    threads = [spawn(receiver), spawn(sender)]
    for gt in threads:
        gt.wait()
    assert log == ["sending hello", "hello", "sent hello", "sending world", "world", "sent world"]


def throw_now(gt):
    """Raise GreenletExit in `gt` at once, as eventlet's greenlet.throw() does, and come back
    afterwards: the only way to end a thread that was woken but has not run yet."""
    hub = gt.hub
    hub.wake(hub.token())
    gt.greenlet.throw(GreenletExit())


def test_a_getter_killed_while_waiting_does_not_swallow_the_item():
    channel = Queue(0)
    doomed, heir = spawn(channel.get), spawn(channel.get)
    sleep(0)
    doomed.kill()
    sender = spawn(channel.put, "item")
    assert heir.wait() == "item"
    sender.wait()


def test_a_getter_killed_after_being_called_passes_the_item_on():
    channel = Queue(0)
    doomed, heir = spawn(channel.get), spawn(channel.get)
    sleep(0)
    sender = spawn(channel.put, "item")  # calls `doomed` over...
    spawn(throw_now, doomed)             # ...which dies before it runs
    assert heir.wait() == "item"
    sender.wait()
    assert doomed.outcome == "killed"


def test_a_getter_that_timed_out_leaves_the_item_to_the_next_one():
    channel = Queue(0)
    impatient = spawn(channel.get, timeout=0.001)
    with pytest.raises(Empty):
        impatient.wait()
    sender = spawn(channel.put, "item")
    assert channel.get() == "item"
    sender.wait()


def test_a_non_blocking_put_on_a_channel_needs_a_waiting_getter():
    channel = Queue(0)
    with pytest.raises(Full):
        channel.put_nowait("nobody")
    getter = spawn(channel.get)
    sleep(0)
    channel.put_nowait("someone")
    assert getter.wait() == "someone"


def test_a_non_blocking_put_gets_full_when_its_getter_dies_before_taking():
    channel = Queue(0)
    doomed = spawn(channel.get)
    sleep(0)
    putter = spawn(channel.put_nowait, "item")
    spawn(throw_now, doomed)
    with pytest.raises(Full):
        putter.wait()
    assert channel.getting() == channel.putting() == 0


# -- CappedSemaphore -------------------------------------------------------------------------------


def test_a_release_at_the_limit_returns_at_once_when_an_acquire_waits():
    sem = CappedSemaphore(0, 0)
    waiter = spawn(sem.acquire)
    sleep(0)
    assert sem.release() is True
    assert waiter.wait() is True


# -- Timeout keeps nothing alive after it is over --------------------------------------------------


def test_a_cancelled_timeout_keeps_no_reference_to_its_exception():
    class TooSlow(Exception):
        pass

    exc = TooSlow()
    alive = weakref.ref(exc)
    with Timeout(3600, exc):
        pass
    del exc
    gc.collect()
    assert alive() is None


# -- GreenThread.throw, as on eventlet's greenlet-based threads ----------------------------------


def test_throw_raises_greenlet_exit_in_a_waiting_thread():
    gt = spawn(sleep, 10)
    sleep(0)
    gt.throw()
    assert gt.dead and gt.outcome == "killed"


def test_throw_raises_the_given_exception():
    gt = spawn(sleep, 10)
    sleep(0)
    gt.throw(KeyError("k"))
    with pytest.raises(KeyError):
        gt.wait()


def test_throw_into_a_thread_that_never_started_ends_it_unrun():
    ran = []
    gt = spawn(ran.append, 1)
    gt.throw()
    sleep(0)
    assert gt.dead and ran == []
