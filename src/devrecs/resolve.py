"""From the rules that fired for a person to an ordered, focused list.

Steps, in order (each removal is recorded so explanations can say why):
1. every target of every fired rule becomes a candidate; two rules naming
   the same intervention for the same subject give one candidate;
2. ``suppresses``: an intervention named by a fired rule's ``suppresses``
   is removed;
3. cooldown: an intervention whose history shows it accepted, completed or
   declined within the catalog's ``cooldown_months`` is removed;
4. order: priority (highest first), then intervention id, so the order is
   deterministic;
5. cap: at most ``cap`` items for the person themself are kept (items for
   their manager are not counted); ``cap=None`` keeps all.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Optional, Sequence

import attrs

from .catalog import Catalog
from .facts import months_between
from .model import Evidence, Outcome, Person, Recommendation, Rule

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
    removed: tuple[Removed, ...]


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


def resolve(person: Person, fired: Sequence[Rule], catalog: Catalog, *,
            evidence: Callable[[Rule], tuple[Evidence, ...]], as_of: dt.date,
            cap: Optional[int] = DEFAULT_CAP, ruleset_hash: str = "") -> Resolution:
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

    kept: list[_Candidate] = []
    for cand in candidates.values():
        rule_ids = tuple(r.id for r in cand.rules)
        if cand.intervention in suppressed_by:
            removed.append(Removed(cand.intervention, cand.subject, rule_ids, "suppressed",
                                   suppressed_by[cand.intervention]))
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
        ))
    return Resolution(tuple(out), tuple(removed))
