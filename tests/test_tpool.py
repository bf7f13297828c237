"""tpool: blocking calls on OS threads, only the caller waits; futures waited cooperatively."""

from __future__ import annotations

import threading
import time
import traceback
from concurrent.futures import Future, ProcessPoolExecutor

import pytest

from notebook_coop import Event, get_hub, sleep, spawn, tpool


def _fail(message: str) -> None:
    raise KeyError(message)


def test_execute_runs_on_another_os_thread():
    main = threading.get_ident()
    assert tpool.execute(threading.get_ident) != main


def test_execute_returns_the_result_and_passes_arguments():
    assert tpool.execute(pow, 2, 10) == 1024
    assert tpool.execute(dict, a=1) == {"a": 1}


def test_execute_blocks_only_the_calling_green_thread():
    ticks = []

    def ticker():
        for _ in range(5):
            ticks.append(time.monotonic())
            sleep(0.01)

    spawn(ticker)
    tpool.execute(time.sleep, 0.15)
    assert len(ticks) == 5


def test_execute_reraises_with_the_workers_traceback():
    with pytest.raises(KeyError, match="boom") as info:
        tpool.execute(_fail, "boom")
    frames = [frame.name for frame in traceback.extract_tb(info.value.__traceback__)]
    assert "_fail" in frames


def test_a_thousand_calls_from_many_green_threads():
    results = []
    threads = [spawn(lambda i=i: results.append(tpool.execute(abs, -i))) for i in range(1000)]
    for gt in threads:
        gt.wait()
    assert sorted(results) == list(range(1000))


def test_execute_counts_as_awaiting_a_thread_while_it_waits():
    seen = []
    tpool.execute(lambda: seen.append(None))  # warm: a worker exists
    hub = get_hub()
    gt = spawn(tpool.execute, time.sleep, 0.05)
    sleep(0.01)
    seen.append(hub.awaiting_threads)
    gt.wait()
    assert seen[-1] == 1 and hub.awaiting_threads == 0


def test_execute_inside_a_tpool_thread_runs_inline():
    outer = tpool.execute(lambda: (threading.get_ident(), tpool.execute(threading.get_ident)))
    assert outer[0] == outer[1]


def test_execute_from_a_foreign_os_thread_runs_inline():
    box = []
    thread = threading.Thread(target=lambda: box.append(
        (threading.get_ident(), tpool.execute(threading.get_ident))))
    thread.start()
    thread.join()
    assert box[0][0] == box[0][1]


def test_execute_rejects_a_non_callable():
    with pytest.raises(TypeError, match="callable"):
        tpool.execute(42)


@pytest.mark.parametrize("size", [2, 2.0])
def test_set_num_threads_bounds_concurrency(size):
    tpool.killall()
    tpool.set_num_threads(size)
    try:
        active, peak, lock = [0], [0], threading.Lock()
        pairs = threading.Barrier(2, timeout=10)  # two jobs at a time, or a BrokenBarrierError

        def job():
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            pairs.wait()
            time.sleep(0.02)  # a third job would come in now if more threads ran
            with lock:
                active[0] -= 1

        for gt in [spawn(tpool.execute, job) for _ in range(6)]:
            gt.wait()
        assert peak[0] == 2
    finally:
        tpool.set_num_threads(tpool.DEFAULT_THREADS)


def test_set_num_threads_rejects_bad_sizes():
    with pytest.raises(ValueError, match="positive integer"):
        tpool.set_num_threads(0)
    with pytest.raises(ValueError, match="whole number"):
        tpool.set_num_threads(2.5)


def test_killall_stops_the_threads_and_later_calls_start_new_ones():
    tpool.execute(abs, -1)
    assert tpool.killall(timeout=5) is True
    assert tpool._workers == []
    assert tpool.execute(abs, -2) == 2


def test_thread_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(tpool.ENV_THREADS, "nope")
    with pytest.raises(ValueError, match=tpool.ENV_THREADS):
        tpool._configured_size()
    monkeypatch.setenv(tpool.ENV_THREADS, "3")
    assert tpool._configured_size() == 3


def test_proxy_runs_methods_on_a_worker_and_autowraps():
    class Resource:
        def where(self):
            return threading.get_ident()

        def child(self):
            return Resource()

    proxy = tpool.Proxy(Resource(), autowrap=(Resource,))
    assert proxy.where() != threading.get_ident()
    assert isinstance(proxy.child(), tpool.Proxy)
    by_name = tpool.Proxy(Resource(), autowrap_names=("child",))
    assert isinstance(by_name.child(), tpool.Proxy)


def test_proxy_forwards_items_iteration_and_len():
    proxy = tpool.Proxy({"a": 1})
    assert proxy["a"] == 1 and len(proxy) == 1 and list(proxy) == ["a"] and "a" in proxy


def test_wait_future_lets_others_run_until_a_thread_resolves_it():
    future: Future = Future()
    ran = Event()
    spawn(ran.send, True)
    threading.Timer(0.05, future.set_result, ("done",)).start()
    assert tpool.wait_future(future) == "done"
    assert ran.ready()


def test_wait_future_times_out():
    with pytest.raises(TimeoutError):
        tpool.wait_future(Future(), timeout=0.02)


def test_wait_future_raises_the_futures_exception():
    future: Future = Future()
    future.set_exception(KeyError("inner"))
    with pytest.raises(KeyError, match="inner"):
        tpool.wait_future(future)


def test_wait_future_rejects_other_objects():
    with pytest.raises(TypeError, match="concurrent.futures.Future"):
        tpool.wait_future(42)


def test_futures_from_a_process_pool_are_waited_cooperatively():
    ticks = []
    spawn(lambda: [ticks.append(sleep(0.01)) for _ in range(3)])
    with ProcessPoolExecutor(2) as pool:
        futures = [pool.submit(pow, 3, i) for i in range(4)]
        assert [tpool.wait_future(f) for f in futures] == [1, 3, 9, 27]
        assert tpool.wait_future(pool.submit(time.sleep, 0.1)) is None
    assert len(ticks) == 3


def test_futures_from_a_dask_local_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        assert tpool.wait_future(client.submit(pow, 2, 8)) == 256
