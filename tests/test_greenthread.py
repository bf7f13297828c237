"""Green threads: spawn, wait, kill, link, sleep ordering, exceptions and contextvars."""

import contextvars
import sys
from time import monotonic, perf_counter

import pytest

from notebook_coop import GreenPool, greenthread
from notebook_coop.greenthread import (
    GreenletExit,
    GreenThread,
    getcurrent,
    kill,
    sleep,
    spawn,
    spawn_after,
    spawn_after_local,
    spawn_n,
)

pytestmark = pytest.mark.usefixtures("clean_hub")

var = contextvars.ContextVar("var", default="unset")
other = contextvars.ContextVar("other", default="clean")


def explode():
    raise ValueError("boom")


def spin(seconds):
    """Keep the CPU busy without yielding."""
    end = perf_counter() + seconds
    while perf_counter() < end:
        pass


def guarded_sleep(log, seconds=10):
    try:
        sleep(seconds)
    finally:
        log.append("finally")


# -- spawning and waiting ------------------------------------------------------------------------


def test_spawn_runs_the_function_later_not_inline():
    ran = []
    gt = spawn(ran.append, 1)
    assert ran == []
    gt.wait()
    assert ran == [1]


def test_spawn_returns_a_green_thread():
    gt = spawn(int)
    assert isinstance(gt, GreenThread)
    gt.wait()


def test_wait_returns_the_functions_value():
    assert spawn(pow, 2, 10).wait() == 1024


def test_spawn_passes_args_and_kwargs():
    assert spawn(dict, [("a", 1)], b=2).wait() == {"a": 1, "b": 2}


def test_wait_reraises_the_exception_with_the_functions_frame_in_its_traceback():
    gt = spawn(explode)
    with pytest.raises(ValueError, match="boom") as info:
        gt.wait()
    assert "explode" in [entry.name for entry in info.traceback]


@pytest.mark.parametrize("start", [spawn, spawn_n, lambda f: spawn_after(0.01, f)],
                         ids=["spawn", "spawn_n", "spawn_after"])
def test_a_non_callable_is_a_type_error_at_the_call(start):
    with pytest.raises(TypeError, match="callable"):
        start(42)


def test_spawn_n_runs_the_function():
    ran = []
    spawn_n(ran.append, "n")
    sleep(0)
    assert ran == ["n"]


def test_a_green_thread_cannot_wait_for_itself():
    with pytest.raises(RuntimeError, match="itself"):
        spawn(lambda: getcurrent().wait()).wait()


# -- delayed starts ------------------------------------------------------------------------------


def test_spawn_after_starts_once_the_delay_has_passed():
    asked = monotonic()
    started = spawn_after(0.05, monotonic).wait()
    assert started - asked >= 0.05


def test_spawn_after_cancelled_before_the_delay_never_runs():
    ran = []
    gt = spawn_after(0.02, ran.append, 1)
    gt.cancel()
    with pytest.raises(GreenletExit):
        gt.wait()
    spawn_after(0.05, int).wait()  # well past the cancelled one's start time
    assert ran == []


@pytest.mark.parametrize("delay", [0, 0.01])
def test_spawn_after_local_never_starts_if_its_spawner_ended_first(delay):
    ran = []
    late = spawn(spawn_after_local, delay, ran.append, 1).wait()
    with pytest.raises(GreenletExit):
        late.wait()
    assert ran == []


def test_spawn_after_local_starts_while_its_spawner_lives():
    ran = []

    def spawner():
        spawn_after_local(0.01, ran.append, 1).wait()

    spawn(spawner).wait()
    assert ran == [1]


# -- ordering ------------------------------------------------------------------------------------


def test_zero_second_timers_run_in_the_order_they_were_set(clean_hub):
    order = []
    for i in range(20):
        clean_hub.call_later(0, lambda i, _: order.append(i), i)
    sleep(0.001)  # a later deadline than all of them
    assert order == list(range(20))


def test_spawn_after_zero_keeps_fifo_order_with_spawn():
    order = []
    starts = [spawn, spawn_after, spawn, spawn_after]
    gts = [spawn(order.append, i) if start is spawn else spawn_after(0, order.append, i)
           for i, start in enumerate(starts)]
    for gt in gts:
        gt.wait()
    assert order == [0, 1, 2, 3]


