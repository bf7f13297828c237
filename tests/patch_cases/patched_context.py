"""patched() patches inside its block only, nests, and restores on an exception too.

Prints `ok` or the first broken expectation."""

import threading
import time

from notebook_coop import patcher

original_sleep = time.sleep
checks = []
with patcher.patched(time=True):
    checks.append(("patched inside", time.sleep is not original_sleep))
    with patcher.patched(time=True, thread=True):
        checks.append(("inner patches thread", patcher.is_monkey_patched("thread")))
    checks.append(("inner undoes only its own", patcher.is_monkey_patched("time")
                   and not patcher.is_monkey_patched("threading")))
checks.append(("restored after", time.sleep is original_sleep))
try:
    with patcher.patched(thread=True):
        raise KeyError("boom")
except KeyError:
    pass
checks.append(("restored after an exception", not patcher.is_monkey_patched("thread")
               and threading.get_ident is patcher.original("threading").get_ident))
broken = [name for name, ok in checks if not ok]
print("ok" if not broken else f"broken: {broken[0]}")
