"""From the rules that fired for a person to an ordered, focused list.

Steps, in order (each removal is recorded so explanations can say why):
1. every target of every fired rule becomes a candidate; two rules naming
   the same intervention for the same subject give one candidate;
2. ``suppresses``: an intervention named by a fired rule's ``suppresses``
   is removed; so is any of the person's own candidates whose catalog
   ``kind`` is in a fired rule's ``suppresses_kinds`` (a focused plan),
   unless that rule recommends it itself;
3. cooldown: an intervention whose history shows it accepted, completed or
   declined within the catalog's ``cooldown_months`` is removed;
4. order: priority (highest first), then intervention id, so the order is
   deterministic;
5. cap: at most ``cap`` items for the person themself are kept (items for
   their manager are not counted); ``cap=None`` keeps all.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, NamedTuple, Optional, Sequence

import attrs

from ..catalog import Catalog
from ..facts import months_between
from ..model import Evidence, Outcome, Person, Recommendation, Rule

DEFAULT_CAP = 5
COOLDOWN_OUTCOMES = (Outcome.ACCEPTED, Outcome.COMPLETED, Outcome.DECLINED)


@attrs.frozen
class Removed:
    """A candidate that a resolve step took away, and why."""

    intervention: str
    subject: str
    rules: tuple[str, ...]
    step: str            # "suppressed" | "cooldown" | "cap" | "no-manager"
    detail: str          # e.g. the suppressing rule id, the history date, the cap


@attrs.frozen
class Resolution:
    recommendations: tuple[Recommendation, ...]
    trace: tuple[tuple, ...]   # the fields of each Removed: most are never read, so made on demand

    @property
    def removed(self) -> tuple[Removed, ...]:
        """The candidates the steps took away, in the order they were taken."""
        return tuple(Removed(*fields) for fields in self.trace)


class RulePlan(NamedTuple):
    """What resolve needs of a rule, worked out once when an engine is built (``plan``)."""

    neg_priority: int
    rule: Rule
    keys: tuple             # each target as its candidate's key: the intervention id (a str) for
                            # the person, (intervention id, True) for the manager
    suppresses: tuple[str, ...]
    to_manager: bool        # any target is for the manager
    id: str
    rank: tuple             # the order of rules: (-priority, id)
    only: Optional[str]     # the key of its one target when that is for the person (most rules)
    kinds: tuple[str, ...]  # suppresses_kinds


def plan(rule: Rule) -> RulePlan:
    """The rule's plan; an engine makes one per rule and passes the fired ones to ``resolve``."""
    keys = tuple((t.intervention, True) if t.to == "manager" else t.intervention for t in rule.recommend)
    to_manager = any(type(k) is tuple for k in keys)
    return RulePlan(-rule.priority, rule, keys, tuple(rule.suppresses), to_manager, rule.id,
                    (-rule.priority, rule.id), keys[0] if len(keys) == 1 and not to_manager else None,
                    tuple(rule.suppresses_kinds))


_NO_MANAGER = "the person has no manager_id"
_NO_LIMIT = float("inf")


def _cooldown_entry(person: Person, intervention: str, months: int, as_of: dt.date):
    """The latest history entry that puts ``intervention`` in cooldown, or None."""
    latest = None
    for entry in person.history:
        if entry.intervention != intervention or entry.outcome not in COOLDOWN_OUTCOMES:
            continue
        if months_between(entry.date, as_of) <= months and (latest is None or entry.date > latest.date):
            latest = entry
    return latest


def _join(infos: list, info: tuple) -> None:
    """Add a rule to a candidate unless a rule with its id is there already."""
    rid = info.id
    for other in infos:
        if other.id == rid:
            return
    infos.append(info)


def _rule_ids(infos: list) -> tuple[str, ...]:
    return tuple([i.id for i in infos])


def _by_rank(info: tuple) -> tuple:
    return info.rank


def _ranked(intervention: str, subject: str, infos: list, item) -> tuple:
    """The sort entry of a candidate of several rules, its rules put in rank order."""
    infos.sort(key=_by_rank)             # rule ids are unique within a candidate: no ties
    return (infos[0].neg_priority, intervention, subject, infos, item)


def resolve(person: Person, fired: Sequence[RulePlan], catalog: Catalog, *,
            evidence: Callable[[Rule], tuple[Evidence, ...]], as_of: dt.date,
            cap: Optional[int] = DEFAULT_CAP, ruleset_hash: str = "") -> Resolution:
    """The person's recommendations from the plans of the rules that fired (in rule order), and
    the trace of what each step took away. Runs once per person on every path, so each step is
    written for speed; candidates keep the order they were first named in, which is the order
    of their ``removed`` entries."""
    removed: list[tuple] = []            # the fields of each Removed, in order
    candidates, suppressed_by, kinds_by = _candidates(person, fired, removed)
    kept = _kept(person, candidates, suppressed_by, kinds_by, catalog, as_of, removed)
    kept.sort()                          # 4. priority (highest first), intervention, subject: unique
    out = _capped(person, kept, catalog, cap, evidence, ruleset_hash, removed)
    return Resolution(tuple(out), tuple(removed))


