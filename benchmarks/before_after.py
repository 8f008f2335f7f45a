"""devrecs before and after a change, side by side in one run: wall clock and instructions.

    python benchmarks/before_after.py --tree 7cf748f=/tmp/venv-before/bin/python \\
        --tree after=/tmp/venv-after/bin/python [--rounds 5] [--people 5000] [--batch 20000] \\
        [--explain 40] [--instructions 500] [--out benchmarks/results.md]

Each ``--tree NAME=PYTHON`` is an interpreter whose ``devrecs`` is one version (an editable
install of that checkout; ``NAME=PYTHON:SRC`` puts SRC first on its PYTHONPATH instead). The
measuring code is this folder's, the same for every tree, and each tree reads its own
default packs. Plugins are disabled (``DEVRECS_DISABLE_PLUGINS``): the default packs only.

In each round every tree runs, in turn (the order reversed every other round, so drift in
the machine's speed falls on both alike), two fresh processes:

1. peers: the workload of peers.py (100 rules, ``cap=None``) through ``recommend_many`` and
   through naive durable-rules (peers.NaiveDurable: devrecs' compiled JSON, one person per
   session), and the default packs through ``recommend_many`` (peers.default_people), each
   checked once against the Python evaluator and then timed ``--repeats`` times, interleaved;
2. batch: ``run_batch`` (read, validate, recommend with the default packs, write JSONL) over
   ``--batch`` generated people (batch.generate), 1 worker, the Engine's start included.

With ``--explain N`` a third process times ``explain`` as benchmarks/explain.py does (N sample
people x each intervention, audience hr) and reports its p50. The figures are medians over all
rounds; each line records the lowest and highest 1-minute load average its runs saw. With
``--instructions N`` valgrind also counts each tree's instructions per person
(instructions.py) for both workloads. Written to the results file, section
"before-after-15".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from results import write_section  # noqa: E402

PEERS = """
import json, os, statistics, sys, time
sys.path.insert(0, {here!r})
from peers import (NaiveDurable, build_engine, default_engine, default_people, devrecs_fired, devrecs_run,
                   python_closures, python_matches)
from workload import workload_people, workload_yaml
people_n, repeats = int(sys.argv[1]), int(sys.argv[2])
load = os.getloadavg()[0]
engine = build_engine(workload_yaml(100, name="peers"), cap=None)
people = workload_people(people_n)
expected = python_matches(python_closures(list(engine.rules)), people)
naive = NaiveDurable(engine)
d_engine, d_people = default_engine(), default_people(people_n)
assert devrecs_fired(engine, people) == expected, "devrecs differs from plain Python"
assert naive.matches(people) == expected, "naive durable differs from plain Python"
assert devrecs_fired(d_engine, d_people) == [frozenset(d_engine.python_fired(p)) for p in d_people]
runs = {{"devrecs": lambda: devrecs_run(engine, people), "naive": lambda: naive.matches(people),
        "default": lambda: devrecs_run(d_engine, d_people)}}
times = {{k: [] for k in runs}}
cpu = {{k: [] for k in runs}}
for _ in range(repeats):
    for key, run in runs.items():
        start, began = time.perf_counter(), time.process_time()
        run()
        times[key].append(time.perf_counter() - start)
        cpu[key].append(time.process_time() - began)
print(json.dumps({{"times": times, "cpu": cpu, "rules": len(d_engine.rules),
                  "load": [load, os.getloadavg()[0]]}}))
"""

BATCH = """
import datetime as dt, json, os, sys, time
from devrecs.batch.runner import BatchOptions, run_batch
if __name__ == "__main__":
    source, out = sys.argv[1], sys.argv[2]
    load = os.getloadavg()[0]
    start, began = time.perf_counter(), time.process_time()
    stats = run_batch(BatchOptions(source=source, out=out, workers=1, as_of=dt.date(2026, 6, 30)),
                      stderr=open(os.devnull, "w"), progress=False)
    seconds, cpu = time.perf_counter() - start, time.process_time() - began
    print(json.dumps({"seconds": seconds, "cpu": cpu, "accepted": stats.accepted,
                      "rejected": stats.rejected, "load": [load, os.getloadavg()[0]]}))
"""

EXPLAIN = """
import json, os, statistics, sys, time
from devrecs import Engine
from devrecs.intake.peoplefile import sample_file
sample = sample_file()
people = list(sample.people())[: int(sys.argv[1])]
engine = Engine.default(as_of=sample.as_of, entry_points=False)
ids = engine.catalog.ids
for person in people[:3]:
    engine.explain(person, ids[0], "hr")
load = os.getloadavg()[0]
times = []
for person in people:
    for intervention in ids:
        start = time.perf_counter()
        engine.explain(person, intervention, "hr")
        times.append(time.perf_counter() - start)
