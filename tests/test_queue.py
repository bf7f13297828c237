"""Queue, LightQueue, PriorityQueue and LifoQueue, as eventlet users rely on them."""

import pytest

from notebook_coop import (
    Empty,
    Full,
    GreenletExit,
    GreenPool,
    LifoQueue,
    LightQueue,
    PriorityQueue,
    Queue,
    Timeout,
    get_hub,
    kill,
    sleep,
    spawn,
)


def test_unbounded_queue_put_never_blocks():
    q = Queue()
    for i in range(10_000):
        q.put(i)
    assert q.qsize() == 10_000 and not q.full()


def test_get_returns_items_in_fifo_order():
    q = LightQueue()
    for i in range(3):
        q.put(i)
    assert [q.get() for _ in range(3)] == [0, 1, 2]


def test_get_blocks_until_a_put():
    q = Queue()
    getter = spawn(q.get)
    sleep(0)
    assert q.getting() == 1
    q.put("item")
    assert getter.wait() == "item"


def test_get_nowait_on_empty_raises_empty():
    with pytest.raises(Empty):
        Queue().get_nowait()


def test_get_with_timeout_raises_empty():
    with pytest.raises(Empty):
        Queue().get(timeout=0.01)


def test_bounded_put_blocks_while_full():
    q = Queue(1)
    q.put(1)
    putter = spawn(q.put, 2)
    sleep(0)
    assert q.putting() == 1 and not putter.dead
    assert q.get() == 1
    putter.wait()
    assert q.get() == 2


def test_bounded_put_nowait_raises_full():
    q = Queue(1)
    q.put(1)
    with pytest.raises(Full):
        q.put_nowait(2)


def test_bounded_put_with_timeout_raises_full():
    q = Queue(1)
    q.put(1)
    with pytest.raises(Full):
        q.put(2, timeout=0.01)
    assert q.putting() == 0


def test_channel_put_blocks_until_taken():
    channel = Queue(0)
    putter = spawn(channel.put, "hello")
    sleep(0)
    assert not putter.dead and channel.full()
    assert channel.get() == "hello"
    putter.wait()


def test_channel_put_to_a_waiting_getter_completes():
    channel = LightQueue(0)
    getter = spawn(channel.get)
    sleep(0)
    channel.put("direct")
    assert getter.wait() == "direct"


def test_channel_hand_off_keeps_order():
    channel, got = Queue(0), []

    def produce():
        for i in range(5):
            channel.put(i)

    producer = spawn(produce)
    for _ in range(5):
        got.append(channel.get())
    producer.wait()
    assert got == [0, 1, 2, 3, 4]


def test_negative_maxsize_means_unbounded():
    assert Queue(-1).maxsize is None


def test_maxsize_must_be_an_int():
    with pytest.raises(TypeError):
        Queue("10")


def test_maxsize_may_be_a_whole_float_as_eventlet_takes_it():
    q = Queue(2.0)
    q.put_nowait(1)
    q.put_nowait(2)
    with pytest.raises(Full):
        q.put_nowait(3)
    q.resize(3.0)
    q.put_nowait(3)
    assert (q.maxsize, q.qsize(), Queue(-1.0).maxsize) == (3, 3, None)


def test_maxsize_with_a_fraction_is_refused():
    with pytest.raises(ValueError, match="whole number"):
        LightQueue(1.5)
    with pytest.raises(ValueError, match="whole number"):
        LightQueue().resize(float("nan"))


def test_resize_lets_waiting_putters_in():
    q = Queue(1)
    q.put(0)
    putters = [spawn(q.put, i) for i in (1, 2)]
    sleep(0)
    q.resize(3)
    for gt in putters:
        gt.wait()
    assert [q.get() for _ in range(3)] == [0, 1, 2]


def test_task_done_and_join():
    q, done = Queue(), []

    def worker():
        while True:
            item = q.get()
            done.append(item)
            q.task_done()

    consumer = spawn(worker)
    for i in range(3):
        q.put(i)
    q.join()
    assert done == [0, 1, 2] and q.unfinished_tasks == 0
    kill(consumer)


def test_task_done_too_often_is_an_error():
    with pytest.raises(ValueError):
        Queue().task_done()