def _candidates(person: Person, fired: Sequence[RulePlan], removed: list[tuple],
                ) -> tuple[dict, Optional[dict[str, tuple]], Optional[dict[str, list]]]:
    """1. candidates (key -> the plans of their rules, one per rule id, in firing order); and,
    for step 2, the highest-ranked rule suppressing each intervention and the rules
    suppressing each kind."""
    pid = person.id
    mid = person.manager_id
    candidates: dict = {}
    suppressed_by: Optional[dict[str, tuple]] = None     # intervention -> rank of the suppressing rule
    kinds_by: Optional[dict[str, list]] = None           # kind -> [plan of each rule suppressing it]
    for info in fired:
        key = info.only
        if key is not None:              # one target, for the person
            infos = candidates.get(key)
            if infos is None:
                candidates[key] = [info]
            else:
                _join(infos, info)
        else:
            for key in info.keys:
                if info.to_manager and type(key) is tuple:
                    if not mid:
                        removed.append((key[0], "", (info.id,), "no-manager", _NO_MANAGER))
                        continue
                    if mid == pid:       # their own manager: the same candidate as their own
                        key = key[0]
                infos = candidates.get(key)
                if infos is None:
                    candidates[key] = [info]
                else:
                    _join(infos, info)
        if info.suppresses:
            if suppressed_by is None:
                suppressed_by = {}
            rank = info.rank
            for intervention in info.suppresses:
                current = suppressed_by.get(intervention)
                if current is None or rank < current:
                    suppressed_by[intervention] = rank
        if info.kinds:
            if kinds_by is None:
                kinds_by = {}
            for kind in info.kinds:
                kinds_by.setdefault(kind, []).append(info)
    return candidates, suppressed_by, kinds_by


def _kept(person: Person, candidates: dict, suppressed_by: Optional[dict[str, tuple]],
          kinds_by: Optional[dict[str, list]], catalog: Catalog, as_of: dt.date, removed: list[tuple],
          ) -> list[tuple]:
    """2. suppressed (by id, then by kind); 3. cooldown (the person's own items). The rest, each
    as its sort entry (neg_priority, intervention, subject, plans, catalog item or None for the
    manager's)."""
    pid = person.id
    mid = person.manager_id
    in_history: Optional[dict[str, None]] = None      # most people have little history or none
    if person.history:
        in_history = dict.fromkeys(entry.intervention for entry in person.history)
    get = catalog.get
    kept: list[tuple] = []
    for key, infos in candidates.items():
        if type(key) is tuple:           # for the manager
            intervention = key[0]
            if suppressed_by is not None and intervention in suppressed_by:
                removed.append((intervention, mid, _rule_ids(infos), "suppressed", suppressed_by[intervention][1]))
            elif len(infos) == 1:
                kept.append((infos[0].neg_priority, intervention, mid, infos, None))
            else:
                kept.append(_ranked(intervention, mid, infos, None))
            continue
        if suppressed_by is not None and key in suppressed_by:
            removed.append((key, pid, _rule_ids(infos), "suppressed", suppressed_by[key][1]))
            continue
        item = get(key)
        if kinds_by is not None and item.kind in kinds_by:
            focus = [i for i in kinds_by[item.kind] if key not in i.keys]
            if focus:
                removed.append((key, pid, _rule_ids(infos), "suppressed", min(focus, key=_by_rank).id))
                continue
        if in_history is not None and key in in_history:
            months = item.cooldown_months
            latest = _cooldown_entry(person, key, months, as_of)
            if latest is not None:
                removed.append((key, pid, _rule_ids(infos), "cooldown",
                                f"{latest.outcome.value} on {latest.date.isoformat()} (cooldown {months} months)"))
                continue
        if len(infos) == 1:
            kept.append((infos[0].neg_priority, key, pid, infos, item))
        else:
            kept.append(_ranked(key, pid, infos, item))
    return kept


def _capped(person: Person, kept: list[tuple], catalog: Catalog, cap: Optional[int],
            evidence: Callable[[Rule], tuple[Evidence, ...]], ruleset_hash: str, removed: list[tuple],
            ) -> list[Recommendation]:
    """5. cap (the person's own items only; the manager's are not counted), and the
    recommendations with their evidence."""
    pid = person.id
    get = catalog.get
    out: list[Recommendation] = []
    own = 0
    limit = _NO_LIMIT if cap is None else cap
    cut = f"only the {cap} highest-priority items are kept"
    for _, intervention, subject, infos, item in kept:
        if item is None:                 # the manager's
            item = get(intervention)
        elif own >= limit:
            removed.append((intervention, subject, (infos[0].id,) if len(infos) == 1 else _rule_ids(infos),
                            "cap", cut))
            continue
        else:
            own += 1
        if len(infos) == 1:
            info = infos[0]
            rule = info.rule
            rationale = rule.rationale
            out.append(Recommendation(intervention, item.title, subject, pid, (info.id,), rule.priority,
                                      (rationale,) if rationale else (), tuple(evidence(rule)), ruleset_hash,
                                      rule.wording))
        else:
            rules = [i.rule for i in infos]
            out.append(Recommendation(intervention, item.title, subject, pid, _rule_ids(infos),
                                      rules[0].priority,
                                      tuple(dict.fromkeys([r.rationale for r in rules if r.rationale])),
                                      tuple([e for r in rules for e in evidence(r)]), ruleset_hash,
                                      tuple([w for r in rules for w in r.wording])))
    return out
