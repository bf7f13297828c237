"""Round trip of a trivial cell while green threads sleep in a loop in the background.

    .venv/bin/python benchmarks/bench_kernel.py [--cells 200] [--threads 0 1000 10000]
                                                [--unfair]

For an idle kernel without the extension, then with 0, 1k and 10k background green threads
(each `while True: sleep(0.05)`: at 10k they keep the CPU busy), it times `1+1` cells end to
end (request sent to idle status received) and reports p50/p99, plus the longest hub tick the
kernel driver saw meanwhile. `--unfair` switches the kernel's fair share off (full ticks and the
default GIL switch interval throughout), for comparison. Targets: p99 at most 2x the idle
kernel's; longest tick at most 10 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from kernel_helpers import running_kernel  # noqa: E402

BACKGROUND = """
from notebook_coop import spawn, sleep
from notebook_coop.jupyter.driver import current_driver
def sleeper():
    while True:
        sleep(0.05)
sleepers = [spawn(sleeper) for _ in range({n})]
sleep(0.2)
current_driver().longest_tick = 0.0
"""

UNFAIR = """
import sys
from notebook_coop.jupyter import fair_share
fair_share.SHORT_BUDGET = fair_share.BUSY_SWITCH_INTERVAL = sys.getswitchinterval()
"""


def round_trips(kernel, cells: int) -> list[float]:
    """Seconds from sending each `1+1` cell to its idle status."""
    kernel.run("1+1")
    times = []
    for _ in range(cells):
        started = time.perf_counter()
        kernel.run("1+1")
        times.append(time.perf_counter() - started)
    return times


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def measure(threads: int | None, cells: int, unfair: bool = False) -> dict:
    """One fresh kernel: None = without the extension, else with `threads` background sleepers."""
    with running_kernel(load=threads is not None) as kernel:
        if threads is not None:
            if unfair:
                kernel.run(UNFAIR)
            kernel.run(BACKGROUND.format(n=threads), timeout=120)
        times = round_trips(kernel, cells)
        tick = float(kernel.evaluate("current_driver().longest_tick")) if threads is not None \
            else None
    return {"p50": percentile(times, 50), "p99": percentile(times, 99), "tick": tick}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--threads", type=int, nargs="*", default=[0, 1000, 10000])
    parser.add_argument("--unfair", action="store_true", help="switch the fair share off")
    args = parser.parse_args()
    idle = measure(None, args.cells)
    print(f"{'background':>22}  {'p50 ms':>8}  {'p99 ms':>8}  {'p99/idle':>8}  {'max tick ms':>11}")
    print(f"{'idle kernel, no hub':>22}  {idle['p50'] * 1e3:8.2f}  {idle['p99'] * 1e3:8.2f}"
          f"  {1:8.2f}  {'-':>11}")
    for n in args.threads:
        r = measure(n, args.cells, args.unfair)
        print(f"{f'{n} green threads':>22}  {r['p50'] * 1e3:8.2f}  {r['p99'] * 1e3:8.2f}"
              f"  {r['p99'] / idle['p99']:8.2f}  {r['tick'] * 1e3:11.2f}")


if __name__ == "__main__":
    main()
