"""Compile condition trees to durable-rules JSON, and lay out the facts to post.

Each person (team, organization) becomes ONE flat fact: ``{"pid": <n>, "t": 1, <key>: <value>, ...}``
holding only the facts the rules read. Lists (gaps, history, interests) are
arrays inside that fact, so people posted in one session never match each
other's facts.

durable-rules quirks handled here (tests/test_differential.py checks durable against the Python
evaluator over every kind of condition, so a quirk left unhandled shows up there):
- inside an array test, ``$or`` over different fields (or with ``$eq`` /
  ``$neq``) silently drops some of its branches. So each list test gets
  its own array of ONE number per item: the item's tested fields packed
  in mixed radix (text as a code from a symbol table, ordered scales by
  position, history dates as whole days ago), and the test becomes a
  union of number ranges on that single value, which durable handles;
- ``$iall`` is false on an empty array, so empty arrays are left out of
  the fact and "none" is compiled as "array absent, or every item fails";
- durable compares "3" equal to 3 and "abc" greater than 3, so an
  organization's own fact (``extra.*``) is posted under one key per kind
  of value (text, number, true/false) and a test only reads the key of
  its own kind;
- a comparison on a missing key is false, and ``not`` does not exist
  inside an expression. The condition is compiled from its negation normal
  form (walk.nnf): each literal matches only when its fact is recorded and
  its test is true, or for a negated literal false (the opposite test), so an
  unknown fact matches neither way, as in the Python evaluator's three-valued
  logic; "every item fails" of a history test also requires the history
  to be complete far enough back (``history_known_days``);
- durable reads an exponent only after a '.', compares whole numbers with
  fractions as doubles and cannot read NaN or infinities: numbers reach it
  through ``numeric.durable_json``, and a rule whose constant durable could
  not compare exactly (numeric.number_problem) is refused here (E112), as
  parse.py refuses it in files;
- the session state is matched against rules too, so every rule also
  requires ``t`` to be its scope's mark (1 person, 2 team, 3 organization),
  which only posted facts carry.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Optional

import attrs

from ..errors import Problem, RuleFileError
from ..facts import DAYS_LIMIT, HISTORY_KNOWN_DAYS, FactSpec, spec_for
from ..model import Rule
from ..numeric import MONTHS_LIMIT, number_problem
from .conditions import (
    Compare,
    Contains,
    ItemTest,
    Items,
    complement,
    days_ranges,
    kind_of,
    leaves,
    window_oldest,
)
from .walk import NEGATED_OP, And, Form, Lit, nnf

FALSE = {"$nex": {"t": 1}}   # never true: every posted fact carries t
MISSING, UNKNOWN = 0, 1      # item text codes; known text starts at 2
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
_KIND_SUFFIX = {"str": "s", "num": "n", "bool": "b"}


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


# durable allows about 31 tests in one nested expression; array tests are
# split into pieces of this many ranges.
RANGES_PER_ARRAY_TEST = 4
# A list test needing more ranges than this is refused (E130): durable-rules
# slows to a halt on very long expressions.
MAX_RANGES = 48


class TooComplex(Exception):
    """A rule the matching engine cannot take; the message says why."""


def _chunks(ranges: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    n = RANGES_PER_ARRAY_TEST
    return [ranges[i:i + n] for i in range(0, len(ranges), n)]


def _ranges_expr(ranges: list[tuple[int, int]]) -> dict:
    alts = [{"$and": [{"$gte": {"$i": a}}, {"$lte": {"$i": b}}]} for a, b in ranges]
    return alts[0] if len(alts) == 1 else {"$or": alts}


def _intersect(xs: list[tuple[int, int]], ys: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for a, b in xs:
        for c, d in ys:
            lo, hi = max(a, c), min(b, d)
            if lo <= hi:
                out.append((lo, hi))
    return sorted(out)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


@attrs.frozen
class ItemField:
    """One field packed into an item's number: its digit range and how to read it."""

    name: str
    how: str                     # "code" (text), "rank" (ordered scale), "days" (history date)
    size: int
    table: dict = attrs.field(factory=dict)   # text -> code, or scale value -> rank

    @property
    def reads(self) -> str:
        """The item key the digit comes from (a history date is read as whole days ago)."""
        return "days_ago" if self.how == "days" else self.name

    @property
    def other(self) -> int:
        """The digit of a value the table does not hold."""
        return UNKNOWN if self.how == "code" else MISSING

    def allowed(self, t: ItemTest) -> list[tuple[int, int]]:
        """The digits for which test ``t`` holds."""
        if self.how == "days":
            return [(a + DAYS_LIMIT, b + DAYS_LIMIT) for a, b in days_ranges(t.op, t.value)]
        if self.how == "rank":
            ranks = {v: self.table[v] for v in t.order}
            if t.op in ("lt", "le", "gt", "ge"):
                e = ranks[t.value]
                pick = {"lt": lambda r: r < e, "le": lambda r: r <= e,
                        "gt": lambda r: r > e, "ge": lambda r: r >= e}[t.op]
                return _merge([(r, r) for r in ranks.values() if pick(r)])
            if t.op == "between":
                return [(ranks[t.value[0]], ranks[t.value[1]])]
        values = t.value if isinstance(t.value, tuple) else (t.value,)
        codes = _merge([(self.table[v], self.table[v]) for v in values if v in self.table])
        if t.op in ("eq", "in"):
            return codes
        return complement(codes, 1, self.size - 1)   # ne / not_in: any present value but these


