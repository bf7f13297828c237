"""The eventlet notes' synchronized workers: oslo.concurrency's lockutils under monkey_patch().

4 green workers x 5 jobs, each job under `@synchronized("bar")` (argument `locked`) or not
(`unlocked`). Prints `jobs=<n> overlapping=<pairs of job intervals that overlap>`."""

import sys
import time

from notebook_coop import GreenPool, patcher, sleep

patcher.monkey_patch()
from oslo_concurrency import lockutils  # noqa: E402 - after patching, as the notes do

WORKERS, JOBS, D = 4, 5, 0.01
synchronized = lockutils.synchronized_with_prefix("foo")
intervals = []


def do_work(index: int) -> None:
    started = time.monotonic()
    sleep(D)
    intervals.append((started, time.monotonic()))


if sys.argv[1:] == ["locked"]:
    do_work = synchronized("bar")(do_work)


def work(worker: int) -> None:
    for _ in range(JOBS):
        do_work(worker)


pool = GreenPool()
for i in range(WORKERS):
    pool.spawn(work, i)
pool.waitall()
overlapping = sum(1 for i, (s1, e1) in enumerate(intervals)
                  for s2, e2 in intervals[i + 1:] if s1 < e2 and s2 < e1)
print(f"jobs={len(intervals)} overlapping={overlapping}")