print(json.dumps({"p50": statistics.median(times) * 1000, "calls": len(times), "load": [load, os.getloadavg()[0]]}))
"""


def tree_env(spec: str) -> tuple[str, str, dict[str, str]]:
    """(name, python, environment) of a ``NAME=PYTHON[:SRC]`` argument."""
    name, _, rest = spec.partition("=")
    python, _, src = rest.partition(":")
    env = dict(os.environ, DEVRECS_DISABLE_PLUGINS="acme,lms", PYTHONHASHSEED="0")
    env.pop("PYTHONPATH", None)
    if src:
        env["PYTHONPATH"] = src
    return name, python, env


def child(python: str, env: dict[str, str], code: str, *args: str) -> dict:
    done = subprocess.run([python, "-c", code, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{python} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# naive durable-rules over the peers workload, counted as instructions.py counts devrecs
NAIVE = """
import sys
sys.path.insert(0, {here!r})
from peers import NaiveDurable, build_engine
from workload import workload_people, workload_yaml
which, n, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
naive, people = NaiveDurable(build_engine(workload_yaml(100), cap=None)), workload_people(total + {warm})
naive.matches(people[:{warm}])
if n:
    naive.matches(people[{warm}:{warm} + n])
"""
WORKLOADS = ("peers workload", "naive durable, peers workload", "default packs")


def instructions(python: str, env: dict[str, str], which: str, people: int) -> int:
    """instructions.py's count per person for one workload (WORKLOADS), with this tree's interpreter."""
    import re

    from instructions import CHILD, WARM_UP
    code = (NAIVE if which.startswith("naive") else CHILD).format(here=str(HERE), warm=WARM_UP)
    counts = []
    for n in (people, 0):
        done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                               python, "-c", code, which, str(n), str(people)],
                              env=env, capture_output=True, text=True, check=True)
        counts.append(int(re.search(r"Collected\s*:\s*([\d,]+)", done.stderr).group(1).replace(",", "")))
    return (counts[0] - counts[1]) // people


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", action="append", required=True, help="NAME=PYTHON or NAME=PYTHON:SRC")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats in each peers process")
    ap.add_argument("--people", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=20_000)
    ap.add_argument("--explain", type=int, default=0, help="sample people whose explanations are timed (0: none)")
    ap.add_argument("--instructions", type=int, default=0, help="people per valgrind count (0: none)")
    ap.add_argument("--out", type=Path, default=HERE / "results.md")
    args = ap.parse_args()
    trees = [tree_env(spec) for spec in args.tree]
    names = [t[0] for t in trees]
    began, load_start = time.perf_counter(), os.getloadavg()
    peers: dict[str, list[dict]] = {n: [] for n in names}
    batch: dict[str, list[dict]] = {n: [] for n in names}
    explained: dict[str, list[dict]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        from batch import generate
        source = Path(tmp) / "people.jsonl"
        generate(source, args.batch)
        for r in range(args.rounds):
            order = trees if r % 2 == 0 else trees[::-1]
            for name, python, env in order:
                peers[name].append(child(python, env, PEERS.format(here=str(HERE)), str(args.people),
                                         str(args.repeats)))
                batch[name].append(child(python, env, BATCH, str(source), str(Path(tmp) / f"out-{name}.jsonl")))
                if args.explain:
                    explained[name].append(child(python, env, EXPLAIN, str(args.explain)))
                print(f"round {r + 1} {name}: peers {peers[name][-1]['times']}, batch "
                      f"{batch[name][-1]['seconds']:.2f}s", file=sys.stderr, flush=True)
    wall = time.perf_counter() - began
    load_end = os.getloadavg()

    def med(name: str, key: str, what: str = "times") -> float:
        return statistics.median(t for run in peers[name] for t in run[what][key])

    def batch_seconds(name: str) -> float:
        return statistics.median(b["seconds"] for b in batch[name])

    def loads(runs: list[dict]) -> str:
        return f"{min(x['load'][0] for x in runs):.1f}-{max(x['load'][1] for x in runs):.1f}"

    base = names[0]
    n = args.people
    lines = [f"Command: `python benchmarks/before_after.py {' '.join('--tree ' + t for t in names)} "
             f"--rounds {args.rounds} --repeats {args.repeats} --people {n} --batch {args.batch}"
             f"{' --explain ' + str(args.explain) if args.explain else ''}"
             f"{' --instructions ' + str(args.instructions) if args.instructions else ''}` "
             f"(each tree an interpreter with that version installed); {dt.datetime.now():%Y-%m-%d %H:%M}, "
             f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average (1 min) "
             f"{load_start[0]:.2f} at the start and {load_end[0]:.2f} at the end; {args.rounds} rounds "
             f"alternating the trees, {wall:.0f} s in all. Plugins disabled: the default packs only.", ""]
    if args.instructions:
        counts = {name: {w: instructions(python, env, w, args.instructions)
                         for w in WORKLOADS} for name, python, env in trees}
        lines += [f"Instructions per person (valgrind, instructions.py's count with {args.instructions} people "
                  "after a warm-up of 200; not moved by load):", "",
                  "| workload | " + " | ".join(names) + " | " + " | ".join(f"{x} / {base}" for x in names[1:])
                  + " |", "|---|" + "---:|" * (2 * len(names) - 1)]
        for w in WORKLOADS:
            lines.append(f"| {w} | " + " | ".join(f"{counts[x][w]:,}" for x in names) + " | "
                         + " | ".join(f"{counts[x][w] / counts[base][w]:.3f}" for x in names[1:]) + " |")
        lines += ["", "Whole path against naive durable, from these counts: " + ", ".join(
            f"{x} {counts[x][WORKLOADS[1]] / counts[x][WORKLOADS[0]]:.2f}x" for x in names) + ".", ""]
    lines += [f"Wall clock, {n} people, median of {args.rounds} x {args.repeats} timed runs in fresh processes "
              "(people/s; CPU seconds beside):", "",
              "| tree | whole path (workload, `recommend_many`) | naive durable | whole path / naive | "
              "default packs (`recommend_many`) | default packs per CPU s | load average |",
              "|---|---:|---:|---:|---:|---:|---|"]
    for x in names:
        lines.append(f"| {x} | {n / med(x, 'devrecs'):,.0f} | {n / med(x, 'naive'):,.0f} | "
                     f"{med(x, 'naive') / med(x, 'devrecs'):.2f}x | {n / med(x, 'default'):,.0f} | "
                     f"{n / med(x, 'default', 'cpu'):,.0f} | {loads(peers[x])} |")
    lines += ["", f"`run_batch` (JSONL in and out, 1 worker, Engine start included), {args.batch:,} people, "
              f"median of {args.rounds} fresh processes:", "",
              "| tree | seconds | persons/s | CPU s | persons per CPU s | accepted | load average |",
              "|---|---:|---:|---:|---:|---:|---|"]
    for x in names:
        s = statistics.median(b["seconds"] for b in batch[x])
        c = statistics.median(b["cpu"] for b in batch[x])
        lines.append(f"| {x} | {s:.2f} | {args.batch / s:,.0f} | {c:.2f} | {args.batch / c:,.0f} | "
                     f"{batch[x][0]['accepted']:,} | {loads(batch[x])} |")
    if args.explain:
        calls = explained[base][0]["calls"]
        lines += ["", f"`explain` latency (benchmarks/explain.py's loop: {args.explain} sample people x each "
                  f"intervention, {calls} calls, audience hr), p50 of each fresh process, median over the rounds:", "",
                  "| tree | p50 ms | p50 ms of each round | load average |", "|---|---:|---|---|"]
        for x in names:
            lines.append(f"| {x} | {statistics.median(e['p50'] for e in explained[x]):.2f} | "
                         f"{', '.join(format(e['p50'], '.2f') for e in explained[x])} | {loads(explained[x])} |")
    lines += ["", "Ratios to " + base + " (above 1: faster): " + "; ".join(
        f"{x}: whole path {med(base, 'devrecs') / med(x, 'devrecs'):.2f}, default packs "
        f"{med(base, 'default') / med(x, 'default'):.2f} (per CPU s "
        f"{med(base, 'default', 'cpu') / med(x, 'default', 'cpu'):.2f}), batch "
        f"{batch_seconds(base) / batch_seconds(x):.2f}" for x in names[1:])]
    after = names[-1]
    targets = [(f"{after}: whole path {med(after, 'naive') / med(after, 'devrecs'):.2f}x naive durable "
                "(target at least 4x)", med(after, "naive") >= 4 * med(after, "devrecs")),
               (f"{after}: default packs {n / med(after, 'default'):,.0f} people/s against {base}'s "
                f"{n / med(base, 'default'):,.0f} (target at least as fast)",
                med(after, "default") <= med(base, "default"))]
    if args.explain:
        p50 = statistics.median(e["p50"] for e in explained[after])
        targets.append((f"{after}: `explain` p50 {p50:.2f} ms (target under 1 ms)", p50 < 1))
    lines += ["", "Targets, this run:", ""] + [f"- {text}: **{'met' if ok else 'NOT met'}**" for text, ok in targets]
    print("\n".join(lines))
    write_section(args.out, "before-after-15", "Before and after issue 15", lines)


if __name__ == "__main__":
    main()