def test_sleep_zero_interleaves_threads_round_robin_in_spawn_order():
    order = []

    def worker(name):
        for i in range(3):
            order.append(f"{name}{i}")
            sleep(0)

    for gt in [spawn(worker, name) for name in "abc"]:
        gt.wait()
    assert order == ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]


def test_sleepers_wake_in_deadline_order():
    order = []

    def sleeper(seconds):
        sleep(seconds)
        order.append(seconds)

    for gt in [spawn(sleeper, s) for s in (0.15, 0.05, 0.1)]:
        gt.wait()
    assert order == [0.05, 0.1, 0.15]


# -- killing -------------------------------------------------------------------------------------


def test_kill_before_start_means_it_never_runs():
    log = []
    gt = spawn(guarded_sleep, log)
    kill(gt)
    sleep(0)
    assert log == []
    assert gt.dead


def test_wait_on_a_thread_killed_before_start_raises_greenlet_exit():
    gt = spawn(int)
    kill(gt)
    with pytest.raises(GreenletExit):
        gt.wait()


def test_kill_while_sleeping_runs_its_finally_and_it_is_dead_when_kill_returns():
    log = []
    gt = spawn(guarded_sleep, log)
    sleep(0)
    kill(gt)
    assert gt.dead
    assert log == ["finally"]


@pytest.mark.parametrize("exc", [ValueError, ValueError("stop")], ids=["class", "instance"])
def test_kill_with_a_custom_exception_raises_it_in_the_thread(exc):
    gt = spawn(sleep, 10)
    waiter = spawn(gt.wait)
    sleep(0)
    kill(gt, exc)
    with pytest.raises(ValueError):
        waiter.wait()


def test_kill_with_something_that_is_not_an_exception_is_a_type_error():
    gt = spawn(int)
    with pytest.raises(TypeError, match="exception class or instance"):
        kill(gt, "stop")
    gt.wait()


def test_kill_of_a_dead_thread_is_a_no_op():
    gt = spawn(int, "7")
    gt.wait()
    kill(gt)
    assert gt.wait() == 7


def test_kill_from_another_green_thread():
    victim = spawn(sleep, 10)
    spawn(kill, victim).wait()
    assert victim.dead
    with pytest.raises(GreenletExit):
        victim.wait()


def test_a_thread_that_kills_itself_stops_there():
    log = []

    def suicide():
        try:
            kill(getcurrent())
            log.append("after kill")
        finally:
            log.append("finally")

    with pytest.raises(GreenletExit):
        spawn(suicide).wait()
    assert log == ["finally"]


def test_greenthread_kill_ends_it():
    log = []
    gt = spawn(guarded_sleep, log)
    sleep(0)
    gt.kill()
    assert gt.dead and log == ["finally"]


def test_greenthread_cancel_before_start_means_it_never_runs():
    ran = []
    gt = spawn(ran.append, 1)
    gt.cancel()
    sleep(0)
    assert ran == [] and gt.dead


def test_greenthread_cancel_after_start_does_nothing():
    gt = spawn(sleep, 10)
    sleep(0)
    gt.cancel()
    assert not gt.dead
    assert gt.state == "blocked(sleep)"
    gt.kill()


# -- what a green thread shows -------------------------------------------------------------------


def test_a_green_thread_is_true_while_pending_or_running_and_false_once_finished():
    inside = []
    gt = spawn(lambda: inside.append(bool(getcurrent())))
    assert gt
    gt.wait()
    assert inside == [True]
    assert not gt


def test_dead_is_false_until_it_finishes():
    gt = spawn(int)
    assert not gt.dead
    gt.wait()
    assert gt.dead


def test_ids_are_small_increasing_integers():
    first, second = spawn(int), spawn(int)
    assert isinstance(first.id, int)
    assert second.id == first.id + 1
    first.wait()
    second.wait()


def test_a_name_shows_in_its_repr():
    gt = spawn(int)
    assert f"#{gt.id}" in repr(gt)
    gt.name = "fetcher"
    assert "fetcher" in repr(gt)
    gt.wait()


def test_state_moves_from_ready_to_running_to_blocked_to_how_it_ended():
    inside = []
    gt = spawn(lambda: (inside.append(getcurrent().state), sleep(10)))
    assert gt.state == "ready"
    sleep(0)
    assert inside == ["running"]
    assert gt.state == "blocked(sleep)"
    assert gt.reason == "sleep"
    gt.kill()
    assert gt.state == "killed"


def test_parent_is_the_root_greenlet_for_threads_spawned_outside(clean_hub):
    gt = spawn(int)
    assert gt.parent is clean_hub.root
    gt.wait()


