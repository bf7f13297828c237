"""tpool.execute round trip: notebook_coop against eventlet, each round in fresh processes.

    .venv/bin/python benchmarks/bench_tpool.py [--rounds 5] [--calls 2000]

Two cases: sequential round trips of a no-op from one green thread (latency), and 100 green
threads each making calls at once (throughput). Figures are medians over rounds; the ratio is
notebook_coop / eventlet per round, then medianed (below 1: notebook_coop is faster).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CASE = r"""
import json, sys, time
lib, calls = sys.argv[1], int(sys.argv[2])
if lib == "eventlet":
    import eventlet
    from eventlet import tpool
    spawn, execute = eventlet.spawn, tpool.execute
else:
    from notebook_coop import spawn, tpool
    execute = tpool.execute

def noop():
    return None

for _ in range(200):
    execute(noop)
started = time.perf_counter()
for _ in range(calls):
    execute(noop)
sequential = (time.perf_counter() - started) / calls

def burst(n):
    for _ in range(n):
        execute(noop)

per_thread = max(1, calls // 100)
started = time.perf_counter()
threads = [spawn(burst, per_thread) for _ in range(100)]
for gt in threads:
    gt.wait()
concurrent = (time.perf_counter() - started) / (per_thread * 100)
print(json.dumps({"sequential_us": sequential * 1e6, "concurrent_us": concurrent * 1e6}))
"""


def run(lib: str, calls: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CASE, lib, str(calls)], cwd=REPO, check=True,
                         capture_output=True, text=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    rounds = []
    for i in range(args.rounds):
        libs = ["notebook_coop", "eventlet"][:: 1 if i % 2 == 0 else -1]
        rounds.append({lib: run(lib, args.calls) for lib in libs})
    print(f"tpool.execute of a no-op, {args.calls} calls, median of {args.rounds} rounds")
    print(f"{'case':<28}{'notebook_coop':>15}{'eventlet':>12}{'ratio':>8}")
    for case, label in (("sequential_us", "round trip, one caller (us)"),
                        ("concurrent_us", "per call, 100 callers (us)")):
        ours = statistics.median(r["notebook_coop"][case] for r in rounds)
        theirs = statistics.median(r["eventlet"][case] for r in rounds)
        ratio = statistics.median(r["notebook_coop"][case] / r["eventlet"][case] for r in rounds)
        print(f"{label:<28}{ours:>15.1f}{theirs:>12.1f}{ratio:>8.2f}")


if __name__ == "__main__":
    main()
