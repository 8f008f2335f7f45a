"""Reasoning about condition trees: can a condition ever hold, does one imply another.

Used by the linter (contradictions, subsumed and suppressed rules, dead
alternatives) and by rule-test coverage (the alternatives of ``any``).

The method is sound and simple:

- a condition is put in disjunctive normal form (walk.dnf): a list of
  *terms*, each a conjunction of *literals* (a leaf test wanted true, false
  or unknown: conditions are three-valued). Past ``MAX_TERMS`` terms the
  analysis gives up and claims nothing;
- a term is satisfiable when each of its *variables* can be given a value
  that makes all of its literals on that variable hold. A variable is one
  fact path, except that ``nine_box``, ``performance`` and ``potential``
  are one variable (the 9-box cell is worked out from the other two); a
  list (gaps, history, interests) is one variable too;
- values are tried from a finite set of *representatives*: every value of
  an enum, the constants the literals name with points between and beyond
  them for numbers, a text no rule names, and "unknown" (None). Each
  literal is evaluated with the Python evaluator (``conditions.leaf_truth``),
  the same semantics explanations use, and the representatives cover every
  case it distinguishes;
- variables are treated as independent (they are, apart from the 9-box
  cell), so a term called unsatisfiable really is; ``implies(a, b)`` is
  "``a`` true and ``b`` not true (false or unknown) is unsatisfiable", so it
  too is never claimed wrongly; list tests wanted unknown are taken as
  satisfiable (nothing is claimed about them).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Iterable, Optional, Sequence

import attrs

from ..facts import DAYS_LIMIT, PERSON_FACTS, FactSpec, spec_for
from ..model import NINE_BOX
from .conditions import (
    All,
    Always,
    AnyOf,
    Compare,
    Contains,
    Items,
    Node,
    Not,
    days_ranges,
    item_truth,
    leaf_truth,
    window_oldest,
)
from .walk import MAX_TERMS, NOT_TRUE, Literal, Term, dnf  # noqa: F401  (MAX_TERMS: part of this module's contract)

OTHER_TEXT = "\x00a text no rule names"
_RATINGS = ("low", "medium", "high", None)
_NINE_BOX_PATHS = ("nine_box", "performance", "potential")


# -- satisfiability of one term ---------------------------------------------------------


def _variable(leaf: Any, facts: dict[str, FactSpec]) -> tuple[str, str]:
    if isinstance(leaf, Compare):
        if facts is PERSON_FACTS and leaf.path in _NINE_BOX_PATHS:
            return ("scalar", "nine_box")
        return ("scalar", leaf.path)
    if isinstance(leaf, Items):
        return ("items", leaf.path)
    return ("contains", leaf.path)


def _constants(values: Iterable[Any]) -> list[Any]:
    out = []
    for v in values:
        out.extend(v if isinstance(v, tuple) else (v,))
    return out


def _numbers(consts: Iterable[Any]) -> list[float]:
    return sorted({c for c in consts if isinstance(c, (int, float)) and not isinstance(c, bool)})


def _float_reps(consts: Iterable[Any]) -> list[float]:
    cs = _numbers(consts)
    if not cs:
        return [0.0]
    mids = [(a + b) / 2 for a, b in zip(cs, cs[1:])]
    return cs + mids + [cs[0] - 1, cs[-1] + 1]


def _int_reps(consts: Iterable[Any]) -> list[int]:
    out: set[int] = set()
    for c in _numbers(consts):
        out |= {math.floor(c) - 1, math.floor(c), math.ceil(c), math.ceil(c) + 1}
    return sorted(out) or [0]


def _reps(spec: Optional[FactSpec], consts: list[Any]) -> list[Any]:
    """Values of a fact such that every test on ``consts`` is decided the same as for some of them."""
    kind = spec.kind if spec is not None else "any"
    texts = sorted({c for c in consts if isinstance(c, str)})
    if kind == "enum":
        return list(spec.values)
    if kind == "bool":
        return [True, False]
    if kind == "int":
        return _int_reps(consts)
    if kind == "float":
        return _float_reps(consts)
    if kind == "str":
        return texts + [OTHER_TEXT]
    return [True, False] + texts + [OTHER_TEXT] + _float_reps(consts)   # an organization's own fact


def _scalar_ok(path: str, literals: Sequence[Literal], facts: dict[str, FactSpec]) -> bool:
    if path == "nine_box" and facts is PERSON_FACTS:
        for perf, pot in itertools.product(_RATINGS, _RATINGS):
            values = {"performance": perf, "potential": pot,
                      "nine_box": NINE_BOX.get((perf, pot)) if perf and pot else None}
            if all(leaf_truth(leaf, values.get) is pos for leaf, pos in literals):
                return True
        return False
    consts = _constants(leaf.value for leaf, _ in literals if leaf.op != "exists")
    for value in [None] + _reps(spec_for(path, facts), consts):
        if all(leaf_truth(leaf, lambda _p, v=value: v) is pos for leaf, pos in literals):
            return True
    return False


def _day_reps(tests: Iterable[Any]) -> list[int]:
    points = {-DAYS_LIMIT, DAYS_LIMIT}
    for t in tests:
        for a, b in days_ranges(t.op, t.value):
            points |= {a - 1, a, a + 1, b - 1, b, b + 1}
    return sorted(p for p in points if -DAYS_LIMIT <= p <= DAYS_LIMIT)


def _items_ok(path: str, literals: Sequence[Literal], facts: dict[str, FactSpec]) -> bool:
    """Whether the list tests can have their wanted values together. A test wanted unknown
    needs no item passing it and an item it is unknown for, unless (history) the history
    can be incomplete where it looks: all are necessary, so False is sound."""
    required = [leaf.where for leaf, pos in literals if pos is not None and (leaf.quant == "any") == pos]
    forbidden = [leaf.where for leaf, pos in literals if pos is not None and (leaf.quant == "any") != pos]
    unknown = [leaf.where for leaf, pos in literals if pos is None]
    undecided = unknown
    if path == "history":            # complete just as far back as the tests wanted false need
        reach = [d for d in map(window_oldest, forbidden) if d is not None]
        known = max(reach) if reach else None
        undecided = [u for u in unknown if known is not None and not (window_oldest(u) or -DAYS_LIMIT) > known]
    if not required and not undecided:
        return True                  # an empty (complete) list breaks every "no item" rule
    spec = spec_for(path, facts)
    tests_of = required + forbidden + unknown
    fields = sorted({t.field for where in tests_of for t in where})
    choices = []
    for name in fields:
        tests = [t for where in tests_of for t in where if t.field == name]
        if name == "months_ago":
            choices.append([("days_ago", d) for d in _day_reps(tests)])
            continue
        fspec = spec.item_fields.get(name) if spec and spec.item_fields else None
        choices.append([(name, v) for v in [None] + _reps(fspec, _constants(t.value for t in tests))])
    items = [dict(combo) for combo in itertools.product(*choices)]

    def allowed(item: dict) -> bool:
        return (all(item_truth(ban, item) is False for ban in forbidden)
                and all(item_truth(u, item) is not True for u in unknown))

    return (all(any(item_truth(need, item) is True and allowed(item) for item in items) for need in required)
            and all(any(item_truth(u, item) is None and allowed(item) for item in items) for u in undecided))


def _contains_ok(literals: Sequence[Literal]) -> bool:
    if any(pos is None for _, pos in literals):
        return False                 # an interests test is never unknown
    banned = {v for leaf, pos in literals if not pos for v in leaf.values}
    return all(set(leaf.values) - banned for leaf, pos in literals if pos)


def _groups(term: Term, facts: dict[str, FactSpec]) -> dict[tuple[str, str], list[Literal]]:
    groups: dict[tuple[str, str], list[Literal]] = {}
    for literal in term:
        groups.setdefault(_variable(literal[0], facts), []).append(literal)
    return groups


def _group_ok(var: tuple[str, str], literals: Sequence[Literal], facts: dict[str, FactSpec]) -> bool:
    kind, path = var
    if kind == "scalar":
        return _scalar_ok(path, literals, facts)
    if kind == "items":
        return _items_ok(path, literals, facts)
    return _contains_ok(literals)


def conflict(term: Term, facts: dict[str, FactSpec] = PERSON_FACTS) -> Optional[list[Literal]]:
    """The literals of ``term`` that cannot all hold (those on one variable), or None when it can hold."""
    truth: dict[Any, Literal] = {}
    for literal in term:     # one leaf has one truth value per person: true, false or unknown
        leaf, positive = literal
        seen = truth.setdefault(leaf, literal)
        if seen[1] != positive:
            return [seen, literal]
    for var, literals in _groups(term, facts).items():
        if not _group_ok(var, literals, facts):
            return _smallest(var, literals, facts)
    return None


def _smallest(var: tuple[str, str], literals: list[Literal], facts: dict[str, FactSpec]) -> list[Literal]:
    """Drop literals that are not needed for the conflict (for a short message)."""
    kept = list(dict.fromkeys(literals))
    for literal in list(kept):
        rest = [x for x in kept if x != literal]
        if rest and not _group_ok(var, rest, facts):
            kept = rest
    return kept


def satisfiable(term: Term, facts: dict[str, FactSpec] = PERSON_FACTS) -> bool:
    return conflict(term, facts) is None


# -- questions about conditions --------------------------------------------------------


def never_holds(node: Node, facts: dict[str, FactSpec] = PERSON_FACTS) -> Optional[list[list[Literal]]]:
    """For a condition that can never hold, the conflict in each of its ways of holding; else None.

    None also when the condition is too large to analyse (nothing is claimed then)."""
    terms = dnf(node)
    if terms is None:
        return None
    conflicts = []
    for term in terms:
        found = conflict(term, facts)
        if found is None:
            return None
        conflicts.append(found)
    return conflicts


def implies(a: Node, b: Node, facts: dict[str, FactSpec] = PERSON_FACTS) -> bool:
    """True only when ``b`` holds whenever ``a`` holds (proven); False when not, or unknown."""
    if a == b or (isinstance(a, All) and b in a.items):    # "all" holds only when each of its items does
        return True
    ways_a, ways_not_b = dnf(a), dnf(b, NOT_TRUE)
    if ways_a is None or ways_not_b is None or len(ways_a) * len(ways_not_b) > MAX_TERMS:
        return False
    return not any(satisfiable(x + y, facts) for x in ways_a for y in ways_not_b)


def can_hold_together(a: Node, b: Node, facts: dict[str, FactSpec] = PERSON_FACTS) -> bool:
    """False only when ``a`` and ``b`` can never both hold (proven)."""
    terms = dnf(All((a, b)))
    return terms is None or any(satisfiable(t, facts) for t in terms)


def describe_literal(literal: Literal) -> str:
    leaf, positive = literal
    if positive is None:
        return f"{leaf.path} not recorded"
    if isinstance(leaf, Items):
        exists = (leaf.quant == "any") == positive
        noun = {"gaps": "gap", "history": "history entry"}.get(leaf.path, "item")
        lead = (f"there is {'an' if noun[0] in 'aeiou' else 'a'} {noun}" if exists else f"there is no {noun}")
        tests = " and ".join(t.describe() for t in leaf.where)
        return lead + (f" where {tests}" if tests else "")
    return leaf.describe() if positive else f"not ({leaf.describe()})"


# -- alternatives of "any" ---------------------------------------------------------------


@attrs.frozen
class Branch:
    """One alternative of an ``any`` in a condition (reached without a ``not`` above it)."""

    path: tuple[int, ...]       # child indexes from the root to the ``any``
    index: int                  # which alternative, from 0
    count: int                  # how many alternatives the ``any`` has
    node: Any                   # the alternative
    loc: tuple[int, int]

    @property
    def label(self) -> str:
        from .conditions import describe
        return f"alternative {self.index + 1} of {self.count} of 'any': {describe(self.node)}"


def branches(node: Node) -> list[Branch]:
    """Every alternative of every ``any`` that is not under a ``not``, in reading order."""
    out: list[Branch] = []

    def walk(n: Node, path: tuple[int, ...]) -> None:
        if isinstance(n, AnyOf):
            for i, item in enumerate(n.items):
                loc = getattr(item, "loc", (0, 0))
                out.append(Branch(path, i, len(n.items), item, tuple(loc) if loc != (0, 0) else tuple(n.loc)))
                walk(item, path + (i,))
        elif isinstance(n, All):
            for i, item in enumerate(n.items):
                walk(item, path + (i,))

    walk(node, ())
    return out


def with_branch(node: Node, branch: Branch) -> Node:
    """The condition with the ``any`` of ``branch`` replaced by that one alternative."""
    def rebuild(n: Node, path: tuple[int, ...]) -> Node:
        if not path:
            return branch.node
        head, rest = path[0], path[1:]
        items = list(n.items)
        items[head] = rebuild(items[head], rest)
        return attrs.evolve(n, items=tuple(items))
    return rebuild(node, branch.path)


def same_tree(a: Node, b: Node) -> bool:
    """The same condition, written in the same way (locations ignored)."""
    return strip_locs(a) == strip_locs(b)


def strip_locs(node: Any) -> Any:
    if isinstance(node, (All, AnyOf)):
        return type(node)(tuple(strip_locs(n) for n in node.items))
    if isinstance(node, Not):
        return Not(strip_locs(node.item))
    if isinstance(node, (Compare, Items, Contains, Always)):
        return attrs.evolve(node, loc=(0, 0))
    return node
