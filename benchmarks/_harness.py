"""Comparing libraries on a noisy machine: fresh-process runs in interleaved rounds, medians,
paired ratios against a baseline library, and a markdown table with a verdict per target.

A worker script takes `LIB CASE N SEED` and prints one JSON object of measurements.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIBS = ["notebook_coop", "eventlet", "gevent", "asyncio", "uvloop"]  # the baseline first
PACKAGES = ["greenlet", "eventlet", "gevent", "uvloop"]  # whose versions the report records
ROUNDS, QUICK_ROUNDS = 5, 2

Samples = dict[tuple[str, str], list[dict | None]]  # (lib, case) -> one result per round


@dataclass(frozen=True)
class Row:
    """One line of the table: measurement `key` of `case`, shown in `unit` (value * scale)."""

    label: str
    case: str
    key: str
    unit: str
    higher_is_better: bool
    scale: float = 1.0


@dataclass(frozen=True)
class Target:
    """The baseline's figure divided by `lib`'s, for `key` of `case`, must stay within `limit`."""

    case: str
    key: str
    lib: str
    limit: float


def common_parser(description: str, quick_help: str,
                  libs: list[str] = LIBS) -> argparse.ArgumentParser:
    """The options the library comparisons share: --rounds, --quick, --libs, --no-write."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int,
                        help=f"interleaved rounds (default {ROUNDS}, quick {QUICK_ROUNDS})")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--libs", default=",".join(libs[1:]),
                        help="comma-separated libraries to compare with notebook_coop")
    parser.add_argument("--no-write", action="store_true", help="print, leave README.md alone")
    return parser


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace,
               libs: list[str] = LIBS) -> None:
    """Exit with a usage error for fewer than one round or an unknown library."""
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    unknown = set(args.libs.split(",")) - set(libs)
    if unknown:
        parser.error(f"unknown libraries {sorted(unknown)}; choose from {libs[1:]}")


def chosen_libs(args: argparse.Namespace, libs: list[str] = LIBS) -> list[str]:
    """The baseline, then the libraries --libs names, in the order of `libs`."""
    return [libs[0]] + [lib for lib in libs[1:] if lib in args.libs.split(",")]


def round_count(args: argparse.Namespace) -> int:
    return args.rounds or (QUICK_ROUNDS if args.quick else ROUNDS)


def command(script: str) -> str:
    """How this run was started, as the README quotes it."""
    return " ".join([f"python benchmarks/{Path(script).name}", *sys.argv[1:]])


def run_worker(worker: Path, lib: str, case: str, n: int, seed: int, timeout: float) -> dict | None:
    """One case in a fresh interpreter; None (with the reason on stderr) if it failed."""
    paths = [str(REPO), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    cmd = [sys.executable, str(worker), lib, case, str(n), str(seed)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        print(f"  {lib} {case}: timed out after {timeout:.0f} s", file=sys.stderr)
        return None
    lines = done.stdout.strip().splitlines()
    if done.returncode == 0 and lines:
        try:
            return json.loads(lines[-1])
        except ValueError:
            pass
    reason = (done.stderr.strip().splitlines() or lines or ["no output"])[-1]
    print(f"  {lib} {case}: failed ({done.returncode}): {reason}", file=sys.stderr)
    return None


def run_rounds(worker: Path, libs: list[str], cases: dict[str, int], rounds: int,
               timeout: float) -> Samples:
    """Every case for every library once per round; the library order rotates each round."""
    samples: Samples = defaultdict(list)
    for r in range(rounds):
        order = libs[r % len(libs):] + libs[:r % len(libs)]
        for case, n in cases.items():
            for lib in order:
                result = run_worker(worker, lib, case, n, seed=r, timeout=timeout)
                samples[lib, case].append(result)
                print(f"[round {r + 1}/{rounds}] {case:<16} {lib:<14} {summary(result)}",
                      file=sys.stderr)
    return samples


def summary(result: dict | None) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in result.items()) if result else "failed"


def median(samples: list[dict | None], key: str) -> float | None:
    values = [s[key] for s in samples if s]
    return statistics.median(values) if values else None


def paired_ratio(base: list[dict | None], other: list[dict | None], key: str) -> float | None:
    """Median over rounds of base/other, each round compared with itself (drift cancels)."""
    ratios = [b[key] / o[key] for b, o in zip(base, other, strict=True)
              if b and o and b[key] > 0 and o[key] > 0]
    return statistics.median(ratios) if ratios else None


def verdict(target: Target, row: Row, ratio: float | None) -> str:
    sign = ">=" if row.higher_is_better else "<="
    goal = f"{sign} {target.limit:.3g}x {target.lib}"
    if ratio is None:
        return f"no data for {goal}"
    met = ratio >= target.limit if row.higher_is_better else ratio <= target.limit
    return f"{'met' if met else 'MISSED'} {goal} ({ratio:.3f}x)"


def table(samples: Samples, libs: list[str], rows: list[Row], targets: list[Target]) -> str:
    """Markdown: the baseline (libs[0]) in absolute figures, the others with baseline/other."""
    base = libs[0]
    lines = ["| measure | unit | better | " + " | ".join(libs) + " | target |",
             "|---|---|---|" + "---:|" * len(libs) + "---|"]
    for row in rows:
        ratios = {lib: paired_ratio(samples[base, row.case], samples[lib, row.case], row.key)
                  for lib in libs[1:]}
        cells = [cell(median(samples[lib, row.case], row.key), row, ratios.get(lib))
                 for lib in libs]
        goals = [verdict(t, row, ratios[t.lib]) for t in targets
                 if t.case == row.case and t.key == row.key and t.lib in ratios]
        better = "higher" if row.higher_is_better else "lower"
        lines.append(f"| {row.label} | {row.unit} | {better} | " + " | ".join(cells)
                     + f" | {'; '.join(goals)} |")
    return "\n".join(lines)


def cell(value: float | None, row: Row, ratio: float | None) -> str:
    if value is None:
        return "failed"
    value *= row.scale
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return text if ratio is None else f"{text} ({ratio:.2f}x)"


def exit_status(samples: Samples) -> int:
    """1, with a note on stderr, if any run failed; else 0."""
    lost = sum(result is None for results in samples.values() for result in results)
    if lost:
        print(f"{lost} runs failed: see the messages above", file=sys.stderr)
    return 1 if lost else 0


def conditions(load_before: str) -> str:
    """The report's line on the machine and how busy it was before and after the run."""
    return f"Machine: {machine()}; load average {load_before} before the run, {load()} after."


def machine() -> str:
    """Cores, CPU, Python and the versions of PACKAGES, for the record."""
    model = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if "model name" in line),
                 platform.processor() or "unknown CPU")
    versions = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    return (f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; {versions}")


def load() -> str:
    """The 1, 5 and 15 minute load averages: how busy the shared machine was."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def write_section(path: Path, name: str, body: str) -> None:
    """Replace the text between `<!-- name:begin -->` and `<!-- name:end -->` in path."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = path.read_text() if path.exists() else ""
    block = f"{begin}\n{body.strip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + ("\n\n" if text else "") + block + "\n"
    path.write_text(text)
