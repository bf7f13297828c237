"""The hub: fd waits, wake-ups from other OS threads, deadlocks, ticks, errors and interrupts."""

import os
import signal
import sys
import threading
import time
from itertools import pairwise
from time import monotonic, perf_counter

import pytest

from notebook_coop.greenthread import kill, sleep, spawn
from notebook_coop.hub import DeadlockError, WrongThreadError
from notebook_coop.instruments import Instrument
from notebook_coop.timeout import Timeout

pytestmark = pytest.mark.usefixtures("clean_hub")


@pytest.fixture
def hub(clean_hub):
    return clean_hub


def when_root_blocks(hub, action):
    """Run `action` on a real OS thread once the root waits in the hub; returns the thread."""

    def run():
        while not hub.root_blocked:
            time.sleep(0.001)
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


# -- file descriptors ----------------------------------------------------------------------------


def test_wait_read_wakes_when_another_green_thread_writes(hub, pipe):
    r, w = pipe

    def reader():
        hub.wait_read(r)
        return os.read(r, 10)

    gt = spawn(reader)
    sleep(0)
    assert gt.state == "blocked(io-read)"
    spawn(os.write, w, b"ping")
    assert gt.wait() == b"ping"


def test_wait_write_returns_when_the_fd_has_room(hub, pipe):
    assert hub.wait_write(pipe[1], timeout=10) is None


def test_wait_read_raises_timeout_error_after_its_timeout(hub, pipe):
    with pytest.raises(TimeoutError):
        hub.wait_read(pipe[0], timeout=0.01)


def test_two_readers_on_one_fd_is_an_error(hub, pipe):
    first = spawn(hub.wait_read, pipe[0])
    sleep(0)
    with pytest.raises(RuntimeError, match="already has a green thread waiting to read"):
        hub.wait_read(pipe[0])
    kill(first)


def test_a_killed_reader_leaves_no_timer_or_watch_behind(hub, pipe):
    reader = spawn(hub.wait_read, pipe[0], 30)
    sleep(0)
    kill(reader)
    assert hub.next_deadline() is None
    assert pipe[0] not in hub._watches


def test_a_timeout_frees_the_fd_for_the_next_wait(hub, pipe):
    r, w = pipe
    with pytest.raises(Timeout):
        with Timeout(0.01):
            hub.wait_read(r)
    os.write(w, b"x")
    hub.wait_read(r, timeout=10)


# -- other OS threads ----------------------------------------------------------------------------


def test_call_threadsafe_from_an_os_thread_wakes_the_blocked_root(hub):
    token = hub.token()
    thread = when_root_blocks(hub, lambda: hub.wake_threadsafe(token, "from a thread"))
    started = monotonic()
    with Timeout(10):
        assert hub.wait("event") == "from a thread"
    assert monotonic() - started < 5
    thread.join()


def test_green_calls_from_another_os_thread_raise_wrong_thread_error(hub):
    errors = []

    def intruder():
        for call in (lambda: spawn(int), lambda: sleep(0), lambda: hub.wait("event")):
            try:
                call()
            except WrongThreadError as exc:
                errors.append(str(exc))

    thread = threading.Thread(target=intruder, name="intruder")
    thread.start()
    thread.join()
    assert len(errors) == 3
    assert all("'intruder'" in e and "call_threadsafe" in e for e in errors)


# -- timers --------------------------------------------------------------------------------------


def test_a_nan_delay_is_a_value_error_at_the_call():
    with pytest.raises(ValueError, match="NaN"):
        sleep(float("nan"))


def test_a_thread_sleeping_forever_leaves_the_hub_working(hub):
    forever = spawn(sleep, float("inf"))
    sleep(0)
    token = hub.token()
    thread = when_root_blocks(hub, lambda: hub.wake_threadsafe(token, "woken"))
    assert hub.wait("event") == "woken"
    thread.join()
    forever.kill()


# -- deadlocks -----------------------------------------------------------------------------------


@pytest.mark.timeout(10)
def test_a_root_waiting_on_what_nothing_can_satisfy_gets_a_deadlock_error(hub):
    with pytest.raises(DeadlockError, match=r"the root waits \(event\) on something nothing can"):
        hub.wait("event")


@pytest.mark.timeout(10)
def test_a_root_joining_a_thread_that_waits_forever_gets_a_deadlock_error(hub):
    stuck = spawn(hub.wait, "event")
    with pytest.raises(DeadlockError, match=r"\(join\)"):
        stuck.wait()
    stuck.kill()


