"""Walks of a condition tree: its leaves with their polarity, its negation
normal form and its disjunctive normal form, and the one negation table.

The compiler (nnf), the engine's evidence and explanations (leaf_tests,
literal_text), explanations' "what it would take" and the linter (dnf) all
walk the tree through these functions, so they read ``not`` the same way.

A *literal* is a leaf with a wanted truth value: ``(leaf, True)`` (the leaf
test is true), ``(leaf, False)`` (it is false: the fact is recorded and the
test fails) or, in ``dnf`` only, ``(leaf, None)`` (it is unknown). Because a
condition can be unknown (conditions.py), "not true" is not "false": ``nnf``
pushes ``not`` down to literals wanting False, and ``dnf`` can also spell out
"not true" (false or unknown), which the linter needs to prove implications.
"""

from __future__ import annotations

from typing import Any, Optional, Union

import attrs

from .conditions import All, Always, AnyOf, Compare, Contains, Items, Leaf, Node, Not, phrase

# the operator whose test is true exactly where this one's is false (on a recorded value)
NEGATED_OP = {"eq": "ne", "ne": "eq", "lt": "ge", "le": "gt", "gt": "le", "ge": "lt", "in": "not_in",
              "not_in": "in", "between": "outside", "outside": "between"}


# -- leaves with polarity ------------------------------------------------------------


def leaf_tests(node: Node, positive: bool = True, certain: bool = True) -> list[tuple[Leaf, bool, bool]]:
    """(leaf, polarity, certain) for each leaf in reading order. The polarity is
    False under an odd number of ``not``; ``certain``: the literal is true whenever
    the whole condition is (it is reached through ``all`` only, counting negation)."""
    if isinstance(node, All):
        return [t for n in node.items for t in leaf_tests(n, positive, certain and positive)]
    if isinstance(node, AnyOf):
        return [t for n in node.items for t in leaf_tests(n, positive, certain and not positive)]
    if isinstance(node, Not):
        return leaf_tests(node.item, not positive, certain)
    if isinstance(node, Always):
        return []
    return [(node, positive, certain)]


def literal_text(leaf: Leaf, positive: bool) -> str:
    """The literal in words: 'aspiration is management', 'aspiration is not management'."""
    if positive:
        return leaf.describe()
    if isinstance(leaf, Compare):
        if leaf.op == "exists":
            return attrs.evolve(leaf, value=not leaf.value).describe()
        return phrase(leaf.path, NEGATED_OP[leaf.op], leaf.value, leaf.order)
    if isinstance(leaf, Items):
        return attrs.evolve(leaf, quant="none" if leaf.quant == "any" else "any").describe()
    if isinstance(leaf, Contains):
        if len(leaf.values) == 1:
            return f"{leaf.path} do not include {leaf.values[0]}"
        return f"{leaf.path} include none of [{', '.join(leaf.values)}]"
    raise TypeError(f"not a leaf: {leaf!r}")


# -- negation normal form ----------------------------------------------------------------


@attrs.frozen
class Lit:
    """A leaf that must be true (``positive``) or false."""

    leaf: Leaf
    positive: bool


@attrs.frozen
class And:
    items: tuple[Form, ...]


@attrs.frozen
class Or:
    items: tuple[Form, ...]


Form = Union[bool, Lit, And, Or]


def nnf(node: Node, positive: bool = True) -> Form:
    """The condition being true (or, not ``positive``, false) with ``not`` pushed down
    to the literals: true when the form is. ``True`` / ``False`` are constants."""
    if isinstance(node, Always):
        return positive
    if isinstance(node, Not):
        return nnf(node.item, not positive)
    if isinstance(node, (All, AnyOf)):
        parts = [nnf(n, positive) for n in node.items]
        if isinstance(node, All) == positive:           # every part must be true
            if any(p is False for p in parts):
                return False
            kept = tuple(p for p in parts if p is not True)
            return True if not kept else kept[0] if len(kept) == 1 else And(kept)
        if any(p is True for p in parts):
            return True
        kept = tuple(p for p in parts if p is not False)
        return False if not kept else kept[0] if len(kept) == 1 else Or(kept)
    return Lit(node, positive)


# -- disjunctive normal form -----------------------------------------------------------

MAX_TERMS = 512
NOT_TRUE, NOT_FALSE = "not true", "not false"

Literal = tuple[Any, Optional[bool]]    # (leaf, wanted truth: True, False or None for unknown)
Term = tuple[Literal, ...]

# how a wanted value of a node reads for its parts: (is a conjunction over the parts for All,
# the parts' wanted value); Any is the dual, Not maps the value
_PARTS = {True: (True, True), False: (False, False), NOT_TRUE: (False, NOT_TRUE), NOT_FALSE: (True, NOT_FALSE)}
_NOT = {True: False, False: True, NOT_TRUE: NOT_FALSE, NOT_FALSE: NOT_TRUE}
_LEAF = {True: (True,), False: (False,), NOT_TRUE: (False, None), NOT_FALSE: (True, None)}


def dnf(node: Node, want: Any = True, limit: int = MAX_TERMS, cut: bool = False) -> Optional[list[Term]]:
    """The ways the condition has the wanted value (True, False, NOT_TRUE or NOT_FALSE), each a
    conjunction of literals. Past ``limit`` terms: None, or with ``cut`` the first ``limit``."""
    if isinstance(node, Always):
        return [()] if want in (True, NOT_FALSE) else []
    if isinstance(node, Not):
        return dnf(node.item, _NOT[want], limit, cut)
    if isinstance(node, (All, AnyOf)):
        every, part_want = _PARTS[want]
        if isinstance(node, AnyOf):
            every = not every
        parts = [dnf(n, part_want, limit, cut) for n in node.items]
        if any(p is None for p in parts):
            return None
        if every:
            terms: list[Term] = [()]
            for p in parts:
                terms = [a + b for a in terms for b in p]
                if len(terms) > limit:
                    if not cut:
                        return None
                    terms = terms[:limit]
            return terms
        out = [t for p in parts for t in p]
        if len(out) > limit:
            return out[:limit] if cut else None
        return out
    return [((node, value),) for value in _LEAF[want]]
