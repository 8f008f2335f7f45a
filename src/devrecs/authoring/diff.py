"""``devrecs diff``: whom a rule change affects, before it ships.

Two rule sets (OLD and NEW) are run over the same population; for each
person, the recommendations (intervention and subject: the person, or their
manager) of the two are compared. The result counts, per intervention, the
people who gain it and who lose it, with a few examples and the rules
behind each change, and lists which rules were added, removed or changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Optional, Sequence

import attrs

from ..app import Engine
from ..model import Recommendation, Rule
from ..rulefile.logic import same_tree

DEFAULT_EXAMPLES = 3


@attrs.frozen
class Change:
    person: str
    intervention: str
    subject: str
    gained: bool
    rules: tuple[str, ...]      # the rules behind it (new rules for a gain, old ones for a loss)
    priority: int
    reason: str = ""            # for a loss: what removes it now (cap, suppression, cooldown), if not the rules

    def describe(self) -> str:
        who = self.person if self.subject == self.person else f"{self.person} (to manager {self.subject})"
        text = f"{who}: rule{'s' if len(self.rules) > 1 else ''} {', '.join(self.rules)}"
        return text + (f" ({self.reason})" if self.reason else "")

    def to_dict(self) -> dict:
        return {"person": self.person, "intervention": self.intervention, "subject": self.subject,
                "change": "gained" if self.gained else "lost", "rules": list(self.rules), "priority": self.priority,
                "reason": self.reason}


@attrs.define
class InterventionDiff:
    intervention: str
    gained: list[Change] = attrs.field(factory=list)
    lost: list[Change] = attrs.field(factory=list)

    def to_dict(self, examples: int) -> dict:
        return {"intervention": self.intervention, "gained": len(self.gained), "lost": len(self.lost),
                "examples_gained": [c.to_dict() for c in self.gained[:examples]],
                "examples_lost": [c.to_dict() for c in self.lost[:examples]]}


@attrs.frozen
class RuleChanges:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]


@attrs.frozen
class DiffResult:
    old_label: str
    new_label: str
    old_hash: str
    new_hash: str
    people: int
    gaining: int            # people who gain at least one item
    losing: int             # people who lose at least one item
    by_intervention: tuple[InterventionDiff, ...]
    rules: RuleChanges
    examples: int = DEFAULT_EXAMPLES

    @property
    def changed(self) -> bool:
        return any(d.gained or d.lost for d in self.by_intervention)

    def to_dict(self) -> dict:
        return {
            "old": {"rules": self.old_label, "ruleset_hash": self.old_hash},
            "new": {"rules": self.new_label, "ruleset_hash": self.new_hash},
            "people": self.people, "people_gaining": self.gaining, "people_losing": self.losing,
            "rules": {"added": list(self.rules.added), "removed": list(self.rules.removed),
                      "changed": list(self.rules.changed)},
            "interventions": [d.to_dict(self.examples) for d in self.by_intervention],
        }

    def text(self) -> str:
        lines = [f"old: {self.old_label} (ruleset {self.old_hash})",
                 f"new: {self.new_label} (ruleset {self.new_hash})"]
        for what, ids in (("added", self.rules.added), ("removed", self.rules.removed),
                          ("changed", self.rules.changed)):
            if ids:
                lines.append(f"rules {what}: {', '.join(ids)}")
        unchanged = self.people - len({c.person for d in self.by_intervention for c in d.gained + d.lost})
        lines.append(f"{self.people} people: {self.gaining} gain something, {self.losing} lose something, "
                     f"{unchanged} unchanged")
        if not self.changed:
            lines.append("No one's recommendations change.")
            return "\n".join(lines)
        width = max(len("intervention"), *(len(d.intervention) for d in self.by_intervention))
        lines += ["", f"{'intervention':<{width}}  gained  lost"]
        for d in self.by_intervention:
            lines.append(f"{d.intervention:<{width}}  {len(d.gained):>6}  {len(d.lost):>4}")
        for d in self.by_intervention:
            lines.append("")
            lines.append(f"{d.intervention}: +{len(d.gained)} -{len(d.lost)}")
            for sign, changes in (("+", d.gained), ("-", d.lost)):
                for c in changes[:self.examples]:
                    lines.append(f"  {sign} {c.describe()}")
                if len(changes) > self.examples:
                    lines.append(f"  {sign} ... and {len(changes) - self.examples} more")
        return "\n".join(lines)


def _key(r: Recommendation) -> tuple[str, str]:
    return (r.intervention, r.subject)


def _why(removed: Any) -> str:
    """What removes a lost item under the new rules, in a few words."""
    if removed.step == "cap":
        return "now cut by the cap"
    if removed.step == "suppressed":
        return f"now suppressed by rule {removed.detail}"
    if removed.step == "cooldown":
        return f"now in cooldown: {removed.detail}"
    return removed.step


def rule_changes(old: Sequence[Rule], new: Sequence[Rule]) -> RuleChanges:
    before = {r.id: r for r in old}
    after = {r.id: r for r in new}

    def same(a: Rule, b: Rule) -> bool:
        return (same_tree(a.when, b.when) and a.recommend == b.recommend and a.priority == b.priority
                and a.suppresses == b.suppresses and a.scope == b.scope)

    return RuleChanges(tuple(i for i in after if i not in before), tuple(i for i in before if i not in after),
                       tuple(i for i in after if i in before and not same(before[i], after[i])))


BUILTIN = "builtin"


def engine_for_spec(spec: str, *, plugins: Sequence[Any] = (), **kwargs: Any) -> Engine:
    """The engine one side of a diff names: rule files or folders, and plugins, separated by
    commas. ``builtin`` is the built-in packs with the installed plugins (and ``plugins``,
    plugins under development). A plugin's path (its module, package folder or project folder)
    loads that version of the plugin on this side, in place of the installed one. Rule paths
    beside ``builtin`` load as a plugin's pack would: a rule of theirs with ``replaces: true``
    replaces the built-in rule of its id. Without ``builtin`` the rule paths are the whole rule
    set (with the built-in catalog and the plugins' interventions)."""
    from pathlib import Path

    from ..plugins.manager import RulePaths, is_plugin_path, plugin_from_path
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    mine = [plugin_from_path(p) for p in parts if p != BUILTIN and is_plugin_path(p)]
    names = {n for n, _ in mine}
    extra = [p for p in plugins if p[0] not in names] + mine
    others = [p for p in parts if p != BUILTIN and not is_plugin_path(p)]
    if (BUILTIN in parts and not Path(BUILTIN).exists()) or not others:
        if others:
            pack = RulePaths(others)
            extra.append((pack.name, pack))
        return Engine.default(plugins=extra, **kwargs)
    return Engine.from_paths(others, plugins=extra, **kwargs)


def diff(old: Engine, new: Engine, people: Iterable[Any], as_of: Optional[dt.date] = None, *,
         old_label: str = "old", new_label: str = "new", examples: int = DEFAULT_EXAMPLES) -> DiffResult:
    """Run both rule sets over ``people`` and compare, person by person."""
    population = list(people)
    by: dict[str, InterventionDiff] = {}
    gaining: set[str] = set()
    losing: set[str] = set()
    count = 0
    old_results = old.recommend_many(population, as_of)
    new_results = new.recommend_many(population, as_of)
    for (person, before), (_, after) in zip(old_results, new_results):
        count += 1
        b = {_key(r): r for r in before}
        a = {_key(r): r for r in after}
        for key in sorted(a.keys() - b.keys()):
            r = a[key]
            by.setdefault(r.intervention, InterventionDiff(r.intervention)).gained.append(
                Change(person.id, r.intervention, r.subject, True, r.rules, r.priority))
            gaining.add(person.id)
        lost = sorted(b.keys() - a.keys())
        removed = new.evaluate(person, as_of).resolution.removed if lost else ()
        for key in lost:
            r = b[key]
            why = next((_why(x) for x in removed if (x.intervention, x.subject) == key), "")
            by.setdefault(r.intervention, InterventionDiff(r.intervention)).lost.append(
                Change(person.id, r.intervention, r.subject, False, r.rules, r.priority, why))
            losing.add(person.id)
    ordered = tuple(sorted(by.values(), key=lambda d: (-(len(d.gained) + len(d.lost)), d.intervention)))
    return DiffResult(old_label, new_label, old.ruleset_hash, new.ruleset_hash, count, len(gaining),
                      len(losing), ordered, rule_changes(old.rules, new.rules), examples)


__all__ = ["BUILTIN", "Change", "DiffResult", "InterventionDiff", "RuleChanges", "diff", "engine_for_spec",
           "rule_changes"]
