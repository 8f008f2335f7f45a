"""The condition tree of a rule, and its Python evaluator.

The tree is the single truth of a rule: ``compile.py`` turns it into
durable-rules JSON, and ``truth`` / ``holds`` evaluate it in Python for
explanations. A property test keeps the two in agreement. Walks of the
tree (polarity, normal forms, the negation table) live in ``walk.py``.

Semantics, the same in both (docs/rules.md has the truth table):
- a condition is true, false or unknown (``None`` here): a test of a fact
  the record does not hold (None) is unknown, never false; only
  ``exists`` / ``missing`` are always known;
- ``not`` turns true into false and false into true, and leaves unknown
  unknown; ``all`` is false when any part is false, else unknown when any
  part is unknown; ``any`` is true when any part is true, else unknown when
  any part is unknown (Kleene's three-valued logic). A rule holds only when
  its condition is true;
- a list test (``gaps``, ``history``) looks at each item the same way: an
  item passes when every test on it is true and fails when one is false
  (on a field the item has); ``any`` is true when an item passes, false when
  every item fails, else unknown; ``none`` is its negation. An empty list
  has no item; but for ``history`` "no entry" is known only as far back as
  the record's history is complete (``history_complete``, ``history_since``),
  otherwise a history test that finds no entry is unknown;
- a comparison between values of different kinds (text, number, true/false)
  is false: ``extra.grade: {gt: 3}`` is false when grade is "B";
- ordered scales (low < medium < high, early < mid < senior,
  none < informal < pip) compare by their order;
- ``between: [a, b]`` includes both ends.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator, Optional, Union

import attrs

from ..facts import DAYS_LIMIT, DAYS_PER_MONTH, HISTORY_KNOWN_DAYS

ORDER_OPS = ("lt", "le", "gt", "ge")
COMPARE_OPS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between", "exists")
ITEM_OPS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between")

_SYMBOL = {"eq": "is", "ne": "is not", "in": "is one of", "not_in": "is none of",
           "lt": "is less than", "le": "is at most", "gt": "is more than", "ge": "is at least"}
_SCALE = {"lt": "is below {}", "le": "is {} or lower", "gt": "is above {}", "ge": "is {} or higher"}


def phrase(name: str, op: str, value: Any, order: tuple[str, ...]) -> str:
    """'performance is medium or higher', 'level is at least 3', 'track is one of [...]'."""
    if op in ("between", "outside"):
        word = "is" if op == "between" else "is not"
        return f"{name} {word} between {_show(value[0])} and {_show(value[1])}"
    if order and op in _SCALE:
        return f"{name} " + _SCALE[op].format(_show(value))
    return f"{name} {_SYMBOL[op]} {_show(value)}"


def kind_of(value: Any) -> str:
    """'bool', 'num', 'str' or 'other': values compare only within one kind."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "num"
    if isinstance(value, str):
        return "str"
    return "other"


@attrs.frozen
class Compare:
    """A test of one fact: ``path`` ``op`` ``value``.

    For ordered scales ``order`` lists the scale from low to high, and the
    ordering operators compare positions on it.
    """

    path: str
    op: str
    value: Any
    order: tuple[str, ...] = ()
    loc: tuple[int, int] = (0, 0)

    def describe(self) -> str:
        if self.op == "exists":
            return f"{self.path} is {'recorded' if self.value else 'not recorded'}"
        return phrase(self.path, self.op, self.value, self.order)


@attrs.frozen
class ItemTest:
    """A test of one field of a list item (a gap or a history entry)."""

    field: str
    op: str
    value: Any
    order: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.field == "months_ago" and self.op == "le":
            return f"within the last {_show(self.value)} months"
        return phrase(self.field, self.op, self.value, self.order)


@attrs.frozen
class Items:
    """``any``: some item of the list passes every test; ``none``: no item does."""

    path: str
    quant: str
    where: tuple[ItemTest, ...]
    loc: tuple[int, int] = (0, 0)

    def describe(self) -> str:
        noun = {"gaps": "gap", "history": "history entry"}.get(self.path, "item")
        tests = " and ".join(t.describe() for t in self.where)
        lead = f"there is {'an' if noun[0] in 'aeiou' else 'a'}" if self.quant == "any" else "there is no"
        return f"{lead} {noun}" + (f" where {tests}" if tests else "")


@attrs.frozen
class Contains:
    """A list of text (interests) contains at least one of ``values``."""

    path: str
    values: tuple[str, ...]
    loc: tuple[int, int] = (0, 0)

    def describe(self) -> str:
        if len(self.values) == 1:
            return f"{self.path} include {_show(self.values[0])}"
        return f"{self.path} include one of {_show(list(self.values))}"


