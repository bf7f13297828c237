"""eventlet's flag rules: any True -> only those; only False -> all but those.

Prints the modules each call patched, one call per `;`-separated group."""

import warnings

from notebook_coop import patcher

warnings.simplefilter("ignore", RuntimeWarning)  # green modules not in this install

calls = [dict(time=True), dict(all=False, time=True, thread=True), dict(thread=False),
         dict(all=True, time=False)]
results = []
for flags in calls:
    done = patcher.monkey_patch(**flags)
    patched = [m for m in ("time", "threading") if m in done]
    flags_ok = all(patcher.is_monkey_patched(m) for m in patched)
    results.append(",".join(patched) + ("" if flags_ok else "!"))
    patcher.unpatch()
print(";".join(results))
