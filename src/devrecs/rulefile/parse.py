"""Read rule files: YAML in, Rules with condition trees out, every problem located.

A rule file::

    ruleset: experts            # name of this pack
    version: 1
    rules:
      - id: deep-pro-leadership
        title: Leadership training shaped for deep experts
        when:
          all:
            - track: individual_contributor
            - nine_box: deep_pro
            - gaps: {any: {skill: {in: [communication, strategic_thinking]}}}
        recommend: [expert-leadership-program]
        priority: 80
        rationale: ...
        source: seed 000

See docs/rules.md for the whole language. All problems of all files are
collected; nothing in a file is executed. A value of the wrong type at any
key is a located problem, never an exception; numbers must be ones the
matching engine compares exactly (numeric.py: finite, whole numbers within
+/- 2**53), and text must be valid Unicode (no lone surrogate).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Optional

import attrs

from ..catalog import KINDS
from ..errors import Problem, did_you_mean
from ..facts import (
    PERSON_FACTS,
    SCOPES,
    SKILLS,
    FactSpec,
    normal_word,
    protected_name,
    spec_for,
)
from ..model import Rule, Target
from ..numeric import MONTHS_LIMIT, number_problem
from ..text import text_problem
from . import located
from .conditions import (
    COMPARE_OPS,
    ITEM_OPS,
    ORDER_OPS,
    All,
    Always,
    AnyOf,
    Compare,
    Contains,
    ItemTest,
    Items,
    Node,
    Not,
    kind_of,
)
from .located import LMap, LSeq, Loc, loc_of

# who answers for a rule or a pack, who approved it, and the days it is in effect (a rule
# inherits its pack's; its own dates narrow the pack's); "author" is another name for "owner"
GOVERNANCE_KEYS = ("owner", "author", "approved_by", "effective_from", "effective_until")
HEADER_KEYS = ("ruleset", "version", "description", "vocabulary", "rules") + GOVERNANCE_KEYS
RULE_KEYS = ("id", "title", "scope", "when", "recommend", "priority", "suppresses", "suppresses_kinds",
             "rationale", "wording", "source", "replaces") + GOVERNANCE_KEYS
WORDING_AUDIENCES = ("employee", "manager", "hr", "executive")
TARGETS = ("person", "manager")
PRIORITY_RANGE = (0, 100)
DEFAULT_PRIORITY = 50
# operator spellings from other rule languages, and ours
_OP_HINTS = {"gte": "ge", "lte": "le", "neq": "ne", "==": "eq", "!=": "ne", "<": "lt", "<=": "le",
             ">": "gt", ">=": "ge", "nin": "not_in", "ex": "exists"}


@attrs.frozen
class Governance:
    """The governance fields of a pack header or a rule, as written."""

    owner: str = ""
    approved_by: str = ""
    effective_from: Optional[dt.date] = None
    effective_until: Optional[dt.date] = None

    def under(self, pack: Governance) -> Governance:
        """A rule's fields within its pack: its own, else the pack's; the days both are in effect."""
        starts = [d for d in (pack.effective_from, self.effective_from) if d is not None]
        ends = [d for d in (pack.effective_until, self.effective_until) if d is not None]
        return Governance(self.owner or pack.owner, self.approved_by or pack.approved_by,
                          max(starts) if starts else None, min(ends) if ends else None)


@attrs.frozen
class RuleFile:
    """One parsed rule file."""

    path: str
    ruleset: str
    version: str
    rules: tuple[Rule, ...]
    governance: Governance = attrs.field(factory=Governance)   # the pack's own (header) fields


class _Reader:
    """Collects problems for one file while building its rules."""

    def __init__(self, file: str, interventions: Iterable[str], facts: dict[str, FactSpec]):
        self.file = file
        self.interventions = set(interventions)
        self.facts = facts
        self.scoped = facts is PERSON_FACTS   # the default vocabulary: each rule's scope picks its own
        self.problems: list[Problem] = []
        self.vocabulary: dict[str, tuple[str, ...]] = {}    # interest topic -> its words, normalized

    def problem(self, loc: Loc, code: str, message: str) -> None:
        self.problems.append(Problem(self.file, loc[0], loc[1], code, message))

    # -- header and rules ---------------------------------------------------

    def read(self, doc: Any) -> Optional[RuleFile]:
        if not self.valid_text(doc):    # nothing else is read: messages would quote that text
            return None
        if not isinstance(doc, LMap):
            self.problem(loc_of(doc), "E104", "a rule file must be a mapping with 'ruleset' and 'rules'")
            return None
        self._unknown_keys(doc, HEADER_KEYS)
        name = doc.get("ruleset")
        if not isinstance(name, str) or not name.strip():
            self.problem(doc.loc, "E102", "missing 'ruleset': the name of this rule pack")
            name = ""
        version = doc.get("version", "")
        if isinstance(version, (LMap, LSeq)) or number_problem(version) is not None:
            self.problem(doc.value_loc("version"), "E104", "'version' must be text or a number")
            version = ""
        version = str(version)
        governance = self.governance(doc, f"pack '{name}'" if name else "the pack")
        if "vocabulary" in doc:
            self.read_vocabulary(doc["vocabulary"], doc.value_loc("vocabulary"))
        raw_rules = doc.get("rules")
        if not isinstance(raw_rules, LSeq):
            self.problem(doc.value_loc("rules") if "rules" in doc else doc.loc, "E102",
                         "missing 'rules': a list of rules")
            raw_rules = LSeq()
        rules = []
        for i, raw in enumerate(raw_rules):
            rule = self.rule(raw, raw_rules.item_loc(i), name, governance)
            if rule is not None:
                rules.append(rule)
        return RuleFile(self.file, name, version, tuple(rules), governance)

    def governance(self, m: LMap, what: str) -> Governance:
        """owner (or its alias author), approved_by, effective_from and effective_until of ``m``."""
        texts = {}
        if "owner" in m and "author" in m:
            self.problem(m.key_loc("author"), "E104", f"{what} gives both 'owner' and 'author', which is "
                                                      f"another name for 'owner': keep one")
        for key in ("owner", "author", "approved_by"):
            value = m.get(key)
            if value is None:
                continue
            if not isinstance(value, str) or not value.strip():
                self.problem(m.value_loc(key), "E104", f"'{key}' must be text naming a person or a team, "
                                                       f"got {value!r}")
                continue
            texts["owner" if key == "author" else key] = " ".join(value.split())
        days: dict[str, Optional[dt.date]] = {}
        for key in ("effective_from", "effective_until"):
            days[key] = self.day(m, key) if key in m else None
        start, end = days["effective_from"], days["effective_until"]
        if start is not None and end is not None and end < start:
            self.problem(m.value_loc("effective_until"), "E104",
                         f"{what} is in effect until {end.isoformat()}, before it comes into effect "
                         f"({start.isoformat()}): it would never apply")
        return Governance(texts.get("owner", ""), texts.get("approved_by", ""), start, end)

    def day(self, m: LMap, key: str) -> Optional[dt.date]:
        value = m[key]
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        self.problem(m.value_loc(key), "E104", f"'{key}' must be a date written YYYY-MM-DD, got {value!r}")
        return None

    def valid_text(self, doc: Any) -> bool:
        """Report each key or text value with a lone surrogate (E100); True when there is none."""
        before = len(self.problems)
        stack = [(doc, loc_of(doc))]
        while stack:
            node, loc = stack.pop()
            if isinstance(node, LMap):
                for key, value in node.items():
                    if isinstance(key, str) and text_problem(key):
                        self.problem(node.key_loc(key), "E100", f"a key: {text_problem(key)}")
                    stack.append((value, node.value_loc(key)))
            elif isinstance(node, LSeq):
                stack.extend((item, node.item_loc(i)) for i, item in enumerate(node))
            elif isinstance(node, str) and text_problem(node):
                self.problem(loc, "E100", f"{text_problem(node)}")
        self.problems[before:] = sorted(self.problems[before:], key=lambda p: (p.line, p.col))
        return len(self.problems) == before

    def read_vocabulary(self, value: Any, loc: Loc) -> None:
        """``vocabulary``: interest topics, each with the free-text words (and synonyms) that mean it."""
        if not isinstance(value, LMap):
            self.problem(loc, "E104", "'vocabulary' must map a topic to a list of words, "
                                      "e.g. 'new-technology: [machine learning, rust, cloud]'")
            return
        for topic, words in value.items():
            words = [words] if isinstance(words, str) else words
            if not isinstance(words, list) or not words or any(not isinstance(w, str) or not w.strip()
                                                               for w in words):
                self.problem(value.value_loc(topic), "E112", f"the words of topic '{topic}' must be a "
                                                             f"non-empty list of text")
                continue
            normal = [normal_word(str(topic))] + [normal_word(w) for w in words]
            self.vocabulary[normal_word(str(topic))] = tuple(dict.fromkeys(normal))

    def _unknown_keys(self, m: LMap, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for key in m:
            if key not in allowed:
                self.problem(m.key_loc(key), "E103",
                             f"unknown key '{key}'{did_you_mean(key, allowed)}; expected one of {', '.join(allowed)}")

    def rule(self, raw: Any, loc: Loc, ruleset: str, pack: Optional[Governance] = None) -> Optional[Rule]:
        if not isinstance(raw, LMap):
            self.problem(loc, "E104", "a rule must be a mapping with at least 'id', 'title' and 'recommend'")
            return None
        self._unknown_keys(raw, RULE_KEYS)
        before = len(self.problems)
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not rule_id.strip():
            self.problem(raw.loc, "E102", "rule without 'id' (a unique name such as 'deep-pro-leadership')")
            rule_id = f"<rule at line {raw.loc.line}>"
        title = raw.get("title")
        if not isinstance(title, str) or not title.strip():
            self.problem(raw.loc, "E102", f"rule '{rule_id}' has no 'title'")
            title = str(rule_id)
        scope = raw.get("scope", "person")
        if not isinstance(scope, str) or scope not in SCOPES:
            self.problem(raw.value_loc("scope"), "E104", f"'scope' must be one of {', '.join(SCOPES)}, "
                                                         f"got {scope!r}{did_you_mean(str(scope), SCOPES)}")
            scope = "person"
        self.facts = SCOPES[scope] if self.scoped else self.facts
        when: Node = Always(tuple(raw.loc))
        if "when" in raw:
            when = self.condition(raw["when"], raw.value_loc("when"))
        recommend = self.targets(raw, rule_id)
        if scope != "person" and any(t.to != "person" for t in recommend):
            self.problem(raw.value_loc("recommend"), "E122",
                         f"'to: manager' is for person rules; a {scope} rule's recommendation already goes "
                         f"to the {'manager' if scope == 'team' else 'organization'}")
        priority = raw.get("priority", DEFAULT_PRIORITY)
        if isinstance(priority, bool) or not isinstance(priority, int) or not (
                PRIORITY_RANGE[0] <= priority <= PRIORITY_RANGE[1]):
            self.problem(raw.value_loc("priority"), "E104",
                         f"'priority' must be a whole number from {PRIORITY_RANGE[0]} to {PRIORITY_RANGE[1]}, "
                         f"got {priority!r}")
            priority = DEFAULT_PRIORITY
        suppresses = self.id_list(raw, "suppresses")
        replaces = raw.get("replaces", False)
        if not isinstance(replaces, bool):
            self.problem(raw.value_loc("replaces"), "E104",
                         f"'replaces' is true (this rule replaces the built-in rule with its id) or false, "
                         f"got {replaces!r}")
            replaces = False
        suppresses_kinds = self.kind_list(raw)
        wording = self.wording(raw)
        texts = {}
        for key in ("rationale", "source"):
            value = raw.get(key, "")
            if not isinstance(value, str):
                self.problem(raw.value_loc(key), "E104", f"'{key}' must be text")
                value = ""
            texts[key] = " ".join(value.split())
        own = self.governance(raw, f"rule '{rule_id}'").under(pack or Governance())
        if own.effective_from and own.effective_until and own.effective_until < own.effective_from \
                and len(self.problems) == before:
            self.problem(raw.loc, "E104", f"rule '{rule_id}' is in effect from {own.effective_from.isoformat()}, "
                                          f"after its pack stops ({own.effective_until.isoformat()}), or until a "
                                          f"day before the pack starts: it would never apply")
        if len(self.problems) > before:
            return None
        return Rule(id=rule_id, title=" ".join(title.split()), when=when, recommend=recommend,
                    priority=priority, suppresses=suppresses, rationale=texts["rationale"],
                    source=texts["source"], file=self.file, line=raw.loc.line, ruleset=ruleset, scope=scope,
                    suppresses_kinds=suppresses_kinds, wording=wording, replaces=replaces,
                    owner=own.owner, approved_by=own.approved_by, effective_from=own.effective_from,
                    effective_until=own.effective_until)

    def kind_list(self, raw: LMap) -> tuple[str, ...]:
        """``suppresses_kinds``: catalog kinds this rule takes off the person's own list."""
        if "suppresses_kinds" not in raw:
            return ()
        value = raw["suppresses_kinds"]
        loc = raw.value_loc("suppresses_kinds")
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            self.problem(loc, "E104", "'suppresses_kinds' must be a list of intervention kinds "
                                      f"({', '.join(KINDS)})")
            return ()
        out = []
        for i, kind in enumerate(value):
            where = value.item_loc(i) if isinstance(value, LSeq) else loc
            if kind not in KINDS:
                self.problem(where, "E112", f"unknown intervention kind {kind!r}{did_you_mean(str(kind), KINDS)}; "
                                            f"expected one of {', '.join(KINDS)}")
            else:
                out.append(kind)
        return tuple(out)

    def wording(self, raw: LMap) -> tuple[tuple[str, str], ...]:
        """``wording``: the rationale in each audience's own words, {employee: ..., manager: ...}."""
        if "wording" not in raw:
            return ()
        value = raw["wording"]
        if not isinstance(value, LMap):
            self.problem(raw.value_loc("wording"), "E104",
                         "'wording' must be a mapping of audience to text, e.g. {employee: ..., manager: ...}")
            return ()
        out = []
        for who, text in value.items():
            if who not in WORDING_AUDIENCES:
                self.problem(value.key_loc(who), "E103", f"unknown audience '{who}' in 'wording'"
                                                         f"{did_you_mean(str(who), WORDING_AUDIENCES)}; expected "
                                                         f"one of {', '.join(WORDING_AUDIENCES)}")
            elif not isinstance(text, str) or not text.strip():
                self.problem(value.value_loc(who), "E104", f"the {who} wording must be text")
            else:
                out.append((str(who), " ".join(text.split())))
        return tuple(out)

    def check_intervention(self, value: Any, loc: Loc) -> bool:
        if not isinstance(value, str):
            self.problem(loc, "E104", f"an intervention id must be text, got {value!r}")
            return False
        if value not in self.interventions:
            self.problem(loc, "E120", f"unknown intervention '{value}'{did_you_mean(value, self.interventions)}")
            return False
        return True

    def targets(self, raw: LMap, rule_id: str) -> tuple[Target, ...]:
        value = raw.get("recommend")
        loc = raw.value_loc("recommend")
        if value is None:
            self.problem(raw.loc, "E102", f"rule '{rule_id}' has no 'recommend' (a list of intervention ids)")
            return ()
        if isinstance(value, (str, LMap)):
            value, locs = [value], [loc]
        elif isinstance(value, LSeq):
            locs = [value.item_loc(i) for i in range(len(value))]
        else:
            self.problem(loc, "E104", "'recommend' must be a list of intervention ids")
            return ()
        if not value:
            self.problem(loc, "E102", f"rule '{rule_id}' recommends nothing")
        out = []
        for item, item_loc in zip(value, locs):
            if isinstance(item, LMap):
                self._unknown_keys(item, ("intervention", "to"))
                to = item.get("to", "person")
                if not isinstance(to, str) or to not in TARGETS:
                    self.problem(item.value_loc("to"), "E122",
                                 f"'to' must be one of {', '.join(TARGETS)}{did_you_mean(str(to), TARGETS)}")
                    continue
                if "intervention" not in item:
                    self.problem(item.loc, "E102", "a recommend entry needs 'intervention'")
                    continue
                if self.check_intervention(item["intervention"], item.value_loc("intervention")):
                    out.append(Target(item["intervention"], to))
            elif self.check_intervention(item, item_loc):
                out.append(Target(item))
        return tuple(out)

    def id_list(self, raw: LMap, key: str) -> tuple[str, ...]:
        if key not in raw:
            return ()
        value = raw[key]
        if isinstance(value, str):
            value = LSeq([value])
            value.item_locs = [raw.value_loc(key)]
        if not isinstance(value, LSeq):
            self.problem(raw.value_loc(key), "E104", f"'{key}' must be a list of intervention ids")
            return ()
        return tuple(v for i, v in enumerate(value) if self.check_intervention(v, value.item_loc(i)))

    # -- conditions ---------------------------------------------------------

    def condition(self, value: Any, loc: Loc) -> Node:
        loc = loc_of(value, loc)
        if isinstance(value, LSeq):
            return All(tuple(self.condition(v, value.item_loc(i)) for i, v in enumerate(value)), tuple(loc))
        if not isinstance(value, LMap) or not value:
            self.problem(loc, "E104", "a condition must be a mapping such as 'performance: high' "
                                      "or 'all: [...]', 'any: [...]', 'not: ...', 'missing: <fact>'")
            return Always(tuple(loc))
        parts: list[Node] = []
        for key, sub in value.items():
            kloc = value.key_loc(key)
            vloc = value.value_loc(key)
            if key in ("all", "any"):
                if not isinstance(sub, LSeq) or not sub:
                    self.problem(vloc, "E104", f"'{key}' must be a non-empty list of conditions")
                    continue
                items = tuple(self.condition(v, sub.item_loc(i)) for i, v in enumerate(sub))
                parts.append(All(items, tuple(kloc)) if key == "all" else AnyOf(items, tuple(kloc)))
            elif key == "not":
                parts.append(Not(self.condition(sub, vloc), tuple(kloc)))
            elif key in ("exists", "missing"):
                parts.extend(self.presence_tests(str(key), sub, kloc, vloc))
            else:
                parts.extend(self.fact_test(str(key), sub, kloc, vloc))
        if len(parts) == 1:
            return parts[0]
        return All(tuple(parts), tuple(loc))

    def presence_tests(self, key: str, value: Any, kloc: Loc, vloc: Loc) -> list[Node]:
        """``exists: <fact>`` / ``missing: <fact>`` (or a list of facts): whether the record
        holds the fact. Always true or false, never unknown."""
        names = list(value) if isinstance(value, LSeq) else [value]
        locs = [value.item_loc(i) for i in range(len(value))] if isinstance(value, LSeq) else [vloc]
        if not names or any(not isinstance(n, str) for n in names):
            self.problem(vloc, "E104", f"'{key}' takes a fact name or a list of them, e.g. '{key}: aspiration'")
            return []
        out: list[Node] = []
        for name, loc in zip(names, locs):
            spec = spec_for(name, self.facts)
            if spec is None:
                known = list(self.facts) + ["extra.<name>"]
                self.problem(loc, "E110", f"unknown fact '{name}'{did_you_mean(name, known)}")
                continue
            if spec.kind in ("items", "strlist"):
                test = "{any: {}}" if spec.kind == "items" else "{contains: ...}"
                self.problem(loc, "E111", f"'{key}' tests one fact, not a list: write '{name}: {test}' "
                                          f"for a list that has items")
                continue
            found = protected_name(name[len("extra."):]) if name.startswith("extra.") else None
            if found is not None and found.certain:
                self.problem(loc, "E140", f"'{name}' is a protected attribute ({found.reason}): it may be audited "
                                          f"('devrecs audit --by {name[len('extra.'):]}') but no rule may test it")
                continue
            out.append(Compare(name, "exists", key == "exists", (), tuple(kloc)))
        return out

    def fact_test(self, path: str, value: Any, kloc: Loc, vloc: Loc) -> list[Node]:
        spec = spec_for(path, self.facts)
        if spec is None:
            known = [p for p in self.facts] + ["all", "any", "not", "exists", "missing", "extra.<name>"]
            self.problem(kloc, "E110", f"unknown fact '{path}'{did_you_mean(path, known)}")
            return []
        found = protected_name(path[len("extra."):]) if path.startswith("extra.") else None
        if found is not None and found.certain:
            self.problem(kloc, "E140", f"'{path}' is a protected attribute ({found.reason}): it may be audited "
                                       f"('devrecs audit --by {path[len('extra.'):]}') but no rule may test it")
            return []
        if spec.kind == "items":
            return self.items_test(path, spec, value, kloc, vloc)
        if spec.kind == "strlist":
            return self.contains_test(path, value, kloc, vloc)
        if not isinstance(value, LMap):
            value_map = LMap({"eq": value})
            value_map.loc = vloc
            value_map.value_locs["eq"] = vloc
            value_map.key_locs["eq"] = vloc
            value = value_map
        out: list[Node] = []
        for op, expected in value.items():
            oloc = value.key_loc(op)
            checked = self.check_compare(path, spec, str(op), expected, oloc, value.value_loc(op))
            if checked is not None:
                out.append(Compare(path, str(op), checked, spec.values if spec.ordered else (), tuple(oloc)))
        return out

    def check_compare(self, path: str, spec: FactSpec, op: str, expected: Any, oloc: Loc,
                      vloc: Loc, ops: tuple[str, ...] = COMPARE_OPS) -> Any:
        """The expected value made plain, or None after reporting a problem."""
        if op not in ops:
            hint = f" (did you mean '{_OP_HINTS[op]}'?)" if op in _OP_HINTS else did_you_mean(op, ops)
            self.problem(oloc, "E111", f"unknown operator '{op}'{hint}; expected one of {', '.join(ops)}")
            return None
        if op == "exists":
            if not isinstance(expected, bool):
                self.problem(vloc, "E112", f"'exists' takes true or false, got {expected!r}")
                return None
            return expected
        if op in ("in", "not_in"):
            if not isinstance(expected, list) or not expected:
                self.problem(vloc, "E112", f"'{op}' takes a non-empty list, got {expected!r}")
                return None
            values = [self.check_value(path, spec, op, v, vloc) for v in expected]
            if any(v is None for v in values):
                return None
            if len({kind_of(v) for v in values}) > 1:
                self.problem(vloc, "E112", f"the values of '{op}' for {path} must all be of one kind "
                                           f"(all text, all numbers or all true/false)")
                return None
            return tuple(values)
        if op == "between":
            if not isinstance(expected, list) or len(expected) != 2:
                self.problem(vloc, "E112", f"'between' takes two values [low, high], got {expected!r}")
                return None
            lo, hi = (self.check_value(path, spec, op, v, vloc) for v in expected)
            if lo is None or hi is None:
                return None
            if spec.ordered:
                if spec.values.index(lo) > spec.values.index(hi):
                    self.problem(vloc, "E112", f"'between' needs the lower value first, got [{lo}, {hi}]")
                    return None
            elif lo > hi:
                self.problem(vloc, "E112", f"'between' needs the lower value first, got [{lo}, {hi}]")
                return None
            return (lo, hi)
        return self.check_value(path, spec, op, expected, vloc)

    def check_value(self, path: str, spec: FactSpec, op: str, v: Any, vloc: Loc) -> Any:
        ordering = op in ORDER_OPS or op == "between"
        kind = kind_of(v)
        if spec.kind == "enum":
            if ordering and not spec.ordered:
                self.problem(vloc, "E111", f"{path} has no order: use eq, ne, in or not_in")
                return None
            if v not in spec.values:
                self.problem(vloc, "E112", f"{v!r} is not a value of {path}: expected one of "
                                           f"{', '.join(spec.values)}{did_you_mean(str(v), spec.values)}")
                return None
            return v
        if kind == "num" and number_problem(v) is not None:
            self.problem(vloc, "E112", f"{path}: {number_problem(v)}")
            return None
        if spec.kind in ("int", "float"):
            if kind != "num":
                self.problem(vloc, "E112", f"{path} is a number, got {v!r}")
                return None
            if path == "history.months_ago" and abs(v) > MONTHS_LIMIT:
                self.problem(vloc, "E112", f"{path} takes a number of months within +/- {MONTHS_LIMIT}, got {v!r}")
                return None
            return v
        if spec.kind == "bool":
            if ordering:
                self.problem(vloc, "E111", f"{path} is true or false: use eq or ne")
                return None
            if kind != "bool":
                self.problem(vloc, "E112", f"{path} is true or false, got {v!r}")
                return None
            return v
        if spec.kind == "str":
            if ordering:
                self.problem(vloc, "E111", f"{path} is text: use eq, ne, in or not_in")
                return None
            if kind != "str":
                self.problem(vloc, "E112", f"{path} is text, got {v!r}")
                return None
            return v
        # an organization's own fact (extra.*): any plain value
        if kind == "other":
            self.problem(vloc, "E112", f"{path} can be compared with text, a number or true/false, got {v!r}")
            return None
        if ordering and kind != "num":
            self.problem(vloc, "E111", f"'{op}' compares numbers; {v!r} is not a number")
            return None
        return v

    def items_test(self, path: str, spec: FactSpec, value: Any, kloc: Loc, vloc: Loc) -> list[Node]:
        if not isinstance(value, LMap) or len(value) != 1 or next(iter(value)) not in ("any", "none"):
            self.problem(vloc, "E104", f"{path} takes 'any: {{...}}' or 'none: {{...}}', e.g. "
                                       f"'{path}: {{any: {{{next(iter(spec.item_fields))}: ...}}}}'")
            return []
        quant = next(iter(value))
        where = value[quant]
        wloc = value.value_loc(quant)
        if where is None:
            where = LMap()
        if not isinstance(where, LMap):
            self.problem(wloc, "E104", f"'{quant}' takes a mapping of item tests (or {{}} for any item at all)")
            return []
        tests: list[ItemTest] = []
        fields = dict(spec.item_fields or {})
        names = list(fields) + (["within_months"] if path == "history" else [])
        for field, test in where.items():
            floc, tloc = where.key_loc(field), where.value_loc(field)
            if field == "within_months" and path == "history":
                if kind_of(test) != "num" or number_problem(test) is not None or not 0 <= test <= MONTHS_LIMIT:
                    self.problem(tloc, "E112", f"'within_months' takes a number of months from 0 to "
                                               f"{MONTHS_LIMIT}, got {test!r}")
                    continue
                tests.append(ItemTest("months_ago", "le", test))
                continue
            if field not in fields:
                self.problem(floc, "E113", f"unknown field '{field}' of {path}{did_you_mean(str(field), names)}; "
                                           f"expected one of {', '.join(names)}")
                continue
            fspec = fields[field]
            if not isinstance(test, LMap):
                test_map = LMap({"eq": test})
                test_map.value_locs["eq"] = tloc
                test_map.key_locs["eq"] = tloc
                test = test_map
            for op, expected in test.items():
                checked = self.check_compare(f"{path}.{field}", fspec, str(op), expected,
                                             test.key_loc(op), test.value_loc(op), ITEM_OPS)
                if checked is None:
                    continue
                self.check_item_ids(path, field, checked, test.value_loc(op))
                tests.append(ItemTest(field, str(op), checked, fspec.values if fspec.ordered else ()))
        return [Items(path, quant, tuple(tests), tuple(kloc))]

    def check_item_ids(self, path: str, field: str, value: Any, loc: Loc) -> None:
        values = value if isinstance(value, tuple) else (value,)
        for v in values:
            if path == "history" and field == "intervention" and v not in self.interventions:
                self.problem(loc, "E120", f"unknown intervention '{v}'{did_you_mean(v, self.interventions)}")
            elif path == "gaps" and field == "skill" and v not in SKILLS and did_you_mean(v, SKILLS):
                self.problem(loc, "E112", f"unknown skill '{v}'{did_you_mean(v, SKILLS)}")

    def contains_test(self, path: str, value: Any, kloc: Loc, vloc: Loc) -> list[Node]:
        if isinstance(value, LMap) and list(value) == ["topic"]:
            return self.topic_test(path, value, kloc)
        if not isinstance(value, LMap) or list(value) != ["contains"]:
            self.problem(vloc, "E104", f"{path} takes 'contains: <text>', 'contains: [<text>, ...]' "
                                       f"or 'topic: <a topic of the file's vocabulary>'")
            return []
        wanted = value["contains"]
        wanted = list(wanted) if isinstance(wanted, list) else [wanted]
        if not wanted or any(not isinstance(w, str) for w in wanted):
            self.problem(value.value_loc("contains"), "E112",
                         f"'contains' takes text or a list of text, got {value['contains']!r}")
            return []
        return [Contains(path, tuple(normal_word(w) for w in wanted), tuple(kloc))]

    def topic_test(self, path: str, value: LMap, kloc: Loc) -> list[Node]:
        """``topic: <name>``: the interests include any word of the topic (its vocabulary entry)."""
        topics = value["topic"]
        topics = list(topics) if isinstance(topics, list) else [topics]
        words: list[str] = []
        for topic in topics:
            name = normal_word(str(topic))
            if name not in self.vocabulary:
                self.problem(value.value_loc("topic"), "E112",
                             f"unknown interest topic {topic!r}{did_you_mean(name, self.vocabulary)}; a file "
                             f"declares its topics under 'vocabulary:'"
                             + (f" (this one has {', '.join(self.vocabulary)})" if self.vocabulary else ""))
                return []
            words.extend(self.vocabulary[name])
        return [Contains(path, tuple(dict.fromkeys(words)), tuple(kloc))]


