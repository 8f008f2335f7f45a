"""Why, why not, and what it would take, for one audience.

- why: every rule that recommended the intervention, each condition with
  the person's value, the rationale and the seed;
- why not: every rule that could have recommended it, with the conditions
  that failed (the value against the test), and, when a rule fired but the
  recommendation was removed, which step removed it;
- what it would take: the smallest set of changes a person can make (the
  clocks grow, gaps close, interests and aspiration change; facts the
  audience may see only) that gets it recommended, found by a bounded
  search (GROWTH_MONTHS, MAX_CHANGES, MAX_SETS) that says when it stopped
  at its bound, each proposal checked through the engine.

Audiences follow ``audience.py``: the explanation is computed from the
facts the audience may see, an intervention it may not see is answered with
the same words whether or not the person would get it, and a hidden fact is
shown as withheld.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, Callable, Iterable, NamedTuple, Optional, Sequence

import attrs

from .audience import (
    NOT_AVAILABLE,
    TALENT_REVIEW,
    WITHHELD,
    check_audience,
    masked,
    redact,
    unquoted_facts,
    visible,
    withheld_facts,
)
from .engine.core import Evaluation, RuleEngine
from .engine.resolve import Removed
from .errors import UnknownIdError, did_you_mean
from .facts import PERSON_FACTS, fact_value
from .model import Person, Rule, plain
from .people import with_facts
from .rulefile.conditions import Compare, Contains, describe, holds, leaf_truth
from .rulefile.walk import leaf_tests, literal_text

PROPOSALS_NOTE = "Recommendations are proposals for a person to review with the employee, not decisions."


@attrs.frozen
class Check:
    """One condition of a rule, as the audience may see it. ``recorded`` is False
    when the record does not hold the fact the condition needs (it is unknown)."""

    fact: str
    test: str
    actual: Any
    held: Optional[bool]
    recorded: bool = True

    @property
    def text(self) -> str:
        """The condition with the person's value: 'aspiration is not management: technical',
        or 'aspiration: not recorded'."""
        if not self.recorded:
            return f"{self.fact}: not recorded"
        return f"{self.test}: {show_value(self.actual)}"

    def to_dict(self) -> dict:
        return {"fact": self.fact, "test": self.test, "actual": plain(self.actual), "held": self.held,
                "recorded": self.recorded}


@attrs.frozen
class RuleCheck:
    rule: str
    title: str
    rationale: str
    source: str
    fired: bool
    condition: str
    checks: tuple[Check, ...]
    removed: str = ""
    not_in_effect: str = ""   # why the rule cannot fire on the as-of date (its effective dates), or ""

    def to_dict(self) -> dict:
        return {"rule": self.rule, "title": self.title, "rationale": self.rationale, "source": self.source,
                "fired": self.fired, "condition": self.condition, "checks": [c.to_dict() for c in self.checks],
                "removed": self.removed, "not_in_effect": self.not_in_effect}


@attrs.frozen
class Change:
    """One fact to change, from its current value to a proposed one."""

    fact: str
    current: Any
    proposed: Any

    def to_dict(self) -> dict:
        return {"fact": self.fact, "current": plain(self.current), "proposed": plain(self.proposed)}

    def describe(self) -> str:
        return f"{self.fact}: {self.current_text} -> {show_value(self.proposed)}"

    @property
    def current_text(self) -> str:
        """The value now, or "not recorded" for a fact the record does not hold."""
        return "not recorded" if self.current is None else show_value(self.current)


@attrs.frozen
class Item:
    """The explanation of one intervention for one person."""

    intervention: str
    title: str
    status: str          # recommended | removed | not-recommended | not-available | other-level
    summary: str
    why: tuple[RuleCheck, ...] = ()
    why_not: tuple[RuleCheck, ...] = ()
    what_it_would_take: tuple[Change, ...] = ()
    change_rule: str = ""
    blocked: str = ""    # when changes would make a rule hold but a later step removes it
    stopped: str = ""    # when the search for what it would take stopped at its bound
    # In the audience's own words (catalog and rule ``wording``): what it is, why, who acts, the
    # first step and a typical timeframe. ``reason`` is set for a recommended item only.
    description: str = ""
    reason: tuple[str, ...] = ()
    who_acts: tuple[str, ...] = ()
    first_step: str = ""
    timeframe: str = ""
    # where the item stands in review (store states, app.py), for HR and managers with a store; else ""
    review: str = ""

    def to_dict(self) -> dict:
        return {"intervention": self.intervention, "title": self.title, "status": self.status,
                "summary": self.summary, "why": [r.to_dict() for r in self.why],
                "why_not": [r.to_dict() for r in self.why_not],
                "what_it_would_take": [c.to_dict() for c in self.what_it_would_take],
                "change_rule": self.change_rule, "blocked": self.blocked, "stopped": self.stopped,
                "description": self.description, "reason": list(self.reason), "who_acts": list(self.who_acts),
                "first_step": self.first_step, "timeframe": self.timeframe,
                **({"review": self.review} if self.review else {})}


@attrs.frozen
class Explanation:
    person: str
    audience: str
    items: tuple[Item, ...]
    note: str = PROPOSALS_NOTE

    def to_dict(self) -> dict:
        return {"person": self.person, "audience": self.audience, "items": [i.to_dict() for i in self.items],
                "note": self.note}


def show_value(value: Any) -> str:
    value = plain(value)
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "; ".join(", ".join(f"{k} {show_value(v)}" for k, v in item.items()
                                       if v is not None and k != "days_ago") for item in value) or "none"
        return "[" + ", ".join(show_value(v) for v in value) + "]" if value else "none"
    return str(value)


# -- building blocks ---------------------------------------------------------------


def _checks(rule: Rule, get: Any, hidden: frozenset[str]) -> tuple[Check, ...]:
    out = []
    for leaf, positive, _ in leaf_tests(rule.when):
        if leaf.path in hidden or (leaf.path == "nine_box" and hidden & {"performance", "potential"}):
            out.append(Check(WITHHELD, WITHHELD, WITHHELD, None))
            continue
        value = leaf_truth(leaf, get)
        out.append(Check(leaf.path, literal_text(leaf, positive), get(leaf.path), value is positive,
                         value is not None))
    return tuple(out)


def not_in_effect(rule: Rule, day: dt.date) -> str:
    """Why ``rule`` does not fire on ``day`` because of its effective dates ("" when it may)."""
    if rule.in_effect(day):
        return ""
    if rule.effective_from is not None and day < rule.effective_from:
        return f"not in effect on {day.isoformat()}: it comes into effect on {rule.effective_from.isoformat()}"
    assert rule.effective_until is not None
    return f"not in effect on {day.isoformat()}: it was in effect until {rule.effective_until.isoformat()}"


def _removed_text(r: Removed, rules: dict[str, Rule], nameable: Optional[Callable[[str], bool]] = None) -> str:
    """Why a step took an item away; a suppressing rule the audience may not be told of (it
    recommends what the audience may not see, or tests a fact withheld from it) is not named."""
    if r.step == "suppressed":
        by = rules.get(r.detail)
        if nameable is not None and not nameable(r.detail):
            return "held back while another plan is in place"
        return f"suppressed by rule '{r.detail}'" + (f" ({by.title})" if by else "")
    if r.step == "cooldown":
        return f"in cooldown: {r.detail}"
    if r.step == "cap":
        return f"cut by the cap: {r.detail}"
    return "not given: the person has no manager on record"


def apply_changes(person: Person, changes: Sequence[Change]) -> Person:
    """The person with the changes made (used to check a proposal through the engine): as
    ``person_from_dict`` of the person's record with the proposed values (people.with_facts)."""
    facts: dict[str, Any] = {}
    for ch in changes:
        if "." in ch.fact:
            head, tail = ch.fact.split(".", 1)
            facts[head] = dict(facts.get(head) or plain(getattr(person, head)) or {}, **{tail: plain(ch.proposed)})
        else:
            facts[ch.fact] = plain(ch.proposed)
    facts.pop("nine_box", None)     # worked out from performance and potential, never given
    return with_facts(person, facts)


