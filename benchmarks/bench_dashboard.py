"""What an open dashboard costs: comm traffic at 1,000 threads, and green throughput.

    python benchmarks/bench_dashboard.py              # 5 interleaved rounds, table into README.md
    python benchmarks/bench_dashboard.py --quick      # 2 rounds, shorter cases, prints only

Everything runs in real kernels (jupyter_client), each round in fresh ones:
- traffic: 1,000 green threads sleeping random times (0 to 0.5 s) while the kernel idles, a
  dashboard open (default: 25 rows, sorted by id; also sorted by run time, the rows changing
  most, and with the timeline recording); the bytes of its comm messages as they travel on
  IOPub (header, parent header, metadata, content and signature), per second;
- refresh: the wall time of one refresh at 1,000 and 10,000 threads, in this process;
- cost: the sleep(0) case of bench_core (1,000 threads, here 2,000 switches each, so that the
  dashboard refreshes a dozen times meanwhile) and the echo server of bench_echo, run by a cell
  that waits on them, with no dashboard and with one open (refreshing from the hub's own loop
  during the wait), and the share of the run its refreshes took (timed on the hub's thread:
  sampling, and handing the changes to ipykernel). The kernel measures run time in both (its
  driver turns accounting on).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "tests")]

import _harness as harness  # noqa: E402
from kernel_helpers import running_kernel  # noqa: E402

README = HERE / "README.md"
THREADS = 1000
SWITCHES_EACH = 2000
TRAFFIC_SECONDS = 10.0
WARM_UP = 3.0

SLEEPERS = f"""
import random
import notebook_coop
from notebook_coop import sleep, spawn
def sleeper():
    while True:
        sleep(random.uniform(0, 0.5))
sleepers = [spawn(sleeper) for _ in range({THREADS})]
"""

TRAFFIC_VARIANTS = {
    "25 rows by id": "d = notebook_coop.dashboard()\nd",
    "25 rows by run time, descending": "d = notebook_coop.dashboard()\nd.sort.value = 'run'\n"
                                       "d.descending.value = True\nd",
    "25 rows by id, timeline recording": "d = notebook_coop.dashboard(timeline=True)\nd",
}

SWITCHES = """
import time
from notebook_coop import sleep, spawn
go = []
def loop():
    while not go:
        sleep(0)
    for _ in range({each}):
        sleep(0)
threads = [spawn(loop) for _ in range({threads})]
sleep(0)
{open}
t0 = time.perf_counter()
go.append(True)
for t in threads:
    t.wait()
elapsed = time.perf_counter() - t0
rate = {threads} * {each} / elapsed
"""

ECHO = """
import sys
sys.path.insert(0, {benchmarks!r})
import bench_echo
import time
{open}
t0 = time.perf_counter()
rate = bench_echo.run_server("notebook_coop", {messages})["rate"]
elapsed = time.perf_counter() - t0
"""

OPEN = ("import notebook_coop\nfrom notebook_coop import sleep\nd = notebook_coop.dashboard()\n"
        "sleep(0.5)  # its rows made\nd.refresh_time = 0.0")


def wire_bytes(session, msg: dict) -> int:
    """The bytes of an IOPub message's frames: topic, delimiter, signature, four dicts and the
    binary buffers (a timeline's PNG)."""
    parts = [session.pack(msg[key]) for key in ("header", "parent_header", "metadata",
                                                 "content")]
    buffers = sum(len(memoryview(b).cast("B")) for b in msg.get("buffers", []))
    return sum(map(len, parts)) + buffers + len(b"<IDS|MSG>") + 64 + len(msg["msg_type"]) + 8


def traffic(variant: str, seconds: float) -> dict:
    """Bytes and messages per second of one dashboard's comm messages while the kernel idles."""
    with running_kernel() as k:
        k.run(SLEEPERS, timeout=60)
        k.run(TRAFFIC_VARIANTS[variant], timeout=60)
        ids = set(json.loads(k.evaluate(
            "import json; json.dumps(sorted({w.model_id for w in d._make.made} | "
            "{d.model_id}))")[1:-1]))
        k.drain(WARM_UP)
        start = time.time()
        k.drain(seconds)
        end = time.time()
        sent = [m for msgs in list(k.by_parent.values()) for m in msgs
                if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] in ids
                and start <= m["received"] <= end]
        k.run("d.close()")
    total = sum(wire_bytes(k.kc.session, m) for m in sent)
    return {"kb_per_s": total / (end - start) / 1e3, "msgs_per_s": len(sent) / (end - start)}