def test_parent_is_the_spawning_green_thread_for_nested_spawns():
    outer = spawn(spawn, int)
    inner = outer.wait()
    assert inner.parent is outer
    inner.wait()


def test_created_is_the_monotonic_time_of_spawn():
    before = monotonic()
    gt = spawn(int)
    assert before <= gt.created <= monotonic()
    gt.wait()


def test_switches_count_each_wait():
    def yield_three_times():
        for _ in range(3):
            sleep(0)

    gt = spawn(yield_three_times)
    gt.wait()
    assert gt.switches == 3


def test_run_time_grows_with_busy_work(clean_hub):
    clean_hub.accounting = True
    try:
        gt = spawn(lambda: (spin(0.02), sleep(0), spin(0.02)))
        gt.wait()
    finally:
        clean_hub.accounting = False
    assert gt.run_time >= 0.035


def test_run_time_leaves_out_time_spent_asleep(clean_hub):
    clean_hub.accounting = True
    try:
        gt = spawn(sleep, 0.2)
        gt.wait()
    finally:
        clean_hub.accounting = False
    assert gt.run_time < 0.1


# -- links ---------------------------------------------------------------------------------------


def test_link_is_called_with_the_thread_and_extra_args_on_exit():
    calls = []
    gt = spawn(int, "5")
    gt.link(lambda g, *args, **kwargs: calls.append((g, args, kwargs)), 1, two=2)
    assert calls == []
    gt.wait()
    assert calls == [(gt, (1,), {"two": 2})]


def test_link_after_death_is_called_at_once():
    calls = []
    gt = spawn(int)
    gt.wait()
    gt.link(calls.append)
    assert calls == [gt]


def test_unlink_removes_a_link():
    calls = []
    gt = spawn(int)
    gt.link(calls.append)
    assert gt.unlink(calls.append) is True
    assert gt.unlink(calls.append) is False
    gt.wait()
    assert calls == []


def test_link_with_a_non_callable_is_a_type_error_at_the_call():
    gt = spawn(int)
    with pytest.raises(TypeError, match="callable"):
        gt.link(42)
    gt.wait()


def test_link_is_called_when_the_thread_raises(capsys):
    caught = []

    def on_exit(g):
        try:
            g.wait()
        except ValueError as exc:
            caught.append(exc)

    gt = spawn(explode)
    gt.link(on_exit)
    sleep(0)
    assert [str(exc) for exc in caught] == ["boom"]
    assert "boom" not in capsys.readouterr().err


# -- uncaught exceptions -------------------------------------------------------------------------


@pytest.mark.parametrize("start", [spawn, spawn_n])
def test_an_exception_nobody_waits_for_prints_its_traceback_once(start, capsys):
    start(explode)
    sleep(0)
    err = capsys.readouterr().err
    assert err.count("ValueError: boom") == 1
    assert "in explode" in err


def test_an_exception_someone_waits_for_is_raised_by_wait_not_printed(capsys):
    gt = spawn(explode)
    with pytest.raises(ValueError):
        gt.wait()
    assert "boom" not in capsys.readouterr().err


def test_greenlet_exit_is_not_printed(capsys):
    def leave():
        raise GreenletExit

    spawn(leave)
    killed = spawn(sleep, 10)
    sleep(0)
    kill(killed)
    assert capsys.readouterr().err == ""


def test_the_traceback_is_printed_inside_the_threads_own_context(monkeypatch):
    cell = contextvars.ContextVar("cell")

    class RoutedStderr:
        """Records which cell each write belongs to, as ipykernel's output routing does."""

        def __init__(self):
            self.cells = set()

        def write(self, text):
            self.cells.add(cell.get(None))
            return len(text)

        def flush(self):
            pass

    routed = RoutedStderr()
    monkeypatch.setattr(sys, "stderr", routed)
    token = cell.set("cell-1")
    try:
        spawn(explode)
    finally:
        cell.reset(token)
    sleep(0)
    assert routed.cells == {"cell-1"}


def test_the_printed_traceback_names_the_green_thread(capsys):
    spawn(explode)
    sleep(0)
    assert capsys.readouterr().err.startswith("Exception in green thread explode#")