# -- the explanation -----------------------------------------------------------------


def explain(engine: RuleEngine, real: Person, intervention: Optional[str] = None, audience: str = "hr",
            as_of: Optional[dt.date] = None) -> Explanation:
    """Why (or why not) the prepared person ``real`` gets ``intervention`` (default: each item
    they get), as ``audience`` may see it."""
    check_audience(audience)
    catalog = engine.catalog
    if intervention is not None and intervention not in catalog:
        raise UnknownIdError(f"unknown intervention '{intervention}'{did_you_mean(intervention, catalog.ids)}")
    day = as_of or engine.as_of or dt.date.today()
    view = masked(real, audience, catalog)
    evaluation = engine.evaluate(view, day)
    hidden = withheld_facts(audience)      # never shown: hidden facts (masked too) and unquoted ones
    if intervention is None:
        wanted = [r.intervention for r in evaluation.recommendations
                  if r.subject == view.id and visible(catalog, r.intervention, audience)]
    else:
        wanted = [intervention]
    items = tuple(_item(engine, view, evaluation, x, audience, hidden, day) for x in wanted)
    return Explanation(real.id, audience, items)


class _Plan(NamedTuple):
    """What the catalog says of an intervention for the audience: who acts, the first step, when."""

    description: str
    who_acts: tuple[str, ...]
    first_step: str
    timeframe: str


