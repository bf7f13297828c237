"""threading.Thread started while the thread patch is on runs as a green thread: on the hub's
OS thread, with an identity of its own, cooperative with time.sleep, joinable.

Prints `green` or what differed. The sleeps overlap when all three threads are in before any
is out (a blocking time.sleep would give in, out, in, out, in, out)."""

import threading
import time

from notebook_coop import patcher

patcher.monkey_patch(time=True, thread=True)
real_ident = patcher.original("_thread").get_ident
main_real = real_ident()
seen, order = {}, []


def target(name: str) -> None:
    seen[name] = (real_ident(), threading.get_ident(), threading.current_thread().name)
    order.append("in")
    time.sleep(0.05)
    order.append("out")


threads = [threading.Thread(target=target, args=(f"t{i}",), name=f"t{i}") for i in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
problems = []
if any(real != main_real for real, _, _ in seen.values()):
    problems.append("ran on another OS thread")
if len({ident for _, ident, _ in seen.values()} | {main_real}) != 4:
    problems.append("identities not distinct")
if sorted(name for _, _, name in seen.values()) != ["t0", "t1", "t2"]:
    problems.append("current_thread() is not the Thread")
if order != ["in"] * 3 + ["out"] * 3:
    problems.append(f"sleeps did not overlap ({order})")
if any(t.is_alive() for t in threads):
    problems.append("still alive after join")
print("green" if not problems else "; ".join(problems))
