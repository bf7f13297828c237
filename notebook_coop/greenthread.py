"""Green threads: spawn them, wait for them, kill them, sleep inside them.

    gt = spawn(fetch, url)        # starts at the hub's next turn, in a copy of our contextvars
    body = gt.wait()              # its return value, or its exception re-raised
    spawn_after(1.5, tick)        # a delayed start; gt.cancel() before then and it never runs
    sleep(0)                      # let every other ready green thread run once

A green thread runs on a worker greenlet borrowed from the hub and returned when it ends. The
hub keeps a registry of the live ones: `live_threads()`. An exception nobody waits for goes to
`error_reporter` (a plain traceback on stderr; the Jupyter layer shows it in the thread's cell).
"""

from __future__ import annotations

import contextvars
import sys
import traceback
from collections.abc import Callable
from time import monotonic, perf_counter_ns
from typing import Any
from weakref import ref

from greenlet import GreenletExit, greenlet
from greenlet import getcurrent as _current_greenlet

from . import hub as hub_module
from .frames import caller_site, delivers, site_line
from .hub import get_hub, thread_of
from .timeout import Timeout

__all__ = ["GreenThread", "GreenletExit", "getcurrent", "kill", "kill_all", "live_threads",
           "sleep", "spawn", "spawn_after", "spawn_after_local", "spawn_n"]

_NEW, _STARTED, _DEAD = 0, 1, 2

ENDINGS = ("done", "failed", "killed", "cancelled")
"""How a finished thread ended, in the words every table, status line and timeline uses."""

_spawn_sites = False


def record_spawn_sites(on: bool) -> bool:
    """Note (or stop noting) where each new green thread is spawned, as `spawn_site` (noted
    anyway while an instrument listens); returns the previous setting. Costs a short walk up
    the spawner's frames per spawn."""
    global _spawn_sites
    previous, _spawn_sites = _spawn_sites, on
    return previous


