"""notebook_coop's core against eventlet, gevent, asyncio, uvloop and a floor, side by side.

    python benchmarks/bench_core.py              # 5 interleaved rounds, table into README.md
    python benchmarks/bench_core.py --quick      # smaller cases, 2 rounds, prints only

Each case runs in a fresh process per library per round (see _core_cases.py for the workloads);
the table shows medians over rounds, and each other library's figure as notebook_coop's divided
by its own, per round, medianed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import _harness as harness
from _harness import Row, Target

HERE = Path(__file__).resolve().parent
WORKER = HERE / "_core_cases.py"
README = HERE / "README.md"
LIBS = [*harness.LIBS, "floor"]  # floor: _floor.py, a minimal scheduler, for what is possible
CASES = {"spawn_join": 100_000, "spawn_n": 100_000, "switches": 100_000,
         "switches_alone": 100_000, "timers": 10_000, "parked": 100_000,
         "queue_unbounded": 100_000, "queue_handoff": 100_000}
ROWS = [
    Row("spawn+run+join, {n} threads", "spawn_join", "ms", "ms", False),
    Row("spawn_n, {n} threads", "spawn_n", "ms", "ms", False),
    Row("sleep(0), {n} among 1000 threads", "switches", "rate", "k switches/s", True, 1e-3),
    Row("sleep(0) switches alone, {n} among 1000 parked threads", "switches_alone", "rate",
        "k switches/s", True, 1e-3),
    Row("{n} timers, p50 lateness", "timers", "p50", "ms", False),
    Row("{n} timers, p99 lateness", "timers", "p99", "ms", False),
    Row("RSS per parked thread, {n} threads", "parked", "bytes", "bytes", False),
    Row("Queue() unbounded, {n} items", "queue_unbounded", "rate", "k items/s", True, 1e-3),
    Row("Queue(maxsize=1) hand-off, {n} items", "queue_handoff", "rate", "k items/s", True, 1e-3),
]
TARGETS = [
    Target("spawn_join", "ms", "eventlet", 0.5),
    Target("spawn_join", "ms", "gevent", 0.7),
    Target("switches", "rate", "gevent", 1.5),
    Target("switches", "rate", "asyncio", 1.0),
    Target("switches_alone", "rate", "gevent", 1.5),
    Target("switches_alone", "rate", "asyncio", 1.0),
    Target("queue_unbounded", "rate", "gevent", 1.0),
    Target("queue_handoff", "rate", "gevent", 2.0),
    Target("parked", "bytes", "gevent", 1.0),
]
QUICK_DIVISOR = 10  # --quick runs every case with a tenth of the threads or items


def sized(rows: list[Row], cases: dict[str, int]) -> list[Row]:
    """Rows with their case's size in the label: 100000 reads 100k."""
    def count(n: int) -> str:
        return f"{n // 1000}k" if n >= 10_000 and n % 1000 == 0 else str(n)

    return [replace(row, label=row.label.format(n=count(cases[row.case]))) for row in rows]


def parse_args() -> argparse.Namespace:
    quick = "a smoke run: a tenth of the sizes, 2 rounds, README left alone"
    parser = harness.common_parser(__doc__.splitlines()[0], quick, LIBS)
    parser.add_argument("--json", type=Path, help="also save every round's raw results here")
    args = parser.parse_args()
    harness.check_args(parser, args, LIBS)
    return args


def revision() -> str:
    """The commit measured, marked when the working tree differs from it."""
    git = ["git", "--no-optional-locks", "-C", str(harness.REPO)]
    try:
        head = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown revision"
    return f"commit {head}" + (" with uncommitted changes" if dirty else "")


def report(command: str, rounds: int, result_table: str, load_before: str) -> str:
    return f"""Command: `{command}` ({rounds} rounds), notebook_coop at {revision()}.

{harness.conditions(load_before)}

{result_table}

Figures are medians over rounds. In brackets: notebook_coop's figure divided by that library's,
taken per round and medianed (below 1 is better for times, lateness and memory; above 1 for
rates). The target column checks those ratios against the goals of issues 2 and 12. floor is
_floor.py, a minimal deque-and-heap scheduler with none of a library's guarantees: what is
possible in pure Python on greenlet."""


def main() -> int:
    args = parse_args()
    libs, rounds = harness.chosen_libs(args, LIBS), harness.round_count(args)
    cases = {case: n // QUICK_DIVISOR if args.quick else n for case, n in CASES.items()}
    load_before = harness.load()
    samples = harness.run_rounds(WORKER, libs, cases, rounds, timeout=600)
    result_table = harness.table(samples, libs, sized(ROWS, cases), TARGETS)
    print(result_table)
    if args.json:
        raw = {f"{lib} {case}": results for (lib, case), results in samples.items()}
        args.json.write_text(json.dumps(raw, indent=1))
    if not (args.quick or args.no_write):
        body = report(harness.command(__file__), rounds, result_table, load_before)
        harness.write_section(README, "core", body)
        print(f"written to {README.relative_to(harness.REPO)}", file=sys.stderr)
    return harness.exit_status(samples)


if __name__ == "__main__":
    sys.exit(main())
