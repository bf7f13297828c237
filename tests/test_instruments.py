"""Instruments: timestamped scheduler events for recorders and dashboards."""

import gc

import greenlet
import pytest

from notebook_coop.greenthread import GreenThread, kill, sleep, spawn, start_after
from notebook_coop.instruments import Instrument
from notebook_coop.queue import Queue
from notebook_coop.sync import Event
from notebook_coop.timeout import Timeout

pytestmark = pytest.mark.usefixtures("clean_hub")


class Log(Instrument):
    """Keeps every event except switches, as (event, who, detail, t)."""

    def __init__(self):
        self.events = []

    def spawned(self, t, gt):
        self.events.append(("spawned", gt, gt.name, t))

    def scheduled(self, t, who, waker):
        self.events.append(("scheduled", who, waker, t))

    def running(self, t, who):
        self.events.append(("running", who, None, t))

    def blocked(self, t, who, reason, on):
        self.events.append(("blocked", who, (reason, on), t))

    def exited(self, t, gt):
        self.events.append(("exited", gt, gt.outcome, t))

    def tick_began(self, t):
        self.events.append(("tick", None, "began", t))

    def tick_ended(self, t):
        self.events.append(("tick", None, "ended", t))

    def polled(self, started, ended, timeout, events):
        self.events.append(("polled", None, timeout, started))

    def of(self, who):
        return [(event, detail) for event, w, detail, _ in self.events if w is who]


class SwitchLog(Instrument):
    def __init__(self):
        self.switches = []

    def switched(self, t, origin, target):
        self.switches.append((origin, target))


@pytest.fixture
def installed(clean_hub):
    """Install instruments for one test, and always remove them afterwards."""
    added = []

    def install(instrument):
        clean_hub.add_instrument(instrument)
        added.append(instrument)
        return instrument

    yield install
    for instrument in added:
        if instrument in clean_hub.instruments:
            clean_hub.remove_instrument(instrument)


def test_a_yielding_thread_is_spawned_run_blocked_scheduled_run_and_exits(installed):
    log = installed(Log())
    gt = spawn(sleep, 0)
    gt.wait()
    assert log.of(gt) == [("spawned", None), ("running", None), ("blocked", ("sleep", None)),
                          ("scheduled", gt), ("running", None), ("exited", "done")]


def test_event_timestamps_never_go_backwards(installed):
    log = installed(Log())
    for gt in [spawn(sleep, 0.001 * i) for i in range(5)]:
        gt.wait()
    stamps = [t for *_, t in log.events]
    assert stamps == sorted(stamps) and len(stamps) > 20


def test_a_wake_up_is_scheduled_by_the_thread_that_sent_it(installed):
    log = installed(Log())
    done = Event()
    waiter = spawn(done.wait)
    sleep(0)
    sender = spawn(done.send, "go")
    waiter.wait()
    assert ("blocked", ("event", done)) in log.of(waiter)
    assert ("scheduled", sender) in log.of(waiter)


def test_a_blocked_event_names_the_queue_it_waits_on(installed):
    log = installed(Log())
    q = Queue()
    getter = spawn(q.get)
    sleep(0)
    assert getter.state == "blocked(queue-get)" and getter.waiting_on is q
    q.put(1)
    getter.wait()
    assert ("blocked", ("queue-get", q)) in log.of(getter)
    assert getter.waiting_on is None


def test_the_exited_event_says_how_each_thread_ended(installed):
    log = installed(Log())

    def explode():
        raise ValueError("boom")

    returned, raised = spawn(int), spawn(explode)
    killed = spawn(sleep, 10)
    sleep(0)
    cancelled = spawn(int)
    kill(cancelled)
    kill(killed)
    for gt in (returned, raised, killed, cancelled):
        try:
            gt.wait()
        except BaseException:
            pass
    assert [log.of(gt)[-1] for gt in (returned, raised, killed, cancelled)] == [
        ("exited", "done"), ("exited", "failed"), ("exited", "killed"),
        ("exited", "cancelled")]


