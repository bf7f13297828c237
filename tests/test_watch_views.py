"""Views of a recording: timelines checked through their artists, the trace file against the
Trace Event Format, the summary table, and the names of what threads wait on."""

import json
import socket

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex

from notebook_coop import Event, GreenPool, Lock, Queue, compare, record, sleep, spawn, tpool
from notebook_coop.green import socket as green_socket
from notebook_coop.watch import describe
from notebook_coop.watch.palette import COLOURS
from notebook_coop.watch.plot import group_key

pytestmark = pytest.mark.usefixtures("clean_hub")


def pool_run(workers=4, jobs=3, size=4, name_prefix=None):
    """A recording of `workers` green threads each sleeping `jobs` times, through a pool."""
    def worker():
        for _ in range(jobs):
            sleep(0.001)

    with record() as rec:
        pool = GreenPool(size)
        for _ in range(workers):
            pool.spawn(worker)
        pool.waitall()
    return rec


def row_labels(ax):
    return [tick.get_text() for tick in ax.get_yticklabels()]


def rectangles_by_colour(ax):
    counts = {}
    for collection in ax.collections:
        if isinstance(collection, PolyCollection) and collection.get_paths():
            counts[to_hex(collection.get_facecolor()[0])] = len(collection.get_paths())
    return counts


# -- timelines ---------------------------------------------------------------------------------


def test_a_timeline_has_a_row_per_thread_below_the_root_and_the_hubs_io_wait():
    rec = pool_run(workers=3)
    ax = rec.plot().axes[0]
    names = [t.name for t in rec.timeline().threads()]
    assert row_labels(ax) == ["root", "hub: waits for I/O", *names]
    assert [name.split("#")[0] for name in names] == ["worker"] * 3


def test_each_state_is_drawn_in_its_palette_colour_one_rectangle_per_segment():
    rec = pool_run(workers=2, jobs=3)
    drawn = rectangles_by_colour(rec.plot().axes[0])
    segments = [s for t in rec.timeline().ordered() for s in t.segments]
    for state in ("run", "sleep", "ready"):
        assert drawn[COLOURS[state]] == sum(1 for s in segments if s.state == state) > 0


def test_a_short_beat_in_a_long_recording_stays_visible_about_a_pixel_wide():
    def beat():
        for _ in range(5):
            sleep(0.02)

    with record() as rec:
        spawn(sleep, 0.3)
        spawn(beat).wait()
        sleep(0.3)
    ax = rec.plot().axes[0]
    span = ax.get_xlim()[1]
    [runs] = [c for c in ax.collections if isinstance(c, PolyCollection)
              and to_hex(c.get_facecolor()[0]) == COLOURS["run"]]
    widths = [np.ptp(path.vertices[:, 0]) for path in runs.get_paths()]
    shortest = min(s.length for t in rec.timeline().ordered() for s in t.segments
                   if s.state == "run") * 1e-9
    assert shortest < span / 1000  # a beat that would be thinner than a pixel...
    assert min(widths) >= span / 800 * 0.99  # ...is drawn about one pixel wide
    assert runs.get_zorder() > max(c.get_zorder() for c in ax.collections
                                   if isinstance(c, PolyCollection) and c is not runs
                                   and to_hex(c.get_facecolor()[0]) != COLOURS["ready"])


def test_the_root_driving_kernel_passes_after_its_wait_is_not_shown_ready():
    """A kernel's root, woken from a green wait, runs the cell on and then drives passes while
    the kernel idles: it is never ready again once the first pass shows it running."""
    import time

    from notebook_coop.hub import get_hub

    hub = get_hub()
    with record() as rec:
        sleep(0.01)                     # the cell waits; woken, it is ready, then runs on
        for _ in range(5):
            time.sleep(0.02)            # the kernel idles between passes
            hub.tick()
    [root] = [t for t in rec.timeline().ordered() if t.tid == 0]
    ready = sum(s.length for s in root.segments if s.state == "ready") * 1e-9
    assert ready < 0.01
    assert [s.state for s in root.segments].count("tick") == 5


def test_a_failed_thread_is_marked_with_a_red_cross():
    def explode():
        raise ValueError("no")

    with record() as rec:
        gt = spawn(explode)
        with pytest.raises(ValueError):
            gt.wait()
    ax = rec.plot().axes[0]
    assert "failed" in ax.get_legend_handles_labels()[1]


def test_past_max_rows_threads_are_grouped_by_name():
    rec = pool_run(workers=30, jobs=1, size=30)
    ax = rec.plot(max_rows=10).axes[0]
    assert row_labels(ax) == ["root", "hub: waits for I/O", "worker ×30"]


def test_a_groups_state_shares_count_its_threads_in_each_state_per_bin():
    import numpy as np

    from notebook_coop.watch.plot import _state_shares
    from notebook_coop.watch.timeline import Segment, Track

    a = Track(1, "a", segments=[Segment(0, 50, "run"), Segment(50, 100, "sleep")])
    b = Track(2, "b", segments=[Segment(0, 100, "run")])
    shares = _state_shares([a, b], np.array([0.0, 25.0, 50.0, 75.0, 100.0]))
    assert list(shares["run"]) == [2, 2, 1, 1] and list(shares["sleep"]) == [0, 0, 1, 1]


