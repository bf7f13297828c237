"""Kernel shutdown and restart end every green thread, running their `finally:` blocks."""

import time

from kernel_helpers import running_kernel

WORKERS = """
from notebook_coop import spawn, sleep
def worker(i):
    try:
        while True:
            sleep(0.01)
    finally:
        with open({path!r} + f'.{{i}}', 'w') as f:
            f.write('cleaned up')
workers = [spawn(worker, i) for i in range(3)]
sleep(0.05)
"""


def test_restart_runs_the_finally_blocks_of_every_green_thread(tmp_path):
    marker = str(tmp_path / "worker")
    with running_kernel() as k:
        k.run(WORKERS.format(path=marker))
        k.km.restart_kernel(now=False)
        k.kc.wait_for_ready(timeout=30)
        assert sorted(p.name for p in tmp_path.iterdir()) == \
            ["worker.0", "worker.1", "worker.2"]


def test_shutdown_with_busy_green_threads_ends_before_the_manager_would_terminate_it(tmp_path):
    with running_kernel() as k:
        k.run(WORKERS.format(path=str(tmp_path / "worker")))
        process = k.km.provisioner.process
        started = time.monotonic()
        k.km.shutdown_kernel(now=False)
        elapsed = time.monotonic() - started
        assert not k.km.is_alive()
        assert process.returncode == 0  # it exited by itself, no SIGTERM or SIGKILL needed
        # jupyter_client sends SIGTERM after half its shutdown_wait_time (2.5 s by default)
        assert elapsed < k.km.shutdown_wait_time / 2
        assert len(list(tmp_path.iterdir())) == 3


def test_exit_waits_for_the_control_thread_to_finish_what_it_is_doing():
    """The control thread (here a real tornado loop on a thread, busy for 0.2 s, as when it is
    still flushing its last status) is done before the exit hook lets ipykernel close IOPub."""
    from types import SimpleNamespace

    from ipykernel.thread import BaseThread

    from notebook_coop.jupyter.driver import _let_control_finish

    control = BaseThread(daemon=True)
    control.start()
    done = []
    control.io_loop.add_callback(lambda: (time.sleep(0.2), done.append(True)))
    time.sleep(0.02)
    _let_control_finish(SimpleNamespace(control_thread=control))
    assert done == [True]
    control.stop()
    control.join(timeout=5)
    _let_control_finish(SimpleNamespace(control_thread=control))  # gone: returns at once
    _let_control_finish(None)
    assert not control.is_alive()
