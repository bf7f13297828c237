"""notebook_coop: cooperative green threads in the spirit of eventlet, at home in Jupyter.

The API keeps eventlet's names and semantics: code written for eventlet's core runs by changing
only the import.
"""

from . import pools
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
from .pool import GreenPile, GreenPool
from .queue import Empty, Full, LifoQueue, LightQueue, PriorityQueue, Queue
from .sync import BoundedSemaphore, CappedSemaphore, Event, Lock, Semaphore
from .timeout import Timeout, is_timeout, with_timeout

__all__ = [
    "BoundedSemaphore", "CappedSemaphore", "DeadlockError", "Empty", "Event", "Full",
    "GreenPile", "GreenPool", "GreenThread", "GreenletExit", "Instrument", "LifoQueue",
    "LightQueue", "Lock", "PriorityQueue", "Queue", "Semaphore", "Timeout", "WrongThreadError",
    "get_hub", "getcurrent", "is_timeout", "kill", "pools", "sleep", "spawn", "spawn_after",
    "spawn_after_local", "spawn_n", "with_timeout",
]
