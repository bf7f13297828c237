"""Plain IPython in a terminal: no kernel loop, so the hub is self-driven only. Background green
threads run while a cell waits on a green call, and loading the extension there raises nothing."""

import re
import signal
import subprocess
import sys
import time

import pytest
from kernel_helpers import LOAD, REPO, kernel_env

SESSION = f"""{LOAD}
from notebook_coop import spawn, sleep
def background(tag):
    for i in range(3):
        print(tag, i)
        sleep(0.01)

gt = spawn(background, 'green')
print('before the wait, finished:', gt.dead)
sleep(0.2)
print('after the wait, finished:', gt.dead)
exit
"""


AFTER_INTERRUPT = """gt = spawn(print, 'green after the interrupt')
sleep(0.1)
print('finished:', gt.dead)
exit
"""


def ipython(ipython_dir, **kwargs) -> subprocess.Popen:
    """A terminal IPython reading its cells from a pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "IPython", "--no-banner", "--quick", "--colors=nocolor",
         "--HistoryManager.enabled=False"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
        env=kernel_env({"IPYTHONDIR": str(ipython_dir)}), **kwargs)


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> subprocess.CompletedProcess:
    """One terminal IPython session fed SESSION on stdin."""
    with ipython(tmp_path_factory.mktemp("ipython"), stderr=subprocess.PIPE) as proc:
        out, err = proc.communicate(SESSION, timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_terminal_session_loads_the_extension_without_errors(session):
    assert session.returncode == 0
    assert "Error" not in session.stdout + session.stderr
    assert "Traceback" not in session.stdout + session.stderr


def test_green_threads_wait_between_cells_in_a_terminal(session):
    assert "before the wait, finished: False" in session.stdout
    assert "green 0" not in session.stdout.split("before the wait")[0]


def test_green_threads_run_while_a_terminal_cell_waits(session):
    during = session.stdout.split("before the wait")[1].split("after the wait")[0]
    assert re.findall(r"green \d", during) == ["green 0", "green 1", "green 2"]
    assert "after the wait, finished: True" in session.stdout


def test_ctrl_c_stops_a_terminal_cell_waiting_on_a_green_call_and_the_hub_lives_on(tmp_path):
    with ipython(tmp_path, stderr=subprocess.STDOUT) as proc:
        proc.stdin.write(f"{LOAD}\nfrom notebook_coop import spawn, sleep\n"
                         "print('waiting'); sleep(30)\n")
        proc.stdin.flush()
        next(line for line in proc.stdout if "waiting" in line)
        time.sleep(0.3)  # into the green wait (an earlier Ctrl-C interrupts the cell just as well)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(AFTER_INTERRUPT, timeout=20)
    assert "KeyboardInterrupt" in out
    assert "green after the interrupt" in out
    assert "finished: True" in out


GREENTOP = f"""{LOAD}
import notebook_coop
from notebook_coop import spawn, sleep
gt = spawn(sleep, 30)
gt.name = 'napper'
sleep(0)
%greentop
d = notebook_coop.dashboard()
d
d.close()
gt.kill()
exit
"""


def test_greentop_and_the_dashboard_show_as_text_in_a_terminal(tmp_path):
    with ipython(tmp_path, stderr=subprocess.PIPE) as proc:
        out, err = proc.communicate(GREENTOP, timeout=60)
    assert proc.returncode == 0 and "Traceback" not in out + err, out + err
    tables = re.findall(r"green threads: live threads 1.*\n.*\n1 +napper +sleeping +sleep", out)
    assert len(tables) == 2, out
