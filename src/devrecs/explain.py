"""Why, why not, and what it would take, for one audience.

- why: every rule that recommended the intervention, each condition with
  the person's value, the rationale and the seed;
- why not: every rule that could have recommended it, with the conditions
  that failed (the value against the test), and, when a rule fired but the
  recommendation was removed, which step removed it;
- what it would take: the fewest fact changes (among facts a person or
  manager can change, and the audience may see) that make it recommended,
  each checked through the engine before it is proposed.

Audiences follow ``audience.py``: the explanation is computed from the
facts the audience may see, an intervention it may not see is answered with
the same words whether or not the person would get it, and a hidden fact is
shown as withheld.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, Iterable, Optional, Sequence

import attrs

from .engine import Evaluation, RuleEngine
from .audience import (NOT_AVAILABLE, TALENT_REVIEW, WITHHELD, check_audience, masked, redact, unquoted_facts,
                       visible, withheld_facts)
from .errors import UnknownIdError, did_you_mean
from .facts import PERSON_FACTS, fact_value, spec_for
from .model import NINE_BOX, Person, Rule, plain
from .people import person_from_dict, person_to_dict
from .resolve import Removed
from .rulefile.conditions import Compare, Contains, Items, describe, leaf_holds, leaf_truth
from .rulefile.walk import NEGATED_OP, dnf, leaf_tests, literal_text

MAX_ALTERNATIVES = 64       # ways of satisfying one rule considered for "what it would take"
MAX_TRIES = 24              # candidate change sets checked through the engine

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
    # In the audience's own words (catalog and rule ``wording``): what it is, why, who acts, the
    # first step and a typical timeframe. ``reason`` is set for a recommended item only.
    description: str = ""
    reason: tuple[str, ...] = ()
    who_acts: tuple[str, ...] = ()
    first_step: str = ""
    timeframe: str = ""

    def to_dict(self) -> dict:
        return {"intervention": self.intervention, "title": self.title, "status": self.status,
                "summary": self.summary, "why": [r.to_dict() for r in self.why],
                "why_not": [r.to_dict() for r in self.why_not],
                "what_it_would_take": [c.to_dict() for c in self.what_it_would_take],
                "change_rule": self.change_rule, "blocked": self.blocked,
                "description": self.description, "reason": list(self.reason), "who_acts": list(self.who_acts),
                "first_step": self.first_step, "timeframe": self.timeframe}


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


def _removed_text(r: Removed, rules: dict[str, Rule], nameable: Optional[set[str]] = None) -> str:
    """Why a step took an item away; a suppressing rule the audience may not be told of (it
    recommends what the audience may not see, or tests a fact withheld from it) is not named."""
    if r.step == "suppressed":
        by = rules.get(r.detail)
        if nameable is not None and r.detail not in nameable:
            return "held back while another plan is in place"
        return f"suppressed by rule '{r.detail}'" + (f" ({by.title})" if by else "")
    if r.step == "cooldown":
        return f"in cooldown: {r.detail}"
    if r.step == "cap":
        return f"cut by the cap: {r.detail}"
    return "not given: the person has no manager on record"


def _value_for(op: str, value: Any, spec: Any, current: Any) -> Any:
    """A concrete value for which ``<fact> <op> <value>`` holds, or None when there is no sensible one."""
    if spec.kind == "enum":
        choices = list(spec.values)
        pick = {
            "eq": lambda: [value], "in": lambda: list(value),
            "ne": lambda: [c for c in choices if c != value],
            "not_in": lambda: [c for c in choices if c not in value],
        }
        if spec.ordered:
            rank = {c: i for i, c in enumerate(choices)}
            pick.update({
                "lt": lambda: [c for c in reversed(choices) if rank[c] < rank[value]],
                "le": lambda: [c for c in reversed(choices) if rank[c] <= rank[value]],
                "gt": lambda: [c for c in choices if rank[c] > rank[value]],
                "ge": lambda: [c for c in choices if rank[c] >= rank[value]],
                "between": lambda: [c for c in choices if rank[value[0]] <= rank[c] <= rank[value[1]]],
                "outside": lambda: [c for c in choices if not rank[value[0]] <= rank[c] <= rank[value[1]]],
            })
        options = pick[op]() if op in pick else []
        return options[0] if options else None
    if spec.kind == "bool":
        return {"eq": value, "ne": (not value) if isinstance(value, bool) else None}.get(op)
    if spec.kind in ("int", "float"):
        step = 1 if spec.kind == "int" else 0.01
        fix = (lambda v: int(v)) if spec.kind == "int" else (lambda v: round(v, 2))
        if op in ("eq", "le", "ge"):
            return fix(value)
        if op == "in":
            return fix(value[0])
        if op == "lt":
            return fix(value - step)
        if op == "gt":
            return fix(value + step)
        if op == "between":
            return fix(value[0])
        if op == "outside":
            return fix(value[0] - step)
        if op == "ne":
            return fix(value + step)
        if op == "not_in":
            return fix(max(value) + step)
    return None


def _gap_for(tests: Iterable[Any]) -> Optional[dict]:
    gap: dict[str, Any] = {}
    for t in tests:
        spec = PERSON_FACTS["gaps"].item_fields[t.field]
        if t.field == "skill" and t.op in ("eq", "in"):
            gap["skill"] = t.value if t.op == "eq" else t.value[0]
        elif t.field == "severity":
            v = _value_for(t.op, t.value, spec, gap.get("severity"))
            if v is None:
                return None
            gap["severity"] = v
        elif t.field == "source" and t.op in ("eq", "in"):
            gap["source"] = t.value if t.op == "eq" else t.value[0]
        else:
            return None
    if "skill" not in gap:
        return None
    gap.setdefault("severity", "medium")
    return gap


def _changes_for(leaf: Any, positive: bool, get: Any, hidden: frozenset[str]) -> Optional[list[Change]]:
    """Fact changes that make ``leaf`` hold (or fail, when not ``positive``); None when not possible."""
    if leaf.path in hidden:
        return None
    spec = spec_for(leaf.path)
    if spec is None or spec.kind == "any" or not spec.changeable:
        return None
    current = get(leaf.path)
    if isinstance(leaf, Compare):
        if leaf.path == "nine_box":
            op = leaf.op if positive else NEGATED_OP[leaf.op]
            cell = _value_for(op, leaf.value, spec, current)
            cells = {v: k for k, v in NINE_BOX.items()}
            if cell is None or {"performance", "potential"} & hidden:
                return None
            perf, pot = cells[cell]
            return [Change("performance", get("performance"), perf), Change("potential", get("potential"), pot)]
        if leaf.op == "exists":
            return None
        op = leaf.op if positive else NEGATED_OP[leaf.op]
        new = _value_for(op, leaf.value, spec, current)
        return None if new is None else [Change(leaf.path, current, new)]
    if isinstance(leaf, Contains):
        have = list(current or [])
        if positive:
            return [Change(leaf.path, have, have + [leaf.values[0]])]
        return [Change(leaf.path, have, [v for v in have if v not in leaf.values])]
    if isinstance(leaf, Items) and leaf.path == "gaps":
        gaps = list(current or [])
        if (leaf.quant == "any") == positive:
            gap = _gap_for(leaf.where)
            return None if gap is None else [Change("gaps", gaps, gaps + [gap])]
        keep = [g for g in gaps if not leaf_holds(attrs.evolve(leaf, quant="any"), lambda p, g=g: [g])]
        return [Change("gaps", gaps, keep)]
    return None


def apply_changes(person: Person, changes: Sequence[Change]) -> Person:
    """The person with the changes made (used to check a proposal through the engine)."""
    data = person_to_dict(person)
    for ch in changes:
        if "." in ch.fact:
            head, tail = ch.fact.split(".", 1)
            data[head] = dict(data.get(head) or {}, **{tail: plain(ch.proposed)})
        else:
            data[ch.fact] = plain(ch.proposed)
        if ch.fact in ("performance", "potential", "nine_box"):
            data.pop("nine_box", None)
    data.pop("nine_box", None)
    return person_from_dict(data)


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
    nameable = {r.id for r in engine.rules if not touches_hidden(r, hidden)
                and all(visible(catalog, t.intervention, audience) for t in r.recommend)}
    why, why_not = [], []
    for rule in sorted(candidates, key=lambda r: (-r.priority, r.id)):
        fired = rule.id in fired_ids
        step = next((_removed_text(r, rules, nameable) for r in removed if rule.id in r.rules), "")
        review = touches_hidden(rule, unquoted_facts(audience))   # named to this audience as the talent review
        rc = RuleCheck(TALENT_REVIEW if review else rule.id, TALENT_REVIEW_TITLE if review else rule.title,
                       rule.rationale_for(audience), "" if review else rule.source, fired,
                       WITHHELD if touches_hidden(rule, hidden) else describe(rule.when),
                       _checks(rule, get, hidden), step, not_in_effect(rule, day))
        (why if fired and own else why_not).append(rc)
    plan = dict(description=entry.description_for(audience), who_acts=entry.who_acts,
                first_step=entry.first_step, timeframe=entry.timeframe)
    if own:
        redacted = redact(own[0], audience, catalog)
        summary = f"recommended (priority {redacted.priority}) by " + ", ".join(f"'{r}'" for r in redacted.rules)
        return Item(intervention, entry.title, "recommended", summary, tuple(why), tuple(why_not),
                    reason=tuple(t for t in redacted.rationale if t), **plan)
    in_effect = [r for r in candidates if r.in_effect(day)]
    changes, rule_id, blocked = what_it_would_take(engine, view, intervention, in_effect, hidden, get, day)
    if rule_id in rules and touches_hidden(rules[rule_id], unquoted_facts(audience)):
        rule_id = TALENT_REVIEW
    if removed:
        status, summary = "removed", "; ".join(dict.fromkeys(_removed_text(r, rules, nameable) for r in removed))
    else:
        status, summary = "not-recommended", "no rule that recommends it holds for this person"
        if len(in_effect) < len(candidates):
            named = [r.id for r in candidates if not r.in_effect(day) and r.id in nameable
                     and not touches_hidden(r, unquoted_facts(audience))]
            summary = ("no rule in effect on " + day.isoformat() + " that recommends it holds for this person"
                       + (f" ({', '.join(repr(n) for n in named)} not in effect then)" if named else ""))
    return Item(intervention, entry.title, status, summary, (), tuple(why_not), tuple(changes), rule_id,
                blocked, **plan)


TALENT_REVIEW_TITLE = "From the talent review"


def touches_hidden(rule: Rule, hidden: frozenset[str]) -> bool:
    paths = {leaf.path for leaf, _, _ in leaf_tests(rule.when)}
    return bool(paths & hidden) or ("nine_box" in paths and bool(hidden & {"performance", "potential"}))


def what_it_would_take(engine: RuleEngine, view: Person, intervention: str, candidates: Sequence[Rule],
                       hidden: frozenset[str], get: Any, day: dt.date) -> tuple[list[Change], str, str]:
    """The smallest verified set of fact changes that gets ``intervention`` recommended.

    Returns (changes, rule id, blocked): when no change set works, ``blocked``
    says what removed it after the smallest change made a rule hold."""
    options = []
    for rule in candidates:
        if not any(t.intervention == intervention and t.to == "person" for t in rule.recommend):
            continue
        for alt in dnf(rule.when, limit=MAX_ALTERNATIVES, cut=True) or []:
            failing = [(leaf, pos) for leaf, pos in alt if leaf_truth(leaf, get) is not pos]
            if not failing:
                continue
            changes: list[Change] = []
            for leaf, pos in failing:
                found = _changes_for(leaf, pos, get, hidden)
                if found is None:
                    break
                changes.extend(found)
            else:
                merged = _merge(changes)
                if merged is not None:
                    options.append((len(failing), len(merged), -rule.priority, rule.id, merged))
    options.sort(key=lambda o: o[:4])
    seen = set()
    blocked = ""
    rules = {r.id: r for r in engine.rules}
    for _, _, _, rule_id, changes in itertools.islice(options, MAX_TRIES):
        key = tuple((c.fact, repr(c.proposed)) for c in changes)
        if key in seen:
            continue
        seen.add(key)
        try:
            changed = apply_changes(view, changes)
        except Exception:   # a proposal the model refuses is no proposal
            continue
        evaluation = engine.evaluate(changed, day)
        if any(r.intervention == intervention and r.subject == view.id for r in evaluation.recommendations):
            return changes, rule_id, ""
        if not blocked:
            steps = [_removed_text(r, rules) for r in evaluation.resolution.removed if r.intervention == intervention]
            if steps:
                blocked = (f"changing {', '.join(c.describe() for c in changes)} would make rule "
                           f"'{rule_id}' hold, but it would be {steps[0]}")
    return [], "", blocked


def _merge(changes: list[Change]) -> Optional[list[Change]]:
    """One change per fact; None when two changes want different values of one fact."""
    out: dict[str, Change] = {}
    for ch in changes:
        if ch.fact in out and out[ch.fact].proposed != ch.proposed:
            return None
        out[ch.fact] = ch
    return list(out.values())