@pytest.mark.parametrize("name, key", [("worker[3]", "worker"), ("fetch#12", "fetch"),
                                       ("job7", "job"), ("plain", "plain"), ("42", "42")])
def test_group_keys_drop_a_trailing_index(name, key):
    assert group_key(name) == key


def test_compare_draws_two_recordings_on_one_time_axis():
    fast, slow = pool_run(jobs=1), pool_run(jobs=8)
    fig = compare(fast, slow, titles=("one job", "eight jobs"))
    top, bottom = fig.axes[:2]
    assert top.get_xlim() == bottom.get_xlim()
    longest = max(fast.timeline().span, slow.timeline().span)  # slow, unless the machine is busy
    assert top.get_xlim()[1] == pytest.approx(longest * 1e-9)
    assert top.get_title(loc="left").startswith("one job")


# -- the trace file -----------------------------------------------------------------------------


def test_the_chrome_trace_has_one_ordered_non_overlapping_track_per_thread(tmp_path):
    rec = pool_run(workers=3)
    path = tmp_path / "trace.json"
    rec.to_chrome_trace(path)
    trace = json.loads(path.read_text())
    events = trace["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}
    expected = {f"{t.name} (#{t.tid})" for t in rec.timeline().threads()}
    assert expected | {"root", "hub: waits for I/O"} == set(names.values())
    for tid in names:
        slices = [e for e in events if e["ph"] == "X" and e["tid"] == tid]
        starts = [e["ts"] for e in slices]
        assert starts == sorted(starts)
        for a, b in zip(slices, slices[1:], strict=False):
            assert a["ts"] + a["dur"] <= b["ts"] + 1e-6


def test_the_chrome_trace_links_each_waker_to_the_woken_with_a_flow():
    done = Event()
    with record() as rec:
        waiter = spawn(done.wait)
        sleep(0)
        spawn(done.send).wait()
        waiter.wait()
    events = rec.to_chrome_trace()["traceEvents"]
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    ends = {e["id"]: e for e in events if e["ph"] == "f"}
    assert starts and starts.keys() == ends.keys()
    assert any(ends[i]["tid"] == waiter.id + 10 for i in ends)
    assert all(starts[i]["ts"] == ends[i]["ts"] for i in starts)


def test_the_chrome_trace_counts_ready_threads_and_names_what_was_waited_on():
    q = Queue()
    with record() as rec:
        getter = spawn(q.get)
        sleep(0)
        q.put(1)
        getter.wait()
    events = rec.to_chrome_trace()["traceEvents"]
    counts = [e["args"]["ready"] for e in events if e["ph"] == "C"]
    assert max(counts) >= 1 and counts[-1] == 0
    waits = [e for e in events if e["ph"] == "X" and e["name"] == "queue-get"]
    assert waits and waits[0]["args"]["on"].startswith("Queue#")


# -- the summary table --------------------------------------------------------------------------


def test_the_summary_prints_a_row_per_thread_and_renders_html():
    rec = pool_run(workers=2)
    text = str(rec.summary())
    assert text.startswith("2 green threads")
    assert all(t.name in text for t in rec.timeline().threads())
    assert "<table>" in rec.summary()._repr_html_()


# -- what threads wait on -----------------------------------------------------------------------


def test_a_queue_is_named_with_its_fill_level():
    q = Queue(10)
    q.put(1)
    q.put(2)
    assert describe.describe(q) == f"{describe.label(q)} (2/10)"
    assert describe.label(q).startswith("Queue#") and describe.label(q) == describe.label(q)


def test_a_lock_names_the_thread_that_holds_it():
    lock = Lock()
    holder = spawn(lambda: (lock.acquire(), sleep(10)))
    sleep(0)
    assert describe.describe(lock).endswith(f"held by {holder.label}")
    holder.kill()


def test_a_recorded_lock_wait_names_the_holder():
    lock = Lock()
    holder = spawn(lambda: (lock.acquire(), sleep(0.01), lock.release()))
    sleep(0)
    with record() as rec:
        waiter = spawn(lock.acquire)
        waiter.wait()
    [track] = [t for t in rec.timeline().threads() if t.tid == waiter.id]
    [wait] = [s for s in track.segments if s.state == "lock"]
    assert wait.on.endswith(f"held by {holder.label}")
    holder.wait()
    lock.release()


def test_a_socket_is_named_by_its_fd_and_address():
    server = green_socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        port = server.getsockname()[1]
        assert describe.label(server) == f"fd {server.fileno()} 127.0.0.1:{port}"
    finally:
        server.close()


def test_a_thread_waiting_on_a_socket_records_its_address():
    a, b = green_socket.socketpair(socket.AF_UNIX)
    fd = a.fileno()
    with record() as rec, a, b:
        reader = spawn(a.recv, 10)
        sleep(0)
        b.send(b"x")
        reader.wait()
    [track] = rec.timeline().threads()
    assert [s.on for s in track.segments if s.state == "io-read"] == [f"fd {fd}"]


def test_a_tpool_call_names_the_worker_thread_running_it():
    seen = []

    def job():
        return 1

    def watcher(gt):
        sleep(0)
        seen.append(describe.describe(gt.waiting_on))

    gt = spawn(tpool.execute, job)
    spawn(watcher, gt)
    gt.wait()
    assert seen and ("worker[" in seen[0] or "queued" in seen[0]) and "job" in seen[0]
