"""The blocking detector against a hub in this process: the real watchdog thread, and its
bookkeeping driven look by look against a stand-in hub."""

import sys
import threading
import time

import pytest

from notebook_coop import sleep, spawn
from notebook_coop.greenthread import GreenThread
from notebook_coop.watch.monitor import Monitor


class Reports(list):
    """A subscriber that keeps every report with its arrival time."""

    def __init__(self):
        super().__init__()
        self.first, self.ended = threading.Event(), threading.Event()

    def __call__(self, report):
        self.append((time.monotonic(), report))
        self.first.set()
        if report.ended:
            self.ended.set()

    def kinds(self):
        return [(r.kind, r.ended) for _, r in self]


def watching(hub, threshold):
    monitor = Monitor(hub, threshold=threshold)
    reports = Reports()
    monitor.subscribe(reports)
    monitor.start()
    return monitor, reports


@pytest.fixture
def watched(clean_hub):
    """A running monitor over the process's hub (threshold 0.05 s) and its reports."""
    monitor, reports = watching(clean_hub, 0.05)
    yield monitor, reports
    monitor.stop()


@pytest.fixture
def watched_for_silence(clean_hub):
    """The same with a 0.25 s threshold, so a busy machine's scheduling pauses stay below it."""
    monitor, reports = watching(clean_hub, 0.25)
    yield monitor, reports
    monitor.stop()


def bystander(stop):
    while not stop:
        sleep(0.005)


# -- the watchdog thread on the real hub -------------------------------------------------------

def test_an_unpatched_sleep_in_a_green_thread_is_reported_before_it_ends(watched):
    monitor, reports = watched
    stop, times = [], {}

    def blocker():
        times["start"] = time.monotonic()
        time.sleep(0.4)  # the culprit's line
        times["end"] = time.monotonic()

    others = spawn(bystander, stop)
    culprit = spawn(blocker)
    culprit.wait()
    stop.append(True)
    others.wait()
    arrived, first = reports[0]
    assert times["start"] < arrived < times["end"]
    assert (first.kind, first.thread, first.culprit, first.ended) == (
        "green thread", culprit, culprit.label, False)
    assert first.line.line == "time.sleep(0.4)  # the culprit's line"
    assert first.spawn_site == (__file__, first.spawn_site[1])
    assert reports.ended.wait(1)
    last = reports[-1][1]
    assert (last.ended, last.block) == (True, first.block)
    assert 0.3 < last.held < 1.0


def test_nothing_is_reported_while_no_green_work_is_due(watched_for_silence):
    monitor, reports = watched_for_silence
    spawn(time.sleep, 0.4).wait()  # holds the hub, but nobody waits for it
    time.sleep(0.4)  # the root computes, with no green work due
    assert list(reports) == []


def test_the_root_holding_the_hub_while_work_is_due_is_the_culprit(watched):
    monitor, reports = watched
    waiting = spawn(int)  # ready, and starved while the root computes
    time.sleep(0.3)  # the root's line
    assert reports.first.wait(1)
    report = reports[0][1]
    assert (report.kind, report.thread) == ("root", None)
    assert report.line.line == "time.sleep(0.3)  # the root's line"
    waiting.wait()


def test_a_thread_that_yields_often_is_never_reported(watched_for_silence):
    monitor, reports = watched_for_silence

    def busy():
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            sleep(0)

    spawn(busy).wait()
    assert list(reports) == []


def test_stop_ends_the_watchdog_and_spawn_sites_with_it(clean_hub):
    monitor = Monitor(clean_hub)
    monitor.start()
    assert monitor.running
    assert spawn(int).spawn_site is not None
    monitor.stop()
    assert not monitor.running
    assert spawn(int).spawn_site is None
    sleep(0)


def test_the_threshold_must_be_a_positive_number(clean_hub):
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="positive number of seconds"):
            Monitor(clean_hub, threshold=bad)


# -- look by look, against a stand-in hub -----------------------------------------------------

class StandInHub:
    """What the monitor reads of a hub, set by hand; its 'thread' is a parked helper thread."""

    def __init__(self, thread_id):
        self.slices, self.due, self.driven, self.thread_id = 0, True, False, thread_id

    def work_due(self):
        return self.due


@pytest.fixture
def stand_in():
    release = threading.Event()

    def parked():
        release.wait()  # where the stand-in hub is held

    helper = threading.Thread(target=parked)
    helper.start()
    hub = StandInHub(helper.ident)
    reports = Reports()
    monitor = Monitor(hub, threshold=0.1, update_every=1.0, collapse_for=10.0)
    monitor.subscribe(reports)
    monitor._mark = (0, 0.0)
    yield hub, monitor, reports
    release.set()
    helper.join()


