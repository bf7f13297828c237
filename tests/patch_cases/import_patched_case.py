"""import_patched gives a module whose time.sleep is green while the global one is not.

Prints `ok`, or what differed."""

import sys
import time

from notebook_coop import patcher, spawn
from notebook_coop.green import time as green_time

had_sched = "sched" in sys.modules
sched = patcher.import_patched("sched")
problems = []
if sched.time.sleep is not green_time.sleep:
    problems.append("the copy's time.sleep is not green")
if time.sleep is not patcher.original("time.sleep") or patcher.is_monkey_patched("time"):
    problems.append("the global time.sleep changed")
if sys.modules["time"] is not time:
    problems.append("sys.modules['time'] changed")
if ("sched" in sys.modules) != had_sched or sys.modules.get("sched") is sched:
    problems.append("sys.modules['sched'] changed")
if patcher.import_patched("sched") is not sched:
    problems.append("a second import_patched made another copy")

ticks = []
spawn(lambda: [ticks.append(time.monotonic()) for _ in range(3)])
scheduler = sched.scheduler()
scheduler.enter(0.05, 1, lambda: None)
scheduler.run()  # delays with the green sleep: the spawned thread runs meanwhile
if len(ticks) != 3:
    problems.append("the copy's sleep did not let green threads run")
print("ok" if not problems else "; ".join(problems))
