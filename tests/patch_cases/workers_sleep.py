"""The eventlet notes' experiment: 4 workers x 5 jobs of time.sleep(D), patched or not.

Prints `overlapped <n>d` (about 5 D), `serialised <n>d` (about 20 D) or `unclear <n>d`."""

import sys
import time

from notebook_coop import GreenPool, patcher

D = 0.05
if sys.argv[1:] == ["patched"]:
    patcher.monkey_patch(time=True)


def work(jobs: int) -> None:
    for _ in range(jobs):
        time.sleep(D)


pool = GreenPool()
started = time.monotonic()
for _ in range(4):
    pool.spawn(work, 5)
pool.waitall()
ratio = (time.monotonic() - started) / D
verdict = "overlapped" if ratio < 12 else "serialised" if ratio > 15 else "unclear"
print(f"{verdict} {ratio:.1f}d")
