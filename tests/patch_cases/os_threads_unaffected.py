"""While patched, other OS threads run the originals: a real sleep, their own identity, and
a green-made Event they can set. Prints `unaffected` or what differed."""

import threading
import time

from notebook_coop import patcher, spawn

patcher.monkey_patch(time=True, thread=True)
original = patcher.original("_thread")
report = {}
made_here = threading.Event()


def in_os_thread() -> None:
    started = time.monotonic()
    time.sleep(0.05)
    report["slept"] = time.monotonic() - started >= 0.045
    report["ident"] = threading.get_ident() == original.get_ident()
    report["thread"] = threading.current_thread().name != "MainThread"
    for _ in range(1000):  # the green ticks happen only if green threads run while main waits
        if len(ticks) == 3:
            break
        time.sleep(0.005)
    made_here.set()


ticks = []
spawn(lambda: [ticks.append(time.sleep(0.01)) for _ in range(3)])
original.start_new_thread(in_os_thread, ())
report["set"] = made_here.wait(10)
report["green ran meanwhile"] = len(ticks) == 3
broken = [name for name, ok in report.items() if not ok]
print("unaffected" if not broken else "broken: " + ", ".join(broken))
