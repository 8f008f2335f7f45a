"""Explain latency: one person and one intervention per call, over the sample organization.

    python benchmarks/explain.py [--people 60] [--audience hr]

Every (person, intervention) pair of the first N sample people is explained
once after a warm-up; p50 and p95 of the per-call times are written to
benchmarks/results.md (section "explain"). Target (issue 15): p50 under 1 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section  # noqa: E402

from devrecs import Engine  # noqa: E402
from devrecs.intake.peoplefile import sample_file  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=60)
    ap.add_argument("--audience", default="hr")
    ap.add_argument("--out", default=str(Path(__file__).with_name("results.md")))
    args = ap.parse_args()
    sample = sample_file()
    people = list(sample.people())[: args.people]
    engine = Engine.default(as_of=sample.as_of, entry_points=False)
    ids = engine.catalog.ids
    for person in people[:3]:                      # warm-up
        engine.explain(person, ids[0], args.audience)
    times, by_status = [], {}
    load = os.getloadavg()
    for person in people:
        for intervention in ids:
            start = time.perf_counter()
            item = engine.explain(person, intervention, args.audience).items[0]
            elapsed = (time.perf_counter() - start) * 1000
            times.append(elapsed)
            by_status.setdefault(item.status, []).append(elapsed)
    times.sort()
    p50, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1))]
    lines = [f"Command: `python benchmarks/explain.py --people {args.people} --audience {args.audience}`; "
             f"{dt.date.today()}, Python {sys.version.split()[0]}, {len(times)} calls (each person x each of "
             f"{len(ids)} interventions), one run.", "",
             "| calls | p50 ms | p95 ms | max ms |", "|---:|---:|---:|---:|",
             f"| all {len(times)} | {p50:.2f} | {p95:.2f} | {times[-1]:.2f} |"]
    for status, values in sorted(by_status.items()):
        values.sort()
        lines.append(f"| {status} ({len(values)}) | {statistics.median(values):.2f} | "
                     f"{values[int(0.95 * (len(values) - 1))]:.2f} | {values[-1]:.2f} |")
    lines += ["", f"- target (issue 15) p50 under 1 ms: **{'met' if p50 < 1 else 'NOT met'}** ({p50:.2f} ms; "
              f"load average {load[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end)",
              "- \"what it would take\" checks each candidate change through the engine (one durable "
              "session each), which is what the slow tail of not-recommended items pays for."]
    write_section(Path(args.out), "explain", "Explain latency", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
