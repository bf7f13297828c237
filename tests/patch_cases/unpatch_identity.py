"""Patch everything available, unpatch, and check every attribute is the exact original.

Prints `restored <n> attributes` or `changed: <module.attr, ...>`."""

import importlib
import time

from notebook_coop import patcher

before_sleep = time.sleep
flags = [f for f in patcher.PATCHES if patcher.is_monkey_patched(f) is False]
modules = patcher.monkey_patch()
attrs = {m: patcher.patched_attributes(m) for m in modules}
saved = {(m, a): getattr(patcher.original(m), a, None) for m in modules for a in attrs[m]}
assert time.sleep is not before_sleep, "time.sleep was not patched"
assert patcher.original("time").sleep is before_sleep
patcher.unpatch()
changed = [f"{m}.{a}" for (m, a), obj in saved.items()
           if getattr(importlib.import_module(m), a, None) is not obj]
if time.sleep is not before_sleep or time.sleep is not patcher.original("time").sleep:
    changed.append("time.sleep")
if any(patcher.is_monkey_patched(m) for m in modules):
    changed.append("is_monkey_patched")
print(f"changed: {', '.join(changed)}" if changed else f"restored {len(saved)} attributes")
