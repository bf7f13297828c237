"""Green select.select and selectors: they wait cooperatively and answer as the stdlib's."""

import os
import socket as stdsocket
import tempfile

import pytest

from notebook_coop import sleep, spawn
from notebook_coop.green import select, selectors


def write_later(fd, data=b"x"):
    def write():
        sleep(0.01)
        os.write(fd, data)
    return spawn(write)


def test_select_returns_ready_objects_at_once(pipe):
    r, w = pipe
    assert select.select([r], [w], [], 0) == ([], [w], [])


def test_select_waits_cooperatively_for_readability(pipe):
    r, w = pipe
    writer = write_later(w)
    assert select.select([r], [], []) == ([r], [], [])
    assert writer.dead


def test_select_times_out_with_empty_lists(pipe):
    r, _ = pipe
    assert select.select([r], [], [], 0.02) == ([], [], [])


def test_select_returns_the_objects_given():
    a, b = stdsocket.socketpair()
    with a, b:
        b.send(b"x")
        assert select.select([a], [], [], 1) == ([a], [], [])


def test_select_reports_a_regular_file_ready():
    with tempfile.TemporaryFile() as f:
        assert select.select([f], [f], [], 1) == ([f], [f], [])


def test_select_rejects_negative_timeout(pipe):
    with pytest.raises(ValueError):
        select.select([pipe[0]], [], [], -1)


def test_select_on_a_closed_fd_raises_ebadf():
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    with pytest.raises(OSError):
        select.select([r], [], [], 0)


def test_default_selector_waits_cooperatively(pipe):
    r, w = pipe
    with selectors.DefaultSelector() as sel:
        sel.register(r, selectors.EVENT_READ, "data")
        writer = write_later(w)
        [(key, events)] = sel.select()
        assert (key.data, events) == ("data", selectors.EVENT_READ) and writer.dead
        os.read(r, 1)
        assert sel.select(0.02) == []


@pytest.mark.parametrize("cls", ["PollSelector", "SelectSelector"])
def test_poll_and_select_selectors_wait_cooperatively(pipe, cls):
    r, w = pipe
    with getattr(selectors, cls)() as sel:
        sel.register(r, selectors.EVENT_READ)
        writer = write_later(w)
        assert [key.fd for key, _ in sel.select(5)] == [r] and writer.dead
        os.read(r, 1)
        assert sel.select(0.02) == []
