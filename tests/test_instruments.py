"""Instruments: scheduler events for recorders and dashboards."""

import greenlet
import pytest

from notebook_coop.greenthread import sleep, spawn
from notebook_coop.instruments import Instrument
from notebook_coop.timeout import Timeout

pytestmark = pytest.mark.usefixtures("clean_hub")


class Recorder(Instrument):
    """Keeps every event except switches, as (event, who, detail)."""

    def __init__(self):
        self.events = []

    def spawned(self, who, parent):
        self.events.append(("spawned", who, parent))

    def blocked(self, who, reason):
        self.events.append(("blocked", who, reason))

    def woken(self, who, detail):
        self.events.append(("woken", who, detail))

    def exited(self, who, exc):
        self.events.append(("exited", who, exc))

    def of(self, who):
        return [(event, detail) for event, w, detail in self.events if w is who]


class SwitchRecorder(Instrument):
    def __init__(self):
        self.switches = []

    def switched(self, origin, target):
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


def test_an_instrument_sees_a_thread_spawned_blocked_woken_and_exited(installed, clean_hub):
    recorder = installed(Recorder())
    gt = spawn(sleep, 0)
    gt.wait()
    assert recorder.of(gt) == [("spawned", clean_hub.root), ("blocked", "sleep"),
                               ("woken", None), ("exited", None)]


def test_the_exited_event_carries_the_exception_that_ended_the_thread(installed):
    recorder = installed(Recorder())

    def explode():
        raise ValueError("boom")

    gt = spawn(explode)
    with pytest.raises(ValueError):
        gt.wait()
    [(event, exc)] = [e for e in recorder.of(gt) if e[0] == "exited"]
    assert isinstance(exc, ValueError)


def test_a_thread_woken_by_a_timeout_is_reported_woken(installed):
    recorder = installed(Recorder())

    def wait_too_long():
        with Timeout(0.01, False):
            sleep(10)

    gt = spawn(wait_too_long)
    gt.wait()
    assert [event for event, _ in recorder.of(gt)] == ["spawned", "blocked", "woken", "exited"]


def test_the_root_blocking_is_reported_with_its_reason(installed, clean_hub):
    recorder = installed(Recorder())
    spawn(int).wait()
    assert ("blocked", "join") in recorder.of(clean_hub.root)


def test_an_instrument_without_switched_leaves_the_trace_hook_off(installed):
    installed(Recorder())
    assert greenlet.gettrace() is None


def test_a_switched_instrument_receives_switch_events(installed):
    recorder = installed(SwitchRecorder())
    gt = spawn(sleep, 0)
    gt.wait()
    assert any(target is gt for _, target in recorder.switches)
    assert any(origin is gt for origin, _ in recorder.switches)


def test_removing_the_switched_instrument_turns_the_trace_hook_off(clean_hub):
    recorder = SwitchRecorder()
    clean_hub.add_instrument(recorder)
    assert greenlet.gettrace() is not None
    clean_hub.remove_instrument(recorder)
    assert greenlet.gettrace() is None
    spawn(sleep, 0).wait()
    assert recorder.switches == []


@pytest.mark.parametrize("event", ["blocked", "switched"])
def test_a_failing_instrument_is_removed_and_the_hub_keeps_working(
        installed, clean_hub, capsys, event):
    def fail(*_):
        raise RuntimeError("instrument bug")

    broken = installed(type("Broken", (Instrument,), {event: fail})())
    assert spawn(lambda: (sleep(0), 7)[1]).wait() == 7
    assert broken not in clean_hub.instruments
    assert greenlet.gettrace() is None
    assert "instrument bug" in capsys.readouterr().err