def _item(engine: RuleEngine, view: Person, evaluation: Evaluation, intervention: str, audience: str,
          hidden: frozenset[str], day: dt.date) -> Item:
    catalog = engine.catalog
    if not visible(catalog, intervention, audience):
        return Item(intervention, catalog.get(intervention).title, "not-available", NOT_AVAILABLE)
    entry = catalog.get(intervention)
    rules = {r.id: r for r in engine.rules}
    values: dict[str, Any] = {}

    def get(path: str) -> Any:
        if path not in values:
            values[path] = fact_value(view, path, day)
        return values[path]

    own = [r for r in evaluation.recommendations if r.intervention == intervention and r.subject == view.id]
    candidates = [r for r in engine.rules if r.scope == "person"
                  and any(t.intervention == intervention for t in r.recommend)]
    if not candidates:
        if entry.subject in ("team", "organization", "manager") or any(
                r.scope != "person" and any(t.intervention == intervention for t in r.recommend)
                for r in engine.rules):
            return Item(intervention, entry.title, "other-level",
                        "recommended to managers or to the organization, not to a person "
                        "(see 'devrecs recommend --org')")
        return Item(intervention, entry.title, "not-recommended", "no rule recommends this intervention")
    fired_ids = {r.id for r in evaluation.fired}
    removed = [r for r in evaluation.resolution.removed if r.intervention == intervention]

    def nameable(rule_id: str) -> bool:
        """Whether the audience may be told of the rule: it tests no fact withheld from it and
        recommends only what it may see (asked of the few rules an explanation names)."""
        rule = rules.get(rule_id)
        return rule is not None and not touches_hidden(rule, hidden) and all(
            visible(catalog, t.intervention, audience) for t in rule.recommend)

    why, why_not = [], []
    for rule in sorted(candidates, key=lambda r: (-r.priority, r.id)):
        fired = rule.id in fired_ids
        step = next((_removed_text(r, rules, nameable) for r in removed if rule.id in r.rules), "")
        review = touches_hidden(rule, hidden)   # a rule on withheld facts is named as the talent review
        rc = RuleCheck(TALENT_REVIEW if review else rule.id, TALENT_REVIEW_TITLE if review else rule.title,
                       rule.rationale_for(audience), "" if review else rule.source, fired,
                       WITHHELD if touches_hidden(rule, hidden) else describe(rule.when),
                       _checks(rule, get, hidden), step, not_in_effect(rule, day))
        (why if fired and own else why_not).append(rc)
    plan = _Plan(entry.description_for(audience), tuple(entry.who_acts), entry.first_step_for(audience),
                 entry.timeframe)
    if own:
        redacted = redact(own[0], audience, catalog)
        summary = f"recommended (priority {redacted.priority}) by " + ", ".join(f"'{r}'" for r in redacted.rules)
        return Item(intervention, entry.title, "recommended", summary, tuple(why), tuple(why_not),
                    reason=tuple(t for t in redacted.rationale if t), description=plan.description,
                    who_acts=plan.who_acts, first_step=plan.first_step, timeframe=plan.timeframe)
    in_effect = [r for r in candidates if r.in_effect(day)]
    found = what_it_would_take(engine, view, intervention, in_effect, hidden, get, day)
    changes, rule_id, blocked = list(found.changes), found.rule, found.blocked
    stopped = (f"the search stopped at its bound ({found.tried} change sets of up to {MAX_CHANGES} facts) "
               f"before trying every change: a change may still work") if found.stopped else ""
    for rule in candidates:         # a rule an unquoted fact drives is named as the talent review
        if touches_hidden(rule, hidden):
            blocked = blocked.replace(f"'{rule.id}'", f"'{TALENT_REVIEW}'")
            rule_id = TALENT_REVIEW if rule_id == rule.id else rule_id
    if removed:
        status, summary = "removed", "; ".join(dict.fromkeys(_removed_text(r, rules, nameable) for r in removed))
    else:
        status, summary = "not-recommended", "no rule that recommends it holds for this person"
        if len(in_effect) < len(candidates):
            named = [r.id for r in candidates if not r.in_effect(day) and nameable(r.id)
                     and not touches_hidden(r, unquoted_facts(audience))]
            summary = ("no rule in effect on " + day.isoformat() + " that recommends it holds for this person"
                       + (f" ({', '.join(repr(n) for n in named)} not in effect then)" if named else ""))
    return Item(intervention, entry.title, status, summary, (), tuple(why_not), tuple(changes), rule_id,
                blocked, stopped=stopped, description=plan.description, who_acts=plan.who_acts,
                first_step=plan.first_step, timeframe=plan.timeframe)