@attrs.frozen
class All:
    items: tuple[Node, ...]
    loc: tuple[int, int] = (0, 0)


@attrs.frozen
class AnyOf:
    items: tuple[Node, ...]
    loc: tuple[int, int] = (0, 0)


@attrs.frozen
class Not:
    item: Node
    loc: tuple[int, int] = (0, 0)


@attrs.frozen
class Always:
    """A rule without ``when``: it holds for everyone."""

    loc: tuple[int, int] = (0, 0)


Node = Union[Compare, Items, Contains, All, AnyOf, Not, Always]
Leaf = Union[Compare, Items, Contains]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def compare_values(actual: Any, op: str, expected: Any, order: tuple[str, ...] = ()) -> Optional[bool]:
    """One comparison with the semantics described at the top of this module:
    True, False, or None (unknown) when ``actual`` is None (``exists`` is always known)."""
    if op == "exists":
        return (actual is not None) == bool(expected)
    if actual is None:
        return None
    kind = kind_of(actual)
    if op in ("in", "not_in"):
        same = [v for v in expected if kind_of(v) == kind]
        if len(same) != len(expected):
            return False
        found = actual in same
        return found if op == "in" else not found
    if op == "between":
        lo, hi = expected
        if order:
            return actual in order and order.index(lo) <= order.index(actual) <= order.index(hi)
        return kind == "num" and kind_of(lo) == "num" and lo <= actual <= hi
    if kind != kind_of(expected):
        return False
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if order:
        if actual not in order:
            return False
        a, e = order.index(actual), order.index(expected)
    elif kind == "num":
        a, e = actual, expected
    else:
        return False
    return {"lt": a < e, "le": a <= e, "gt": a > e, "ge": a >= e}[op]


def days_ranges(op: str, months: Any) -> list[tuple[int, int]]:
    """Whole-day ranges (inclusive) where ``months_ago <op> months`` holds.

    Both the compiler and the Python evaluator use this, so a history
    date on the edge of "within N months" is judged the same way.
    """
    lo_all, hi_all = -DAYS_LIMIT, DAYS_LIMIT

    def eq(v: float) -> list[tuple[int, int]]:
        x = v * DAYS_PER_MONTH
        return [(int(x), int(x))] if float(x).is_integer() else []

    if op in ("in", "not_in"):
        ranges = sorted(r for v in months for r in eq(v))
        if op == "in":
            return ranges
        return complement(ranges, lo_all, hi_all)
    if op == "between":
        lo, hi = months[0] * DAYS_PER_MONTH, months[1] * DAYS_PER_MONTH
        out = [(max(lo_all, math.ceil(lo)), min(hi_all, math.floor(hi)))]
    else:
        x = months * DAYS_PER_MONTH
        out = {
            "le": [(lo_all, math.floor(x))],
            "lt": [(lo_all, math.ceil(x) - 1)],
            "ge": [(math.ceil(x), hi_all)],
            "gt": [(math.floor(x) + 1, hi_all)],
            "eq": eq(months),
            "ne": complement(eq(months), lo_all, hi_all),
        }[op]
    return [(max(lo_all, a), min(hi_all, b)) for a, b in out if max(lo_all, a) <= min(hi_all, b)]