def cost(case: str, dashboard: bool, quick: bool) -> tuple[float, float]:
    """The case's rate in a fresh kernel, with or without a dashboard open, and the share of
    the run the dashboard's refreshes took (0 without)."""
    opener = OPEN if dashboard else "from notebook_coop import sleep"
    if case == "switches":
        code = SWITCHES.format(each=SWITCHES_EACH // (10 if quick else 1), threads=THREADS,
                               open=opener)
    else:
        code = ECHO.format(benchmarks=str(HERE), open=opener, messages=200 if quick else 2000)
    with running_kernel() as k:
        k.run(code, timeout=300)
        share = k.evaluate("d.refresh_time / elapsed") if dashboard else "0"
        return float(k.evaluate("rate")), float(share)


def refresh_ms(threads: int, refreshes: int = 40) -> float:
    """Median wall time of one refresh with `threads` live green threads, in this process
    (no kernel: the widgets' messages go nowhere), every fourth one choosing its rows anew."""
    from notebook_coop import Event, sleep, spawn
    from notebook_coop.jupyter.dashboard import Dashboard

    stop = Event()
    sleepers = [spawn(stop.wait) for _ in range(threads)]
    sleep(0)
    board = Dashboard(interval=3600)
    for _ in range(6):
        board.refresh(rechoose=True)
    times = []
    for i in range(refreshes):
        started = time.perf_counter()
        board.refresh(rechoose=i % 4 == 0)
        times.append(time.perf_counter() - started)
    board.close()
    stop.send()
    for gt in sleepers:
        gt.wait()
    return statistics.median(times) * 1e3


INSTRUCTION_RUNS = {
    # name: (dashboard open, sleep(0) switches each, refreshes)
    "baseline": (False, 0, 0), "switches": (False, 100, 0), "board": (True, 0, 0),
    "board+switches": (True, 100, 0), "board+switches+refreshes": (True, 100, 20),
}


def instructions_worker(name: str) -> None:
    """One run for callgrind: 1,000 threads, then what INSTRUCTION_RUNS says."""
    from notebook_coop import Event, get_hub, sleep, spawn

    board_open, each, refreshes = INSTRUCTION_RUNS[name]
    get_hub().accounting = True  # as in the kernel
    stop = Event()

    def loop() -> None:
        for _ in range(each):
            sleep(0)
        stop.wait()

    threads = [spawn(loop) for _ in range(THREADS)]
    board = None
    if board_open:
        from notebook_coop.jupyter.dashboard import Dashboard

        board = Dashboard(interval=3600)  # refreshed below, never by its timer
    sleep(0)
    while any(t.switches <= each for t in threads[-1:]):
        sleep(0)
    for i in range(refreshes):
        board.refresh(rechoose=i % 4 == 0)
    stop.send()
    for t in threads:
        t.wait()


def instructions() -> dict[str, int]:
    """Instructions each run executes under callgrind (repeatable on a busy machine)."""
    counts = {}
    for name in INSTRUCTION_RUNS:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
             __file__, "--instructions-worker", name], capture_output=True, text=True,
            timeout=1800, check=True)
        counts[name] = int(re.search(r"Collected : (\d+)", done.stderr)[1])
    return counts


