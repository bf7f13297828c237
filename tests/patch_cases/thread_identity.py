"""The eventlet notes' get_ident experiment: 4 green workers report who they are.

Argument: the patch flags (`time` or `time,thread`). Prints the number of distinct
get_ident() values, current_thread() objects and threading.local values seen."""

import sys
import threading
import time

from notebook_coop import GreenPool, patcher

flags = sys.argv[1].split(",")
patcher.monkey_patch(**{flag: True for flag in flags})
import _thread  # noqa: E402 - after patching, as users do

idents, threads, values = set(), set(), set()
data = threading.local()


def work(worker: int) -> None:
    data.worker = worker
    for _ in range(3):
        idents.add(_thread.get_ident())
        threads.add(threading.current_thread())
        time.sleep(0.01)
        values.add(data.worker)


pool = GreenPool()
for i in range(4):
    pool.spawn(work, i)
pool.waitall()
print(f"idents={len(idents)} threads={len(threads)} locals={len(values)}")