def looks(monitor, *times):
    for t in times:
        monitor.look(t)


def test_a_block_that_straddles_looks_is_timed_from_the_last_change_seen(stand_in):
    hub, monitor, reports = stand_in
    looks(monitor, 0.075)  # not yet 0.1 s since the last change (at 0)
    assert reports == []
    looks(monitor, 0.15)
    [(_, report)] = reports
    assert (report.kind, report.held, report.ended) == ("root", 0.15, False)
    assert "parked" in [frame.name for frame in report.stack]


def test_the_end_of_a_block_is_one_report_with_the_total(stand_in):
    hub, monitor, reports = stand_in
    looks(monitor, 0.15)
    hub.slices += 1
    looks(monitor, 0.4)
    assert reports.kinds() == [("root", False), ("root", True)]
    assert reports[-1][1].held == 0.4


def test_a_long_block_is_reported_again_at_most_every_update_interval(stand_in):
    hub, monitor, reports = stand_in
    looks(monitor, *[(5 + i) / 32 for i in range(80)])  # 2.5 s of looks, 1/32 s apart
    assert reports.kinds() == [("root", False)] * 3
    assert [r.held for _, r in reports] == [5 / 32, 1 + 5 / 32, 2 + 5 / 32]


def test_nothing_is_reported_while_no_work_is_due_or_driven(stand_in):
    hub, monitor, reports = stand_in
    hub.due = False
    looks(monitor, 0.2, 0.5, 1.0)
    assert reports == []
    hub.driven = True  # a kernel-driven pass runs: the kernel's loop is held too
    looks(monitor, 1 + 1 / 16, 1 + 2 / 16)  # held from the first look that sees it: 1/16 s
    assert reports == []
    looks(monitor, 1 + 3 / 16)
    assert reports.kinds() == [("root", False)]
    assert reports[0][1].held == 2 / 16


def test_repeated_blocks_at_one_place_are_collapsed_into_a_count(stand_in):
    hub, monitor, reports = stand_in
    t = 0.0
    for _ in range(10):  # ten 0.2 s blocks, 0.05 s apart
        looks(monitor, t + 0.15, t + 0.2)
        hub.slices += 1
        looks(monitor, t + 0.25)
        t += 0.25
    looks(monitor, t + 1.0)  # a collapsed report still pending is sent when its turn comes
    full = [r for _, r in reports if not r.ended]
    ended = [r for _, r in reports if r.ended]
    assert len(full) == 1
    assert len(ended) <= 4
    assert ended[-1].repeat == 10
    assert ended[-1].total == pytest.approx(10 * 0.25)


def test_a_place_is_reported_in_full_again_after_the_collapse_period(stand_in):
    hub, monitor, reports = stand_in
    looks(monitor, 0.15)
    hub.slices += 1
    looks(monitor, 0.2, 20.0)
    monitor._mark = (hub.slices, 20.0)
    looks(monitor, 20.15)
    assert [r.repeat for _, r in reports if not r.ended] == [1, 1]


def test_a_failing_subscriber_is_dropped_and_the_others_still_hear(stand_in, capfd):
    hub, monitor, reports = stand_in

    def broken(report):
        raise RuntimeError("subscriber broke")

    monitor.unsubscribe(reports)
    monitor.subscribe(broken)
    monitor.subscribe(reports)
    looks(monitor, 0.15)
    hub.slices += 1
    looks(monitor, 0.2)
    assert reports.kinds() == [("root", False), ("root", True)]
    assert "subscriber broke" in capfd.readouterr().err


def test_held_for_is_how_long_the_current_slice_has_held_the_hub(stand_in):
    hub, monitor, reports = stand_in
    monitor._mark = (0, time.monotonic() - 0.5)
    assert 0.5 <= monitor.held_for() < 1.0
    hub.slices += 1
    assert monitor.held_for() == 0.0


def test_a_green_thread_culprit_is_found_by_its_run_on_frame(clean_hub):
    found = []

    def culprit():
        from notebook_coop.watch.monitor import _culprit

        found.append(_culprit(clean_hub))

    gt = spawn(culprit)
    gt.wait()
    kind, thread, stack, key = found[0]
    assert (kind, thread) == ("green thread", gt)
    assert [f.name for f in stack] == ["culprit"]
    assert key == ("green thread", __file__, culprit.__code__.co_firstlineno)
    assert GreenThread.run_on.__code__.co_filename not in {f.filename for f in stack}
    assert sys._current_frames()  # the same source the watchdog reads
