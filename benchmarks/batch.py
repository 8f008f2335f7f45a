"""devrecs batch: throughput, memory as the batch grows, and the gain from a second worker.

    python benchmarks/batch.py [--people 200000] [--small 10000] [--out benchmarks/results.md]

Generates a seeded JSONL of people (the facts the default rules read: track,
ratings, aspiration, tenure, compa ratio, gaps, interests, history) in a
temporary folder, then runs ``run_batch`` (the library behind ``devrecs
batch``: read, validate, recommend with the default packs, write JSONL) in a
fresh subprocess for each measurement, so peak RSS (``resource.getrusage``,
ru_maxrss) is that run's alone:

1. ``--small`` people, 1 worker: peak RSS;
2. ``--people`` people, 1 worker: persons/s and peak RSS;
3. ``--people`` people, 2 workers: persons/s;
4. the same ``--people`` people from a Parquet file (written from the JSONL with pyarrow),
   1 worker, to a Parquet file: persons/s and peak RSS;
5. the same people as a pandas DataFrame (read from that Parquet file, not timed) through
   ``devrecs.frames.recommend``: persons/s and peak RSS.

Runs 4 and 5 need ``pip install -e ".[frames]"``; without pyarrow and pandas they are left out.

Written to the results file, section "batch".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
LEVELS = ["low", "medium", "high"]
SKILLS = ["communication", "strategic_thinking", "conflict", "change", "vision", "presenting", "time_management"]
INTERESTS = ["conferences", "certification", "public-speaking", "further-education", "project-management",
             "new-technology", "writing", "networking"]
HISTORY = ["mentoring", "coaching", "career-conversation", "learning-time", "new-manager-training"]

RUN = """
import datetime as dt, json, os, resource, sys, time
from devrecs.batch.runner import BatchOptions, run_batch
if __name__ == "__main__":
    source, out, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    load = os.getloadavg()[0]
    start = time.perf_counter()
    stats = run_batch(BatchOptions(source=source, out=out, workers=workers, as_of=dt.date(2026, 6, 30)),
                      stderr=open("/dev/null", "w"), progress=False)
    seconds = time.perf_counter() - start
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"seconds": seconds, "read": stats.read, "accepted": stats.accepted,
                      "rejected": stats.rejected, "maxrss_kb": me.ru_maxrss,
                      "cpu_main": me.ru_utime + me.ru_stime, "cpu_workers": kids.ru_utime + kids.ru_stime,
                      "load": [load, os.getloadavg()[0]]}))
"""


FRAME = """
import datetime as dt, json, os, resource, sys, time
import pyarrow.parquet as pq
from devrecs import frames
if __name__ == "__main__":
    df = pq.read_table(sys.argv[1]).to_pandas()
    load = os.getloadavg()[0]
    start = time.perf_counter()
    result = frames.recommend(df, as_of=dt.date(2026, 6, 30))
    seconds = time.perf_counter() - start
    me = resource.getrusage(resource.RUSAGE_SELF)
    people = result.recommendations["person"].nunique()
    print(json.dumps({"seconds": seconds, "read": len(df), "accepted": len(df) - len(result.rejects),
                      "rejected": len(result.rejects), "maxrss_kb": me.ru_maxrss, "people_with": people,
                      "rows": len(result.recommendations), "cpu_main": me.ru_utime + me.ru_stime,
                      "cpu_workers": 0.0, "load": [load, os.getloadavg()[0]]}))
