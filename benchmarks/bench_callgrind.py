"""Instructions per operation under valgrind's callgrind: A/B comparisons that a loaded machine
does not blur (wall-clock figures there move by tens of per cent; instruction counts by < 1%).

    python benchmarks/bench_callgrind.py                          # every case, every library
    python benchmarks/bench_callgrind.py --cases yield --libs notebook_coop,floor
    python benchmarks/bench_callgrind.py --repo ../old-checkout   # notebook_coop from there

Each figure is (instructions of a run with N operations - those of a run with none) / N, so
start-up and imports cancel out. Cases: `yield` (sleep(0) among 100 threads parked before),
`spawn` (spawn, run and join), `spawn_n`, `queue` (one put and one get on an unbounded Queue),
`handoff` (the same through Queue(maxsize=1), a switch each way per item).
Needs `valgrind` on the PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIBS = ["notebook_coop", "gevent", "eventlet", "floor"]
CASES = {"yield": 20_000, "spawn": 5_000, "spawn_n": 5_000, "queue": 20_000, "handoff": 10_000}
THREADS = 100  # the yield case spreads its switches over this many threads


def probe(lib: str, case: str, n: int) -> None:
    """The measured work, in this process (under valgrind): `n` operations of `case`."""
    import _core_cases as cases

    api = cases.green_api(lib)
    for t in [api.spawn(cases.trivial, i) for i in range(cases.WARMUP)]:
        api.join(t)
    if not n:
        return
    if case == "yield":
        yield_among_parked(api, n)
    elif case in ("queue", "handoff"):
        cases.green_queue(api, n, 0, None if case == "queue" else 1)
    else:
        cases.GREEN_CASES["spawn_join" if case == "spawn" else case](api, n, 0)


def yield_among_parked(api, n: int) -> None:
    gate, parked = api.Event(), [0]

    def loop() -> None:
        parked[0] += 1
        gate.wait()
        for _ in range(n // THREADS):
            api.sleep(0)

    threads = [api.spawn(loop) for _ in range(THREADS)]
    while parked[0] < THREADS:
        api.sleep(0)
    api.fire(gate)
    for t in threads:
        api.join(t)


def instructions(lib: str, case: str, n: int, repo: Path) -> int:
    """Instructions callgrind counts for one probe run in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(repo), str(HERE)]))
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
           str(Path(__file__)), lib, case, str(n)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count from valgrind: {done.stderr[-500:]}")
    return int(match.group(1))


def per_operation(lib: str, case: str, n: int, repo: Path) -> float:
    return (instructions(lib, case, n, repo) - instructions(lib, case, 0, repo)) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    parser.add_argument("--libs", default=",".join(LIBS), help="comma-separated libraries")
    parser.add_argument("--repo", type=Path, default=HERE.parent,
                        help="the checkout whose notebook_coop is measured")
    args = parser.parse_args()
    cases, libs = args.cases.split(","), args.libs.split(",")
    unknown = set(cases) - set(CASES) | set(libs) - set(LIBS)
    if unknown:
        parser.error(f"unknown cases or libraries {sorted(unknown)}: cases {list(CASES)}, "
                     f"libraries {LIBS}")
    print("| case | " + " | ".join(libs) + " |")
    print("|---|" + "---:|" * len(libs))
    for case in cases:
        counts = [per_operation(lib, case, CASES[case], args.repo.resolve()) for lib in libs]
        print(f"| {case} | " + " | ".join(f"{c:,.0f}" for c in counts) + " |", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] in LIBS:
        probe(sys.argv[1], sys.argv[2], int(sys.argv[3]))
    else:
        main()
