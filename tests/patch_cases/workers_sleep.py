"""The eventlet notes' experiment: 4 workers x 5 jobs of time.sleep(D), patched or not.

Prints `overlapped <n>d` (about 5 D) or `serialised <n>d` (20 D or more: 20 blocking sleeps
one after the other can take no less). Overlapped runs stay under 19 D with room to spare for
a loaded machine."""

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
verdict = "overlapped" if ratio < 19 else "serialised"
print(f"{verdict} {ratio:.1f}d")
