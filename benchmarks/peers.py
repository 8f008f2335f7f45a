"""devrecs against other rule engines on one shared workload (issue 10, parts 3 and 4).

    pip install -e ".[bench]"
    python benchmarks/peers.py [--people 5000] [--rules 100] [--repeats 5] [--out benchmarks/results.md]
    python benchmarks/peers.py --profile      # cProfile of recommend_many over the default packs, no table

Workload (seeded): ``--rules`` rules, each two equality tests on enum facts
and a ``level >=`` test, written ONCE as a devrecs rule file (YAML text
parsed by devrecs), and ``--people`` generated people. Each peer gets the
parsed rules translated to its own language:

- devrecs ``Engine.recommend_many`` (cap=None): the whole path (validate the
  record, build the fact, match in durable sessions of ``chunk_size`` people,
  resolve, evidence), one process;
- devrecs with 2 worker processes (multiprocessing, spawn): each worker
  builds its own Engine from the YAML text once; the people are split in two
  halves, one per worker, and each returns the intervention ids per person.
  The timed wall time EXCLUDES worker startup (spawn, import, Engine build,
  one warm-up call); startup is measured once and printed separately;
- naive durable-rules: the durable JSON devrecs compiles (``engine.compiled``)
  with the ``cap`` keys removed, so one action call per firing, fed one person
  per session (``assert_fact`` then ``delete_state``) to a Host subclass whose
  ``_run`` does nothing. devrecs' catch-all rule is kept, so no fact is ever
  unhandled (an unhandled first fact can crash durable, architecture.md);
- GoRules zen-engine: one decision table, hit policy ``collect``, one row per
  rule, held by a ``ZenEngine`` static loader, ``engine.evaluate(key, person)``
  per person (the target's reference); also ``create_decision(jdm).evaluate``,
  which is several times slower here (each call hands off to another thread);
- CLIPS (clipspy): ``deftemplate person``, one ``defrule`` per rule whose
  action calls back into Python with the rule and person; people asserted in
  chunks of ``chunk_size``, then ``run`` and ``reset``;
- rule-engine: one ``rule_engine.Rule`` per rule (a text expression),
  ``rule.matches(person)`` for each rule and person;
- plain Python closures, one per rule (the reference).

Every engine's matched rule set is checked against plain Python for every
person (devrecs: the rules durable fired, ``engine.durable_fired`` over the
same chunks ``recommend_many`` posts). Runs are interleaved (each repeat runs
every engine once) and the medians of ``--repeats`` (wall seconds, and CPU
seconds, which other load on the machine disturbs less) are written to the
results file (section "peers") with the issue's targets, measured in the same
run, including the default packs (``Engine.default(entry_points=False)``: the
built-in packs without installed plugins; default cap) over people with the
facts those packs read.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import itertools
import json
import multiprocessing as mp
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section  # noqa: E402
from workload import AS_OF, ENUMS, workload_people, workload_yaml  # noqa: E402

FIELDS = sorted(ENUMS) + ["level"]


# -- the workload, written once in the devrecs rule language -----------------------

def build_engine(yaml_text: str, **kwargs: Any):
    """A devrecs Engine from rule-file text (the default catalog)."""
    from devrecs import Engine
    from devrecs.packs import default_rules_dir, load_packs
    from devrecs.rulefile.parse import parse_text
    catalog = load_packs([default_rules_dir() / "catalog.yaml"]).catalog
    parsed, problems = parse_text(yaml_text, "peers.yaml", catalog.ids)
    if problems:
        raise SystemExit("\n".join(map(str, problems)))
    return Engine(parsed.rules, catalog, as_of=AS_OF, **kwargs)


def rule_tests(rule: Any) -> list[tuple[str, str, Any]]:
    """(path, op, value) of each test of a parsed workload rule (an ``all`` of comparisons)."""
    from devrecs.rulefile.conditions import All, Compare
    node = rule.when
    items = node.items if isinstance(node, All) else (node,)
    tests = []
    for leaf in items:
        if not isinstance(leaf, Compare) or leaf.op not in ("eq", "ge") or (leaf.op == "ge" and leaf.order):
            raise ValueError(f"rule {rule.id}: the peers only translate eq and numeric ge, got {leaf!r}")
        tests.append((leaf.path, leaf.op, leaf.value))
    return tests


# -- translations, one per peer ---------------------------------------------------

def python_closures(rules: list) -> list[tuple[str, Callable[[dict], bool]]]:
    out = []
    for rule in rules:
        (pa, oa, va), (pb, ob, vb), (pc, oc, vc) = rule_tests(rule)
        assert (oa, ob, oc) == ("eq", "eq", "ge") and pc == "level", rule.id
        out.append((rule.id, lambda p, pa=pa, va=va, pb=pb, vb=vb, n=vc:
                    p[pa] == va and p[pb] == vb and p["level"] >= n))
    return out


def python_matches(closures, people: list[dict]) -> list[frozenset]:
    return [frozenset(rid for rid, f in closures if f(p)) for p in people]


def zen_jdm(rules: list) -> dict:
    """The rules as a JSON Decision Model: one decision table, hit policy collect, one row per rule."""
    inputs = [{"id": f"in_{f}", "name": f, "field": f} for f in FIELDS]
    rows = []
    for rule in rules:
        row = {"_id": rule.id, "out_rule": json.dumps(rule.id)}
        row.update({f"in_{f}": "" for f in FIELDS})
        for path, op, value in rule_tests(rule):
            row[f"in_{path}"] = json.dumps(value) if op == "eq" else f">= {value}"
        rows.append(row)
    content = {"hitPolicy": "collect", "inputs": inputs,
               "outputs": [{"id": "out_rule", "name": "rule", "field": "rule"}], "rules": rows}
    jdm = {"nodes": [{"id": "in", "type": "inputNode", "name": "person", "position": {"x": 0, "y": 0}},
                     {"id": "table", "type": "decisionTableNode", "name": "rules",
                      "position": {"x": 200, "y": 0}, "content": content},
                     {"id": "out", "type": "outputNode", "name": "matched", "position": {"x": 400, "y": 0}}],
           "edges": [{"id": "e1", "type": "edge", "sourceId": "in", "targetId": "table"},
                     {"id": "e2", "type": "edge", "sourceId": "table", "targetId": "out"}]}
    return jdm


def zen_engine(rules: list):
    """A ZenEngine whose static loader holds the decision under the key "peers"."""
    import zen
    return zen.ZenEngine({"loader": {"type": "static", "content": {"peers": zen_jdm(rules)}}})


def zen_matches(engine, people: list[dict]) -> list[frozenset]:
    return [frozenset(r["rule"] for r in engine.evaluate("peers", p)["result"]) for p in people]


def zen_decision(rules: list):
    import zen
    return zen.ZenEngine().create_decision(json.dumps(zen_jdm(rules)))


def zen_decision_matches(decision, people: list[dict]) -> list[frozenset]:
    return [frozenset(r["rule"] for r in decision.evaluate(p)["result"]) for p in people]


class Clips:
    def __init__(self, rules: list, chunk: int):
        import clips
        self.chunk = chunk
        self.ids = [r.id for r in rules]
        self.env = clips.Environment()
        self.env.build("(deftemplate person (slot pid) " + " ".join(f"(slot {f})" for f in FIELDS) + ")")
        self.env.define_function(self._hit, "hit")
        for i, rule in enumerate(rules):
            slots = []
            for path, op, value in rule_tests(rule):
                slots.append(f'({path} "{value}")' if op == "eq" else f"({path} ?v&:(>= ?v {int(value)}))")
            self.env.build(f"(defrule r{i} (person (pid ?pid) {' '.join(slots)}) => (hit {i} ?pid))")
        self.template = self.env.find_template("person")
        self._found: list[list[int]] = []

    def _hit(self, rule: int, pid: int) -> None:
        self._found[pid].append(rule)

    def matches(self, people: list[dict]) -> list[frozenset]:
        out = []
        for start in range(0, len(people), self.chunk):
            chunk = people[start:start + self.chunk]
            self._found = [[] for _ in chunk]
            for pid, p in enumerate(chunk):
                self.template.assert_fact(pid=pid, **{f: p[f] for f in FIELDS})
            self.env.run()
            self.env.reset()
            out += [frozenset(self.ids[i] for i in hits) for hits in self._found]
        return out


def rule_engine_rules(rules: list):
    import rule_engine
    out = []
    for rule in rules:
        text = " and ".join(f"{path} == {json.dumps(value)}" if op == "eq" else f"{path} >= {value}"
                            for path, op, value in rule_tests(rule))
        out.append((rule.id, rule_engine.Rule(text)))
    return out


def rule_engine_matches(compiled, people: list[dict]) -> list[frozenset]:
    return [frozenset(rid for rid, r in compiled if r.matches(p)) for p in people]


class NaiveDurable:
    """devrecs' compiled durable JSON without ``cap``: one action call per firing, one person per session."""

    _names = itertools.count(1)

    def __init__(self, engine: Any):
        from durable import engine as durable_engine

        compiled = engine.compiled
        body = compiled[engine.ruleset_name]
        for spec in body.values():
            spec.pop("cap", None)
        keys = set().union(*(_referenced_keys(spec["all"]) for spec in body.values())) - {"t"}
        assert keys <= set(FIELDS), f"compiled rules read keys the people lack: {keys - set(FIELDS)}"
        self.name = f"peers_naive_{next(self._names)}"
        ids = {f"r{i}": rule.id for i, rule in enumerate(engine.rules)}
        self._hits: list[str] = []
        actions = {run: self._action(rid) for run, rid in ids.items()}   # durable wants exactly one argument
        actions["rseen"] = lambda c: None

        class Host(durable_engine.Host):
            def _run(self) -> None:     # no timer threads
                return None

            def get_action(self, name: str) -> Any:
                return actions[name]

        self.host = Host()
        self.host.set_rulesets({self.name: body})
        self._sessions = itertools.count(1)

    def _action(self, rule_id: str) -> Callable[[Any], None]:
        def action(c: Any) -> None:
            self._hits.append(rule_id)
        return action

    def matches(self, people: list[dict]) -> list[frozenset]:
        out = []
        for p in people:
            sid = str(next(self._sessions))
            self._hits = []
            fact = {f: p[f] for f in FIELDS}
            fact.update(t=1, pid=0, sid=sid)
            self.host.assert_fact(self.name, fact)
            self.host.delete_state(self.name, sid)
            out.append(frozenset(self._hits))
        return out