class GreenThread:
    """A handle on one green thread: its result, its links, and what visualisers show of it.

    `run_time` (seconds on the CPU), `longest_slice` (seconds) and `yields` (sleep(0) calls)
    are measured while `get_hub().accounting` is on, as it is in the kernel; `switches` counts
    its waits always.

    True while pending or running, false once finished, as a greenlet is. `state` is one of
    "ready", "running", "blocked(<reason>)", or once it finished "done", "failed", "killed" or
    "cancelled"; `outcome` says the same in the recorder's words.
    """

    __slots__ = ("id", "name", "parent", "created", "switches", "run_time", "resumed_at",
                 "longest_slice", "yields", "context", "greenlet", "hub", "func", "_site",
                 "_args", "_kwargs", "_status", "_value", "_exc", "_tb", "_waiters", "_links",
                 "_observed", "_timer", "_local_to", "__weakref__")

    def __init__(self, hub: Any, fn: Callable, args: tuple, kwargs: dict | None,
                 name: str | None = None, site: tuple | None = None) -> None:
        self.hub = hub
        hub.thread_count = self.id = hub.thread_count + 1
        hub.threads[self.id] = ref(self)
        self.name = name
        spawner = _current_greenlet()
        task = getattr(spawner, "task", None)
        self.parent = spawner if task is None else task  # thread_of, inline: spawn is hot
        self.created = monotonic()
        self.switches = 0
        self.run_time = self.longest_slice = 0.0
        self.resumed_at = self.yields = 0
        self.context = contextvars.copy_context()
        self.greenlet = None
        self.func, self._args, self._kwargs = fn, args, kwargs
        self._site = site
        self._status = _NEW
        self._value = self._exc = self._tb = self._waiters = self._links = self._timer = None
        self._local_to = None
        self._observed = False
        if hub.observer is not None:
            hub.observer.spawned(perf_counter_ns(), self)

    # -- what it is ----------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<GreenThread {self.name or '#' + str(self.id)} {self.state}>"

    @property
    def spawn_site(self) -> tuple[str, int] | None:
        """(filename, line) of the spawn call, if spawn sites were recorded at its spawn."""
        site = self._site
        if site is None or isinstance(site[0], str):
            return site
        return site_line(*site)

    @spawn_site.setter
    def spawn_site(self, site: tuple[str, int] | None) -> None:
        self._site = site

    @property
    def label(self) -> str:
        """Its name, or its function's name and id (`fetch#12`), for tables and timelines."""
        if self.name:
            return self.name
        return f"{getattr(self.func, '__name__', None) or type(self.func).__name__}#{self.id}"

    def __bool__(self) -> bool:
        return self._status != _DEAD

    @property
    def dead(self) -> bool:
        """Whether it has finished (done, failed, killed or cancelled)."""
        return self._status == _DEAD

    @property
    def state(self) -> str:
        """ready, running, blocked(<reason>), or how it ended: done, failed, killed, cancelled."""
        if self._status == _DEAD:
            return self.outcome
        g = self.greenlet
        if g is None:
            return "ready"
        if g is _current_greenlet():
            return "running"
        return f"blocked({g.reason})" if g.reason else "ready"

    @property
    def reason(self) -> str | None:
        """Why it is blocked (sleep, io-read, event, queue-get, lock, join...), or None."""
        g = self.greenlet
        return g.reason if g is not None and self._status == _STARTED else None

    @property
    def waiting_on(self) -> Any:
        """The object it is blocked on (an Event, a Queue, a socket, a GreenThread...), or None."""
        g = self.greenlet
        return g.on if g is not None and self._status == _STARTED else None

    @property
    def outcome(self) -> str | None:
        """How it ended: done (returned), failed (raised), killed (GreenletExit) or cancelled
        (ended before it started); None while it lives."""
        if self._status != _DEAD:
            return None
        if self.greenlet is None:
            return "cancelled"
        if self._exc is None:
            return "done"
        return "killed" if isinstance(self._exc, GreenletExit) else "failed"

    @property
    def exception(self) -> BaseException | None:
        """The exception it ended with (GreenletExit if killed), or None. (Each `wait()`
        re-raises it with the traceback it ended with.)"""
        return self._exc

    # -- running -------------------------------------------------------------------------------

    def run_on(self, worker: greenlet) -> None:
        """Called by the hub on `worker`, inside this thread's context: run it to completion."""
        if self._status != _NEW:
            return
        self._status = _STARTED
        self.greenlet = worker
        hub = self.hub
        watched = hub.watched and worker.task is self  # not when run inline by a full pool
        if watched and hub.watch_resumes:
            hub._watch_resume(self)
        fn, args, kwargs = self.func, self._args, self._kwargs
        self._args = self._kwargs = None
        error = None
        try:
            value = fn(*args, **kwargs) if kwargs else fn(*args)
        except BaseException as exc:
            exc.__traceback__ = exc.__traceback__.tb_next or exc.__traceback__
            value, error = None, exc
        if watched and hub.accounting:
            self.account_slice(perf_counter_ns(), False)
        self._finish(value, error)

    def account_slice(self, now: int, yielded: bool) -> None:
        """A run slice ended at `now` (perf_counter_ns): add it to run_time and longest_slice."""
        ran = (now - self.resumed_at) * 1e-9
        self.run_time += ran
        if ran > self.longest_slice:
            self.longest_slice = ran
        if yielded:
            self.yields += 1

    def _finish(self, value: Any, exc: BaseException | None) -> None:
        self._status = _DEAD
        self._value, self._exc = value, exc
        if exc is not None:
            self._tb = exc.__traceback__  # each re-raise by wait() starts from it again
        hub = self.hub
        del hub.threads[self.id]
        waiters = self._waiters
        if waiters:
            self._waiters = None
            for token in waiters:
                hub.wake(token)
        if self._links:
            self._run_links()
        if exc is not None and not self._observed and not isinstance(exc, GreenletExit):
            self._report(exc)
        if hub.observer is not None:
            hub.observer.exited(perf_counter_ns(), self)

    def _run_links(self) -> None:
        links, self._links = self._links, None
        for fn, args, kwargs in links:
            try:
                fn(self, *args, **kwargs)
            except Exception:
                traceback.print_exc()

    def _report(self, exc: BaseException) -> None:
        """Hand an exception nobody waits for to `error_reporter`, in this thread's context."""
        try:
            error_reporter(self, exc)
        except Exception:
            print_error(self, exc)

    # -- waiting ------------------------------------------------------------------------------

    def wait(self) -> Any:
        """Block until it finishes; return its result or re-raise its exception."""
        if self._status != _DEAD:
            self._observed = True
            if self.greenlet is not None and self.greenlet is _current_greenlet():
                raise RuntimeError(f"{self!r} cannot wait for itself")
            hub = self.hub
            token = hub.token()
            if self._waiters is None:
                self._waiters = [token]
            else:
                self._waiters.append(token)
            try:
                hub.block("join", self)
            finally:
                if self._waiters and token in self._waiters:
                    self._waiters.remove(token)
        if self._exc is not None:
            raise self._exc.with_traceback(self._tb)
        return self._value

    def __await__(self):
        """`await gt` from a coroutine: needs a host loop that runs the hub (the kernel)."""
        adapter = self.hub.awaitable_for
        if adapter is None:
            raise RuntimeError("await on a GreenThread needs the notebook_coop kernel extension")
        return adapter(self).__await__()

    def link(self, fn: Callable, *args: Any, **kwargs: Any) -> None:
        """Call `fn(gt, *args, **kwargs)` when it finishes (at once if it already has)."""
        require_callable("link", fn)
        self._observed = True
        self._link(fn, args, kwargs)

    def _link(self, fn: Callable, args: tuple = (), kwargs: dict | None = None) -> None:
        """link() for the library itself: does not count as someone handling its errors."""
        if self._status == _DEAD:
            fn(self, *args, **(kwargs or {}))
        elif self._links is None:
            self._links = [(fn, args, kwargs or {})]
        else:
            self._links.append((fn, args, kwargs or {}))

    def unlink(self, fn: Callable, *args: Any, **kwargs: Any) -> bool:
        """Remove a link made with the same arguments; True if one was removed."""
        try:
            self._links.remove((fn, args, kwargs))
        except (AttributeError, ValueError):
            return False
        return True

    # -- ending it early -----------------------------------------------------------------------

    def kill(self, *throw_args: Any) -> None:
        """Raise GreenletExit (or the given exception) in it now; see `kill`."""
        kill(self, *throw_args)

    def throw(self, *throw_args: Any) -> None:
        """Raise GreenletExit (or the given exception) in it now: eventlet's green threads are
        greenlets, and code calls their throw(). One not started yet never runs."""
        kill(self, *throw_args)

    def cancel(self, *throw_args: Any) -> None:
        """Kill it only if it has not started running yet."""
        if self._status == _NEW:
            kill(self, *throw_args)

    def _end_unstarted(self, exc: BaseException) -> None:
        if self._timer is not None:
            self.hub.cancel_timer(self._timer)
            self._timer = None
        self._args = self._kwargs = None
        self._observed = True
        self._finish(None, exc)


