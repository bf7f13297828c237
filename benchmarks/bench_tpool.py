"""tpool.execute round trip: notebook_coop against eventlet, each round in fresh processes.

    .venv/bin/python benchmarks/bench_tpool.py [--rounds 5] [--calls 2000]

Two cases: sequential round trips of a no-op from one green thread (latency), and 100 green
threads each making calls at once (throughput). Figures are medians over rounds; the ratio is
notebook_coop / eventlet per round, then medianed (below 1: notebook_coop is faster).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from _harness import ROUNDS, exit_status, median, paired_ratio, run_rounds

LIBS = ["notebook_coop", "eventlet"]
CASES = (("sequential_us", "round trip, one caller (us)"),
         ("concurrent_us", "per call, 100 callers (us)"))


def measure(lib: str, calls: int) -> dict:
    """Microseconds per tpool.execute of a no-op: one caller in a row, then 100 at once."""
    if lib == "eventlet":
        import eventlet
        from eventlet import tpool
        spawn, execute = eventlet.spawn, tpool.execute
    else:
        from notebook_coop import spawn, tpool
        execute = tpool.execute

    def noop():
        return None

    def burst(n):
        for _ in range(n):
            execute(noop)

    burst(200)
    started = time.perf_counter()
    burst(calls)
    sequential = (time.perf_counter() - started) / calls
    per_thread = max(1, calls // 100)
    started = time.perf_counter()
    threads = [spawn(burst, per_thread) for _ in range(100)]
    for gt in threads:
        gt.wait()
    concurrent = (time.perf_counter() - started) / (per_thread * 100)
    return {"sequential_us": sequential * 1e6, "concurrent_us": concurrent * 1e6}


def figure(value: float | None, width: int, decimals: int) -> str:
    return format("failed" if value is None else f"{value:.{decimals}f}", f">{width}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    if args.rounds < 1 or args.calls < 1:
        parser.error("--rounds and --calls must be at least 1")
    samples = run_rounds(Path(__file__), LIBS, {"tpool": args.calls}, args.rounds, timeout=300)
    ours, theirs = samples["notebook_coop", "tpool"], samples["eventlet", "tpool"]
    print(f"tpool.execute of a no-op, {args.calls} calls, median of {args.rounds} rounds")
    print(f"{'case':<28}{'notebook_coop':>15}{'eventlet':>12}{'ratio':>8}")
    for key, label in CASES:
        print(f"{label:<28}{figure(median(ours, key), 15, 1)}{figure(median(theirs, key), 12, 1)}"
              f"{figure(paired_ratio(ours, theirs, key), 8, 2)}")
    return exit_status(samples)


if __name__ == "__main__":
    if sys.argv[1:2] and sys.argv[1] in LIBS:
        print(json.dumps(measure(sys.argv[1], int(sys.argv[3]))))
    else:
        sys.exit(main())
