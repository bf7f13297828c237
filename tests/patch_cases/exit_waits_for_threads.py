"""At exit the interpreter waits for the non-daemon threads started under the thread patch
(green threads), and not for the daemon ones, as it does for OS threads.

Prints `main done`, then `non-daemon finished` once the worker ends (the last line if the exit
waited for it); a daemon thread sleeping for an hour must not hold the exit."""

import threading
import time

from notebook_coop import patcher

patcher.monkey_patch(time=True, thread=True)


def worker() -> None:
    time.sleep(0.05)
    print("non-daemon finished", flush=True)


threading.Thread(target=worker).start()
threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
print("main done", flush=True)