def print_error(gt: GreenThread, exc: BaseException) -> None:
    """Print the traceback of a green thread's exception on stderr, as threading does."""
    print(f"Exception in green thread {gt.label}:", file=sys.stderr)
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)


error_reporter: Callable[[GreenThread, BaseException], None] = print_error
"""Called with (green thread, exception) when a green thread raised and nobody waits for it
(no wait(), no link), in the thread's own context; replace it to show errors elsewhere."""


def as_exception(args: tuple, caller: str = "kill") -> BaseException:
    """Arguments as for raise (a class, an instance or an exc_info triple) as one exception."""
    if not args:
        raise TypeError(f"{caller}() needs an exception class or instance")
    exc = args[1] if len(args) > 1 and args[1] is not None else args[0]
    if isinstance(exc, type) and issubclass(exc, BaseException):
        return exc()
    if not isinstance(exc, BaseException):
        raise TypeError(f"{caller}() takes an exception class or instance, not {exc!r}")
    if len(args) > 2 and args[2] is not None:
        exc = exc.with_traceback(args[2])
    return exc


def require_callable(caller: str, fn: Any) -> None:
    """Bad input fails at the call, not later in the hub: a TypeError naming the caller."""
    if not callable(fn):
        raise TypeError(f"{caller}() needs a callable, not {type(fn).__name__}: {fn!r}")


def _new(caller: str, func: Callable, args: tuple, kwargs: dict, depth: int) -> GreenThread:
    """A GreenThread for `caller` (spawn, spawn_n, spawn_after); `depth` frames up from here
    is the code that called it, its spawn site (jumped to at once: walking up through our own
    frames would make each of them a frame object, which costs at every spawn)."""
    if not callable(func):
        require_callable(caller, func)
    hub = get_hub()
    site = caller_site(depth + 1) if _spawn_sites or hub.observer is not None else None
    return GreenThread(hub, func, args, kwargs, site=site)