def test_priority_queue_gives_smallest_first():
    q = PriorityQueue()
    for item in [(3, "c"), (1, "a"), (2, "b")]:
        q.put(item)
    assert [q.get()[1] for _ in range(3)] == ["a", "b", "c"]


def test_lifo_queue_gives_newest_first():
    q = LifoQueue()
    for i in range(3):
        q.put(i)
    assert [q.get() for _ in range(3)] == [2, 1, 0]


def test_getter_killed_before_it_runs_passes_the_item_on():
    q, hub = Queue(), get_hub()
    first, second = spawn(q.get), spawn(q.get)
    sleep(0)

    def put_then_kill_first():  # as when a Timeout fires in the same pass as the put
        q.put("only")
        hub.throw_into(first.greenlet, GreenletExit())

    hub.call_soon(put_then_kill_first)
    assert second.wait() == "only"
    assert first.dead


def test_timeout_inside_get_leaves_no_getter_behind():
    q = Queue()
    with pytest.raises(Timeout):
        with Timeout(0.01):
            q.get()
    assert q.getting() == 0


def test_timeout_inside_a_pool_of_getters():
    q, pool = Queue(), GreenPool(5)
    results = []

    def take():
        try:
            results.append(q.get(timeout=0.02))
        except Empty:
            results.append("empty")

    for _ in range(5):
        pool.spawn(take)
    q.put("one")
    pool.waitall()
    assert sorted(results, key=str) == ["empty"] * 4 + ["one"]


def test_unfinished_tasks_counts_every_put_until_marked_done():
    q = Queue()
    for i in range(3):
        q.put(i)
    q.get()
    assert q.unfinished_tasks == 3
    q.task_done()
    assert q.unfinished_tasks == 2


def test_task_done_may_come_before_the_get_as_in_eventlet():
    q = Queue()
    q.put("a")
    q.put("b")
    q.task_done()
    q.task_done()
    assert q.unfinished_tasks == 0 and q.qsize() == 2
    with pytest.raises(ValueError):
        q.task_done()


def test_join_waits_again_after_new_puts():
    q, done = Queue(), []

    def worker():
        while True:
            done.append(q.get())
            q.task_done()

    consumer = spawn(worker)
    for round_ in range(2):
        q.put(round_)
        q.put(round_)
        q.join()
        assert len(done) == 2 * (round_ + 1) and q.unfinished_tasks == 0
    kill(consumer)


def test_join_blocks_until_the_last_task_is_done():
    q = Queue()
    q.put("job")
    joiner = spawn(q.join)
    sleep(0)
    q.get()
    assert not joiner.dead
    q.task_done()
    joiner.wait()
    assert joiner.dead


@pytest.mark.parametrize("kind", [PriorityQueue, LifoQueue])
def test_priority_and_lifo_queues_track_tasks(kind):
    q = kind()
    for i in range(3):
        q.put(i)
    taken = [q.get() for _ in range(3)]
    assert q.unfinished_tasks == 3
    for _ in taken:
        q.task_done()
    q.join()
    with pytest.raises(ValueError):
        q.task_done()


def test_a_subclass_stores_and_takes_items_through_its_own_hooks():
    class Shelf(Queue):  # eventlet's hooks: the newest item on the left, taken from the right
        def _init(self, maxsize):
            self.queue = []

        def _put(self, item):
            self.queue.insert(0, item)

        def _get(self):
            return self.queue.pop()

    q = Shelf(2)
    q.put(1)
    q.put(2)
    with pytest.raises(Full):
        q.put_nowait(3)
    assert [q.get(), q.get()] == [1, 2] and q.unfinished_tasks == 2
    getter = spawn(q.get)
    sleep(0)
    q.put("late")
    assert getter.wait() == "late"


def test_unfinished_tasks_can_be_assigned_as_in_eventlet():
    q = Queue()
    for item in range(3):
        q.put(item)
    waiter = spawn(q.join)
    sleep(0)
    q.unfinished_tasks = 1
    assert q.unfinished_tasks == 1 and not waiter.dead
    q.task_done()
    waiter.wait()
    assert q.unfinished_tasks == 0 and q.qsize() == 3
