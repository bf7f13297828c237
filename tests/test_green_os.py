"""Green os: pipe reads and writes and waitpid wait only the calling green thread."""

import os
import sys
import tempfile

import pytest

from notebook_coop import sleep, spawn
from notebook_coop.green import os as gos


@pytest.fixture
def pipe():
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


def test_read_waits_for_a_writer_green_thread(pipe):
    r, w = pipe
    spawn(gos.write, w, b"hello")
    assert gos.read(r, 5) == b"hello"


def test_read_at_end_of_file_returns_empty(pipe):
    r, w = pipe
    os.close(w)
    assert gos.read(r, 5) == b""


def test_read_on_a_nonblocking_pipe_waits_on_eagain(pipe):
    r, w = pipe
    os.set_blocking(r, False)
    spawn(gos.write, w, b"x")
    assert gos.read(r, 1) == b"x"


def test_write_to_a_full_pipe_waits_for_the_reader(pipe):
    r, w = pipe
    os.set_blocking(w, False)
    payload = b"y" * (1 << 20)
    got = bytearray()

    def reader():
        while len(got) < len(payload):
            got.extend(gos.read(r, 65536))

    gt = spawn(reader)
    view = memoryview(payload)
    while view:
        view = view[gos.write(w, view):]
    gt.wait()
    assert bytes(got) == payload


def test_regular_files_are_read_directly():
    with tempfile.TemporaryFile() as f:
        f.write(b"data")
        f.flush()
        os.lseek(f.fileno(), 0, 0)
        assert gos.read(f.fileno(), 4) == b"data"


def test_waitpid_lets_other_green_threads_run():
    ticks = []

    def ticker():
        while True:
            ticks.append(1)
            sleep(0.005)

    gt = spawn(ticker)
    pid = os.spawnv(os.P_NOWAIT, sys.executable, [sys.executable, "-c",
                                                   "import time; time.sleep(0.1)"])
    assert gos.waitpid(pid, 0) == (pid, 0)
    gt.kill()
    assert len(ticks) > 3


def test_wait_reaps_any_child():
    pid = os.spawnv(os.P_NOWAIT, "/bin/sh", ["sh", "-c", "exit 3"])
    got, status = gos.wait()
    assert got == pid and os.waitstatus_to_exitcode(status) == 3


def test_waitpid_for_an_unknown_child_raises():
    with pytest.raises(ChildProcessError):
        gos.waitpid(os.getppid(), 0)  # alive, but not our child
