"""os.fork() under the thread patch from a green threading.Thread while another one waits: in
the child, as with OS threads, threading knows only the forking thread (its main thread now);
the other has ended as far as threading can tell, joins at once, and the child's exit does not
wait for it. Prints `ok` or what differed."""

import os
import sys
import threading
import time

from notebook_coop import patcher

patcher.monkey_patch(time=True, thread=True)
stop = threading.Event()
other = threading.Thread(target=stop.wait, name="other")  # non-daemon: exits wait for it
other.start()
report_r, report_w = os.pipe()
child = []


def child_report() -> str:
    me = threading.current_thread()
    other.join(5)
    checks = {"current thread is the forker": me.name == "forker",
              "main thread is the forker": threading.main_thread() is me,
              "only the forker is active": threading.enumerate() == [me],
              "the other thread has ended": not other.is_alive()}
    return "ok" if all(checks.values()) else "; ".join(k for k, v in checks.items() if not v)


def forker() -> None:
    pid = os.fork()
    if pid == 0:
        child.append(True)
        os.write(report_w, child_report().encode())
    else:
        child.append(pid)


forking = threading.Thread(target=forker, name="forker")
forking.start()
forking.join()
if child == [True]:
    sys.exit(0)  # a normal exit: threading's shutdown runs in the child
with os.fdopen(report_r) as report:
    os.close(report_w)
    verdict = report.read()
for _ in range(200):
    if os.waitpid(child[0], os.WNOHANG) != (0, 0):
        break
    time.sleep(0.05)
else:
    os.kill(child[0], 9)
    os.waitpid(child[0], 0)
    verdict += "; the child's exit waited for the other thread"
stop.set()
other.join()
print(verdict)
