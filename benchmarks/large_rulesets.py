"""Loading large rule sets: time and peak memory to build an Engine from N generated rules.

    python benchmarks/large_rulesets.py                 # 1,000, 3,000 and 10,000 rules
    python benchmarks/large_rulesets.py --counts 3000   # some counts only
    python benchmarks/large_rulesets.py --label after   # the section 'after' of large_rulesets.md
    python benchmarks/large_rulesets.py --no-write      # print only

Each count runs in a fresh process (durable-rules keeps every ruleset it was
given until the process ends), which writes one rule file of N valid rules
and times ``Engine.from_paths`` on it. The rules vary their conditions (one
to three tests over person facts, with ``all``/``any``) and recommend
interventions of the default catalog; a fixed seed makes the file the same in
every run. Peak memory is the child's maximum resident set size (ru_maxrss).
A child that takes longer than ``--timeout`` seconds is stopped and reported
as such.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

RATINGS = ("low", "medium", "high")
INTERVENTIONS = ("career-conversation", "technical-career-path", "mentoring", "project-lead-role",
                 "learning-time", "coaching")


def _leaf(rnd: random.Random) -> str:
    kind = rnd.randrange(5)
    if kind == 0:
        return f"performance: {{ge: {rnd.choice(RATINGS)}}}"
    if kind == 1:
        return f"engagement: {rnd.choice(RATINGS)}"
    if kind == 2:
        return f"flight_risk: {rnd.choice(RATINGS)}"
    if kind == 3:
        return f"months_in_role: {{gt: {rnd.randrange(1, 120)}}}"
    return f"tenure_years: {{lt: {rnd.randrange(1, 30)}}}"


def rule_file(n: int, seed: int = 17) -> str:
    """The text of one rule file holding ``n`` valid rules."""
    rnd = random.Random(seed)
    lines = ["ruleset: generated", "version: 1", "rules:"]
    for i in range(n):
        leaves = [_leaf(rnd) for _ in range(rnd.randrange(1, 4))]
        lines.append(f"  - id: generated-{i:05d}")
        lines.append(f"    title: Generated rule {i}")
        if len(leaves) == 1:
            lines.append(f"    when: {{{leaves[0]}}}")
        else:
            lines.append("    when:")
            lines.append(f"      {rnd.choice(('all', 'any'))}:")
            lines.extend(f"        - {{{leaf}}}" for leaf in leaves)
        lines.append(f"    recommend: [{rnd.choice(INTERVENTIONS)}]")
        lines.append(f"    priority: {rnd.randrange(1, 100)}")
        lines.append(f"    rationale: Generated rule {i} for the load benchmark.")
    return "\n".join(lines) + "\n"


def _child(n: int) -> None:
    from devrecs import Engine
    from devrecs.errors import DevrecsError
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.yaml"
        path.write_text(rule_file(n), encoding="utf-8")
        start = time.perf_counter()
        cpu = time.process_time()
        try:
            engine = Engine.from_paths([path])
            outcome = f"loaded {len(engine.rules)} rules"
        except DevrecsError as exc:
            outcome = "error: " + str(exc).splitlines()[0][:200]
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rules": n, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                      "peak_rss_mb": round(peak_mb), "outcome": outcome}))


def measure(n: int, timeout: float) -> dict:
    try:
        done = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"rules": n, "wall_s": None, "cpu_s": None, "peak_rss_mb": None,
                "outcome": f"stopped after {timeout:.0f} s"}
    if done.returncode != 0:
        return {"rules": n, "wall_s": None, "cpu_s": None, "peak_rss_mb": None,
                "outcome": f"child exited {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counts", type=int, nargs="*", default=[1000, 3000, 10000])
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--label", default="now", help="the section of large_rulesets.md to write (e.g. before, after)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.child is not None:
        _child(args.child)
        return
    rows = [measure(n, args.timeout) for n in args.counts]
    table = ["| rules | wall s | CPU s | peak RSS MB | outcome |", "|---:|---:|---:|---:|---|"]
    table += [f"| {r['rules']:,} | {r['wall_s']} | {r['cpu_s']} | {r['peak_rss_mb']} | {r['outcome']} |"
              for r in rows]
    text = "\n".join(table)
    print(text)
    if not args.no_write:
        from results import write_section
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=HERE).stdout.strip()
        write_section(HERE / "large_rulesets.md", f"large_rulesets_{args.label}",
                      f"{args.label}: commit {commit}, load average {os.getloadavg()[0]:.1f}", [text])


if __name__ == "__main__":
    main()
