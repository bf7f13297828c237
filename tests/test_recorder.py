"""The recorder: exact events for scripted schedules, columns that add up, a bounded buffer."""

import time

import pytest

from notebook_coop import Event, GreenPool, Queue, patched, record, sleep, spawn
from notebook_coop.watch import recorder as r
from notebook_coop.watch.recorder import REASON_CODES, ROOT, Recorder

pytestmark = pytest.mark.usefixtures("clean_hub")


def thread_events(rec, *tids):
    """(code, tid, a) of the events of the given threads, in order."""
    return [(code, tid, a) for _, code, tid, a, _ in rec.events if tid in tids]


def test_a_ping_pong_over_an_event_records_exactly_who_ran_and_who_woke_whom():
    done = Event()
    with record() as rec:
        waiter = spawn(done.wait)
        sender = spawn(done.send, 1)
        waiter.wait()
        sender.wait()
    w, s = waiter.id, sender.id
    assert thread_events(rec, w, s) == [
        (r.SPAWN, w, ROOT), (r.SPAWN, s, ROOT), (r.BLOCK, w, REASON_CODES["event"]),
        (r.WAKE, w, s), (r.EXIT, s, 0), (r.EXIT, w, 0)]
    timeline = rec.timeline()
    states = {t.tid: [seg.state for seg in t.segments] for t in timeline.threads()}
    assert states == {w: ["ready", "run", "event", "ready", "run"], s: ["ready", "run"]}
    [flow] = [f for f in timeline.flows if f.woken == w]
    assert (flow.waker, flow.woken) == (s, w)


def test_a_yield_ends_a_slice_and_makes_the_thread_ready_at_once():
    with record() as rec:
        gt = spawn(sleep, 0)
        gt.wait()
    assert thread_events(rec, gt.id) == [(r.SPAWN, gt.id, ROOT), (r.YIELD, gt.id, 0),
                                         (r.EXIT, gt.id, 0)]
    [track] = rec.timeline().threads()
    assert [s.state for s in track.segments] == ["ready", "run", "run"]  # nothing else ready
    assert track.yields == 1


def test_the_root_waiting_and_the_hub_polling_are_recorded():
    with record() as rec:
        sleep(0.01)
    codes = [(code, tid) for _, code, tid, *_ in rec.events]
    assert (r.BLOCK, ROOT) in codes and (r.POLL, r.HUB) in codes
    [root] = [t for t in rec.timeline().ordered() if t.tid == ROOT]
    assert [s.state for s in root.segments] == ["run", "sleep", "run"]


def test_marks_are_kept_in_order_with_their_text():
    with record() as rec:
        rec.mark("phase one")
        sleep(0)
        rec.mark("phase two")
    marks = [rec.texts[a] for _, code, _, a, _ in rec.events if code == r.MARK]
    assert marks == ["phase one", "phase two"]


def test_each_threads_columns_add_up_to_the_time_it_was_seen():
    q = Queue(1)

    def producer():
        for i in range(20):
            q.put(i)
            sleep(0.001 * (i % 3))

    def consumer():
        for _ in range(20):
            q.get()
            time.sleep(0.0005)  # some real work inside a slice

    with record() as rec:
        threads = [spawn(producer), spawn(consumer)]
        for gt in threads:
            gt.wait()
    rows = {r["id"]: r for r in rec.rows()}
    for gt in threads:
        r = rows[gt.id]
        assert r["run"] + r["ready"] + r["blocked"] == pytest.approx(r["seen"], rel=1e-9)
        assert r["slices"] >= 20 and r["state"] == "done"
    assert rows[threads[1].id]["blocked_queue-get"] > 0
    assert rows[threads[0].id]["blocked_queue-put"] + rows[threads[0].id]["blocked_sleep"] > 0


def test_segments_of_a_thread_are_back_to_back_and_never_overlap():
    pool = GreenPool(3)
    with record() as rec:
        for i in range(12):
            pool.spawn(sleep, 0.001 * (i % 4))
        pool.waitall()
    for track in rec.timeline().ordered():
        for a, b in zip(track.segments, track.segments[1:], strict=False):
            assert a.end == b.start and a.length >= 0


def test_a_thread_first_seen_mid_wait_is_shown_blocked_from_the_start():
    gate = Event()
    gt = spawn(gate.wait)
    sleep(0)
    with record() as rec:
        gate.send()
        gt.wait()
    [track] = rec.timeline().threads()
    assert [s.state for s in track.segments] == ["blocked", "ready", "run"]
    assert track.segments[0].start == rec.started