@pytest.mark.timeout(10)
def test_no_deadlock_is_reported_while_another_os_thread_is_awaited(hub):
    token = hub.token()

    def os_thread():
        time.sleep(0.05)  # give a wrong deadlock report time to happen
        hub.wake_threadsafe(token, "answered")

    thread = when_root_blocks(hub, os_thread)
    assert hub.wait_foreign("event") == "answered"
    assert hub.awaiting_threads == 0
    thread.join()


# -- tick(): the kernel's driver -----------------------------------------------------------------


def test_tick_runs_due_timers_and_ready_callbacks(hub):
    log = []
    hub.call_soon(log.append, "ready")
    hub.call_later(0, lambda *_: log.append("timer"))
    hub.tick()
    assert sorted(log) == ["ready", "timer"]


def test_tick_returns_none_when_nothing_is_pending(hub):
    assert hub.tick() is None


def test_tick_returns_the_next_deadline(hub):
    before = monotonic()
    seq = hub.call_later(5, print)
    assert before + 5 <= hub.tick() <= monotonic() + 5
    hub.cancel_timer(seq)
    assert hub.tick() is None


def test_tick_runs_the_ready_queue_as_it_was_leaving_new_callbacks_for_the_next(hub):
    log = []
    sleep(0)  # the hub was last driven by the root's wait, not by a tick
    hub.call_soon(lambda: (log.append("first"), hub.call_soon(log.append, "second")))
    hub.tick()
    assert log == ["first"]
    hub.tick()
    assert log == ["first", "second"]


def test_a_tick_after_the_root_slept_runs_what_is_ready(hub):
    log = []
    sleep(0.001)  # the root is woken by a timer: the hub stops in the middle of its timers
    hub.call_soon(log.append, "ready")
    hub.tick()
    assert log == ["ready"]


def test_tick_stops_at_its_budget_with_thousands_of_ready_threads(hub):
    finished = []

    def work(i):
        spin(0.0002)
        finished.append(i)

    gts = [spawn(work, i) for i in range(3000)]
    hub.tick(budget=0.005)
    assert 0 < len(finished) < 3000
    while len(finished) < 3000:
        hub.tick(budget=0.005)
    assert [gt.wait() for gt in gts] == [None] * 3000


def test_tick_from_a_green_thread_is_an_error(hub):
    with pytest.raises(RuntimeError, match="green thread cannot call it"):
        spawn(hub.tick).wait()


def spin(seconds):
    end = perf_counter() + seconds
    while perf_counter() < end:
        pass


# -- errors in the hub ---------------------------------------------------------------------------


def test_a_failing_hub_callback_is_reported_and_the_hub_keeps_working(hub, capsys):
    hub.call_soon(divmod, 1, 0)
    sleep(0)
    err = capsys.readouterr().err
    assert "a hub callback raised" in err and "ZeroDivisionError" in err
    assert spawn(int, "3").wait() == 3


@pytest.mark.parametrize("block", [lambda hub: hub.wait("event"), lambda hub: sleep(1)],
                         ids=["block", "sleep"])
def test_blocking_in_a_hub_callback_is_a_runtime_error(hub, capsys, block):
    hub.call_soon(block, hub)
    sleep(0)
    err = capsys.readouterr().err
    assert "RuntimeError: a hub callback tried to block" in err
    assert spawn(int, "3").wait() == 3


# -- interrupts ----------------------------------------------------------------------------------


def assert_sleep_still_sleeps():
    started = monotonic()
    sleep(0.1)
    assert monotonic() - started >= 0.09


@pytest.mark.timeout(10)
def test_interrupt_throws_keyboard_interrupt_into_the_blocked_root(hub):
    thread = when_root_blocks(hub, hub.interrupt)
    started = monotonic()
    with pytest.raises(KeyboardInterrupt):
        sleep(5)
    assert monotonic() - started < 4
    thread.join()
    assert_sleep_still_sleeps()


@pytest.mark.timeout(10)
def test_interrupt_from_a_signal_handler_reaches_the_blocked_root(hub):
    previous = signal.signal(signal.SIGUSR1, lambda *_: hub.interrupt())
    try:
        thread = when_root_blocks(hub, lambda: os.kill(os.getpid(), signal.SIGUSR1))
        with pytest.raises(KeyboardInterrupt):
            sleep(5)
        thread.join()
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert_sleep_still_sleeps()


# -- timer bookkeeping ---------------------------------------------------------------------------


def test_cancelled_timers_do_not_pile_up_on_the_heap(hub):
    for _ in range(10_000):
        Timeout(60).cancel()
    assert len(hub.timers) < 1000