def complement(ranges: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """The parts of [lo, hi] not covered by sorted, disjoint ``ranges``."""
    out, start = [], lo
    for a, b in ranges:
        if a > start:
            out.append((start, a - 1))
        start = max(start, b + 1)
    if start <= hi:
        out.append((start, hi))
    return out


def item_test_truth(t: ItemTest, item: dict) -> Optional[bool]:
    """One test of one list item: unknown when the item lacks the field."""
    if t.field == "months_ago":
        days = item.get("days_ago")
        if days is None:
            return None
        return any(a <= days <= b for a, b in days_ranges(t.op, t.value))
    return compare_values(item.get(t.field), t.op, t.value, t.order)


def item_truth(where: tuple[ItemTest, ...], item: dict) -> Optional[bool]:
    """Whether an item passes every test of ``where`` (Kleene "and")."""
    result: Optional[bool] = True
    for t in where:
        r = item_test_truth(t, item)
        if r is False:
            return False
        if r is None:
            result = None
    return result


def window_oldest(where: tuple[ItemTest, ...]) -> Optional[int]:
    """How many days back an entry passing the date tests of ``where`` can lie
    (DAYS_LIMIT without a date test); None when no date passes them."""
    allowed = [(-DAYS_LIMIT, DAYS_LIMIT)]
    for t in where:
        if t.field == "months_ago":
            allowed = [(max(a, c), min(b, d)) for a, b in allowed for c, d in days_ranges(t.op, t.value)
                       if max(a, c) <= min(b, d)]
    return max((b for _, b in allowed), default=None)


def history_covers(where: tuple[ItemTest, ...], known_days: Any) -> bool:
    """Whether a history complete ``known_days`` days back (None: not complete) holds
    every entry that could pass ``where``: only then is "no such entry" known."""
    oldest = window_oldest(where)
    return oldest is None or (known_days is not None and oldest <= known_days)


def items_truth(leaf: Items, items: Any, known_days: Any = DAYS_LIMIT) -> Optional[bool]:
    """``any``: true when an item passes, false when every item fails (and, for history, the
    history is complete as far back as the tests reach), else unknown; ``none`` the negation."""
    found: Optional[bool] = False
    for item in items or ():
        r = item_truth(leaf.where, item)
        if r is True:
            found = True
            break
        if r is None:
            found = None
    if found is False and leaf.path == "history" and not history_covers(leaf.where, known_days):
        found = None
    if leaf.quant == "any" or found is None:
        return found
    return not found


def leaf_truth(leaf: Leaf, get: Callable[[str], Any]) -> Optional[bool]:
    """True, False or None (unknown) for one leaf test; ``get(path)`` as for ``truth``."""
    if isinstance(leaf, Compare):
        return compare_values(get(leaf.path), leaf.op, leaf.value, leaf.order)
    if isinstance(leaf, Items):
        known = get(HISTORY_KNOWN_DAYS) if leaf.path == "history" else DAYS_LIMIT
        return items_truth(leaf, get(leaf.path), known)
    if isinstance(leaf, Contains):
        have = get(leaf.path) or []
        return any(v in have for v in leaf.values)
    raise TypeError(f"not a leaf: {leaf!r}")


def leaf_holds(leaf: Leaf, get: Callable[[str], Any]) -> bool:
    """The leaf test is true (not false, not unknown)."""
    return leaf_truth(leaf, get) is True


def literal_holds(leaf: Leaf, positive: bool, get: Callable[[str], Any]) -> bool:
    """The leaf is true (``positive``) or false (not ``positive``); unknown is neither."""
    return leaf_truth(leaf, get) is positive


def truth(node: Node, get: Callable[[str], Any]) -> Optional[bool]:
    """Evaluate the tree in three values; ``get(path)`` returns a fact's value (see facts.fact_value)."""
    if isinstance(node, All):
        result: Optional[bool] = True
        for n in node.items:
            r = truth(n, get)
            if r is False:
                return False
            if r is None:
                result = None
        return result
    if isinstance(node, AnyOf):
        result = False
        for n in node.items:
            r = truth(n, get)
            if r is True:
                return True
            if r is None:
                result = None
        return result
    if isinstance(node, Not):
        r = truth(node.item, get)
        return None if r is None else not r
    if isinstance(node, Always):
        return True
    return leaf_truth(node, get)


def holds(node: Node, get: Callable[[str], Any]) -> bool:
    """The condition is true: the rule holds (false and unknown do not)."""
    return truth(node, get) is True


def leaves(node: Node) -> Iterator[Leaf]:
    """Every leaf test of the tree, in reading order."""
    if isinstance(node, (All, AnyOf)):
        for n in node.items:
            yield from leaves(n)
    elif isinstance(node, Not):
        yield from leaves(node.item)
    elif isinstance(node, Always):
        return
    else:
        yield node


def reads(node: Node) -> list[str]:
    """The fact paths the tree reads, in reading order (a history test also reads
    how far back the history is complete)."""
    out: dict[str, None] = {}
    for leaf in leaves(node):
        out[leaf.path] = None
        if isinstance(leaf, Items) and leaf.path == "history":
            out[HISTORY_KNOWN_DAYS] = None
    return list(out)


def describe(node: Node) -> str:
    """The whole condition as one readable sentence."""
    if isinstance(node, All):
        return " and ".join(_paren(n) for n in node.items)
    if isinstance(node, AnyOf):
        return " or ".join(_paren(n) for n in node.items)
    if isinstance(node, Not):
        return f"not ({describe(node.item)})"
    if isinstance(node, Always):
        return "always"
    return node.describe()


def _paren(node: Node) -> str:
    text = describe(node)
    return f"({text})" if isinstance(node, (All, AnyOf)) and len(node.items) > 1 else text
