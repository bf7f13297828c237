"""The dashboard's widgets driven in-process: rows, kill buttons, patch toggles, sort and filter."""

import re
import time

import ipywidgets
import pytest
from lock_cycle import hold

from notebook_coop import Event, GreenPool, Lock, Queue, sleep, spawn
from notebook_coop.jupyter import dashboard as dash
from notebook_coop.patcher import original
from notebook_coop.watch import board as watch_board


@pytest.fixture
def board(clean_hub):
    """A dashboard of 5 rows, refreshed every 10 ms; closed after, and checked closed."""
    d = dash.Dashboard(top=5, interval=0.01)
    yield d
    d.close()
    assert d not in dash.open_dashboards()
    assert all(w.comm is None for w in d._make.made) and d.comm is None
    # clean_hub then checks that no refresh timer outlived it


def shown(d):
    """(name, state) of the visible live rows."""
    return [(r.name.value, r.state.value) for r in d.rows
            if "coop-hidden" not in r.box._dom_classes]


def finished(d):
    """(name, state) of the recently finished rows, read from the widget's HTML."""
    lines = d.finished.value.split('<div class="coop-finished')[1:]
    return [(re.search(r'coop-name c-name">([^<]*)<', line)[1],
             re.search(r'class="coop-state coop-st-\w+">(\w+)<', line)[1]) for line in lines]


def named(name, fn, *args):
    gt = spawn(fn, *args)
    gt.name = name
    return gt


def test_rows_appear_with_their_state_and_the_rest_is_counted(board):
    stop = Event()
    threads = [named(f"w{i}", stop.wait) for i in range(8)]
    sleep(0)
    board.refresh()
    assert shown(board) == [(f"w{i}", "blocked") for i in range(5)]
    assert board.more.value == "... and 3 more"
    assert "event Event#" in board.rows[0].info.value
    stop.send()
    for gt in threads:
        gt.wait()


def test_rows_change_state_and_finished_threads_move_below(board):
    go, gate = Event(), Event()

    def job():
        go.wait()
        sleep(0.001)
        gate.wait()

    gt = named("job", job)
    sleep(0)
    board.refresh()
    assert shown(board) == [("job", "blocked")]
    go.send()
    sleep(0)
    board.refresh()
    assert shown(board) == [("job", "sleeping")]
    gate.send()
    gt.wait()
    board.refresh()
    assert shown(board) == [] and finished(board) == [("job", "done")]


def test_a_failed_thread_is_shown_in_red_with_its_error(board):
    go = Event()

    def fails():
        go.wait()
        raise ValueError("bad input")

    gt = named("fragile", fails)
    sleep(0)
    board.refresh()
    go.send()
    with pytest.raises(ValueError):
        gt.wait()
    board.refresh()
    assert finished(board) == [("fragile", "failed")]
    assert '<span class="coop-error">ValueError: bad input</span>' in board.finished.value


def test_the_kill_button_kills_its_thread_and_its_finally_runs(board):
    cleaned = []

    def worker():
        try:
            sleep(60)
        finally:
            cleaned.append(True)

    keep, victim = named("keep", worker), named("victim", worker)
    sleep(0)
    board.refresh()
    button = board.rows[1].kill
    assert button.tooltip == "kill victim" and "coop-kill" in button._dom_classes
    button.click()
    assert victim.dead and victim.outcome == "killed" and cleaned == [True]
    assert shown(board) == [("keep", "sleeping")] and finished(board) == [("victim", "killed")]
    keep.kill()


def test_the_time_toggle_patches_and_restores_the_live_module(board):
    toggle = board.patches.toggles["time"]
    assert "coop-patch-time" in toggle._dom_classes and not toggle.value
    toggle.value = True
    try:
        assert time.sleep is not original("time").sleep
        assert "patched: time" in board.note.value
    finally:
        toggle.value = False
    assert time.sleep is original("time").sleep


def test_the_toggles_follow_patches_made_elsewhere(board):
    from notebook_coop import monkey_patch, unpatch

    monkey_patch(time=True)
    try:
        board.refresh()
        assert board.patches.toggles["time"].value
        assert not board.patches.toggles["socket"].value
    finally:
        unpatch(time=True)
    board.refresh()
    assert not board.patches.toggles["time"].value


def test_sorting_and_filtering_choose_the_rows(board):
    stop = Event()
    threads = [named(name, stop.wait) for name in ("fetch-b", "parse", "fetch-a", "store")]
    sleep(0)
    board.sort.value = "name"
    assert [name for name, _ in shown(board)] == ["fetch-a", "fetch-b", "parse", "store"]
    board.descending.value = True
    assert [name for name, _ in shown(board)] == ["store", "parse", "fetch-b", "fetch-a"]
    board.filter.value = "fetch"
    assert [name for name, _ in shown(board)] == ["fetch-b", "fetch-a"]
    board.filter.value = "no such thread"
    assert shown(board) == [] and board.more.value == ""
    stop.send()
    for gt in threads:
        gt.wait()


def test_ten_thousand_threads_show_the_top_rows_and_a_count(board):
    stop = Event()
    threads = [spawn(stop.wait) for _ in range(10_000)]
    sleep(0)
    board.sort.value, board.descending.value = "id", True
    assert [name for name, _ in shown(board)] == [t.label for t in threads[:-6:-1]]
    assert board.more.value == "... and 9,995 more"
    stop.send()
    for gt in threads:
        gt.wait()


