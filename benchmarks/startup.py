"""Command-line start-up: `devrecs --help` against `python -c pass`, measured side by side.

Each round runs the two commands one after the other (A B A B ...), so a drift of the shared
machine's speed hits both; the section gives each one's median wall time and the median of the
per-round ratios. Also `devrecs recommend --help`, which loads one command module.

    python benchmarks/startup.py              # 21 rounds
    python benchmarks/startup.py --rounds 41
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section  # noqa: E402


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results.md"))
    args = parser.parse_args()
    devrecs = shutil.which("devrecs") or sys.exit("devrecs is not on PATH: pip install . first")
    base = [sys.executable, "-c", "pass"]
    commands = {"devrecs --help": [devrecs, "--help"], "devrecs recommend --help": [devrecs, "recommend", "--help"]}
    for cmd in [base, *commands.values()]:
        wall(cmd)                                       # warm the file cache
    times: dict[str, list[float]] = {name: [] for name in ["python -c pass", *commands]}
    ratios: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, cmd in commands.items():
            b = wall(base)
            a = wall(cmd)
            times["python -c pass"].append(b)
            times[name].append(a)
            ratios[name].append(a / b)
    load = os.getloadavg()[0]
    lines = [f"`python benchmarks/startup.py --rounds {args.rounds}`; load average {load:.2f}; "
             f"Python {sys.version.split()[0]}. Target (issue 15): `devrecs --help` at most 4x `python -c pass`.",
             "", "| command | median wall s | median ratio to `python -c pass` |", "|---|---:|---:|",
             f"| python -c pass | {statistics.median(times['python -c pass']):.3f} | 1.00x |"]
    for name in commands:
        lines.append(f"| {name} | {statistics.median(times[name]):.3f} | {statistics.median(ratios[name]):.2f}x |")
    write_section(Path(args.out), "startup", "CLI start-up", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
