"""GreenPool, GreenPile and the object pools (pools.Pool, TokenPool)."""

import gc

import pytest

from notebook_coop import Event, GreenPile, GreenPool, Timeout, pools, sleep, spawn


def test_pool_spawn_returns_a_waitable_green_thread():
    pool = GreenPool()
    assert pool.spawn(lambda x: x * 2, 21).wait() == 42


def test_pool_never_runs_more_than_its_size():
    pool, inside, peak = GreenPool(3), [0], [0]

    def work():
        inside[0] += 1
        peak[0] = max(peak[0], inside[0])
        sleep(0.001)
        inside[0] -= 1

    for _ in range(10):
        pool.spawn(work)
    pool.waitall()
    assert peak[0] == 3


def test_pool_size_may_be_a_whole_float_as_eventlet_takes_it():
    pool = GreenPool(1e3)
    assert pool.size == 1000 and pool.free() == 1000
    pool.resize(2.0)
    assert pool.size == 2 and pool.free() == 2


@pytest.mark.parametrize("size, error", [(2.5, ValueError), (-1, ValueError),
                                         (float("inf"), ValueError), ("3", TypeError)])
def test_pool_refuses_sizes_that_are_not_whole_non_negative_numbers(size, error):
    with pytest.raises(error, match="GreenPool size"):
        GreenPool(size)
    with pytest.raises(error, match="GreenPool size"):
        GreenPool(3).resize(size)


def test_pool_spawn_blocks_while_full():
    pool, gate = GreenPool(1), Event()
    pool.spawn(gate.wait)
    spawner = spawn(pool.spawn, lambda: "second")
    sleep(0)
    assert not spawner.dead and pool.waiting() == 1
    gate.send(None)
    assert spawner.wait().wait() == "second"


def test_full_pool_reentered_from_its_own_thread_runs_inline():
    pool = GreenPool(1)

    def outer():
        return pool.spawn(lambda: "inner").wait()

    assert pool.spawn(outer).wait() == "inner"


def test_pool_spawn_n_runs_work():
    pool, seen = GreenPool(2), []
    for i in range(4):
        pool.spawn_n(seen.append, i)
    pool.waitall()
    assert sorted(seen) == [0, 1, 2, 3]


def test_pool_running_and_free():
    pool, gate = GreenPool(4), Event()
    for _ in range(3):
        pool.spawn(gate.wait)
    assert (pool.running(), pool.free()) == (3, 1)
    gate.send(None)
    pool.waitall()
    assert (pool.running(), pool.free()) == (0, 4)


def test_pool_resize_grows_and_frees_waiters():
    pool, gate = GreenPool(1), Event()
    pool.spawn(gate.wait)
    spawner = spawn(pool.spawn, lambda: "in")
    sleep(0)
    pool.resize(2)
    assert spawner.wait().wait() == "in"
    gate.send(None)
    pool.waitall()


def test_pool_resize_shrinks_without_killing():
    pool, gate = GreenPool(3), Event()
    threads = [pool.spawn(gate.wait) for _ in range(3)]
    pool.resize(1)
    assert pool.free() == -2
    gate.send(None)
    pool.waitall()
    assert all(gt.dead for gt in threads) and pool.free() == 1


def test_waitall_from_inside_the_pool_is_an_error():
    pool = GreenPool()
    with pytest.raises(RuntimeError, match="never"):
        pool.spawn(pool.waitall).wait()


def test_pool_spawn_of_a_non_callable_is_a_type_error():
    with pytest.raises(TypeError):
        GreenPool().spawn(42)


def test_imap_keeps_order():
    def slow_square(x):
        sleep(0.001 * (5 - x))
        return x * x

    assert list(GreenPool(5).imap(slow_square, range(5))) == [0, 1, 4, 9, 16]


def test_imap_is_memory_bounded():
    pool, started = GreenPool(2), []

    def note(x):
        started.append(x)
        return x

    results = pool.imap(note, range(100))
    sleep(0.01)
    assert len(started) <= 6
    assert list(results) == list(range(100))


def test_imap_reraises_an_exception_at_its_place():
    def fail_on_two(x):
        if x == 2:
            raise ValueError("two")
        return x

    results = GreenPool().imap(fail_on_two, range(4))
    assert next(results) == 0 and next(results) == 1
    with pytest.raises(ValueError, match="two"):
        next(results)


def test_imap_with_several_iterables():
    assert list(GreenPool().imap(pow, [2, 3], [3, 2])) == [8, 9]


def test_starmap():
    assert list(GreenPool().starmap(lambda a, b: a - b, [(5, 1), (9, 3)])) == [4, 6]


def test_timeout_inside_a_pooled_thread():
    def slow():
        with Timeout(0.01, False):
            sleep(1)
        return "gave up"

    pool = GreenPool()
    assert pool.spawn(slow).wait() == "gave up"


def test_pile_returns_results_in_spawn_order():
    pile = GreenPile(3)
    for delay, name in [(0.003, "a"), (0.001, "b"), (0.002, "c")]:
        pile.spawn(lambda d, n: (sleep(d), n)[1], delay, name)
    assert list(pile) == ["a", "b", "c"]


def test_pile_shares_a_pool():
    pool = GreenPool(2)
    pile = GreenPile(pool)
    for i in range(4):
        pile.spawn(lambda i: i, i)
    assert list(pile) == [0, 1, 2, 3]
    assert pool.running() == 0


def test_empty_pile_stops_at_once():
    assert list(GreenPile()) == []


def test_pile_reraises_a_thread_exception_without_printing_it(capfd):
    pile = GreenPile()
    pile.spawn(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        next(pile)
    assert "ZeroDivisionError" not in capfd.readouterr().err


class Connection:
    made = 0

    def __init__(self):
        Connection.made += 1


def test_object_pool_creates_up_to_max_size_then_reuses():
    conns = pools.Pool(max_size=2, create=Connection)
    before = Connection.made
    a, b = conns.get(), conns.get()
    conns.put(a)
    assert conns.get() is a
    assert Connection.made - before == 2
    conns.put(a)
    conns.put(b)


def test_object_pool_get_waits_for_a_put():
    conns = pools.Pool(max_size=1, create=Connection)
    held = conns.get()
    waiter = spawn(conns.get)
    sleep(0)
    assert conns.waiting() == 1
    conns.put(held)
    assert waiter.wait() is held


def test_object_pool_item_context_returns_it():
    conns = pools.Pool(max_size=1, create=Connection)
    with conns.item() as conn:
        assert conns.free() == 0
    assert conns.free() == 1 and conns.get() is conn


def test_object_pool_min_size_creates_up_front():
    assert pools.Pool(min_size=2, max_size=3, create=Connection).free() == 3
    assert len(pools.Pool(min_size=2, max_size=3, create=Connection).free_items) == 2


def test_object_pool_order_as_stack_returns_newest():
    conns = pools.Pool(max_size=2, order_as_stack=True, create=Connection)
    a, b = conns.get(), conns.get()
    conns.put(a)
    conns.put(b)
    assert conns.get() is b


def test_object_pool_without_create_says_so():
    with pytest.raises(NotImplementedError, match="create"):
        pools.Pool().get()


def test_token_pool_limits_holders():
    tokens = pools.TokenPool(max_size=2)
    first, second = tokens.get(), tokens.get()
    assert isinstance(first, pools.Token) and tokens.free() == 0
    tokens.put(first)
    tokens.put(second)


def test_pool_of_finished_threads_keeps_no_references():
    pool = GreenPool()
    for _ in range(100):
        pool.spawn(lambda: None)
    pool.waitall()
    gc.collect()
    assert pool.coroutines_running == set()