"""


def person(i: int, rnd: random.Random) -> dict:
    p = {"id": f"p{i:07d}", "track": "manager" if rnd.random() < 0.15 else "individual_contributor",
         "level": rnd.randint(1, 7), "performance": rnd.choice(LEVELS), "potential": rnd.choice(LEVELS),
         "aspiration": rnd.choice(["technical", "management", "undecided"]),
         "engagement": rnd.choice(LEVELS), "flight_risk": rnd.choice(LEVELS),
         "tenure_years": round(rnd.uniform(0, 30), 1), "months_in_role": rnd.randint(0, 120),
         "compa_ratio": round(rnd.uniform(0.75, 1.25), 2),
         "manager_id": f"p{rnd.randint(0, max(i - 1, 0)):07d}" if i else None,
         "gaps": [{"skill": s, "severity": rnd.choice(LEVELS)} for s in rnd.sample(SKILLS, rnd.randint(0, 2))],
         "interests": rnd.sample(INTERESTS, rnd.randint(0, 3)),
         "history": [{"intervention": h, "date": (AS_OF - dt.timedelta(days=rnd.randint(0, 900))).isoformat(),
                      "outcome": rnd.choice(["recommended", "accepted", "declined", "completed"])}
                     for h in rnd.sample(HISTORY, rnd.randint(0, 2))],
         "extra": {"department": rnd.choice(["R&D", "Sales", "Operations"])}}
    return {k: v for k, v in p.items() if v is not None}


def generate(path: Path, n: int, seed: int = 17) -> None:
    rnd = random.Random(seed)
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps(person(i, rnd)) + "\n")


def to_parquet(jsonl: Path, path: Path) -> bool:
    """The people of ``jsonl`` as a Parquet file (row groups of 65,536); False without pyarrow. Done
    in a child process: this one stays small, so the runs it starts (which inherit its peak RSS
    through vfork) measure their own."""
    code = ("import sys, pyarrow.json as pj, pyarrow.parquet as pq; "
            "pq.write_table(pj.read_json(sys.argv[1]), sys.argv[2], row_group_size=65_536)")
    done = subprocess.run([sys.executable, "-c", code, str(jsonl), str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  Parquet and DataFrame runs left out: {done.stderr.strip().splitlines()[-1]}", file=sys.stderr)
    return done.returncode == 0


def measure(source: Path, out: Path, workers: int, script: str = RUN) -> dict:
    args = [str(source)] if script is FRAME else [str(source), str(out), str(workers)]
    done = subprocess.run([sys.executable, "-c", script, *args], check=True, capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {source.name}, {workers} worker(s): {result}", file=sys.stderr)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, default=200_000)
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / f"people-{args.small}.jsonl", Path(tmp) / f"people-{args.people}.jsonl"
        print(f"generating {args.people:,} people ...", file=sys.stderr)
        generate(small, args.small)
        generate(large, args.people)
        size_mb = large.stat().st_size / 1e6
        out = Path(tmp) / "out.jsonl"
        s1 = measure(small, out, 1)
        l1 = measure(large, out, 1)
        l2 = measure(large, out, 2)
        parquet = Path(tmp) / f"people-{args.people}.parquet"
        pq1 = fr = None
        if to_parquet(large, parquet):
            pq_mb = parquet.stat().st_size / 1e6
            pq1 = measure(parquet, Path(tmp) / "out.parquet", 1)
            try:
                fr = measure(parquet, out, 1, FRAME)
            except subprocess.CalledProcessError as exc:   # pandas missing
                print(f"  DataFrame run left out: {exc.stderr.strip().splitlines()[-1]}", file=sys.stderr)
    for r, n in [(s1, args.small), (l1, args.people), (l2, args.people)] + [(r, args.people) for r in (pq1, fr) if r]:
        assert r["read"] == r["accepted"] == n and r["rejected"] == 0, r
    rate1, rate2 = args.people / l1["seconds"], args.people / l2["seconds"]
    rss_ratio = l1["maxrss_kb"] / s1["maxrss_kb"]
    speedup = l1["seconds"] / l2["seconds"]
    # on two free cores, 2 workers take as long as the busier of: the main process, or half the workers' CPU
    cpu1 = l1["cpu_main"] + l1["cpu_workers"]
    cpu_speedup = cpu1 / max(l2["cpu_main"], l2["cpu_workers"] / 2)
    loads = ", ".join(f"{r['load'][0]:.1f}-{r['load'][1]:.1f}" for r in (s1, l1, l2, pq1, fr) if r)
    lines = [
        f"Command: `python benchmarks/batch.py --people {args.people} --small {args.small}`; "
        f"{dt.date.today().isoformat()}, Python {platform.python_version()}, {os.cpu_count()} CPUs. "
        f"Seeded generated people ({args.people:,} in {size_mb:.0f} MB of JSONL), the default rule packs, "
        f"`run_batch` (read, validate, recommend, write JSONL) in a fresh process per line.",
        "",
        "| run | people | workers | seconds | persons/s | CPU s main + workers | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| small | {args.small:,} | 1 | {s1['seconds']:.1f} | {args.small / s1['seconds']:,.0f} "
        f"| {s1['cpu_main']:.1f} | {s1['maxrss_kb'] / 1024:.0f} |",
        f"| large | {args.people:,} | 1 | {l1['seconds']:.1f} | {rate1:,.0f} | {l1['cpu_main']:.1f} "
        f"| {l1['maxrss_kb'] / 1024:.0f} |",
        f"| large | {args.people:,} | 2 | {l2['seconds']:.1f} | {rate2:,.0f} | {l2['cpu_main']:.1f} + "
        f"{l2['cpu_workers']:.1f} | {l2['maxrss_kb'] / 1024:.0f} (main process) |",
    ]
    if pq1:
        lines.append(f"| Parquet in and out | {args.people:,} | 1 | {pq1['seconds']:.1f} "
                     f"| {args.people / pq1['seconds']:,.0f} | {pq1['cpu_main']:.1f} | {pq1['maxrss_kb'] / 1024:.0f} |")
    if fr:
        lines.append(f"| pandas DataFrame (frames.recommend) | {args.people:,} | 1 | {fr['seconds']:.1f} "
                     f"| {args.people / fr['seconds']:,.0f} | {fr['cpu_main']:.1f} | {fr['maxrss_kb'] / 1024:.0f} |")
    lines += [
        "",
        f"Load average (1 min) at the start and end of each run: {loads} (other work shared the 2 cores: "
        f"wall-clock ratios are only fair when these stay under 1).",
        "",
        f"- persons/s at {args.people:,}, 1 worker: **{rate1:,.0f}**; 2 workers: **{rate2:,.0f}**",
        f"- peak RSS at {args.people:,} / peak RSS at {args.small:,}: **{rss_ratio:.2f}** (target at most 1.3)",
        f"- `--workers 2` speed / `--workers 1` speed: **{speedup:.2f}x** measured (target at least 1.7x); "
        f"from CPU time, on two free cores: **{cpu_speedup:.2f}x** (1 worker's CPU seconds over the larger "
        f"of the main process's and half the workers')",
    ]
    cpu_rate1 = args.people / cpu1       # persons per CPU second: fair under a shared machine's load
    if pq1:
        lines.append(f"- Parquet (the same people, {pq_mb:.0f} MB, row groups of 65,536; `--out x.parquet`), "
                     f"1 worker: **{args.people / pq1['seconds']:,.0f}** persons/s; per CPU second "
                     f"**{args.people / pq1['cpu_main']:,.0f}** against JSONL's {cpu_rate1:,.0f} "
                     f"({cpu1 / pq1['cpu_main']:.2f}x)")
    if fr:
        lines.append(f"- pandas DataFrame through `devrecs.frames.recommend` (the frame in memory; a tidy frame "
                     f"out): **{args.people / fr['seconds']:,.0f}** persons/s; per CPU second "
                     f"**{args.people / fr['cpu_main']:,.0f}** against JSONL's {cpu_rate1:,.0f} "
                     f"({cpu1 / fr['cpu_main']:.2f}x); its peak RSS holds the input frame (nested columns as "
                     f"Python objects), its Arrow copy and the output frame")
    write_section(args.out, "batch", "devrecs batch: throughput, memory, workers", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