def _referenced_keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        keys = set()
        for k, v in node.items():
            if k == "m" or k.startswith("$"):
                keys |= _referenced_keys(v)
            else:
                keys.add(k)
        return keys
    if isinstance(node, list):
        return set().union(*(_referenced_keys(x) for x in node)) if node else set()
    return set()


# -- devrecs -------------------------------------------------------------------------

def devrecs_fired(engine: Any, people: list[dict]) -> list[frozenset]:
    """The rules durable fired, over the same chunks recommend_many posts."""
    out = []
    for start in range(0, len(people), engine.chunk_size):
        out += [frozenset(f) for f in engine.durable_fired(people[start:start + engine.chunk_size])]
    return out


def devrecs_run(engine: Any, people: list[dict]) -> int:
    n = 0
    for _person, _recs in engine.recommend_many(people):
        n += 1
    return n


_WORKER_ENGINE = None


def _worker_init(yaml_text: str) -> None:
    global _WORKER_ENGINE
    _WORKER_ENGINE = build_engine(yaml_text, cap=None)


def _worker_recommend(people: list[dict]) -> tuple[list[list[str]], float]:
    """The intervention ids per person, and the CPU seconds this worker spent on them."""
    cpu = time.process_time()
    out = [[r.intervention for r in recs] for _p, recs in _WORKER_ENGINE.recommend_many(people)]
    return out, time.process_time() - cpu


