"""What watching the scheduler costs: the recorder on against off, and how fast a timeline draws.

    python benchmarks/bench_watch.py              # 5 interleaved rounds, table into README.md
    python benchmarks/bench_watch.py --quick      # smaller cases, 2 rounds, prints only

Each case runs in a fresh process per round, once plain ("notebook_coop") and once inside
`record()` ("recorded"), alternating which goes first. Cases: sleep(0) among 1000 threads spawned
before the clock starts (the switches alone), the echo server of bench_echo.py (100 ping-pong
connections from a client process), and drawing the recording of 1000 threads x 100 slices
(replaying it, grouping the rows, rendering a PNG).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import sys
from contextlib import nullcontext
from pathlib import Path
from time import perf_counter

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import _harness as harness  # noqa: E402
import bench_echo  # noqa: E402
from _harness import Row, Target  # noqa: E402

README = HERE / "README.md"
LIBS = ["recorded", "notebook_coop"]  # the baseline first: ratios are recorded / plain
CASES = {"switches": 100_000, "echo": bench_echo.MESSAGES}
PLOT_SLICES = 100
ROWS = [
    Row("sleep(0), {n} among 1000 threads", "switches", "rate", "k switches/s", True, 1e-3),
    Row("echo, {n} messages per connection", "echo", "rate", "k msg/s", True, 1e-3),
]
TARGETS = [
    Target("switches", "rate", "notebook_coop", 1 / 1.5),  # at most 1.5x the time
    Target("echo", "rate", "notebook_coop", 1 / 1.15),
]
THREADS = 1000


def switches(n: int) -> dict:
    """sleep(0) round trips among THREADS threads, all spawned and started before the clock."""
    from notebook_coop import sleep, spawn

    each, go = n // THREADS, []

    def loop() -> None:
        while not go:
            sleep(0)
        for _ in range(each):
            sleep(0)

    threads = [spawn(loop) for _ in range(THREADS)]
    sleep(0)
    recording = _recording()
    with recording:
        t0 = perf_counter()
        go.append(True)
        for t in threads:
            t.wait()
        elapsed = perf_counter() - t0
    return {"rate": THREADS * each / elapsed}


def echo(n: int) -> dict:
    with _recording():
        return bench_echo.run_server("notebook_coop", n)


def plot(n: int) -> dict:
    """Record THREADS threads doing `n` slices each, then time turning it into a PNG."""
    from notebook_coop import record, sleep, spawn

    def loop() -> None:
        for _ in range(n):
            sleep(0)

    with record(size=10 * THREADS * n) as rec:
        for t in [spawn(loop) for _ in range(THREADS)]:
            t.wait()
    with record() as warm_up:  # matplotlib's first import is not the drawing's cost
        spawn(loop).wait()
    warm_up.plot().savefig(io.BytesIO(), format="png", dpi=72)
    gc.collect()
    t0 = perf_counter()
    fig = rec.plot()  # replays the events, groups the 1000 rows, draws
    fig.savefig(io.BytesIO(), format="png", dpi=72)
    return {"draw_ms": (perf_counter() - t0) * 1e3, "events": len(rec.events)}


def _recording():
    if _LIB != "recorded":
        return nullcontext()
    from notebook_coop import record

    return record()


_LIB = "notebook_coop"


def parse_args() -> argparse.Namespace:
    quick = "a smoke run: a tenth of the sizes, 2 rounds, README left alone"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--rounds", type=int, help="rounds (default 5; 2 with --quick)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    rounds = args.rounds or (harness.QUICK_ROUNDS if args.quick else harness.ROUNDS)
    cases = {case: max(1, n // 10) if args.quick else n for case, n in CASES.items()}
    load_before = harness.load()
    samples = harness.run_rounds(Path(__file__), LIBS, cases, rounds, timeout=300)
    slices = PLOT_SLICES // 10 if args.quick else PLOT_SLICES
    drawn = harness.run_rounds(Path(__file__), ["recorded"], {"plot": slices}, rounds, 300)
    result_table = harness.table(samples, LIBS, _sized(cases), TARGETS) + "\n\n" + _plot_line(
        drawn[("recorded", "plot")], slices)
    print(result_table)
    if not (args.quick or args.no_write):
        harness.write_section(README, "watch", f"""Command: `{harness.command(__file__)}` \
({rounds} rounds).

{harness.conditions(load_before)}

{result_table}

"recorded" runs the same case inside `record()`; the bracket is its figure divided by the plain
run's, per round, medianed (above 1 is better for rates). The target column checks issue 7's
limits: recording costs at most 1.5x the time of sleep(0) switches and 1.15x the echo server's.
The drawing time covers replaying the events into a timeline, the figure and the PNG.""")
    return harness.exit_status(samples)


def _sized(cases: dict[str, int]) -> list[Row]:
    from dataclasses import replace

    return [replace(row, label=row.label.format(n=f"{cases[row.case]:,}")) for row in ROWS]


def _plot_line(results: list[dict | None], slices: int) -> str:
    ms, events = harness.median(results, "draw_ms"), harness.median(results, "events")
    if ms is None:
        return "Drawing: failed (see the messages above)."
    return (f"Drawing a recording of {THREADS} threads x {slices} slices ({events:,.0f} events) "
            f"into a PNG, rows grouped by name: {ms:,.0f} ms (median; target: under 1 s).")


if __name__ == "__main__":
    if sys.argv[1:2] and sys.argv[1] in LIBS:
        _LIB = sys.argv[1]
        print(json.dumps(globals()[sys.argv[2]](int(sys.argv[3]))))
    else:
        sys.exit(main())
