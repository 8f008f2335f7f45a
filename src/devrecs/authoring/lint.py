"""``devrecs lint``: rules that are valid but probably not what their author meant.

Each finding has a code (``L1xx``), a severity, a location and a plain
explanation. The checks reason about condition trees with
``rulefile.logic`` (sound: a finding about "never" or "whenever" is only
made when it is proven with the Python evaluator's semantics):

- L101 duplicate rule: the same condition and the same recommendation;
- L102 a rule covered by another: whenever it holds the other holds too,
  recommending the same (or more) with an equal or higher priority and
  suppressing at least as much, so removing it changes no recommendation;
- L103 a condition that can never hold (a contradiction);
- L104 an alternative of ``any`` that can never hold with the rest of its rule;
- L105 a rule whose every recommendation is always suppressed by a rule that
  holds whenever it does (so it never has an effect);
- L106 one recommendation of a rule that is always suppressed that way;
- L107 a catalog intervention that no rule can bring;
- L108 rules that suppress each other's recommendations (a cycle);
- L109 a rule without a rationale; L110 a rule without a source;
- L111 ``suppresses`` names an intervention no rule of its scope recommends;
- L112 a rule pack without an owner (``owner:`` in its header; a decision table has no header
  and is not checked);
- L140 a condition on an extra fact that may be a protected attribute (facts.protected_name;
  one that surely is one is refused, E140).

Rules of different scopes (person, team, organization) never meet in one
resolution, so pairs are only compared within a scope.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import attrs

from ..facts import NOT_PROTECTED_ENV, SCOPES, protected_name
from ..model import Rule
from ..packs import PathLike
from ..rulefile.conditions import describe, leaves
from ..rulefile.logic import (
    branches,
    can_hold_together,
    describe_literal,
    implies,
    never_holds,
    same_tree,
    with_branch,
)
from ..rulefile.parse import RuleFile
from .validate import CatalogEntry, Checked, check

ERROR, WARNING = "error", "warning"


@attrs.frozen
class Code:
    code: str
    severity: str
    title: str
    explanation: str


CODES: dict[str, Code] = {c.code: c for c in (
    Code("L101", ERROR, "duplicate rule",
         "Two rules have the same condition and recommend the same: one of them is a copy."),
    Code("L102", WARNING, "rule covered by another",
         "Whenever this rule holds, another rule holds too and recommends the same with an equal or "
         "higher priority, so removing this rule would change no recommendation (only its rationale "
         "would no longer be shown). Narrow the other rule, or give this one a higher priority if it "
         "is meant to rank the intervention higher for its group."),
    Code("L103", ERROR, "condition can never hold",
         "The rule's conditions contradict each other (performance high and low, level above 5 and "
         "below 3, two lists of values with nothing in common), so it never applies to anyone."),
    Code("L104", WARNING, "alternative of 'any' can never hold",
         "One alternative of an 'any' contradicts the rest of its rule, so the rule can never apply "
         "because of it."),
    Code("L105", ERROR, "rule always suppressed",
         "Whenever this rule holds, a rule that suppresses what it recommends holds too, so its "
         "recommendations are always removed and it never has an effect."),
    Code("L106", WARNING, "recommendation always suppressed",
         "A recommendation of the rule is always removed by a suppressing rule that holds whenever "
         "this rule does; the rest of the rule (other recommendations, its own 'suppresses') still "
         "has an effect."),
    Code("L107", WARNING, "intervention no rule brings",
         "An intervention of your catalog that no rule recommends (or only rules that never take "
         "effect do), so nobody can ever get it."),
    Code("L108", ERROR, "suppression cycle",
         "Rules suppress each other's recommendations; when they hold together, each removes what "
         "the other recommends and neither reaches the person."),
    Code("L109", WARNING, "no rationale",
         "The rule has no rationale: a manager or employee reading the recommendation will not "
         "learn why."),
    Code("L110", WARNING, "no source",
         "The rule has no source: nobody can check which policy or decision it comes from."),
    Code("L111", WARNING, "suppresses nothing",
         "'suppresses' names an intervention that no rule of the same scope recommends, so it has "
         "no effect."),
    Code("L112", WARNING, "pack without owner",
         "The pack's header names no owner (owner: or its alias author:), so nobody answers for its "
         "rules. Name the person or team that keeps the pack; approved_by, effective_from and "
         "effective_until are optional."),
    Code("L140", WARNING, "may be a protected attribute",
         "The rule tests an extra fact whose name looks like a protected attribute (a short word such "
         "as age or sex run into another, or a near spelling of one) without being sure to be one. "
         "If it is one, test something else: no rule may use it. If it is not, declare it with "
         "DEVRECS_NOT_PROTECTED=name (or not_protected: in the mapping file)."),
)}


@attrs.frozen
class Finding:
    file: str
    line: int
    col: int
    code: str
    message: str
    rule: str = ""

    @property
    def severity(self) -> str:
        return CODES[self.code].severity

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.code} {self.severity}: {self.message}"

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "col": self.col, "code": self.code,
                "severity": self.severity, "rule": self.rule, "message": self.message}


@attrs.frozen
class LintReport:
    checked: Checked
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    def summary(self) -> str:
        c = self.checked
        if not c.ok:
            return f"{len(c.problems)} problem{'s' if len(c.problems) != 1 else ''}: fix them, then lint again"
        if not self.findings:
            return f"{c.files} files, {c.rules} rules: no findings"
        return (f"{c.files} files, {c.rules} rules: {len(self.findings)} finding"
                f"{'s' if len(self.findings) != 1 else ''} ({self.errors} errors, {self.warnings} warnings)")

    def to_dict(self) -> dict:
        return {"files": self.checked.files, "rules": self.checked.rules,
                "problems": [p.to_dict() for p in self.checked.problems],
                "findings": [f.to_dict() for f in self.findings],
                "errors": self.errors, "warnings": self.warnings}


def _where(rule: Rule) -> str:
    return f"{rule.file}:{rule.line}"


def _conflict_text(conflicts: list[list[Any]]) -> str:
    def one(c: list[Any]) -> str:
        parts = [describe_literal(x) for x in c]
        if len(parts) == 1:
            return f"{parts[0]} is never true"
        return " and ".join(parts) + (" cannot both be true" if len(parts) == 2 else " cannot all be true")
    texts = list(dict.fromkeys(one(c) for c in conflicts))
    if len(texts) == 1:
        return texts[0]
    shown = "; ".join(texts[:3]) + ("; ..." if len(texts) > 3 else "")
    return f"none of its {len(conflicts)} ways of holding can: {shown}"


def _loc(conflicts: list[list[Any]], rule: Rule) -> tuple[int, int]:
    for c in conflicts:
        for leaf, _ in c:
            loc = tuple(getattr(leaf, "loc", (0, 0)))
            if loc != (0, 0):
                return loc
    return (rule.line, 1)


class _Linter:
    def __init__(self, rules: Sequence[Rule], catalog_entries: Sequence[CatalogEntry],
                 files: Sequence[RuleFile] = ()):
        self.rules = list(rules)
        self.files = list(files)
        self.entries = list(catalog_entries)
        self.findings: list[Finding] = []
        self._implies: dict[tuple[str, str], bool] = {}
        self.dead: dict[str, list[list[Any]]] = {}
        for rule in self.rules:
            found = never_holds(rule.when, SCOPES[rule.scope])
            if found is not None:
                self.dead[rule.id] = found
        self.live = [r for r in self.rules if r.id not in self.dead]

    def add(self, file: str, line: int, col: int, code: str, message: str, rule: str = "") -> None:
        self.findings.append(Finding(file, line, col, code, message, rule))

    def implies(self, a: Rule, b: Rule) -> bool:
        key = (a.id, b.id)
        if key not in self._implies:
            self._implies[key] = a.id == b.id or implies(a.when, b.when, SCOPES[a.scope])
        return self._implies[key]

    def same_scope(self, rule: Rule) -> list[Rule]:
        return [r for r in self.live if r.scope == rule.scope]

    def run(self) -> list[Finding]:
        self.contradictions()
        self.dead_alternatives()
        duplicates = self.duplicates()
        self.covered(duplicates)
        suppressed = self.suppressed()
        self.cycles()
        self.useless_suppresses()
        self.unreached(suppressed)
        self.texts()
        self.owners()
        self.protected_guesses()
        return sorted(self.findings, key=lambda f: (f.file, f.line, f.col, f.code, f.message))

    # -- one rule -----------------------------------------------------------------

    def protected_guesses(self) -> None:
        """L140: a condition on an extra fact that may be a protected attribute (a sure one is E140)."""
        for rule in self.rules:
            for leaf in dict.fromkeys(leaves(rule.when)):
                if not leaf.path.startswith("extra."):
                    continue
                found = protected_name(leaf.path[len("extra."):])
                if found is not None and not found.certain:
                    line, col = tuple(getattr(leaf, "loc", (0, 0))) if getattr(leaf, "loc", None) else (0, 0)
                    self.add(rule.file, line or rule.line, col or 1, "L140",
                             f"rule '{rule.id}' tests '{leaf.path}', which may be a protected attribute "
                             f"({found.reason}); if it is not, set {NOT_PROTECTED_ENV}="
                             f"{leaf.path[len('extra.'):]}", rule.id)

    def contradictions(self) -> None:
        for rule in self.rules:
            if rule.id in self.dead:
                conflicts = self.dead[rule.id]
                line, col = _loc(conflicts, rule)
                self.add(rule.file, line, col, "L103",
                         f"rule '{rule.id}' can never hold: {_conflict_text(conflicts)}", rule.id)

    def dead_alternatives(self) -> None:
        for rule in self.live:
            for b in branches(rule.when):
                found = never_holds(with_branch(rule.when, b), SCOPES[rule.scope])
                if found is not None:
                    line, col = b.loc if tuple(b.loc) != (0, 0) else (rule.line, 1)
                    self.add(rule.file, line, col, "L104",
                             f"in rule '{rule.id}', {b.label} can never hold together with the rest of "
                             f"the rule: {_conflict_text(found)}", rule.id)

    def texts(self) -> None:
        for rule in self.rules:
            if not rule.rationale:
                self.add(rule.file, rule.line, 1, "L109",
                         f"rule '{rule.id}' has no rationale: say why, in words the person can read", rule.id)
            if not rule.source:
                self.add(rule.file, rule.line, 1, "L110",
                         f"rule '{rule.id}' has no source: name the policy, article or decision it "
                         f"comes from", rule.id)

    def owners(self) -> None:
        for f in self.files:
            if not f.governance.owner and not f.path.lower().endswith(".csv"):
                self.add(f.path, 1, 1, "L112", f"pack '{f.ruleset}' has no owner: add 'owner: <the person or "
                                                f"team that keeps it>' to its header")

    # -- pairs of rules -----------------------------------------------------------

    def duplicates(self) -> set[tuple[str, str]]:
        pairs = set()
        for i, a in enumerate(self.rules):
            for b in self.rules[i + 1:]:
                if a.scope == b.scope and set(a.recommend) == set(b.recommend) and same_tree(a.when, b.when):
                    pairs.add((a.id, b.id))
                    self.add(b.file, b.line, 1, "L101",
                             f"rule '{b.id}' repeats rule '{a.id}' ({_where(a)}): the same condition and "
                             f"the same recommendation", b.id)
        return pairs

    def covered(self, duplicates: set[tuple[str, str]]) -> None:
        order = {r.id: i for i, r in enumerate(self.rules)}
        reported = set()
        for r in self.live:
            for s in self.same_scope(r):
                if s.id == r.id or (r.id, s.id) in duplicates or (s.id, r.id) in duplicates:
                    continue
                if not (set(r.recommend) <= set(s.recommend) and r.priority <= s.priority
                        and set(r.suppresses) <= set(s.suppresses)):
                    continue
                if not self.implies(r, s):
                    continue
                mutual = (set(s.recommend) <= set(r.recommend) and s.priority <= r.priority
                          and set(s.suppresses) <= set(r.suppresses) and self.implies(s, r))
                if mutual and order[r.id] < order[s.id]:
                    continue              # equivalent rules: report the later one only
                if r.id in reported:
                    continue
                reported.add(r.id)
                what = ", ".join(t.intervention for t in r.recommend)
                self.add(r.file, r.line, 1, "L102",
                         f"rule '{r.id}' adds nothing: whenever it holds, rule '{s.id}' ({_where(s)}) holds "
                         f"too and recommends {what} with priority {s.priority} (this rule: {r.priority})",
                         r.id)

    def suppressed(self) -> dict[str, set[str]]:
        """Per rule, the interventions it recommends that are always suppressed."""
        out: dict[str, set[str]] = {}
        for r in self.live:
            by: dict[str, Rule] = {}
            for t in r.recommend:
                for s in self.same_scope(r):
                    if t.intervention in s.suppresses and self.implies(r, s):
                        by[t.intervention] = s
                        break
            if not by:
                continue
            out[r.id] = set(by)
            reasons = "; ".join(f"{x} by rule '{s.id}'" + (" (itself)" if s.id == r.id else f" ({_where(s)})")
                                for x, s in by.items())
            if {t.intervention for t in r.recommend} <= set(by) and not r.suppresses:
                self.add(r.file, r.line, 1, "L105",
                         f"rule '{r.id}' never has an effect: whenever it holds, what it recommends is "
                         f"suppressed: {reasons}", r.id)
            elif {t.intervention for t in r.recommend} <= set(by):
                self.add(r.file, r.line, 1, "L106",
                         f"rule '{r.id}' only has an effect through its 'suppresses': whenever it holds, "
                         f"what it recommends is suppressed: {reasons}", r.id)
            else:
                self.add(r.file, r.line, 1, "L106",
                         f"in rule '{r.id}', a recommendation is always suppressed: {reasons}", r.id)
        return out

    def cycles(self) -> None:
        edges: dict[str, set[str]] = {r.id: set() for r in self.live}
        why: dict[tuple[str, str], str] = {}
        by_id = {r.id: r for r in self.live}
        for a in self.live:
            for b in self.same_scope(a):
                if a.id == b.id:
                    continue
                hit = sorted(set(a.suppresses) & {t.intervention for t in b.recommend})
                if hit and can_hold_together(a.when, b.when, SCOPES[a.scope]):
                    edges[a.id].add(b.id)
                    why[(a.id, b.id)] = hit[0]
        for component in _strongly_connected(edges):
            if len(component) < 2:
                continue
            ids = sorted(component, key=lambda i: (by_id[i].file, by_id[i].line))
            first = by_id[ids[0]]
            steps = [f"'{a}' suppresses {why[(a, b)]} (recommended by '{b}')"
                     for a in ids for b in ids if (a, b) in why]
            self.add(first.file, first.line, 1, "L108",
                     f"rules {', '.join(repr(i) for i in ids)} suppress each other's recommendations: "
                     f"{'; '.join(steps)}; when they hold together, none of these reaches the person",
                     first.id)

    def useless_suppresses(self) -> None:
        for r in self.rules:
            recommended = {t.intervention for s in self.rules if s.scope == r.scope for t in s.recommend}
            for x in r.suppresses:
                if x not in recommended:
                    self.add(r.file, r.line, 1, "L111",
                             f"rule '{r.id}' suppresses '{x}', which no {r.scope} rule recommends: it has "
                             f"no effect", r.id)

    # -- the catalog ----------------------------------------------------------------

    def unreached(self, suppressed: dict[str, set[str]]) -> None:
        for entry in self.entries:
            x = entry.intervention.id
            naming = [r for r in self.rules if any(t.intervention == x for t in r.recommend)]
            effective = [r for r in naming if r.id not in self.dead and x not in suppressed.get(r.id, set())]
            if effective:
                continue
            if not naming:
                message = f"intervention '{x}' ({entry.intervention.title}) is in the catalog but no rule recommends it"
            else:
                message = (f"intervention '{x}' ({entry.intervention.title}) is only recommended by rules that "
                           f"never bring it ({', '.join(repr(r.id) for r in naming)}: see L103, L105, L106)")
            if entry.plugin:
                message += f" (plugin '{entry.plugin}')"
            self.add(entry.file, entry.line, 1, "L107", message)


def _strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iteratively small enough for rule sets."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            out.append(comp)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def lint_rules(rules: Sequence[Rule], catalog_entries: Sequence[CatalogEntry] = (),
               files: Sequence[RuleFile] = ()) -> list[Finding]:
    """Findings for ``rules``; ``catalog_entries`` are the catalog entries to check for L107, and
    ``files`` the rule files whose headers are checked (L112)."""
    return _Linter(rules, catalog_entries, files).run()


def lint(paths: Optional[Sequence[PathLike]] = None, *, plugins: Sequence[Any] = ()) -> LintReport:
    """Check, then lint, the packs under ``paths`` (None: the built-in and plugins' packs).
    ``plugins`` are plugins under development ((name, module) pairs), linted with the rest; the
    interventions a plugin adds are checked for L107 like a catalog file's."""
    checked = check(paths, plugins=plugins)
    if not checked.ok:
        return LintReport(checked, ())
    return LintReport(checked, tuple(lint_rules(checked.packs.rules, checked.catalog_entries,
                                                checked.packs.files)))


def codes_table() -> str:
    """The codes as a Markdown table (docs/authoring.md holds a copy; a test keeps them equal)."""
    lines = ["| code | severity | finding | what it means |", "|---|---|---|---|"]
    for c in CODES.values():
        lines.append(f"| `{c.code}` | {c.severity} | {c.title} | {c.explanation} |")
    return "\n".join(lines)


__all__ = ["CODES", "ERROR", "WARNING", "Finding", "LintReport", "lint", "lint_rules", "codes_table", "describe"]