@attrs.frozen
class ItemCodec:
    """Packs the tested fields of each item of a list into one number."""

    path: str
    key: str
    fields: tuple[ItemField, ...]

    @property
    def size(self) -> int:
        n = 1
        for f in self.fields:
            n *= f.size
        return n

    # per field, what encode needs, looked up once: (size, item key, is a date, table, other digit)
    _digits: tuple = attrs.field(init=False, eq=False, repr=False, default=attrs.Factory(
        lambda self: tuple((f.size, f.reads, f.how == "days", f.table, f.other) for f in self.fields),
        takes_self=True))

    def encode(self, item: dict) -> int:
        """The item's number: one digit per field, in mixed radix."""
        n = 0
        for size, key, days, table, other in self._digits:
            value = item.get(key)
            if days:
                digit = int(value) + DAYS_LIMIT
            elif value is None:
                digit = MISSING
            else:
                digit = table.get(value, other)
            n = n * size + digit
        return n

    def ranges(self, tests: tuple[ItemTest, ...]) -> list[tuple[int, int]]:
        """The item numbers for which every test holds, as merged ranges."""
        per_field = []
        for f in self.fields:
            allowed = [(0, f.size - 1)]
            for t in tests:
                if t.field == f.name:
                    allowed = _intersect(allowed, f.allowed(t))
            per_field.append(allowed)
        return _merge(self._product(per_field, 0))

    def false_ranges(self, tests: tuple[ItemTest, ...]) -> list[tuple[int, int]]:
        """The item numbers for which some test is false (its field present), as merged ranges."""
        out = []
        for t in tests:
            per_field = []
            for f in self.fields:
                if f.name != t.field:
                    per_field.append([(0, f.size - 1)])
                    continue
                present = (0 if f.how == "days" else 1, f.size - 1)
                per_field.append(complement(_merge(f.allowed(t)), *present) if present[0] <= present[1] else [])
            out.extend(self._product(per_field, 0))
        return _merge(out)

    def _product(self, per_field: list, i: int) -> list[tuple[int, int]]:
        if i == len(self.fields):
            return [(0, 0)]
        weight = 1
        for f in self.fields[i + 1:]:
            weight *= f.size
        rest_full = all(r == [(0, f.size - 1)] for r, f in zip(per_field[i + 1:], self.fields[i + 1:]))
        if rest_full:
            return [(a * weight, b * weight + weight - 1) for a, b in per_field[i]]
        rest = self._product(per_field, i + 1)
        return [(d * weight + lo, d * weight + hi)
                for a, b in per_field[i] for d in range(a, b + 1) for lo, hi in rest]


