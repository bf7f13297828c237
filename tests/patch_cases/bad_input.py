"""Bad input to the patcher raises a clear error at once: prints each error's type and text."""

from notebook_coop import patcher

attempts = [lambda: patcher.monkey_patch(foo=True), lambda: patcher.monkey_patch(True),
            lambda: patcher.is_monkey_patched(3), lambda: patcher.original(3),
            lambda: patcher.original("no_such_module_xyz"),
            lambda: patcher.import_patched("sched", ("time", "not a module"))]
lines = []
for attempt in attempts:
    try:
        attempt()
        lines.append("no error")
    except Exception as exc:  # the verdict lists them
        lines.append(type(exc).__name__)
print(" ".join(lines))
