"""Shared fixtures. The hub is one per process: core tests check they leave it as they found it."""

import gc
import os

import pytest

from notebook_coop.greenthread import kill, sleep
from notebook_coop.hub import get_hub


@pytest.fixture
def clean_hub():
    """The process's hub; after the test, fail if it left green threads, timers, watched fds,
    instruments or accounting behind (killing the leftovers so later tests start clean)."""
    hub = get_hub()
    yield hub
    sleep(0)
    alive = hub.live_threads()
    leftovers = {
        "live green threads": f"{len(alive)}: {alive[:3]}" if alive else 0,
        "pending timers or ready callbacks": hub.next_deadline() is not None,
        "watched fds": [fd for fd, w in hub._watches.items() if w.reader or w.writer],
        "instruments": list(hub.instruments),
        "accounting": hub.accounting,
        "awaiting_threads": hub.awaiting_threads,
    }
    for gt in alive:
        kill(gt)
    for instrument in list(hub.instruments):
        hub.remove_instrument(instrument)
    hub.accounting = False
    assert not any(leftovers.values()), f"the test left this on the hub: {leftovers}"


def open_fds() -> int:
    """File descriptors this process has open now."""
    gc.collect()
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def no_fd_leaks():
    """Fail if the test leaves file descriptors open (giving closing green threads a moment)."""
    get_hub()  # its own epoll and wake-up fds are not a leak
    before = open_fds()
    yield
    for _ in range(200):  # threads close their sockets once they read the peer's EOF
        if open_fds() <= before:
            break
        sleep(0.005)
    assert open_fds() == before


@pytest.fixture
def pipe():
    """An OS pipe (read fd, write fd), closed afterwards."""
    r, w = os.pipe()
    yield r, w
    os.close(r)
    os.close(w)