def instructions_text(counts: dict[str, int]) -> str:
    """Instructions per sleep(0) switch without and with a dashboard open, and per refresh."""
    switches = THREADS * INSTRUCTION_RUNS["switches"][1]
    plain = (counts["switches"] - counts["baseline"]) / switches
    board = (counts["board+switches"] - counts["board"]) / switches
    refresh = (counts["board+switches+refreshes"] - counts["board+switches"]) / 20
    return (f"Instructions (callgrind): a sleep(0) switch among {THREADS:,} threads costs "
            f"{plain:,.0f} without a dashboard and {board:,.0f} with one open (nothing is "
            f"added per switch); one refresh at {THREADS:,} threads costs {refresh:,.0f}, "
            f"as much as {refresh / plain:,.0f} switches.")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="2 rounds, a tenth of the switches and messages, 3 s of traffic, "
                             "README left alone")
    parser.add_argument("--rounds", type=int, help="rounds (default 5; 2 with --quick)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--instructions", action="store_true",
                        help="only count instructions under callgrind (prints only)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.instructions:
        print(instructions_text(instructions()))
        return 0
    rounds = args.rounds or (harness.QUICK_ROUNDS if args.quick else harness.ROUNDS)
    seconds = 3.0 if args.quick else TRAFFIC_SECONDS
    load_before = harness.load()
    flows: dict[str, list[dict]] = {v: [] for v in TRAFFIC_VARIANTS}
    ratios: dict[str, list[float]] = {"switches": [], "echo": []}
    shares: dict[str, list[float]] = {"switches": [], "echo": []}
    rates: dict[tuple[str, bool], list[float]] = {}
    for r in range(rounds):
        for variant in TRAFFIC_VARIANTS:
            flows[variant].append(traffic(variant, seconds))
        for case in ratios:
            order = (False, True) if r % 2 == 0 else (True, False)
            got = {with_board: cost(case, with_board, args.quick) for with_board in order}
            for with_board, (rate, _) in got.items():
                rates.setdefault((case, with_board), []).append(rate)
            ratios[case].append(got[True][0] / got[False][0])
            shares[case].append(got[True][1])
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    refreshes = {n: refresh_ms(n) for n in (1_000, 10_000)}
    body = report(flows, rates, ratios, shares, seconds, rounds, load_before, refreshes)
    print(body)
    if not (args.quick or args.no_write):
        harness.write_section(README, "dashboard", body)
    return 0


def report(flows: dict, rates: dict, ratios: dict, shares: dict, seconds: float, rounds: int,
           load_before: str, refreshes: dict[int, float]) -> str:
    lines = [f"Command: `{harness.command(__file__)}` ({rounds} rounds).", "",
             harness.conditions(load_before), "",
             f"Comm traffic of one open dashboard, {THREADS:,} green threads sleeping random "
             f"times, kernel idle, {seconds:g} s after a {WARM_UP:g} s warm-up "
             "(target: under about 50 KB/s):", "",
             "| dashboard | KB/s (median) | max | messages/s |", "|---|---:|---:|---:|"]
    for variant, samples in flows.items():
        kbs = [s["kb_per_s"] for s in samples]
        msgs = statistics.median(s["msgs_per_s"] for s in samples)
        lines.append(f"| {variant} | {statistics.median(kbs):.1f} | {max(kbs):.1f} | "
                     f"{msgs:.0f} |")
    lines += ["", "Green throughput with a dashboard open, as a ratio to none (target: at least "
              "0.9, a cost of at most 10%):", "",
              "| case | no dashboard | dashboard open | ratio (median of rounds) | min | "
              "time spent refreshing |", "|---|---:|---:|---:|---:|---:|"]
    for case, label, unit, scale in (("switches", "sleep(0), 1,000 threads", "k switches/s",
                                      1e-3),
                                     ("echo", "echo, 100 connections", "k msg/s", 1e-3)):
        plain = statistics.median(rates[(case, False)]) * scale
        board = statistics.median(rates[(case, True)]) * scale
        lines.append(f"| {label} | {plain:,.0f} {unit} | {board:,.0f} {unit} | "
                     f"{statistics.median(ratios[case]):.3f} | {min(ratios[case]):.3f} | "
                     f"{statistics.median(shares[case]):.1%} |")
    lines += ["", "One refresh, median wall time (the dashboard waits ten times as long before "
              "the next): " + ", ".join(f"{ms:.1f} ms at {n:,} threads"
                                        for n, ms in refreshes.items()) + "."]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--instructions-worker"]:
        instructions_worker(sys.argv[2])
    else:
        sys.exit(main())
