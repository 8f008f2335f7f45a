"""Instructions per person, counted by valgrind: a measure that load on the machine does not move.

    python benchmarks/instructions.py [--people 1000] [--out benchmarks/results.md]

Needs valgrind (Debian: ``apt-get install valgrind``). For each workload (the
default packs over the people they read, and the peers workload of
benchmarks/peers.py with cap=None) a child process builds the Engine and
200 + ``--people`` people (as raw records), runs ``recommend_many`` over the
first 200 to warm up, and then over the rest; it runs under ``valgrind
--tool=callgrind`` twice, the second time stopping after the warm-up. The
difference in instructions, divided by ``--people``, is what one person costs
on the whole path (validate, match, resolve, evidence). Written to the
results file (section "instructions").
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section  # noqa: E402

WARM_UP = 200

CHILD = """
import sys
sys.path.insert(0, {here!r})
from peers import build_engine, default_engine, default_people, devrecs_run
from workload import workload_people, workload_yaml
which, n, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if which == "default packs":     # the same people are made in both runs: only n differs
    engine, people = default_engine(), default_people(total + {warm})
else:
    engine, people = build_engine(workload_yaml(100), cap=None), workload_people(total + {warm})
devrecs_run(engine, people[:{warm}])
if n:
    devrecs_run(engine, people[{warm}:{warm} + n])
"""


def instructions(which: str, people: int, total: int) -> int:
    """Instructions valgrind counted for the child run over ``people`` of ``total`` people after the warm-up."""
    code = CHILD.format(here=str(Path(__file__).resolve().parent), warm=WARM_UP)
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           sys.executable, "-c", code, which, str(people), str(total)],
                          capture_output=True, text=True, check=True)
    found = re.search(r"Collected\s*:\s*([\d,]+)", done.stderr)
    if not found:
        raise SystemExit(f"valgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results.md")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    rows = []
    for which in ("default packs", "peers workload"):
        per_person = (instructions(which, args.people, args.people) - instructions(which, 0, args.people)) \
            // args.people
        rows.append(f"| {which} | {per_person:,} |")
        print(rows[-1], file=sys.stderr)
    lines = [f"Command: `python benchmarks/instructions.py --people {args.people}`; {dt.datetime.now():%Y-%m-%d}, "
             f"Python {sys.version.split()[0]}; valgrind's instruction count for `recommend_many` over "
             f"{args.people} people after a warm-up of {WARM_UP}, less the same run stopped after the warm-up "
             "(the people are made in both).", "",
             "| workload | instructions per person |", "|---|---:|", *rows]
    write_section(args.out, "instructions", "Instructions per person (not moved by load)", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