def _two_workers(pool: Any, people: list[dict]) -> float:
    """Run both halves; returns the CPU seconds the workers spent."""
    return sum(cpu for _out, cpu in pool.map(_worker_recommend, halves(people)))


def _worker_fired(people: list[dict]) -> list[frozenset]:
    return devrecs_fired(_WORKER_ENGINE, people)


def halves(people: list[dict], n: int = 2) -> list[list[dict]]:
    size = -(-len(people) // n)
    return [people[i:i + size] for i in range(0, len(people), size)]


# -- people for the default packs -------------------------------------------------------

LEVELS = ["low", "medium", "high"]
SKILLS = ["communication", "strategic_thinking", "conflict", "change", "ambiguity", "vision",
          "senior_leadership_connection", "influencing", "presenting", "negotiation",
          "project_management", "time_management", "new_technology"]
INTERESTS = ["further-education", "mba", "certification", "conferences", "public-speaking", "presenting",
             "networking", "professional-association", "cross-industry", "reading", "research", "travel",
             "project-management", "volunteering", "new-technology", "writing", "teaching", "mentoring"]


def default_people(n: int, seed: int = 23) -> list[dict]:
    """People with the facts the default packs read (seeded)."""
    rnd = random.Random(seed)
    history_ids = ["mentoring", "coaching", "career-conversation", "learning-time", "new-manager-training",
                   "communication-skills", "conference-attendance", "further-education"]
    out = []
    for i in range(n):
        manager = rnd.random() < 0.18
        tenure = round(rnd.uniform(0, 30), 1)
        p = {"id": f"d{i:06d}", "track": "manager" if manager else "individual_contributor",
             "level": rnd.randint(1, 8), "performance": rnd.choice(LEVELS), "potential": rnd.choice(LEVELS),
             "aspiration": rnd.choice(["technical", "management", "undecided"]),
             "leadership_motive": rnd.choice(["service", "power", "unknown"]),
             "engagement": rnd.choice(LEVELS), "flight_risk": rnd.choice(LEVELS),
             "performance_plan": rnd.choices(["none", "informal", "pip"], [90, 6, 4])[0],
             "wellbeing_concern": rnd.random() < 0.04,
             "months_in_role": rnd.randint(0, 120), "months_since_promotion": rnd.randint(0, 120),
             "tenure_years": tenure, "compa_ratio": round(rnd.uniform(0.75, 1.25), 2),
             "manager_id": f"d{rnd.randint(0, max(i - 1, 0)):06d}",
             "gaps": [{"skill": s, "severity": rnd.choice(LEVELS)} for s in rnd.sample(SKILLS, rnd.randint(0, 3))],
             "interests": rnd.sample(INTERESTS, rnd.randint(0, 3)),
             "history": [{"intervention": h, "date": (AS_OF - dt.timedelta(days=rnd.randint(0, 1500))).isoformat(),
                          "outcome": rnd.choice(["recommended", "accepted", "declined", "completed"])}
                         for h in rnd.sample(history_ids, rnd.randint(0, 3))]}
        if rnd.random() < 0.5:
            p["career_stage"] = "early" if tenure < 3 else "mid" if tenure < 10 else "senior"
        if rnd.random() < 0.2:
            status = rnd.choice(["none", "participant", "graduate"])
            p["pipeline"] = {"status": status, "months_waiting": rnd.randint(0, 30) if status == "graduate" else 0}
        out.append(p)
    return out


def default_engine():
    from devrecs import Engine
    return Engine.default(entry_points=False, as_of=AS_OF)


def profile_default(n: int, top: int = 30) -> str:
    engine = default_engine()
    people = default_people(n)
    devrecs_run(engine, people[:engine.chunk_size])   # warm up
    prof = cProfile.Profile()
    prof.enable()
    devrecs_run(engine, people)
    prof.disable()
    s = io.StringIO()
    stats = pstats.Stats(prof, stream=s)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return s.getvalue()


# -- the run ---------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=5_000)
    ap.add_argument("--rules", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(Path(__file__).with_name("results.md")))
    ap.add_argument("--profile", action="store_true",
                    help="print a cProfile of recommend_many over the default packs and exit")
    args = ap.parse_args()
    if args.profile:
        print(profile_default(args.people))
        return

    began = time.perf_counter()
    load_before = os.getloadavg()
    yaml_text = workload_yaml(args.rules, name="peers")
    engine = build_engine(yaml_text, cap=None)
    rules = list(engine.rules)
    people = workload_people(args.people)
    closures = python_closures(rules)
    expected = python_matches(closures, people)

    ctx = mp.get_context("spawn")
    start = time.perf_counter()
    pool = ctx.Pool(2, initializer=_worker_init, initargs=(yaml_text,))
    pool.map(_worker_recommend, [people[:10], people[10:20]])     # both workers up, engines built, warm
    startup = time.perf_counter() - start

    peers: dict[str, dict] = {}

    def peer(key: str, label: str, how: str, run: Callable[[], Any], check: Callable[[], list]) -> None:
        peers[key] = {"label": label, "how": how, "run": run, "check": check, "times": [], "cpu": []}

    peer("python", "plain Python closures", "one closure per rule, every rule per person",
         lambda: python_matches(closures, people), lambda: python_matches(closures, people))
    peer("devrecs", "devrecs `recommend_many`, 1 process",
         f"whole path: validate, fact, match ({engine.chunk_size} people per durable session, capped actions), "
         "resolve, evidence; cap=None",
         lambda: devrecs_run(engine, people), lambda: devrecs_fired(engine, people))
    peer("devrecs2", "devrecs `recommend_many`, 2 worker processes",
         "same, people split in 2 halves over 2 spawned workers (startup excluded)",
         lambda: _two_workers(pool, people),
         lambda: [m for part in pool.map(_worker_fired, halves(people)) for m in part])
    naive = NaiveDurable(engine)
    peer("naive", "naive durable-rules", "devrecs' compiled JSON without `cap`; 1 person per session "
         "(`assert_fact`, `delete_state`), one action call per firing",
         lambda: naive.matches(people), lambda: naive.matches(people))
    zen_eng = zen_engine(rules)
    peer("zen", "GoRules zen-engine", "one decision table, hit policy collect, in a `ZenEngine` with a "
         "static loader; `engine.evaluate(key, person)` per person",
         lambda: zen_matches(zen_eng, people), lambda: zen_matches(zen_eng, people))
    decision = zen_decision(rules)
    peer("zen_decision", "GoRules zen-engine, `create_decision`", "the same table; "
         "`ZenEngine().create_decision(jdm).evaluate(person)` per person",
         lambda: zen_decision_matches(decision, people), lambda: zen_decision_matches(decision, people))
    clips_peer = Clips(rules, engine.chunk_size)
    peer("clips", "CLIPS (clipspy)", f"one defrule per rule; {engine.chunk_size} people asserted, run, reset",
         lambda: clips_peer.matches(people), lambda: clips_peer.matches(people))
    re_rules = rule_engine_rules(rules)
    peer("rule_engine", "rule-engine", "one `Rule` per rule, `matches` per rule and person",
         lambda: rule_engine_matches(re_rules, people), lambda: rule_engine_matches(re_rules, people))

    d_engine = default_engine()
    d_people = default_people(args.people)
    d_expected = [frozenset(d_engine.python_fired(p)) for p in d_people]
    peer("default", "devrecs default packs, 1 process",
         f"`Engine.default(entry_points=False)` ({len(d_engine.rules)} rules), default cap, "
         "people with the facts those packs read",
         lambda: devrecs_run(d_engine, d_people), lambda: devrecs_fired(d_engine, d_people))

    correct = {}
    for key, p in peers.items():          # the check also warms each engine up
        got = p["check"]()
        want = d_expected if key == "default" else expected
        bad = sum(1 for g, w in zip(got, want) if g != w) + abs(len(got) - len(want))
        correct[key] = bad
        print(f"check {key}: {'correct' if not bad else f'{bad} people differ'}", flush=True)

    for rep in range(args.repeats):
        for key, p in peers.items():
            start, cpu = time.perf_counter(), time.process_time()
            got = p["run"]()
            p["times"].append(time.perf_counter() - start)
            # CPU seconds: this process's, plus the workers' for the 2-worker run
            p["cpu"].append(time.process_time() - cpu + (got if key == "devrecs2" else 0.0))
        print(f"repeat {rep + 1}: " + ", ".join(f"{k} {p['times'][-1]:.3f}s" for k, p in peers.items()), flush=True)
    pool.close()
    pool.join()
    load_after = os.getloadavg()

    busy = (" (other processes were running: wall times are inflated, compare ratios and CPU seconds)"
            if max(load_before[0], load_after[0]) > 1.5 else "")
    med = {k: statistics.median(p["times"]) for k, p in peers.items()}
    cpu = {k: statistics.median(p["cpu"]) for k, p in peers.items()}
    rate = {k: args.people / v for k, v in med.items()}
    mark = {k: "yes" if not bad else f"NO ({bad} people differ)" for k, bad in correct.items()}
    order = ["devrecs", "devrecs2", "naive", "zen", "zen_decision", "clips", "rule_engine", "python"]
    lines = [f"Command: `python benchmarks/peers.py --people {args.people} --rules {args.rules} "
             f"--repeats {args.repeats}`; {dt.datetime.now():%Y-%m-%d}, Python {sys.version.split()[0]}, "
             f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before and {load_after[0]:.2f} after{busy}; median of {args.repeats} interleaved repeats in one run "
             f"of {time.perf_counter() - began:.0f} s.", "",
             f"Workload: {args.rules} rules (two equality tests on enum facts and a `level >=` test each), "
             f"written once as a devrecs rule file and translated for each engine; {args.people} people. "
             "\"correct\": the engine's matched rule set equals plain Python's for every person.", "",
             "| engine | how it is fed | median s | people/s | vs naive durable | CPU s | people per CPU s "
             "| correct |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    lines += [f"| {peers[k]['label']} | {peers[k]['how']} | {med[k]:.3f} | {rate[k]:,.0f} | "
              f"{rate[k] / rate['naive']:.2f}x | {cpu[k]:.3f} | {args.people / cpu[k]:,.0f} | {mark[k]} |"
              for k in order]
    lines += ["", "median s and people/s are wall time, the issue's measure; CPU s (the process's, plus both "
              "workers' for the 2-worker run) is less sensitive to other load on the machine."]
    lines += ["", f"Default packs, same run: {peers['default']['how']}, {args.people} people: "
              f"median {med['default']:.3f} s, **{rate['default']:,.0f} people/s** ({args.people / cpu['default']:,.0f} "
              f"per CPU second), fired rules {mark['default']}."]
    lines += ["", f"Worker startup (spawn 2 processes, import, build the Engine from YAML, one warm-up "
              f"call), excluded above: {startup:.2f} s; with it, 2 workers would do "
              f"{args.people / (med['devrecs2'] + startup):,.0f} people/s for {args.people} people."]
    targets = [
        (f"devrecs whole path >= 4x naive durable (1 process): {rate['devrecs'] / rate['naive']:.2f}x",
         rate["devrecs"] >= 4 * rate["naive"]),
        (f"devrecs with 2 workers >= zen-engine single-process: {rate['devrecs2']:,.0f} vs "
         f"{rate['zen']:,.0f} people/s ({rate['devrecs2'] / rate['zen']:.2f}x)", rate["devrecs2"] >= rate["zen"]),
        (f"default packs >= 8,000 people/s (1 process): {rate['default']:,.0f} people/s",
         rate["default"] >= 8000),
    ]
    lines += ["", "Targets (issue 10), this run:", ""]
    lines += [f"- {text}: **{'met' if ok else 'NOT met'}**" for text, ok in targets]
    write_section(Path(args.out), "peers", "devrecs and other rule engines on one workload", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
