"""An interests test over many values is compiled as ranges of item codes (compile.py
``contains``): durable still fires exactly the rules the Python evaluator finds true.

The values of rules that share words get codes out of order, so a rule's values can need
many ranges, more than one array test takes; people hold known words, unknown words, no
interests at all, or none recorded.
"""

from hypothesis import HealthCheck, given, settings, strategies as st
from strategies import AS_OF

from devrecs import Engine
from devrecs.catalog import Catalog
from devrecs.model import Intervention, Rule, Target
from devrecs.rulefile.conditions import All, AnyOf, Compare, Contains, Not

WORDS = [f"topic-{i}" for i in range(16)]
CATALOG = Catalog([Intervention("mentoring", "Mentoring", "", "career", "person", ("hr",))])


@st.composite
def interest_tests(draw):
    test = Contains("interests", tuple(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=16))))
    shape = draw(st.sampled_from(["plain", "not", "or", "and"]))
    if shape == "not":
        return Not(test)
    if shape == "or":
        return AnyOf((test, Compare("level", "ge", draw(st.integers(1, 8)))))
    if shape == "and":
        return All((test, Compare("performance", "eq", draw(st.sampled_from(["low", "medium", "high"])))))
    return test


@st.composite
def crowds(draw):
    out = []
    for i in range(draw(st.integers(1, 8))):
        person = {"id": f"p{i}", "level": draw(st.integers(1, 8)),
                  "performance": draw(st.sampled_from(["low", "medium", "high"]))}
        interests = draw(st.one_of(st.none(), st.lists(st.sampled_from(WORDS + ["cooking", "Topic 3"]),
                                                       max_size=5, unique=True)))
        if interests is not None:
            person["interests"] = interests
        out.append(person)
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(whens=st.lists(interest_tests(), min_size=1, max_size=6), crowd=crowds(),
       chunk=st.sampled_from([1, 256]))
def test_interests_over_many_values_agree_with_python(whens, crowd, chunk):
    rules = [Rule(id=f"rule-{i}", title=f"rule {i}", when=w, recommend=(Target("mentoring"),))
             for i, w in enumerate(whens)]
    engine = Engine(rules, CATALOG, as_of=AS_OF, chunk_size=chunk)
    from_durable = []
    for start in range(0, len(crowd), chunk):
        from_durable.extend(engine.durable_fired(crowd[start:start + chunk]))
    assert from_durable == [engine.python_fired(p) for p in crowd]


def test_a_long_list_of_values_is_one_durable_rule():
    """29 synonyms (as the default packs' technology interests) are one durable rule, not 29."""
    words = tuple(f"word-{i}" for i in range(29))
    rule = Rule(id="many", title="many", when=Contains("interests", words), recommend=(Target("mentoring"),))
    engine = Engine([rule], CATALOG, as_of=AS_OF)
    body = engine.compiled[engine.ruleset_name]
    assert [k for k in body if k != "seen"] == ["r0"]
    assert engine.durable_fired([{"id": "a", "interests": ["word-17"]}, {"id": "b", "interests": ["other"]},
                                 {"id": "c"}]) == [["many"], [], []]
