"""The core workloads, written once for green-thread libraries and once for asyncio.

Run by bench_core.py, one case per fresh process: `python _core_cases.py LIB CASE N SEED`
prints one JSON object of measurements on stdout. LIB is notebook_coop, eventlet, gevent,
asyncio, uvloop or floor (_floor.py, a minimal scheduler); each library is used through its own
idiomatic calls, without patching.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import sys
import warnings
from functools import partial
from time import monotonic, perf_counter
from types import SimpleNamespace

import psutil

TIMER_SPAN = 1.0  # timer delays are drawn uniformly from [0, TIMER_SPAN) seconds
SWITCH_THREADS = 1000  # the sleep(0) case spreads its switches over this many threads
WARMUP = 100  # threads spawned and joined before timing, so the hub or loop exists


def green_api(lib: str) -> SimpleNamespace:
    """The calls each green-thread library offers for the same job, under one set of names."""
    if lib == "notebook_coop":
        from notebook_coop import greenthread, queue, sync

        return SimpleNamespace(spawn=greenthread.spawn, spawn_n=greenthread.spawn_n,
                               join=greenthread.GreenThread.wait, sleep=greenthread.sleep,
                               Queue=queue.Queue, Event=sync.Event, fire=sync.Event.send)
    if lib == "eventlet":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # eventlet warns on import that it is deprecated
            import eventlet
            from eventlet import event, greenthread, queue

        return SimpleNamespace(spawn=greenthread.spawn, spawn_n=greenthread.spawn_n,
                               join=greenthread.GreenThread.wait, sleep=eventlet.sleep,
                               Queue=queue.Queue, Event=event.Event, fire=event.Event.send)
    if lib == "gevent":
        import gevent
        import gevent.event
        import gevent.queue

        return SimpleNamespace(spawn=gevent.spawn, spawn_n=gevent.spawn_raw,
                               join=gevent.Greenlet.get, sleep=gevent.sleep,
                               Queue=gevent.queue.Queue, Event=gevent.event.Event,
                               fire=gevent.event.Event.set)
    if lib == "floor":
        import _floor

        return SimpleNamespace(spawn=_floor.spawn, spawn_n=_floor.spawn, join=_floor.join,
                               sleep=_floor.sleep, Queue=_floor.Queue, Event=_floor.Event,
                               fire=_floor.Event.send)
    raise SystemExit(f"unknown green library {lib!r}")


def rss() -> int:
    """Resident set size of this process in bytes, after a full collection."""
    gc.collect()
    return psutil.Process().memory_info().rss


def lateness(samples: list[float]) -> dict:
    """p50 and p99 of timer lateness, in milliseconds."""
    samples.sort()

    def pick(q: float) -> float:
        return samples[min(len(samples) - 1, int(q * len(samples)))] * 1e3

    return {"p50": pick(0.50), "p99": pick(0.99)}


def trivial(i: int) -> int:
    return i


# --- green-thread libraries ---------------------------------------------------------------

def green_spawn_join(api: SimpleNamespace, n: int, seed: int) -> dict:
    t0 = perf_counter()
    threads = [api.spawn(trivial, i) for i in range(n)]
    for t in threads:
        api.join(t)
    return {"ms": (perf_counter() - t0) * 1e3}


def green_spawn_n(api: SimpleNamespace, n: int, seed: int) -> dict:
    done, left = api.Event(), [n]

    def work() -> None:
        left[0] -= 1
        if not left[0]:
            api.fire(done)

    t0 = perf_counter()
    for _ in range(n):
        api.spawn_n(work)
    done.wait()
    return {"ms": (perf_counter() - t0) * 1e3}


def green_switches(api: SimpleNamespace, n: int, seed: int) -> dict:
    each = n // SWITCH_THREADS

    def loop() -> None:
        for _ in range(each):
            api.sleep(0)

    t0 = perf_counter()
    threads = [api.spawn(loop) for _ in range(SWITCH_THREADS)]
    for t in threads:
        api.join(t)
    return {"rate": SWITCH_THREADS * each / (perf_counter() - t0)}


def green_switches_alone(api: SimpleNamespace, n: int, seed: int) -> dict:
    """sleep(0) alone: the threads are spawned and parked on a gate before the clock starts."""
    each, gate, parked = n // SWITCH_THREADS, api.Event(), [0]

    def loop() -> None:
        parked[0] += 1
        gate.wait()
        for _ in range(each):
            api.sleep(0)

    threads = [api.spawn(loop) for _ in range(SWITCH_THREADS)]
    while parked[0] < SWITCH_THREADS:
        api.sleep(0)
    t0 = perf_counter()
    api.fire(gate)
    for t in threads:
        api.join(t)
    return {"rate": SWITCH_THREADS * each / (perf_counter() - t0)}


def green_timers(api: SimpleNamespace, n: int, seed: int) -> dict:
    rng, late = random.Random(seed), []

    def sleeper(delay: float) -> None:
        start = monotonic()
        api.sleep(delay)
        late.append(monotonic() - start - delay)

    threads = [api.spawn(sleeper, rng.random() * TIMER_SPAN) for _ in range(n)]
    for t in threads:
        api.join(t)
    return lateness(late)


def green_parked(api: SimpleNamespace, n: int, seed: int) -> dict:
    gate, parked = api.Event(), [0]

    def park() -> None:
        parked[0] += 1
        gate.wait()

    before = rss()
    threads = [api.spawn(park) for _ in range(n)]
    while parked[0] < n:
        api.sleep(0)
    return {"bytes": (rss() - before) / len(threads)}


def green_queue(api: SimpleNamespace, n: int, seed: int, maxsize: int | None) -> dict:
    q = api.Queue(maxsize)

    def produce() -> None:
        for i in range(n):
            q.put(i)

    def consume() -> None:
        for _ in range(n):
            q.get()

    t0 = perf_counter()
    threads = [api.spawn(consume), api.spawn(produce)]
    for t in threads:
        api.join(t)
    return {"rate": n / (perf_counter() - t0)}


def green_case(lib: str, case: str, n: int, seed: int) -> dict:
    api = green_api(lib)
    for t in [api.spawn(trivial, i) for i in range(WARMUP)]:
        api.join(t)
    return GREEN_CASES[case](api, n, seed)


GREEN_CASES = {"spawn_join": green_spawn_join, "spawn_n": green_spawn_n,
               "switches": green_switches, "switches_alone": green_switches_alone,
               "timers": green_timers, "parked": green_parked,
               "queue_unbounded": partial(green_queue, maxsize=None),
               "queue_handoff": partial(green_queue, maxsize=1)}


# --- asyncio and uvloop -------------------------------------------------------------------

async def async_trivial(i: int) -> int:
    return i


async def async_spawn_join(n: int, seed: int) -> dict:
    t0 = perf_counter()
    tasks = [asyncio.create_task(async_trivial(i)) for i in range(n)]
    for t in tasks:
        await t
    return {"ms": (perf_counter() - t0) * 1e3}


async def async_spawn_n(n: int, seed: int) -> dict:
    """Fire-and-forget: tasks created and never awaited (they could still block, as green
    threads can); loop.call_soon would be cheaper but runs plain callbacks that cannot."""
    done, left = asyncio.Event(), [n]

    async def work() -> None:
        left[0] -= 1
        if not left[0]:
            done.set()

    t0 = perf_counter()
    for _ in range(n):
        asyncio.create_task(work())
    await done.wait()
    return {"ms": (perf_counter() - t0) * 1e3}


async def async_switches(n: int, seed: int) -> dict:
    each = n // SWITCH_THREADS

    async def loop() -> None:
        for _ in range(each):
            await asyncio.sleep(0)

    t0 = perf_counter()
    tasks = [asyncio.create_task(loop()) for _ in range(SWITCH_THREADS)]
    for t in tasks:
        await t
    return {"rate": SWITCH_THREADS * each / (perf_counter() - t0)}


async def async_switches_alone(n: int, seed: int) -> dict:
    each, gate, parked = n // SWITCH_THREADS, asyncio.Event(), [0]

    async def loop() -> None:
        parked[0] += 1
        await gate.wait()
        for _ in range(each):
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(loop()) for _ in range(SWITCH_THREADS)]
    while parked[0] < SWITCH_THREADS:
        await asyncio.sleep(0)
    t0 = perf_counter()
    gate.set()
    for t in tasks:
        await t
    return {"rate": SWITCH_THREADS * each / (perf_counter() - t0)}


async def async_timers(n: int, seed: int) -> dict:
    rng, late = random.Random(seed), []

    async def sleeper(delay: float) -> None:
        start = monotonic()
        await asyncio.sleep(delay)
        late.append(monotonic() - start - delay)

    tasks = [asyncio.create_task(sleeper(rng.random() * TIMER_SPAN)) for _ in range(n)]
    for t in tasks:
        await t
    return lateness(late)


async def async_parked(n: int, seed: int) -> dict:
    gate, parked = asyncio.Event(), [0]

    async def park() -> None:
        parked[0] += 1
        await gate.wait()

    before = rss()
    tasks = [asyncio.create_task(park()) for _ in range(n)]
    while parked[0] < n:
        await asyncio.sleep(0)
    return {"bytes": (rss() - before) / len(tasks)}


async def async_queue(n: int, seed: int, maxsize: int) -> dict:
    q: asyncio.Queue = asyncio.Queue(maxsize)

    async def produce() -> None:
        for i in range(n):
            await q.put(i)

    async def consume() -> None:
        for _ in range(n):
            await q.get()

    t0 = perf_counter()
    tasks = [asyncio.create_task(consume()), asyncio.create_task(produce())]
    for t in tasks:
        await t
    return {"rate": n / (perf_counter() - t0)}


async def async_case(case: str, n: int, seed: int) -> dict:
    for t in [asyncio.create_task(async_trivial(i)) for i in range(WARMUP)]:
        await t
    return await ASYNC_CASES[case](n, seed)


ASYNC_CASES = {"spawn_join": async_spawn_join, "spawn_n": async_spawn_n,
               "switches": async_switches, "switches_alone": async_switches_alone,
               "timers": async_timers, "parked": async_parked,
               "queue_unbounded": partial(async_queue, maxsize=0),  # asyncio's unbounded
               "queue_handoff": partial(async_queue, maxsize=1)}


def run_case(lib: str, case: str, n: int, seed: int) -> dict:
    if lib in ("asyncio", "uvloop"):
        # run_until_complete, not asyncio.run: its clean-up would cancel 100k parked tasks
        if lib == "uvloop":
            import uvloop

            loop = uvloop.new_event_loop()
        else:
            loop = asyncio.new_event_loop()
        return loop.run_until_complete(async_case(case, n, seed))
    return green_case(lib, case, n, seed)


def main() -> None:
    lib, case, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    print(json.dumps(run_case(lib, case, n, seed)), flush=True)
    os._exit(0)  # skip tearing down 100k parked threads: each case gets a fresh process


if __name__ == "__main__":
    main()
