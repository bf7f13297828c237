"""Short names for what green threads wait on: `Queue#3 (2/10)`, `fd 12 127.0.0.1:8000`...

`label(obj)` is a stable identity, given the first time an object is seen and cheap to ask
again (the recorder asks at every wait); `describe(obj)` adds what the object looks like now
(its size, its waiters, who holds it), for run info and dashboards.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import socket
import weakref
from collections import defaultdict
from typing import Any

from ..greenthread import GreenThread
from ..queue import LightQueue
from ..sync import CappedSemaphore, Event, Lock, Semaphore
from ..tpool import Job

_FUTURES = (concurrent.futures.Future, asyncio.Future)

_labels: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_numbers: defaultdict = defaultdict(lambda: itertools.count(1))


def label(obj: Any) -> str:
    """A short, stable name: `Queue#3`, `Event#1`, `fd 12 127.0.0.1:8000`, a thread's label."""
    if isinstance(obj, GreenThread):
        return obj.label
    if isinstance(obj, int):
        return f"fd {obj}"
    try:
        return _labels[obj]
    except KeyError:
        name = _labels[obj] = _first_label(obj)
        return name
    except TypeError:  # not weakly referenceable: named afresh each time
        return _first_label(obj)


def _first_label(obj: Any) -> str:
    if isinstance(obj, socket.socket):
        return _socket_label(obj)
    if isinstance(obj, Job):
        return "tpool"
    kind = type(obj).__name__
    return f"{kind}#{next(_numbers[kind])}"


def _socket_label(sock: socket.socket) -> str:
    """`fd 12 127.0.0.1:8000`: the peer of a connected socket, else the address it is bound to."""
    parts = [f"fd {sock.fileno()}"]
    for ask in (sock.getpeername, sock.getsockname):
        try:
            address = ask()
        except OSError:
            continue
        if isinstance(address, tuple) and len(address) >= 2:
            parts.append(f"{address[0]}:{address[1]}")
        elif address:
            parts.append(str(address))
        break
    return " ".join(parts)


def describe(obj: Any) -> str:
    """`label(obj)` and its state now: `Queue#3 (2/10)`, `Lock#1 held by fetch#4`..."""
    if obj is None:
        return ""
    name = label(obj)
    detail = _detail(obj)
    return f"{name} {detail}" if detail else name


def _detail(obj: Any) -> str:
    if isinstance(obj, LightQueue):
        size = "inf" if obj.maxsize is None else obj.maxsize
        return f"({obj.qsize()}/{size})"
    if isinstance(obj, Lock):
        return f"held by {holder(obj)}" if obj.owner is not None else "(free)"
    if isinstance(obj, (Semaphore, CappedSemaphore)):
        return f"({obj.counter} free, {max(0, -obj.balance)} waiting)"
    if isinstance(obj, Event):
        return f"({len(obj._waiters)} waiting)"
    if isinstance(obj, GreenThread):
        return f"({obj.state})"
    if isinstance(obj, Job):
        return repr(obj)
    if isinstance(obj, _FUTURES):
        return "(done)" if obj.done() else "(pending)"
    return ""


def holder(lock: Any) -> str:
    """Who holds a Lock: a green thread's label, or `root` (the cell or script itself)."""
    owner = getattr(lock, "owner", None)
    if owner is None:
        return ""
    return owner.label if isinstance(owner, GreenThread) else "root"
