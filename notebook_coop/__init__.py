"""notebook_coop: cooperative green threads in the spirit of eventlet, at home in Jupyter.

The API keeps eventlet's names and semantics: code written for eventlet's core runs by changing
only the import.
"""

from typing import Any

from . import pools, tpool
from .greenthread import (
    GreenletExit,
    GreenThread,
    getcurrent,
    kill,
    sleep,
    spawn,
    spawn_after,
    spawn_after_local,
    spawn_n,
)
from .hub import DeadlockError, WrongThreadError, get_hub
from .instruments import Instrument
from .net import (
    ReusePortUnavailableWarning,
    ReuseRandomPortWarning,
    StopServe,
    connect,
    listen,
    serve,
)
from .patcher import import_patched, is_monkey_patched, monkey_patch, original, patched, unpatch
from .pool import GreenPile, GreenPool
from .queue import Empty, Full, LifoQueue, LightQueue, PriorityQueue, Queue
from .sync import BoundedSemaphore, CappedSemaphore, Event, Lock, Semaphore
from .timeout import Timeout, is_timeout, with_timeout
from .watch.plot import compare
from .watch.recorder import Recorder, record
from .watch.runinfo import format_run_info


def dashboard(top: int = 25, interval: float = 0.25, timeline: bool = False) -> Any:
    """The live dashboard widget of the green threads (see notebook_coop.jupyter.dashboard)."""
    from .jupyter.dashboard import dashboard as make

    return make(top=top, interval=interval, timeline=timeline)


def load_ipython_extension(ip: Any) -> None:
    """`%load_ext notebook_coop`: host the hub in this kernel (see notebook_coop.jupyter.driver)."""
    from .jupyter.extension import load_ipython_extension as load

    load(ip)


def unload_ipython_extension(ip: Any) -> None:
    """`%unload_ext notebook_coop`: detach the hub from the kernel's loop."""
    from .jupyter.extension import unload_ipython_extension as unload

    unload(ip)


__all__ = [
    "BoundedSemaphore", "CappedSemaphore", "DeadlockError", "Empty", "Event", "Full", "GreenPile",
    "GreenPool", "GreenThread", "GreenletExit", "Instrument", "LifoQueue", "LightQueue", "Lock",
    "PriorityQueue", "Queue", "Recorder", "ReusePortUnavailableWarning", "ReuseRandomPortWarning",
    "Semaphore", "StopServe", "Timeout", "WrongThreadError", "compare", "connect", "dashboard",
    "format_run_info", "get_hub", "getcurrent", "import_patched", "is_monkey_patched",
    "is_timeout", "kill", "listen", "load_ipython_extension", "monkey_patch", "original",
    "patched", "pools", "record", "serve", "sleep", "spawn", "spawn_after", "spawn_after_local",
    "spawn_n", "tpool", "unload_ipython_extension", "unpatch", "with_timeout",
]
