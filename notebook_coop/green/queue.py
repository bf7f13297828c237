"""Green `queue`: the stdlib's queues on green locks.

While the thread patch is on, `queue.Queue` is already cooperative (it builds on
`threading.Lock` and `Condition`); the patch only swaps the C `SimpleQueue` for the stdlib's
Python one, which builds on `threading.Semaphore`. The classes here (for `import_patched`) are
copies bound to the green `threading` whether or not the patch is on.
"""

from __future__ import annotations

import queue as _queue

from . import rebind, reexport
from . import threading as _green_threading

reexport(_queue, globals())


def _green_classes() -> dict[str, type]:
    ns = dict(vars(_queue), threading=_green_threading)
    classes = {"Queue": rebind(_queue.Queue, ns)}
    classes["PriorityQueue"] = rebind(_queue.PriorityQueue, ns, (classes["Queue"],))
    classes["LifoQueue"] = rebind(_queue.LifoQueue, ns, (classes["Queue"],))
    classes["SimpleQueue"] = rebind(_queue._PySimpleQueue, ns)
    ns.update(classes)
    return classes


globals().update(_green_classes())


def patched_attributes() -> dict[str, object]:
    return {"SimpleQueue": _queue._PySimpleQueue}
