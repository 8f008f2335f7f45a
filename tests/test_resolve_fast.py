"""resolve() (the fast version) against a reference: the straightforward implementation it
replaced, kept here verbatim as ``reference_resolve``. Both must give equal recommendations,
in the same order, the same ``removed`` trace, and call ``evidence`` for the same rules in
the same order (or raise the same error, after the same calls)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Callable, Optional, Sequence

import attrs
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from devrecs.catalog import Catalog
from devrecs.engine.resolve import COOLDOWN_OUTCOMES, DEFAULT_CAP, Removed, plan, resolve
from devrecs.errors import UnknownIdError
from devrecs.facts import DAYS_PER_MONTH, months_between
from devrecs.model import Evidence, HistoryEntry, Intervention, Outcome, Person, Recommendation, Rule, Target

AS_OF = dt.date(2026, 6, 30)
INTERVENTIONS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
UNKNOWN = "not-in-catalog"
RULE_IDS = ["r-a", "r-b", "r-c", "r-d", "r-e", "r-f", "r-g", "r-h"]
COOLDOWNS = [0, 1, 6, 12, 24]
KINDS = ["career", "learning", "skills"]


# -- the reference: resolve() as it was before it was made fast --------------------------

@attrs.define
class _Candidate:
    intervention: str
    subject: str
    rules: list[Rule]


def _cooldown_entry(person: Person, intervention: str, months: int, as_of: dt.date):
    latest = None
    for entry in person.history:
        if entry.intervention != intervention or entry.outcome not in COOLDOWN_OUTCOMES:
            continue
        if months_between(entry.date, as_of) <= months and (latest is None or entry.date > latest.date):
            latest = entry
    return latest


def reference_resolve(person: Person, fired: Sequence[Rule], catalog: Catalog, *,
                      evidence: Callable[[Rule], tuple[Evidence, ...]], as_of: dt.date,
                      cap: Optional[int] = DEFAULT_CAP, ruleset_hash: str = "") -> SimpleNamespace:
    removed: list[Removed] = []
    candidates: dict[tuple[str, str], _Candidate] = {}
    for rule in fired:
        for target in rule.recommend:
            if target.to == "manager":
                if not person.manager_id:
                    removed.append(Removed(target.intervention, "", (rule.id,), "no-manager",
                                           "the person has no manager_id"))
                    continue
                subject = person.manager_id
            else:
                subject = person.id
            cand = candidates.setdefault((target.intervention, subject),
                                         _Candidate(target.intervention, subject, []))
            if all(r.id != rule.id for r in cand.rules):
                cand.rules.append(rule)

    suppressed_by: dict[str, str] = {}
    for rule in sorted(fired, key=lambda r: (-r.priority, r.id)):
        for intervention in rule.suppresses:
            suppressed_by.setdefault(intervention, rule.id)

    def kind_suppressor(cand: _Candidate) -> Optional[str]:
        """The highest-ranked fired rule whose suppresses_kinds takes this (own) candidate away."""
        if cand.subject != person.id:
            return None
        kind = catalog.get(cand.intervention).kind
        for rule in sorted(fired, key=lambda r: (-r.priority, r.id)):
            if kind in rule.suppresses_kinds and all(
                    t.intervention != cand.intervention or t.to == "manager" for t in rule.recommend):
                return rule.id
        return None

    kept: list[_Candidate] = []
    for cand in candidates.values():
        rule_ids = tuple(r.id for r in cand.rules)
        if cand.intervention in suppressed_by:
            removed.append(Removed(cand.intervention, cand.subject, rule_ids, "suppressed",
                                   suppressed_by[cand.intervention]))
            continue
        by_kind = kind_suppressor(cand)
        if by_kind is not None:
            removed.append(Removed(cand.intervention, cand.subject, rule_ids, "suppressed", by_kind))
            continue
        if cand.subject == person.id:
            months = catalog.get(cand.intervention).cooldown_months
            entry = _cooldown_entry(person, cand.intervention, months, as_of)
            if entry is not None:
                removed.append(Removed(cand.intervention, cand.subject, rule_ids, "cooldown",
                                       f"{entry.outcome.value} on {entry.date.isoformat()} "
                                       f"(cooldown {months} months)"))
                continue
        kept.append(cand)

    def priority(c: _Candidate) -> int:
        return max(r.priority for r in c.rules)

    kept.sort(key=lambda c: (-priority(c), c.intervention, c.subject))
    out: list[Recommendation] = []
    own = 0
    for cand in kept:
        rules = sorted(cand.rules, key=lambda r: (-r.priority, r.id))
        rule_ids = tuple(r.id for r in rules)
        if cand.subject == person.id:
            if cap is not None and own >= cap:
                removed.append(Removed(cand.intervention, cand.subject, rule_ids, "cap",
                                       f"only the {cap} highest-priority items are kept"))
                continue
            own += 1
        out.append(Recommendation(
            intervention=cand.intervention,
            title=catalog.get(cand.intervention).title,
            subject=cand.subject,
            person=person.id,
            rules=rule_ids,
            priority=priority(cand),
            rationale=tuple(dict.fromkeys(r.rationale for r in rules if r.rationale)),
            evidence=tuple(e for r in rules for e in evidence(r)),
            ruleset_hash=ruleset_hash,
            wording=tuple(w for r in rules for w in r.wording),
        ))
    return SimpleNamespace(recommendations=tuple(out), removed=tuple(removed))


# -- strategies ---------------------------------------------------------------------------

targets = st.builds(Target, st.sampled_from(INTERVENTIONS), st.sampled_from(["person", "manager"]))


@st.composite
def rules(draw) -> list[Rule]:
    """Rules with ids from a small pool (two distinct rules may share an id), priorities
    with ties, targets to the person and the manager (one rule may name one twice)."""
    out = []
    for _ in range(draw(st.integers(0, 9))):
        out.append(Rule(
            id=draw(st.sampled_from(RULE_IDS)),
            title="t",
            when=None,
            recommend=tuple(draw(st.lists(targets, max_size=4))),
            priority=draw(st.sampled_from([0, 10, 50, 50, 70, 90, -5])),
            suppresses=tuple(draw(st.lists(st.sampled_from(INTERVENTIONS), max_size=2))),
            rationale=draw(st.sampled_from(["", "", "because", "growth", "retention"])),
            suppresses_kinds=tuple(draw(st.lists(st.sampled_from(KINDS), max_size=2))) if draw(st.booleans()) else (),
            wording=tuple(draw(st.lists(st.tuples(st.sampled_from(["employee", "manager"]),
                                                  st.sampled_from(["you", "your report"])), max_size=2))),
        ))
    return out


@st.composite
def fired_rules(draw) -> list[Rule]:
    pool = draw(rules())
    if not pool:
        return []
    # mostly the pool in some order, sometimes a rule twice
    fired = draw(st.permutations(pool))
    if draw(st.booleans()):
        fired = fired + draw(st.lists(st.sampled_from(pool), max_size=2))
    return list(fired)


def catalogs(with_unknown: bool):
    ids = INTERVENTIONS[:-1] if with_unknown else INTERVENTIONS    # without one: lookups may fail
    return st.tuples(st.lists(st.sampled_from(COOLDOWNS), min_size=len(ids), max_size=len(ids)),
                     st.lists(st.sampled_from(KINDS), min_size=len(ids), max_size=len(ids))).map(
        lambda ck: Catalog([Intervention(i, f"Title of {i}", "", k, "person", ("hr",), cooldown_months=c)
                            for i, c, k in zip(ids, *ck)]))


@st.composite
def history_dates(draw) -> dt.date:
    """Dates around the cooldown boundaries (and anywhere in a few years, and in the future)."""
    kind = draw(st.sampled_from(["boundary", "boundary", "any", "future"]))
    if kind == "boundary":
        days = round(draw(st.sampled_from(COOLDOWNS)) * DAYS_PER_MONTH) + draw(st.integers(-2, 2))
    elif kind == "any":
        days = draw(st.integers(0, 1500))
    else:
        days = -draw(st.integers(1, 40))
    return AS_OF - dt.timedelta(days=days)


history = st.builds(HistoryEntry, st.sampled_from(INTERVENTIONS + [UNKNOWN]), history_dates(),
                    st.sampled_from(list(Outcome)))


@st.composite
def persons(draw) -> Person:
    pid = draw(st.sampled_from(["p1", "p2"]))
    manager = draw(st.sampled_from([None, "", "m1", "m2", pid]))     # pid: their own manager
    return Person(id=pid, manager_id=manager, history=tuple(draw(st.lists(history, max_size=5))))


# -- running both ------------------------------------------------------------------------

def run(fn, person, fired, catalog, cap, ruleset_hash="h1"):
    """(what happened, the rules evidence() was called for, by identity)."""
    calls: list[Rule] = []

    def evidence(rule: Rule) -> tuple[Evidence, ...]:
        calls.append(rule)
        n = len(calls)
        return tuple(Evidence(rule.id, f"fact{k}", "eq", n) for k in range(n % 3))

    if fn is resolve:                    # the engine gives resolve each fired rule's plan
        fired = [plan(r) for r in fired]
    try:
        resolution = fn(person, fired, catalog, evidence=evidence, as_of=AS_OF, cap=cap, ruleset_hash=ruleset_hash)
        result = (resolution.recommendations, resolution.removed)
    except UnknownIdError as exc:
        result = ("error", str(exc))
    return result, [id(r) for r in calls]


def check(person, fired, catalog, cap):
    expected = run(reference_resolve, person, fired, catalog, cap)
    got = run(resolve, person, fired, catalog, cap)
    assert got == expected
    if got[0][0] != "error":
        assert type(got[0][0]) is tuple and type(got[0][1]) is tuple
        assert [r.to_dict() for r in got[0][0]] == [r.to_dict() for r in expected[0][0]]
    assert run(resolve, person, fired, catalog, cap) == expected       # again: the same answer
    return got


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person=persons(), fired=fired_rules(), catalog=catalogs(False), cap=st.sampled_from([None, 0, 1, 5, -1]))
def test_resolve_matches_reference(person, fired, catalog, cap):
    check(person, fired, catalog, cap)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person=persons(), fired=fired_rules(), catalog=catalogs(True), cap=st.sampled_from([None, 0, 1, 5, -1]))
def test_resolve_matches_reference_with_unknown_interventions(person, fired, catalog, cap):
    check(person, fired, catalog, cap)


def test_every_step_is_exercised():
    """One hand-made case that needs every step, so the property above is not vacuous."""
    catalog = Catalog([Intervention(i, i.title(), "", "career", "person", ("hr",), cooldown_months=12)
                       for i in INTERVENTIONS])
    fired = [
        Rule("r1", "t", None, (Target("alpha"), Target("beta", "manager")), priority=50, rationale="x"),
        Rule("r2", "t", None, (Target("alpha"), Target("gamma")), priority=70, rationale="x"),
        Rule("r3", "t", None, (Target("delta"),), priority=50, suppresses=("gamma",)),
        Rule("r0", "t", None, (Target("epsilon"), Target("zeta")), priority=50, suppresses=("gamma",),
             rationale="y"),
    ]
    person = Person(id="p", manager_id="m",
                    history=(HistoryEntry("delta", AS_OF - dt.timedelta(days=100), Outcome.DECLINED),))
    (recommendations, removed), _ = check(person, fired, catalog, 1)
    assert [(r.intervention, r.subject, r.rules, r.priority) for r in recommendations] == [
        ("alpha", "p", ("r2", "r1"), 70), ("beta", "m", ("r1",), 50)]
    assert recommendations[0].rationale == ("x",)
    assert [(r.intervention, r.step, r.detail) for r in removed] == [
        ("gamma", "suppressed", "r0"),
        ("delta", "cooldown", "declined on 2026-03-22 (cooldown 12 months)"),
        ("epsilon", "cap", "only the 1 highest-priority items are kept"),
        ("zeta", "cap", "only the 1 highest-priority items are kept")]
    check(Person(id="p"), fired, catalog, None)                       # no manager


def test_default_packs_match_reference():
    """The built-in packs over varied people: the engine's fired rules, resolved both ways."""
    from devrecs import Engine
    from devrecs.people import person_from_dict

    engine = Engine.default(entry_points=False, as_of=AS_OF)
    levels = ["low", "medium", "high"]
    ids = engine.catalog.ids
    for i in range(120):
        raw = {"id": f"p{i}", "track": ["manager", "individual_contributor"][i % 2], "level": 1 + i % 8,
               "performance": levels[i % 3], "potential": levels[(i // 3) % 3],
               "engagement": levels[(i // 9) % 3], "flight_risk": levels[(i // 27) % 3],
               "aspiration": ["technical", "management", "undecided"][(i // 2) % 3],
               "months_in_role": (i * 7) % 90, "tenure_years": (i * 3) % 25,
               "history": [{"intervention": ids[(i + k) % len(ids)],
                            "date": (AS_OF - dt.timedelta(days=(i * 37 + k * 200) % 900)).isoformat(),
                            "outcome": ["accepted", "declined", "completed", "recommended"][(i + k) % 4]}
                           for k in range(i % 4)]}
        if i % 5:
            raw["manager_id"] = f"m{i % 7}"
        person = person_from_dict(raw)
        fired = engine.evaluate(person, AS_OF).fired
        for cap in (None, 0, DEFAULT_CAP):
            check(person, fired, engine.catalog, cap)


@pytest.mark.parametrize("cap", [None, 2])
def test_empty(cap):
    assert check(Person(id="p"), [], Catalog(), cap)[0] == ((), ())