def test_error_reporter_is_replaceable_and_called_in_the_threads_context(monkeypatch):
    cell = contextvars.ContextVar("cell")
    seen = []
    monkeypatch.setattr(greenthread, "error_reporter",
                        lambda gt, exc: seen.append((gt.label, repr(exc), cell.get(None))))
    token = cell.set("cell-2")
    try:
        gt = spawn(explode)
    finally:
        cell.reset(token)
    sleep(0)
    assert seen == [(gt.label, "ValueError('boom')", "cell-2")]


def test_a_failing_error_reporter_falls_back_to_the_plain_traceback(monkeypatch, capsys):
    def broken(gt, exc):
        raise RuntimeError("reporter broke")

    monkeypatch.setattr(greenthread, "error_reporter", broken)
    spawn(explode)
    sleep(0)
    assert "ValueError: boom" in capsys.readouterr().err


def test_each_wait_reraises_with_the_same_traceback():
    gt = spawn(explode)
    depths = []
    for _ in range(3):
        with pytest.raises(ValueError) as info:
            gt.wait()
        depths.append(len(info.traceback))
    assert depths[0] == depths[1] == depths[2]


@pytest.mark.parametrize(("end", "outcome", "state"), [
    (lambda gt: gt.wait(), "done", "done"),
    (lambda gt: (sleep(0), gt.kill()), "killed", "killed"),
    (lambda gt: gt.kill(), "cancelled", "cancelled"),  # never started
])
def test_state_of_a_finished_thread_says_how_it_ended(end, outcome, state):
    gt = spawn(sleep, 0.01)
    end(gt)
    assert (gt.outcome, gt.state, gt.dead) == (outcome, state, True)


def test_state_of_a_thread_that_raised_is_failed_and_exception_holds_the_error():
    gt = spawn_n(explode)
    sleep(0)
    assert (gt.outcome, gt.state, repr(gt.exception)) == ("failed", "failed", "ValueError('boom')")


@pytest.mark.parametrize("spawner", [
    spawn, spawn_n, lambda f: spawn_after(0, f), lambda f: GreenPool().spawn(f)],
    ids=["spawn", "spawn_n", "spawn_after", "GreenPool.spawn"])
def test_spawn_site_is_the_spawning_line_while_spawn_sites_are_recorded(spawner):
    previous = greenthread.record_spawn_sites(True)
    try:
        gt = spawner(int); line = sys._getframe().f_lineno  # noqa: E702
    finally:
        greenthread.record_spawn_sites(previous)
    gt.wait()
    spawning_line = spawner.__code__.co_firstlineno if spawner.__name__ == "<lambda>" else line
    assert gt.spawn_site == (__file__, spawning_line)
    assert spawn(int).spawn_site is None


# -- contextvars ---------------------------------------------------------------------------------


def test_spawn_copies_the_callers_contextvars():
    token = var.set("caller")
    try:
        assert spawn(var.get).wait() == "caller"
    finally:
        var.reset(token)


def test_a_contextvar_set_inside_is_not_seen_outside():
    spawn(var.set, "inside").wait()
    assert var.get() == "unset"


def test_nested_spawns_inherit_from_their_spawner_not_the_root():
    def outer():
        var.set("outer")
        return spawn(var.get).wait()

    assert spawn(outer).wait() == "outer"


def report_and_dirty():
    """What this thread's context holds, then leave junk in it for whoever runs next."""
    seen = (var.get(), other.get())
    sleep(0)
    var.set("dirty")
    other.set("dirty")
    return seen


def spawn_with(value):
    token = var.set(value)
    try:
        return spawn(report_and_dirty)
    finally:
        var.reset(token)


def test_fresh_workers_each_see_their_spawners_values(clean_hub):
    count = len(clean_hub._idle) + 10  # more threads alive at once than idle workers
    gts = [spawn_with(i) for i in range(count)]
    assert [gt.wait() for gt in gts] == [(i, "clean") for i in range(count)]
    assert len({gt.greenlet for gt in gts}) == count


def test_recycled_workers_each_see_their_spawners_values():
    gts, seen = [], []
    for i in range(20):
        gts.append(spawn_with(i))
        seen.append(gts[-1].wait())
    assert seen == [(i, "clean") for i in range(20)]
    assert len({gt.greenlet for gt in gts}) < 20  # workers were reused


# -- getcurrent ----------------------------------------------------------------------------------


def test_getcurrent_inside_is_the_green_thread():
    gt = spawn(getcurrent)
    assert gt.wait() is gt


def test_getcurrent_outside_is_the_root_greenlet(clean_hub):
    assert getcurrent() is clean_hub.root
