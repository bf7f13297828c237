"""Green subprocess: Popen.wait() and communicate() wait only the calling green thread."""

import subprocess as stdsubprocess
import sys

import pytest

from notebook_coop import sleep, spawn
from notebook_coop.green import subprocess


@pytest.fixture
def ticks():
    seen = []

    def ticker():
        while True:
            seen.append(1)
            sleep(0.005)

    gt = spawn(ticker)
    yield seen
    gt.kill()


def test_communicate_lets_other_green_threads_run(ticks):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.1); print('hi')"],
                            stdout=subprocess.PIPE)
    out, _ = proc.communicate(timeout=10)
    assert (out, proc.returncode) == (b"hi\n", 0)
    assert len(ticks) > 3


def test_wait_lets_other_green_threads_run(ticks):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.1)"])
    assert proc.wait() == 0
    assert len(ticks) > 3


def test_wait_with_timeout_raises_timeout_expired():
    proc = subprocess.Popen(["sleep", "10"])
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=0.05)
    proc.kill()
    assert proc.wait() == -9


def test_run_feeds_input_and_captures_output():
    done = subprocess.run(["cat"], input=b"abc" * 100_000, capture_output=True, check=True)
    assert done.stdout == b"abc" * 100_000


def test_check_output_raises_on_failure():
    with pytest.raises(subprocess.CalledProcessError):
        subprocess.check_output(["sh", "-c", "exit 2"])


def test_popen_is_a_stdlib_popen():
    proc = subprocess.Popen(["true"])
    proc.wait()
    assert isinstance(proc, stdsubprocess.Popen)