def parse_text(text: str, file: str, interventions: Iterable[str],
               facts: dict[str, FactSpec] = PERSON_FACTS) -> tuple[Optional[RuleFile], list[Problem]]:
    """Parse one rule file's text. Returns the file (None when unreadable) and its problems."""
    try:
        doc = located.load(text, file)
    except located.YamlError as exc:
        return None, [exc.problem]
    return read_rule_doc(doc, file, interventions, facts)


def read_rule_doc(doc: Any, file: str, interventions: Iterable[str],
                  facts: dict[str, FactSpec] = PERSON_FACTS) -> tuple[Optional[RuleFile], list[Problem]]:
    """Rules of an already loaded (located) YAML document, and their problems."""
    reader = _Reader(file, interventions, facts)
    parsed = reader.read(doc)
    return parsed, reader.problems


def check_unique_ids(files: Iterable[RuleFile]) -> list[Problem]:
    """A problem for each rule id defined more than once across files."""
    seen: dict[str, Rule] = {}
    problems = []
    for f in files:
        for rule in f.rules:
            if rule.id in seen:
                first = seen[rule.id]
                problems.append(Problem(rule.file, rule.line, 1, "E121",
                                        f"duplicate rule id '{rule.id}' (first in {first.file}:{first.line})"))
            else:
                seen[rule.id] = rule
    return problems