TALENT_REVIEW_TITLE = "From the talent review"


def touches_hidden(rule: Rule, hidden: frozenset[str]) -> bool:
    paths = {leaf.path for leaf, _, _ in leaf_tests(rule.when)}
    return bool(paths & hidden) or ("nine_box" in paths and bool(hidden & {"performance", "potential"}))


# -- what it would take ----------------------------------------------------------------
#
# The changes a person can make, and nothing else: the clocks grow (time in role, since the
# last promotion, tenure, waiting in the pipeline), gaps close, and the person's interests and
# aspiration change. Each clock grows on its own, by at most GROWTH_MONTHS (tenure by
# GROWTH_MONTHS / 12 years). Facts the audience may not see, and facts a person cannot
# change by themself (NEVER_PROPOSED), are never proposed. The search tries every single
# change first, then pairs (at most MAX_CHANGES facts at once), smallest first: fewer facts,
# then fewer months of growth; it checks at most MAX_SETS change sets and says so when it
# stops there. Each proposal is checked through the engine before it is given.

GROWS = {"months_in_role": 1, "months_since_promotion": 1, "pipeline.months_waiting": 1, "tenure_years": 12}
GROWTH_MONTHS = 24          # how far the clocks may grow
MAX_CHANGES = 2             # facts changed at once
MAX_SETS = 400              # change sets considered (each checked by the Python evaluator first)
CHOSEN = ("aspiration", "interests")      # the person's own choice
CLOSES = ("gaps",)                        # a gap closes; none is proposed to open
NEVER_PROPOSED = ("potential", "flight_risk", "leadership_motive", "performance_plan", "wellbeing_concern")
CHANGES_A_PERSON_CAN_MAKE = tuple(GROWS) + CLOSES + CHOSEN


@attrs.frozen
class Move:
    """One change the search may propose, with its cost (months of growth; 0 for a choice)."""

    change: Change
    months: float = 0.0


@attrs.frozen
class Search:
    """What the search found: the changes (none when nothing works), the rule that then
    recommends it, what removed it when a change made a rule hold, and whether it stopped at
    the bound (MAX_SETS) before trying every change set within it."""

    changes: tuple[Change, ...]
    rule: str = ""
    blocked: str = ""
    stopped: bool = False
    tried: int = 0


def _leaves(rules: Sequence[Rule]) -> list[Any]:
    return [leaf for rule in rules for leaf, _, _ in leaf_tests(rule.when)]


