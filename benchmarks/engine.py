"""devrecs against raw durable-rules on the same compiled rules and people.

    python benchmarks/engine.py [--people 10000] [--repeats 5] [--out benchmarks/results.md]
    python benchmarks/engine.py --chunks       # people per durable session: the sweep behind DEFAULT_CHUNK_SIZE

Workload (seeded): 100 rules, each two equality tests and a ``level >=``
test, over 10,000 generated people. Raw durable gets the compiled JSON and
facts built beforehand, and only posts them and deletes the state (no
resolve, no evidence). devrecs runs its whole path: validate the record,
build the fact, match, resolve, evidence. Medians of the repeats, measured
in one run, are written to the results file (section "engine").

``--chunks`` instead runs ``recommend_many`` (whole path) over the same
people and rules, and over the default packs, with engines of several chunk
sizes, interleaved, and writes the medians to the section "chunks".
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import itertools
import statistics
import sys
import time
from pathlib import Path

from durable import engine as durable_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section  # noqa: E402
from workload import AS_OF, workload_people, workload_yaml  # noqa: E402

from devrecs import Engine  # noqa: E402
from devrecs.engine.core import DEFAULT_CHUNK_SIZE  # noqa: E402
from devrecs.facts import PERSON_FACTS, fact_value  # noqa: E402
from devrecs.packs import default_rules_dir, load_packs  # noqa: E402
from devrecs.people import person_from_dict  # noqa: E402
from devrecs.rulefile.compile import compile_rules, fact_builder  # noqa: E402
from devrecs.rulefile.parse import parse_text  # noqa: E402


class _Host(durable_engine.Host):
    def __init__(self, names):
        self._names = names
        super().__init__()

    def _run(self):
        return None

    def get_action(self, name):
        return lambda c: None


def raw_durable(compiled: dict, name: str, facts: list[dict], chunk: int) -> float:
    """Seconds to post every fact (``chunk`` per session) and delete each session."""
    host = _Host(list(compiled[name]))
    fresh = copy.deepcopy(compiled)
    fresh[name + "_raw"] = fresh.pop(name)
    host.set_rulesets(fresh)
    sessions = itertools.count()
    start = time.perf_counter()
    for i in range(0, len(facts), chunk):
        sid = str(next(sessions))
        batch = [dict(f, sid=sid) for f in facts[i:i + chunk]]
        if chunk == 1:
            host.assert_fact(name + "_raw", batch[0])
        else:
            host.assert_facts(name + "_raw", batch)
        host.delete_state(name + "_raw", sid)
    return time.perf_counter() - start


CHUNK_SIZES = (1, 16, 64, 256, 1024)


def chunk_sweep(args: argparse.Namespace, rules: list, catalog, people: list[dict]) -> None:
    """recommend_many's rate for each chunk size, on the workload and on the default packs."""
    from peers import default_people  # the people the default packs read
    suites = {
        "workload": ([Engine(rules, catalog, as_of=AS_OF, cap=None, chunk_size=c) for c in CHUNK_SIZES], people),
        "default packs": ([Engine.default(entry_points=False, as_of=AS_OF, chunk_size=c) for c in CHUNK_SIZES],
                          default_people(len(people))),
    }
    times = {(suite, c): [] for suite in suites for c in CHUNK_SIZES}
    for _ in range(args.repeats):
        for suite, (engines, folk) in suites.items():
            for c, engine in zip(CHUNK_SIZES, engines):
                start = time.perf_counter()
                for _ in engine.recommend_many(folk):
                    pass
                times[(suite, c)].append(time.perf_counter() - start)
    lines = [f"Command: `python benchmarks/engine.py --chunks --people {args.people} --repeats {args.repeats}`; "
             f"{dt.datetime.now():%Y-%m-%d}, Python {sys.version.split()[0]}, `recommend_many` (whole path), "
             f"median of {args.repeats} interleaved repeats in one run, in people/s.", "",
             "| people per durable session | " + " | ".join(suites) + " |",
             "|---:|" + "---:|" * len(suites)]
    for c in CHUNK_SIZES:
        cells = [f"{len(people) / statistics.median(times[(suite, c)]):,.0f}" for suite in suites]
        lines.append(f"| {c}{' (default)' if c == DEFAULT_CHUNK_SIZE else ''} | "
                     + " | ".join(cells) + " |")
    write_section(Path(args.out), "chunks", "People per durable session", lines)
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--rules", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(Path(__file__).with_name("results.md")))
    ap.add_argument("--chunks", action="store_true", help="sweep the number of people per durable session")
    args = ap.parse_args()

    catalog = load_packs([default_rules_dir() / "catalog.yaml"]).catalog
    parsed, problems = parse_text(workload_yaml(args.rules), "bench.yaml", catalog.ids)
    assert not problems, problems
    engine = Engine(parsed.rules, catalog, as_of=AS_OF, cap=None)
    people = workload_people(args.people)
    if args.chunks:
        return chunk_sweep(args, parsed.rules, catalog, people)
    persons = [person_from_dict(p) for p in people]
    compiled, layout, _ = compile_rules("bench", engine.rules, PERSON_FACTS, cap=engine.chunk_size)
    build = fact_builder(layout, PERSON_FACTS)
    facts = [build(lambda path, p=p: fact_value(p, path, AS_OF), i % engine.chunk_size)
             for i, p in enumerate(persons)]

    timings: dict[str, list[float]] = {k: [] for k in
                                       ("raw1", "rawN", "recommend", "recommend_many")}
    for _ in range(args.repeats):
        timings["raw1"].append(raw_durable(compiled, "bench", facts, 1))
        timings["rawN"].append(raw_durable(compiled, "bench", facts, engine.chunk_size))
        start = time.perf_counter()
        for p in people:
            engine.recommend(p)
        timings["recommend"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for _ in engine.recommend_many(people):
            pass
        timings["recommend_many"].append(time.perf_counter() - start)

    med = {k: statistics.median(v) for k, v in timings.items()}
    rate = {k: args.people / v for k, v in med.items()}
    rows = [
        ("raw durable, 1 person per session (assert_fact, delete_state)", "raw1"),
        (f"raw durable, {engine.chunk_size} people per session (assert_facts, delete_state)", "rawN"),
        ("devrecs `engine.recommend`, one call per person (whole path)", "recommend"),
        (f"devrecs `engine.recommend_many` ({engine.chunk_size} per session, whole path)", "recommend_many"),
    ]
    lines = [f"Command: `python benchmarks/engine.py --people {args.people} --rules {args.rules} "
             f"--repeats {args.repeats}`; {dt.datetime.now():%Y-%m-%d}, Python {sys.version.split()[0]}, "
             f"median of {args.repeats} repeats in one run.", "",
             "| path | median s | persons/s |", "|---|---:|---:|"]
    lines += [f"| {label} | {med[k]:.3f} | {rate[k]:,.0f} |" for label, k in rows]
    lines += ["",
              f"- `recommend` time / raw durable one-per-session time: **{med['recommend'] / med['raw1']:.2f}x** "
              "(target at most 1.15x)",
              f"- `recommend_many` time / raw durable chunked time: **{med['recommend_many'] / med['rawN']:.2f}x**",
              f"- `recommend_many` speed-up over raw durable one-per-session: "
              f"**{med['raw1'] / med['recommend_many']:.2f}x**"]
    write_section(Path(args.out), "engine", "devrecs against raw durable-rules", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