@attrs.define
class FactLayout:
    """Where each fact path goes in the posted fact, and the codes of item text."""

    keys: dict[str, str] = attrs.field(factory=dict)           # typed path -> key
    extra_keys: dict[str, str] = attrs.field(factory=dict)     # extra path -> key stem
    lists: dict[str, str] = attrs.field(factory=dict)          # list path -> key
    symbols: dict[tuple[str, str], dict[str, int]] = attrs.field(factory=dict)  # (list, field) -> codes
    codecs: dict[tuple[str, tuple[str, ...]], ItemCodec] = attrs.field(factory=dict)

    def key(self, path: str) -> str:
        if path not in self.keys:
            self.keys[path] = self._fresh(_safe(path.replace(".", "__")))
        return self.keys[path]

    def extra_key(self, path: str, kind: str) -> str:
        if path not in self.extra_keys:
            self.extra_keys[path] = self._fresh("x_" + _safe(path[len("extra."):]))
        return f"{self.extra_keys[path]}_{_KIND_SUFFIX[kind]}"

    def list_key(self, path: str) -> str:
        if path not in self.lists:
            self.lists[path] = self._fresh(_safe(path))
        return self.lists[path]

    def code(self, list_path: str, field: str, value: str) -> int:
        """The code of item text (known text starts at 2: 0 is missing, 1 unknown)."""
        table = self.symbols.setdefault((list_path, field), {})
        if value not in table:
            table[value] = len(table) + 2
        return table[value]

    def item_codec(self, node: Items, facts: dict[str, FactSpec]) -> ItemCodec:
        """The codec for a list test: one per list and set of tested fields. Fields with
        few values come first and the date (days, the widest) last, so that the ranges
        of a test stay few."""
        names = tuple(sorted(dict.fromkeys(t.field for t in node.where),
                             key=lambda f: (f == "months_ago", f)))
        if (node.path, names) in self.codecs:
            return self.codecs[(node.path, names)]
        spec = spec_for(node.path, facts)
        fields = []
        for name in names:
            fspec = spec.item_fields[name]
            if name == "months_ago":
                fields.append(ItemField(name, "days", 2 * DAYS_LIMIT + 1))
            elif fspec.ordered:
                table = {v: i + 1 for i, v in enumerate(fspec.values)}
                fields.append(ItemField(name, "rank", len(table) + 1, table))
            else:
                table = dict(self.symbols.get((node.path, name), {}))
                fields.append(ItemField(name, "code", len(table) + 2, table))
        stem = node.path + ("__" + "_".join(names) if names else "__any")
        codec = ItemCodec(node.path, self._fresh(_safe(stem)), tuple(fields))
        self.codecs[(node.path, names)] = codec
        return codec

    def _fresh(self, stem: str) -> str:
        used = set(self.keys.values()) | set(self.extra_keys.values()) | set(self.lists.values())
        used |= {c.key for c in self.codecs.values()}
        used |= {"t", "pid", "sid", "id"}
        key, n = stem, 1
        while key in used:
            n += 1
            key = f"{stem}_{n}"
        return key