def test_the_four_workers_experiment_serialises_unpatched_and_overlaps_patched():
    def run():
        def worker():
            for _ in range(5):
                time.sleep(0.01)

        with record() as rec:
            pool = GreenPool(4)
            for _ in range(4):
                pool.spawn(worker)
            pool.waitall()
        return rec.timeline().threads()

    def busy_intervals(tracks, state):
        return sorted((s.start, s.end) for t in tracks for s in t.segments if s.state == state)

    def overlapping(intervals):
        return sum(1 for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False)
                   if start < end)

    unpatched = run()
    with patched(time=True):
        green = run()
    assert overlapping(busy_intervals(unpatched, "run")) == 0
    assert busy_intervals(unpatched, "sleep") == []
    assert overlapping(busy_intervals(green, "sleep")) >= 3 * 5  # four sleeping side by side


def test_an_overflowing_buffer_keeps_the_newest_events_and_counts_the_rest():
    with record(size=50) as rec:
        for _ in range(30):
            spawn(sleep, 0).wait()
    assert len(rec.events) == 50 and rec.dropped == rec.total - 50 > 0
    timeline = rec.timeline()
    assert timeline.dropped == rec.dropped and timeline.start == rec.events[0][0]
    assert "dropped" in str(rec.summary())


def test_a_small_ring_holds_exactly_the_newest_events_of_a_big_one_across_trims():
    big, small = Recorder().start(), Recorder(50).start()  # both through one Fanout
    gt = spawn(lambda: [sleep(0) for _ in range(3000)])
    gt.wait()
    small.stop()
    big.stop()
    everything = list(big.events)
    assert big.dropped == 0 and len(everything) == big.total > 3000
    assert list(small.events) == everything[-50:] and small.total == big.total
    assert len(small.events) == 50 and small.dropped == big.total - 50
    assert list(reversed(small.events)) == everything[:-51:-1]
    assert small.events[0] == everything[-50] and small.events[-1] == everything[-1]
    assert small.events[10:12] == everything[-40:-38]
    with pytest.raises(IndexError):
        small.events[50]


def test_a_long_recording_of_switches_alone_keeps_its_memory_near_the_ring_size():
    def switches():
        for i in range(20_000):
            sleep(0.0001 if i % 500 == 0 else 0)  # polls, as a busy hub does every millisecond

    with record(size=100) as rec:
        spawn(switches).wait()
    assert rec.total > 20_000 and len(rec.events) == 100
    assert len(rec._log) // r.WIDTH <= 100 + 1000 + 500 + 10  # size, trim batch, one poll apart


def test_run_time_accounting_does_not_change_what_is_recorded(clean_hub):
    def schedule():
        done = Event()
        with record() as rec:
            waiter = spawn(done.wait)
            sender = spawn(lambda: (sleep(0), done.send(1)))
            waiter.wait()
            sender.wait()
        role = {waiter.id: "waiter", sender.id: "sender"}
        return [(code, role.get(tid, tid), role.get(a, a) if code == r.WAKE else a)
                for _, code, tid, a, _ in rec.events if code != r.POLL]

    plain = schedule()
    clean_hub.accounting = True
    try:
        accounted = schedule()
    finally:
        clean_hub.accounting = False
    assert accounted == plain and (r.YIELD, "sender", 0) in plain
    assert (r.BLOCK, "waiter", REASON_CODES["event"]) in plain


def test_recording_stops_cleanly_and_costs_nothing_afterwards(clean_hub):
    rec = Recorder().start()
    assert clean_hub.observer is rec
    rec.stop()
    rec.stop()
    assert clean_hub.observer is None and not clean_hub.watched
    with pytest.raises(RuntimeError, match="records once"):
        rec.start()


@pytest.mark.parametrize("size", [0, -5, 2.5, True])
def test_a_bad_buffer_size_is_refused(size):
    with pytest.raises(ValueError, match="positive int"):
        Recorder(size)


def test_a_failed_thread_keeps_its_error_in_the_recording():
    def explode():
        raise KeyError("missing")

    with record() as rec:
        gt = spawn(explode)
        with pytest.raises(KeyError):
            gt.wait()
    [row] = [r for r in rec.rows() if r["id"] == gt.id]
    assert row["state"] == "failed" and row["error"] == "KeyError: 'missing'"


def test_a_spawn_site_is_the_line_that_spawned():
    with record() as rec:
        gt = spawn(int)  # the site
        gt.wait()
    assert rec.sites[gt.id].endswith(f"test_recorder.py:{_line_of('gt = spawn(int)  # the site')}")


def _line_of(text):
    with open(__file__) as f:
        return next(n for n, line in enumerate(f, 1) if text in line and "_line_of" not in line)