def test_a_thread_woken_by_a_timeout_runs_again_without_being_scheduled(installed):
    log = installed(Log())

    def wait_too_long():
        with Timeout(0.01, False):
            sleep(10)

    gt = spawn(wait_too_long)
    gt.wait()
    assert [event for event, _ in log.of(gt)] == ["spawned", "running", "blocked", "running",
                                                   "exited"]


def test_the_root_blocking_is_reported_with_its_reason(installed, clean_hub):
    log = installed(Log())
    gt = spawn(int)
    gt.wait()
    assert ("blocked", ("join", gt)) in log.of(clean_hub.root)
    assert ("running", None) in log.of(clean_hub.root)


def test_a_thread_is_named_before_its_spawned_event(installed, clean_hub):
    log = installed(Log())
    start_after(GreenThread(clean_hub, int, (), None, name="named"), 0).wait()
    assert log.events[0][:3] == ("spawned", log.events[0][1], "named")


def test_the_hub_reports_each_poll_for_io(installed):
    log = installed(Log())
    sleep(0.01)
    polls = [detail for event, _, detail, _ in log.events if event == "polled"]
    assert polls and all(timeout >= 0 for timeout in polls)


def test_the_hub_reports_each_driven_pass(installed, clean_hub):
    log = installed(Log())
    gt = spawn(int)
    clean_hub.tick()
    ticks = [(detail, t) for event, _, detail, t in log.events if event == "tick"]
    [exited] = [t for event, who, _, t in log.events if event == "exited" and who is gt]
    assert [detail for detail, _ in ticks] == ["began", "ended"]
    assert ticks[0][1] < exited < ticks[1][1]


# -- the registry of live green threads ------------------------------------------------------------


def test_live_threads_lists_the_unfinished_ones_oldest_first(clean_hub):
    first, second = spawn(sleep, 10), spawn(sleep, 10)
    done = spawn(int)
    done.wait()
    assert clean_hub.live_threads() == [first, second]
    kill(first)
    kill(second)
    assert clean_hub.live_threads() == []


def test_the_registry_holds_its_threads_weakly(clean_hub):
    gt = GreenThread(clean_hub, int, (), None)  # made by hand and never started
    tid = gt.id
    assert clean_hub.live_threads() == [gt]
    del gt
    gc.collect()
    assert clean_hub.live_threads() == []
    assert tid not in clean_hub.threads


# -- switches and the trace hook ------------------------------------------------------------------


def test_an_instrument_without_switched_leaves_the_trace_hook_off(installed):
    installed(Log())
    assert greenlet.gettrace() is None


def test_a_switched_instrument_receives_switch_events(installed):
    log = installed(SwitchLog())
    gt = spawn(sleep, 0)
    gt.wait()
    assert any(target is gt for _, target in log.switches)
    assert any(origin is gt for origin, _ in log.switches)


def test_removing_the_switched_instrument_restores_the_previous_trace_function(clean_hub):
    seen = []

    def foreign(event, args):
        seen.append(event)

    greenlet.settrace(foreign)
    try:
        log = SwitchLog()
        clean_hub.add_instrument(log)
        spawn(sleep, 0).wait()
        assert seen, "the foreign trace function keeps receiving switches meanwhile"
        clean_hub.remove_instrument(log)
        assert greenlet.gettrace() is foreign
    finally:
        greenlet.settrace(None)


@pytest.mark.parametrize("event", ["blocked", "switched"])
def test_a_failing_instrument_is_removed_and_the_hub_keeps_working(
        installed, clean_hub, capsys, event):
    def fail(*_):
        raise RuntimeError("instrument bug")

    broken = installed(type("Broken", (Instrument,), {event: fail})())
    assert spawn(lambda: (sleep(0), 7)[1]).wait() == 7
    assert broken not in clean_hub.instruments
    assert clean_hub.observer is None
    assert greenlet.gettrace() is None
    assert "instrument bug" in capsys.readouterr().err