class _Compiler:
    """durable expressions for the literals of a condition's negation normal form
    (walk.nnf). A literal matches only when its fact is recorded and its test is
    true (or, negated, false), so durable, like the Python evaluator, never
    reads an unknown fact as true or false."""

    def __init__(self, layout: FactLayout, facts: dict[str, FactSpec]):
        self.layout = layout
        self.facts = facts

    def expr(self, form: Form) -> Optional[dict]:
        """durable expression for a normal form; None means 'always true'."""
        if form is True:
            return None
        if form is False:
            return dict(FALSE)
        if isinstance(form, Lit):
            return self.literal(form.leaf, form.positive)
        parts = [self.expr(f) for f in form.items]
        if isinstance(form, And):
            parts = [p for p in parts if p is not None]
            if not parts:
                return None
            return parts[0] if len(parts) == 1 else {"$and": parts}
        if any(p is None for p in parts):
            return None
        return parts[0] if len(parts) == 1 else {"$or": parts}

    def literal(self, leaf: Any, positive: bool) -> Optional[dict]:
        if isinstance(leaf, Compare):
            return self.compare(leaf, positive)
        if isinstance(leaf, Items):
            return self.items(leaf, positive)
        if isinstance(leaf, Contains):
            return self.contains(leaf, positive)
        raise TypeError(f"unknown node {leaf!r}")

    # -- leaves ------------------------------------------------------------------

    def compare(self, c: Compare, positive: bool) -> dict:
        spec = spec_for(c.path, self.facts)
        extra = spec is not None and spec.kind == "any"
        if c.op == "exists":
            want = bool(c.value) == positive
            if extra:
                keys = [self.layout.extra_key(c.path, k) for k in ("str", "num", "bool")]
                if want:
                    return {"$or": [{"$ex": {k: 1}} for k in keys]}
                return {"$and": [{"$nex": {k: 1}} for k in keys]}
            key = self.layout.key(c.path)
            return {"$ex": {key: 1}} if want else {"$nex": {key: 1}}
        kind = kind_of(c.value[0] if isinstance(c.value, tuple) else c.value)
        key = self.layout.extra_key(c.path, kind) if extra else self.layout.key(c.path)
        if positive:
            return self._test(key, c.op, c.value, c.order)
        # false: the fact is recorded and the opposite test holds; an organization's own
        # fact recorded as another kind of value fails every test of this kind
        opposite = self._test(key, NEGATED_OP[c.op], c.value, c.order)
        if not extra:
            return opposite
        others = [{"$ex": {self.layout.extra_key(c.path, k): 1}} for k in _KIND_SUFFIX if k != kind]
        return {"$or": [opposite, *others]}

    def _test(self, key: str, op: str, value: Any, order: tuple[str, ...], item: bool = False) -> dict:
        ref = f"$i.{key}" if item else key
        if order and op in ("lt", "le", "gt", "ge", "between", "outside"):
            ranks = {v: i for i, v in enumerate(order)}
            if op == "between":
                chosen = [v for v in order if ranks[value[0]] <= ranks[v] <= ranks[value[1]]]
            elif op == "outside":
                chosen = [v for v in order if not ranks[value[0]] <= ranks[v] <= ranks[value[1]]]
            else:
                e = ranks[value]
                pick = {"lt": lambda r: r < e, "le": lambda r: r <= e,
                        "gt": lambda r: r > e, "ge": lambda r: r >= e}[op]
                chosen = [v for v in order if pick(ranks[v])]
            return self._test(key, "in", tuple(chosen), (), item)
        if op == "eq":
            return {ref: value}
        if op in _DURABLE_OP:
            return {_DURABLE_OP[op]: {ref: value}}
        if op == "in":
            if not value:
                return {"$nex": {"t": 1}}
            alts = [{ref: v} for v in value]
            return alts[0] if len(alts) == 1 else {"$or": alts}
        if op == "not_in":
            if not value:
                return {"$ex": {ref: 1}}
            alts = [{"$neq": {ref: v}} for v in value]
            return alts[0] if len(alts) == 1 else {"$and": alts}
        if op == "between":
            return {"$and": [{"$gte": {ref: value[0]}}, {"$lte": {ref: value[1]}}]}
        if op == "outside":
            return {"$or": [{"$lt": {ref: value[0]}}, {"$gt": {ref: value[1]}}]}
        raise ValueError(f"unknown operator {op}")

    def items(self, node: Items, positive: bool) -> Optional[dict]:
        codec = self.layout.item_codec(node, self.facts)
        passing = codec.ranges(node.where)
        not_failing = complement(codec.false_ranges(node.where), 0, codec.size - 1)
        for ranges in (passing, not_failing):
            if len(ranges) > MAX_RANGES:
                raise TooComplex(f"its test on {node.path} needs {len(ranges)} value ranges "
                                 f"(at most {MAX_RANGES}): use fewer or broader item tests")
        key = codec.key
        if (node.quant == "any") == positive:       # some item passes
            if not passing:
                return dict(FALSE)
            if passing == [(0, codec.size - 1)]:
                return {"$ex": {key: 1}}
            alts = [{"$iany": {key: _ranges_expr(part)}} for part in _chunks(passing)]
            return alts[0] if len(alts) == 1 else {"$or": alts}
        # every item fails: the list is absent, or no item lies in any chunk of the
        # numbers of items that do not fail; for history, only as far back as it is complete
        parts = []
        for part in _chunks(not_failing):
            rest = complement(part, 0, codec.size - 1)
            parts.append({"$nex": {key: 1}} if not rest else
                         {"$or": [{"$nex": {key: 1}}, {"$iall": {key: _ranges_expr(rest)}}]})
        oldest = window_oldest(node.where)
        if node.path == "history" and oldest is not None:
            parts.insert(0, {"$gte": {self.layout.key(HISTORY_KNOWN_DAYS): oldest}})
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}

    def contains(self, node: Contains, positive: bool) -> dict:
        key = self.layout.list_key(node.path)
        codes = [self.layout.code(node.path, "", v) for v in node.values]
        if positive:
            # some item's code is one of these, tested as ranges of codes: the values of one rule
            # mostly get codes one after another, so a long list of synonyms is one array test and
            # one durable rule, where an "$or" of one test per value made a durable rule per value
            # (each costs durable time for every person posted)
            ranges = _merge([(c, c) for c in codes])
            if len(codes) == 1:
                return {"$iany": {key: {"$i": codes[0]}}}
            alts = [{"$iany": {key: _ranges_expr(part)}} for part in _chunks(ranges)]
            return alts[0] if len(alts) == 1 else {"$or": alts}
        inner = [{"$neq": {"$i": c}} for c in codes]
        return {"$or": [{"$nex": {key: 1}}, {"$iall": {key: inner[0] if len(inner) == 1 else {"$and": inner}}}]}


def rule_expressions(rule: Rule, layout: FactLayout, facts: dict[str, FactSpec], mark: int = 1) -> list[dict]:
    """The durable expressions of one rule, one per top-level alternative (so each
    stays small), each guarded so that only facts of the rule's kind (``t == mark``) match."""
    body = _Compiler(layout, facts).expr(nnf(rule.when))
    if body is None:
        return [{"t": mark}]
    alts = _alternatives(body)
    return [{"$and": [{"t": mark}, alt]} for alt in alts]