def test_timers_cancelled_together_do_not_pile_up_on_the_heap(hub):
    timeouts = [Timeout(60) for _ in range(10_000)]
    for timeout in timeouts:
        timeout.cancel()
    assert len(hub.timers) < 1000


def test_compaction_keeps_the_live_timers(hub):
    live = Timeout(0.05)
    for timeout in [Timeout(60) for _ in range(10_000)]:
        timeout.cancel()
    with pytest.raises(Timeout) as info:
        sleep(10)
    assert info.value is live


# -- what a watchdog reads -----------------------------------------------------------------------


def test_every_switch_out_of_a_thread_ends_a_slice(hub):
    before = hub.slices
    spawn(sleep, 0).wait()  # the thread: yields, exits; the root: waits once for it
    assert hub.slices - before == 3


def test_work_is_due_once_a_timer_expires_or_a_thread_is_ready(hub):
    assert not hub.work_due()
    timer = hub.call_later(0, int)
    assert hub.work_due()
    hub.cancel_timer(timer)
    assert not hub.work_due()
    gt = spawn(int)
    assert hub.work_due()
    gt.wait()


def test_the_hub_is_driven_only_during_a_tick(hub):
    seen = []
    spawn(lambda: seen.append(hub.driven))
    assert not hub.driven
    hub.tick()
    assert seen == [True] and not hub.driven


@pytest.mark.timeout(10)
def test_upkeep_timers_do_not_hide_a_deadlock_but_still_fire(hub):
    fired, armed = [], []

    def upkeep(a, b):
        fired.append(a)
        armed.append(hub.call_upkeep(0.01, upkeep, a + 1))  # re-armed for ever, as a dashboard

    armed.append(hub.call_upkeep(0.01, upkeep, 1))
    sleep(0.05)                      # the upkeep runs while the root waits on a timer...
    assert len(fired) >= 2
    with pytest.raises(DeadlockError, match=r"\(event\)"):
        hub.wait("event")            # ...and does not keep a hopeless wait waiting
    hub.cancel_timer(armed[-1])


@pytest.mark.timeout(10)
def test_a_cancelled_upkeep_timer_is_forgotten_and_ordinary_timers_still_count(hub):
    hub.cancel_timer(hub.call_upkeep(0.01, print))
    assert not hub.upkeep
    token = hub.token()
    upkeep = hub.call_upkeep(0.01, lambda a, b: None)
    hub.call_later(0.03, lambda a, b: hub.wake(token, "woken"))
    assert hub.wait("event") == "woken"   # a real timer pending: no deadlock
    assert upkeep not in hub.upkeep        # it fired meanwhile



class ZeroTimeoutPolls(Instrument):
    """The start times (ns) of the hub's polls that did not wait."""

    def __init__(self):
        self.starts = []

    def polled(self, started, ended, timeout, events):
        if timeout == 0:
            self.starts.append(started)


def yielders_until(done, count=25):
    def yielder():
        while not done:
            sleep(0)

    return [spawn(yielder) for _ in range(count)]


def test_a_busy_loop_polls_only_every_other_gil_switch_interval(hub):
    """Each poll lets go of the GIL and takes it straight back, and an OS thread waiting for
    the GIL asks for it only after a whole switch interval in which nobody took it: polled on
    every pass, the kernel's IOPub thread or a tpool worker waited for seconds."""
    polls = ZeroTimeoutPolls()
    hub.add_instrument(polls)
    done = []
    threads = yielders_until(done)
    try:
        sleep(0.2)
    finally:
        done.append(True)
        hub.remove_instrument(polls)
    for gt in threads:
        gt.wait()
    gaps = [b - a for a, b in pairwise(polls.starts)]
    assert len(gaps) >= 5  # I/O is still polled while green threads keep the hub busy
    assert min(gaps) >= 0.9 * 2 * sys.getswitchinterval() * 1e9


def test_other_os_threads_get_the_gil_while_green_threads_keep_the_hub_busy():
    """A thread that sleeps 2 ms at a time (as the kernel's IOPub thread waits for its next
    message) gets the GIL back after each sleep while yielding green threads keep the loop
    busy."""
    wakeups = []

    def sleeper():
        for _ in range(50):
            time.sleep(0.002)
            wakeups.append(perf_counter())

    done = []
    threads = yielders_until(done)
    other = threading.Thread(target=sleeper)
    started = perf_counter()
    other.start()
    while other.is_alive() and perf_counter() - started < 10:
        sleep(0)
    done.append(True)
    for gt in threads:
        gt.wait()
    other.join()
    gaps = [b - a for a, b in pairwise([started, *wakeups])]
    assert len(wakeups) == 50 and max(gaps) < 0.5, max(gaps)  # seconds, before the fix