def _constants(leaf: Compare) -> list[Any]:
    value = leaf.value
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def candidate_moves(rules: Sequence[Rule], get: Any, hidden: frozenset[str]) -> list[Move]:
    """Every single change the search considers, for the facts ``rules`` test: each clock grown
    to each value a rule's threshold makes worth trying (within GROWTH_MONTHS), each gap closed,
    each aspiration, each interest a rule names added and each interest it names dropped."""
    leaves = _leaves(rules)
    paths = {leaf.path for leaf in leaves}
    out: list[Move] = []
    for path, per_unit in GROWS.items():
        if path not in paths or path in hidden or path in NEVER_PROPOSED:
            continue
        current = get(path)
        if current is None or isinstance(current, bool):
            continue
        limit = current + GROWTH_MONTHS / per_unit
        step = 1 if per_unit == 1 else 0.01
        values = set()
        for leaf in leaves:
            if leaf.path == path and isinstance(leaf, Compare):
                for x in _constants(leaf):
                    values.update((x - step, x, x + step))
        for v in sorted(values):
            v = int(v) if per_unit == 1 else round(v, 2)
            if current < v <= limit:
                out.append(Move(Change(path, current, v), (v - current) * per_unit))
    if "gaps" in paths and "gaps" not in hidden:
        gaps = list(get("gaps") or [])
        for i in range(len(gaps)):
            out.append(Move(Change("gaps", gaps, gaps[:i] + gaps[i + 1:])))
        if len(gaps) > 1:
            out.append(Move(Change("gaps", gaps, [])))
    if "aspiration" in paths and "aspiration" not in hidden:
        current = get("aspiration")
        out.extend(Move(Change("aspiration", current, v)) for v in PERSON_FACTS["aspiration"].values if v != current)
    if "interests" in paths and "interests" not in hidden:
        have = list(get("interests") or [])
        named = list(dict.fromkeys(v for leaf in leaves if isinstance(leaf, Contains) and leaf.path == "interests"
                                   for v in leaf.values))
        out.extend(Move(Change("interests", have, have + [v])) for v in named if v not in have)
        out.extend(Move(Change("interests", have, [h for h in have if h != v])) for v in named if v in have)
    return out


def change_sets(moves: Sequence[Move], most: int = MAX_CHANGES) -> Iterable[tuple[Move, ...]]:
    """Sets of moves on different facts, smallest first: fewer facts, then fewer months."""
    for size in range(1, most + 1):
        sets = [c for c in itertools.combinations(moves, size) if len({m.change.fact for m in c}) == size]
        sets.sort(key=lambda c: sum(m.months for m in c))
        yield from sets


def what_it_would_take(engine: RuleEngine, view: Person, intervention: str, candidates: Sequence[Rule],
                       hidden: frozenset[str], get: Any, day: dt.date, max_sets: Optional[int] = None) -> Search:
    """The smallest set of changes a person can make that gets ``intervention`` recommended to
    them, checked through the engine; see the notes above for what is searched and the bound."""
    suppressors = [r for r in engine.rules if r.scope == "person" and intervention in r.suppresses]
    mine = [r for r in candidates if any(t.intervention == intervention and t.to == "person" for t in r.recommend)]
    moves = candidate_moves(mine + suppressors, get, hidden)
    max_sets = MAX_SETS if max_sets is None else max_sets
    rules = {r.id: r for r in engine.rules}
    blocked = ""
    tried = 0
    for moves_set in change_sets(moves):
        if tried >= max_sets:
            return Search((), "", blocked, True, tried)
        tried += 1
        changes = [m.change for m in moves_set]
        try:
            changed = apply_changes(view, changes)
        except Exception:   # a proposal the model refuses is no proposal
            continue
        if not any(holds_for(r, changed, day) for r in mine):
            continue
        evaluation = engine.evaluate(changed, day)
        got = [r for r in evaluation.recommendations if r.intervention == intervention and r.subject == view.id]
        if got:
            return Search(tuple(changes), got[0].rules[0] if got[0].rules else "", "", False, tried)
        if not blocked:
            steps = [_removed_text(r, rules) for r in evaluation.resolution.removed if r.intervention == intervention]
            if steps:
                rule_id = next((r.id for r in mine if holds_for(r, changed, day)), "")
                blocked = (f"changing {', '.join(c.describe() for c in changes)} would make rule "
                           f"'{rule_id}' hold, but it would be {steps[0]}")
    return Search((), "", blocked, False, tried)


def holds_for(rule: Rule, person: Person, day: dt.date) -> bool:
    """Whether ``rule``'s condition holds for ``person`` (the Python evaluator)."""
    return bool(holds(rule.when, lambda path: fact_value(person, path, day)))