def _alternatives(expr: dict) -> list[dict]:
    """Top-level $or flattened into a list of alternatives."""
    if list(expr) == ["$or"]:
        return [a for sub in expr["$or"] for a in _alternatives(sub)]
    return [expr]


def compile_rules(name: str, rules: Iterable[Rule], facts: dict[str, FactSpec],
                  cap: int, mark: int = 1, prefix: str = "r") -> tuple[dict, FactLayout, list[str]]:
    """durable-rules JSON for ``rules`` under ruleset ``name``.

    Returns the JSON (with ``run`` keys naming actions), the fact layout,
    and the action names in rule order (``r0``, ``r1`` ...). A rule whose
    condition is an "or" at the top becomes several durable rules
    (``r3_0``, ``r3_1``) sharing one action. ``seen`` is the catch-all
    every person matches, so no fact is ever unhandled.
    """
    rules = list(rules)
    layout = FactLayout()
    for rule in rules:   # every item text gets its code before any codec is sized
        for leaf in leaves(rule.when):
            if isinstance(leaf, Items):
                for t in leaf.where:
                    if not t.order and t.field != "months_ago":
                        for v in (t.value if isinstance(t.value, tuple) else (t.value,)):
                            if isinstance(v, str):
                                layout.code(leaf.path, t.field, v)
    body: dict[str, Any] = {}
    names = []
    problems: list[Problem] = []
    for i, rule in enumerate(rules):
        rname = f"{prefix}{i}"
        bad = _bad_constants(rule)
        if bad:
            problems.extend(bad)
            continue
        try:
            exprs = rule_expressions(rule, layout, facts, mark)
        except TooComplex as exc:
            problems.append(Problem(rule.file or "<rules>", rule.line or 1, 1, "E130",
                                    f"rule '{rule.id}' is too complex for the matching engine: {exc}"))
            continue
        for k, expr in enumerate(exprs):
            key = rname if len(exprs) == 1 else f"{rname}_{k}"
            body[key] = {"all": [{"m": expr}], "run": rname, "cap": cap}
        names.append(rname)
    if problems:
        raise RuleFileError(problems)
    body["seen"] = {"all": [{"m": {"t": mark}}], "run": f"{prefix}seen", "cap": cap}
    return {name: body}, layout, names


def _bad_constants(rule: Rule) -> list[Problem]:
    """A problem (E112) for each number in the rule's tests that the matching engine could
    not compare exactly, or (history months) turn into days; rules read from files never
    have one (parse.py refuses them), rules built in code may."""
    problems = []
    for leaf in leaves(rule.when):
        tests = [(leaf.path, leaf.value)] if isinstance(leaf, Compare) else (
            [(f"{leaf.path}.{t.field}", t.value) for t in leaf.where] if isinstance(leaf, Items) else [])
        for path, value in tests:
            for v in value if isinstance(value, tuple) else (value,):
                why = number_problem(v)
                if why is None and path == "history.months_ago" and kind_of(v) == "num" and abs(v) > MONTHS_LIMIT:
                    why = f"{v!r} is past {MONTHS_LIMIT} months"
                if why is not None:
                    problems.append(Problem(rule.file or "<rules>", leaf.loc[0] or rule.line or 1,
                                            leaf.loc[1] or 1, "E112",
                                            f"rule '{rule.id}' tests {path}: {why}"))
    return problems


def fact_builder(layout: FactLayout, facts: dict[str, FactSpec]):
    """A function (person values getter, pid) -> the flat fact to post.

    ``get(path)`` returns plain values as ``facts.fact_value`` does. Only
    the paths the rules read are posted.
    """
    scalar = list(layout.keys.items())
    extra = list(layout.extra_keys.items())
    contains = [(path, key, layout.symbols.get((path, ""), {})) for path, key in layout.lists.items()]
    codecs = list(layout.codecs.values())

    def build(get, pid: int, mark: int = 1) -> dict:
        fact = {"pid": pid, "t": mark}    # pid first: the engine reads it from the fact's text
        for path, key in scalar:
            value = get(path)
            if value is not None:
                fact[key] = value
        for path, stem in extra:
            value = get(path)
            kind = kind_of(value)
            if kind in _KIND_SUFFIX:
                fact[f"{stem}_{_KIND_SUFFIX[kind]}"] = value
        for path, key, table in contains:
            values = get(path)
            if values:
                fact[key] = [table.get(v, UNKNOWN) for v in values]
        for codec in codecs:
            values = get(codec.path)
            if values:
                fact[codec.key] = [codec.encode(item) for item in values]
        return fact

    return build
