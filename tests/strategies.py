"""Hypothesis strategies: people with every kind of fact, and rule trees over every operator."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from devrecs.facts import GAP_FIELDS, HISTORY_FIELDS, PERSON_FACTS, SKILLS
from devrecs.model import Rule, Target
from devrecs.rulefile.conditions import All, AnyOf, Compare, Contains, Items, ItemTest, Not

AS_OF = dt.date(2026, 6, 30)
INTERVENTIONS = ["mentoring", "coaching", "career-conversation", "conference-attendance"]
INTERESTS = ["python", "go", "leadership", "finance"]
EXTRA_KEYS = ["dept", "grade", "remote", "site code"]

# Numbers across the whole range devrecs takes (numeric.py): floats of every size, subnormals
# and negative zero included, in the forms Python writes with an exponent and no '.' (below
# 1e-4, from 1e16 on), and whole numbers up to +/- 2**53. Records and rules draw from the same
# edges, so that equal values meet.
NUMBER_EDGES = [1e-05, -1e-05, 3e-308, 1e+16, 1e-310, 5e-324, -5e-324, -0.0, 0.0, 0, 1e300, 0.1, 2.5,
                2.0 ** 53, -(2.0 ** 53), 2 ** 53, -(2 ** 53), 2 ** 53 - 1, 2.0 ** 53 + 2, 1.7976931348623157e308]
FLOATS = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(
    [v for v in NUMBER_EDGES if isinstance(v, float)]))
WHOLE = st.one_of(st.integers(-2 ** 53, 2 ** 53), st.sampled_from([v for v in NUMBER_EDGES if type(v) is int]))
NUMBERS = st.one_of(FLOATS, WHOLE, st.sampled_from(NUMBER_EDGES))
# ... and numbers devrecs refuses (in records and in rules): not finite, or whole past 2**53,
# past 64 bits too
REFUSED_NUMBERS = st.one_of(st.sampled_from([float("nan"), float("inf"), float("-inf"), 2 ** 53 + 1,
                                             -(2 ** 53) - 1, 2 ** 63, 2 ** 64 + 1, -(2 ** 80)]),
                            st.integers(2 ** 53 + 1, 2 ** 200), st.integers(-(2 ** 200), -(2 ** 53) - 1))

EXTRA_VALUES = st.one_of(st.sampled_from(["RD", "IT", "3", "B", ""]), st.integers(-2, 6),
                         st.sampled_from([0.5, 2.5, 3.0]), st.booleans(), st.none(), NUMBERS)


def _maybe(strategy):
    return st.one_of(st.none(), strategy)


def _enum(path):
    return st.sampled_from(PERSON_FACTS[path].values)


@st.composite
def people(draw, pid=None):
    person = {"id": pid or draw(st.text("abcdef0123", min_size=1, max_size=6))}
    for path in ("track", "career_stage", "performance", "potential", "aspiration",
                 "leadership_motive", "engagement", "flight_risk", "performance_plan"):
        value = draw(_maybe(_enum(path)))
        if value is not None:
            person[path] = value
    for path, strat in (("level", st.one_of(st.integers(1, 8), st.sampled_from([0, 2 ** 53]))),
                        ("months_in_role", st.integers(0, 60)),
                        ("months_since_promotion", st.integers(0, 90)),
                        ("tenure_years", st.one_of(st.floats(0, 30, allow_nan=False),
                                                   FLOATS.map(abs), st.just(-0.0))),
                        ("compa_ratio", st.one_of(st.floats(0.6, 1.4, allow_nan=False), FLOATS)),
                        ("manager_id", st.sampled_from(["m1", "m2"])),
                        ("wellbeing_concern", st.booleans())):
        value = draw(_maybe(strat))
        if value is not None:
            person[path] = value
    person["gaps"] = draw(st.lists(st.fixed_dictionaries({
        "skill": st.sampled_from(list(SKILLS[:5]) + ["other"]),
        "severity": st.sampled_from(GAP_FIELDS["severity"].values),
    }, optional={"source": st.sampled_from(["review", "self"])}), max_size=3))
    person["interests"] = draw(st.lists(st.sampled_from(INTERESTS + ["cooking"]), max_size=3, unique=True))
    person["history"] = draw(st.lists(st.fixed_dictionaries({
        "intervention": st.sampled_from(INTERVENTIONS),
        "date": st.dates(dt.date(2020, 1, 1), dt.date(2026, 6, 30)).map(dt.date.isoformat),
        "outcome": st.sampled_from(HISTORY_FIELDS["outcome"].values),
    }), max_size=3))
    if draw(st.booleans()):
        person["pipeline"] = {"status": draw(_enum("pipeline.status")),
                              "months_waiting": draw(st.integers(0, 30))}
    extra = {}
    for key in draw(st.lists(st.sampled_from(EXTRA_KEYS), unique=True, max_size=3)):
        extra[key] = draw(EXTRA_VALUES)
    person["extra"] = extra
    return person


_NUMERIC = {"level": st.one_of(st.integers(0, 8), NUMBERS), "months_in_role": st.integers(0, 60),
            "months_since_promotion": st.integers(0, 90),
            "tenure_years": st.one_of(st.sampled_from([0, 2.5, 3, 10, 12.25]), NUMBERS),
            "compa_ratio": st.one_of(st.sampled_from([0.85, 0.9, 1.0, 1.1]), NUMBERS),
            "pipeline.months_waiting": st.integers(0, 30)}
_ENUMS = ["track", "career_stage", "performance", "potential", "nine_box", "aspiration",
          "leadership_motive", "engagement", "flight_risk", "performance_plan", "pipeline.status"]


@st.composite
def _compare_values(draw, values_strategy, ordered_values=()):
    op = draw(st.sampled_from(["eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between", "exists"]))
    if op == "exists":
        return op, draw(st.booleans())
    if op in ("in", "not_in"):
        return op, tuple(draw(st.lists(values_strategy, min_size=1, max_size=3)))
    if op == "between":
        a, b = draw(values_strategy), draw(values_strategy)
        if ordered_values:
            a, b = sorted((a, b), key=ordered_values.index)
        else:
            a, b = sorted((a, b))
        return op, (a, b)
    return op, draw(values_strategy)


@st.composite
def compares(draw):
    family = draw(st.sampled_from(["enum", "num", "bool", "str", "extra"]))
    if family == "enum":
        path = draw(st.sampled_from(_ENUMS))
        spec = PERSON_FACTS[path]
        order = spec.values if spec.ordered else ()
        op, value = draw(_compare_values(st.sampled_from(spec.values), order))
        if not order and op in ("lt", "le", "gt", "ge", "between"):
            op, value = "eq", draw(st.sampled_from(spec.values))
        return Compare(path, op, value, order)
    if family == "num":
        path = draw(st.sampled_from(sorted(_NUMERIC)))
        op, value = draw(_compare_values(_NUMERIC[path]))
        return Compare(path, op, value)
    if family == "bool":
        op = draw(st.sampled_from(["eq", "ne", "exists"]))
        return Compare("wellbeing_concern", op, draw(st.booleans()))
    if family == "str":
        op = draw(st.sampled_from(["eq", "ne", "in", "not_in", "exists"]))
        if op == "exists":
            return Compare("manager_id", op, draw(st.booleans()))
        value = draw(st.sampled_from(["m1", "m2", "m3"]))
        return Compare("manager_id", op, (value,) if op in ("in", "not_in") else value)
    path = "extra." + draw(st.sampled_from(EXTRA_KEYS))
    kind = draw(st.sampled_from(["str", "num", "bool"]))
    values = {"str": st.sampled_from(["RD", "IT", "3", "B"]), "num": st.one_of(st.sampled_from([0, 2.5, 3, 5]), NUMBERS),
              "bool": st.booleans()}[kind]
    op, value = draw(_compare_values(values))
    if kind != "num" and op in ("lt", "le", "gt", "ge", "between"):
        op = "eq"
        value = draw(values)
    return Compare(path, op, value)


@st.composite
def item_tests(draw, path):
    if path == "gaps":
        field = draw(st.sampled_from(["skill", "severity", "source"]))
        if field == "severity":
            order = GAP_FIELDS["severity"].values
            op, value = draw(_compare_values(st.sampled_from(order), order))
            if op == "exists":
                op, value = "ge", draw(st.sampled_from(order))
            return ItemTest(field, op, value, order)
        values = st.sampled_from(list(SKILLS[:5]) + ["other"]) if field == "skill" else st.sampled_from(["review", "self"])
    else:
        field = draw(st.sampled_from(["intervention", "outcome", "months_ago"]))
        if field == "months_ago":
            op = draw(st.sampled_from(["le", "lt", "gt", "ge", "between", "eq", "ne"]))
            if op == "between":
                return ItemTest(field, op, tuple(sorted(draw(st.lists(st.integers(0, 80), min_size=2, max_size=2)))))
            return ItemTest(field, op, draw(st.integers(0, 80)))
        values = st.sampled_from(INTERVENTIONS if field == "intervention" else list(HISTORY_FIELDS["outcome"].values))
    op = draw(st.sampled_from(["eq", "ne", "in", "not_in"]))
    if op in ("in", "not_in"):
        return ItemTest(field, op, tuple(draw(st.lists(values, min_size=1, max_size=3))))
    return ItemTest(field, op, draw(values))


@st.composite
def list_tests(draw):
    path = draw(st.sampled_from(["gaps", "history", "interests"]))
    if path == "interests":
        return Contains(path, tuple(draw(st.lists(st.sampled_from(INTERESTS), min_size=1, max_size=3))))
    where = tuple(draw(st.lists(item_tests(path), max_size=3)))
    return Items(path, draw(st.sampled_from(["any", "none"])), where)


leaves_st = st.one_of(compares(), list_tests())

trees = st.recursive(
    leaves_st,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda xs: All(tuple(xs))),
        st.lists(children, min_size=1, max_size=3).map(lambda xs: AnyOf(tuple(xs))),
        children.map(Not),
    ),
    max_leaves=6,
)


@st.composite
def rule_lists(draw, min_size=1, max_size=6):
    whens = draw(st.lists(trees, min_size=min_size, max_size=max_size))
    return [Rule(id=f"rule-{i}", title=f"rule {i}", when=w, recommend=(Target("mentoring"),))
            for i, w in enumerate(whens)]


# -- unknown facts: people who lack many facts, and whose history may be incomplete --------

_SCALARS = ("track", "career_stage", "performance", "potential", "aspiration", "leadership_motive",
            "engagement", "flight_risk", "performance_plan", "level", "months_in_role",
            "months_since_promotion", "tenure_years", "compa_ratio", "manager_id", "wellbeing_concern",
            "pipeline")


@st.composite
def sparse_people(draw, pid=None):
    """people() with about half of the facts left out, extra values missing, and a history
    that is complete, complete since some date, or not known to be complete."""
    person = draw(people(pid))
    for key in _SCALARS:
        if key in person and draw(st.booleans()):
            del person[key]
    if draw(st.booleans()):
        person["extra"] = {k: v for k, v in person["extra"].items() if draw(st.booleans())}
    completeness = draw(st.sampled_from(["unknown", "complete", "since"]))
    if completeness != "unknown":
        person["history_complete"] = True
    if completeness == "since":
        person["history_since"] = draw(st.dates(dt.date(2019, 1, 1), dt.date(2026, 12, 31))).isoformat()
    return person


@st.composite
def presence_tests(draw):
    """``exists`` / ``missing`` on any scalar fact, an organization's own included."""
    path = draw(st.sampled_from(_ENUMS + sorted(_NUMERIC) + ["wellbeing_concern", "manager_id"]
                                + ["extra." + k for k in EXTRA_KEYS]))
    return Compare(path, "exists", draw(st.booleans()))


unknown_trees = st.recursive(
    st.one_of(compares(), list_tests(), presence_tests()),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda xs: All(tuple(xs))),
        st.lists(children, min_size=1, max_size=3).map(lambda xs: AnyOf(tuple(xs))),
        children.map(Not),
    ),
    max_leaves=6,
)


@st.composite
def true_and_false_rules(draw, max_size=4):
    """Rules in pairs: a condition, then its negation. The first fires when the condition is
    true, the second when it is false; neither when it is unknown."""
    whens = draw(st.lists(unknown_trees, min_size=1, max_size=max_size))
    out = []
    for i, w in enumerate(whens):
        out.append(Rule(id=f"rule-{i}-true", title=f"rule {i}", when=w, recommend=(Target("mentoring"),)))
        out.append(Rule(id=f"rule-{i}-false", title=f"not rule {i}", when=Not(w), recommend=(Target("mentoring"),)))
    return out