def test_a_refresh_that_changes_nothing_sends_nothing(board, monkeypatch):
    stop = Event()
    threads = [named(f"w{i}", stop.wait) for i in range(3)]
    sleep(0)
    board.refresh()
    monkeypatch.setattr(dash, "NUMBERS_EVERY", 1e9)  # the rows' times stay as they are shown
    sent = []
    monkeypatch.setattr(ipywidgets.Widget, "_send",
                        lambda self, msg, buffers=None: sent.append((self, msg)))
    board.refresh()
    assert [w for w, _ in sent] == [board.title], sent  # switches/s and loop lag only
    stop.send()
    for gt in threads:
        gt.wait()


def test_the_hub_refreshes_it_while_the_root_waits(board):
    first = board.snapshot
    sleep(0.1)
    assert board.snapshot is not first


def test_two_dashboards_refresh_independently_and_close_alone(board):
    other = dash.Dashboard(top=3, interval=0.01)
    try:
        gt = named("both", sleep, 60)
        sleep(0.1)
        assert ("both", "sleeping") in shown(board) and ("both", "sleeping") in shown(other)
        other.close()
        before = board.snapshot
        sleep(0.1)
        assert board.snapshot is not before and other.closed
        gt.kill()
    finally:
        other.close()


def test_the_detail_of_a_selected_thread_shows_its_stack_and_tree(board):
    def parent():
        child = named("child", sleep, 60)
        try:
            child.wait()
        finally:
            child.kill()

    gt = named("parent", parent)
    sleep(0)
    board.refresh()
    board.rows[1].select.click()
    assert "child (#" in board.detail.value and "spawn tree: root &gt; parent &gt; child" \
        in board.detail.value
    board.rows[0].select.click()
    assert "child.wait()" in board.detail.value and "children: child" in board.detail.value
    gt.kill()


def test_pools_queues_and_tpool_have_gauges(board):
    pool, q = GreenPool(4), Queue(10)
    stop = Event()
    for _ in range(3):
        pool.spawn(stop.wait)
    q.put(1)
    sleep(0)
    board.refresh()
    texts = re.findall(r"</span></span> ([^<]*)</div>", board.gauges.value)
    assert any(t.startswith("GreenPool#") and ": 3/4, 0 callers waiting" in t for t in texts)
    assert any(t.startswith("Queue#") and ": 1/10, 0 getters waiting" in t for t in texts)
    assert texts[-1].startswith("tpool: 0/")
    stop.send()
    pool.waitall()


def test_lints_show_in_the_rows_and_below(board, monkeypatch):
    a, b = Lock(), Lock()
    threads = [named("ab", hold, a, b), named("ba", hold, b, a)]
    sleep(0.01)
    monkeypatch.setattr(watch_board, "LINT_EVERY", 0)  # lints and times at every refresh
    monkeypatch.setattr(dash, "NUMBERS_EVERY", 0)
    board.refresh()
    assert "deadlock: ab waits for Lock#" in board.lints.value
    assert "⚠" in board.rows[0].info.value
    for gt in threads:
        gt.kill()


def test_the_text_rendering_shows_the_same_table(board):
    gt = named("texty", sleep, 60)
    sleep(0)
    text = board._repr_mimebundle_()["text/plain"]
    assert "texty" in text and "sleeping" in text and text.startswith("green threads:")
    assert "application/vnd.jupyter.widget-view+json" in board._repr_mimebundle_()
    gt.kill()


def test_the_live_timeline_draws_the_recording(board):
    gt = named("ticker", lambda: [sleep(0.005) for _ in range(10_000)])
    board.timeline.toggle.value = True
    assert board.timeline.recorder is not None and board.timeline.recorder.recording
    for _ in range(400):
        sleep(0.025)
        if board.timeline.image.value:
            break
    assert bytes(board.timeline.image.value[:4]) == b"\x89PNG"
    assert "coop-timeline" in board.timeline.image._dom_classes
    board.timeline.toggle.value = False
    assert board.timeline.recorder is None and not board.hub.instruments
    gt.kill()


def test_bad_arguments_are_refused_before_any_widget_exists(clean_hub):
    with pytest.raises(ValueError, match="top must be an int from 1 to 200"):
        dash.Dashboard(top=0)
    with pytest.raises(ValueError, match="interval must be a positive"):
        dash.Dashboard(interval=0)
    assert dash.open_dashboards() == []


def test_row_widgets_are_made_a_few_at_a_time_as_rows_are_wanted(clean_hub):
    stop = Event()
    threads = [spawn(stop.wait) for _ in range(30)]
    sleep(0)
    d = dash.Dashboard(top=12, interval=60)
    try:
        assert len(shown(d)) == dash.GROW_BY and d.more.value == f"... and {30 - 5:,} more"
        d.refresh()
        d.refresh()
        assert len(shown(d)) == 12 and d.more.value == "... and 18 more"
        assert len(d.table.children) == 1 + 12  # the header and the rows
    finally:
        d.close()
        stop.send()
        for gt in threads:
            gt.wait()


def test_times_sort_as_they_are_shown_then_by_id(board):
    stop = Event()
    threads = [named(name, stop.wait) for name in ("a", "b", "c")]
    sleep(0)
    for gt, run in zip(threads, (0.0104, 0.0101, 0.02), strict=True):
        gt.run_time = run  # a and b both show as 10 ms
    board.sort.value = "run"
    assert [name for name, _ in shown(board)] == ["a", "b", "c"]  # not b first: 10 ms both
    board.descending.value = True
    assert [name for name, _ in shown(board)] == ["c", "b", "a"]
    stop.send()
    for gt in threads:
        gt.wait()


@pytest.mark.timeout(10)
def test_an_open_dashboard_does_not_hide_a_deadlock(board):
    from notebook_coop.hub import DeadlockError

    sleep(0.05)  # a few refreshes
    stuck = Event()
    with pytest.raises(DeadlockError, match=r"\(event\)"):
        stuck.wait()