def spawn(func: Callable, *args: Any, **kwargs: Any) -> GreenThread:
    """Run `func(*args, **kwargs)` in a new green thread at the hub's next turn."""
    gt = _new("spawn", func, args, kwargs, 2)
    gt.hub.ready.append((gt.hub.start, gt, None))
    return gt


def spawn_n(func: Callable, *args: Any, **kwargs: Any) -> GreenThread:
    """Like spawn, for fire-and-forget work nobody waits for: its exceptions are printed."""
    gt = _new("spawn_n", func, args, kwargs, 2)
    gt.hub.ready.append((gt.hub.start, gt, None))
    return gt


def spawn_after(seconds: float, func: Callable, *args: Any, **kwargs: Any) -> GreenThread:
    """Like spawn, started `seconds` from now; `cancel()` before then and it never runs."""
    return start_after(_new("spawn_after", func, args, kwargs, 2), seconds)


def start_after(gt: GreenThread, seconds: float) -> GreenThread:
    """Start a GreenThread made by hand (with a name, say) `seconds` from now."""
    if seconds <= 0:  # through _start_timed too, so spawn_after_local(0) checks its owner
        gt.hub.ready.append((_start_timed, gt, None))
    else:
        gt._timer = gt.hub.call_later(seconds, _start_timed, gt)
    return gt


def spawn_after_local(seconds: float, func: Callable, *args: Any, **kwargs: Any) -> GreenThread:
    """Like spawn_after, but it never starts if the green thread that asked has ended by then."""
    gt = spawn_after(seconds, func, *args, **kwargs)
    gt._local_to = gt.parent if isinstance(gt.parent, GreenThread) else None
    return gt


def _start_timed(gt: GreenThread, _: Any = None) -> None:
    gt._timer = None
    owner = gt._local_to
    if owner is not None and owner.dead:
        gt._end_unstarted(GreenletExit())
        return
    gt.hub.start(gt)


def sleep(seconds: float = 0) -> None:
    """Suspend the current green thread for `seconds`; sleep(0) lets the others run once."""
    if seconds <= 0:  # the hot path: hub.block checks the thread only outside green threads
        (hub_module._process_hub or get_hub()).block("sleep", None, True)
    else:
        get_hub().wait("sleep", None, seconds)


@delivers
def kill(gt: GreenThread, *throw_args: Any) -> None:
    """End `gt` by raising GreenletExit (or the given exception) in it, wherever it waits.

    One not started yet never runs. The caller yields so the victim can unwind at once.
    """
    if gt.dead:
        return
    exc = as_exception(throw_args) if throw_args else GreenletExit()
    if gt.greenlet is None:
        gt._end_unstarted(exc)
        return
    if gt.greenlet is _current_greenlet():
        raise exc
    hub = gt.hub
    if _current_greenlet() is hub.greenlet:
        hub.throw_into(gt.greenlet, exc)
        return
    hub.ready.append((_throw_if_alive, gt, exc))
    sleep(0)


def _throw_if_alive(gt: GreenThread, exc: BaseException) -> None:
    if not gt.dead and gt.greenlet.task is gt:
        gt.hub.throw_into(gt.greenlet, exc)


def getcurrent() -> Any:
    """The running GreenThread, or the greenlet itself outside green threads (the root)."""
    return thread_of(_current_greenlet())


def live_threads() -> list[GreenThread]:
    """Every green thread not finished yet, oldest first (from the hub's registry)."""
    return get_hub().live_threads()


def kill_all(threads: list[GreenThread], grace: float) -> list[GreenThread]:
    """Kill `threads` and give them `grace` seconds to unwind; returns those still unwinding."""
    hub = get_hub()
    for gt in threads:
        if gt.greenlet is None:
            gt.kill()  # never started: ends at once
        else:
            hub.call_soon(gt.kill)  # from the hub, kill throws without a round trip each
    with Timeout(grace, False) as timer:
        for gt in threads:
            _join_quietly(gt, timer)
    return [gt for gt in threads if not gt.dead]


def _join_quietly(gt: GreenThread, timer: Timeout) -> None:
    """Wait for `gt`, swallowing its own ending (GreenletExit, an error) but not `timer`."""
    try:
        gt.wait()
    except Timeout as exc:
        if exc is timer:
            raise
    except BaseException:
        pass
