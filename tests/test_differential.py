"""durable-rules and the Python evaluator agree on which rules fire.

Rules are generated over every operator, negation and list test; people
over every kind of fact, missing values included. A second test leaves
many facts out and varies how complete the history is, and checks the
three values: a condition true, false (its negation fires) or unknown
(neither fires). People are posted to
durable several to a session (as recommend_many does), so a rule that
mixed people's facts would show up here.
"""

import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from devrecs.catalog import Catalog
from devrecs import Engine
from devrecs.errors import RecordError, RuleFileError
from devrecs.facts import fact_value
from devrecs.model import Intervention, Rule, Target
from devrecs.people import person_from_dict
from devrecs.rulefile.conditions import Compare, truth

from strategies import (AS_OF, INTERVENTIONS, REFUSED_NUMBERS, people, rule_lists, sparse_people,
                        true_and_false_rules)

CATALOG = Catalog([Intervention(i, i, "", "career", "person", ("hr",)) for i in INTERVENTIONS])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rule_lists(), crowd=st.lists(people(), min_size=1, max_size=8),
       chunk=st.sampled_from([1, 3, 256]))
def test_durable_and_python_agree(rules, crowd, chunk):
    try:
        engine = Engine(rules, CATALOG, as_of=AS_OF, chunk_size=chunk)
    except RuleFileError as exc:  # a rule past durable's size limit is refused, by name
        assert all(p.code == "E130" for p in exc.problems)
        assume(False)
    for i, p in enumerate(crowd):
        p["id"] = f"p{i}"
    from_durable = []
    for start in range(0, len(crowd), chunk):
        from_durable.extend(engine.durable_fired(crowd[start:start + chunk]))
    from_python = [engine.python_fired(p) for p in crowd]
    assert from_durable == from_python


@settings(max_examples=40, deadline=None)
@given(rules=rule_lists(max_size=3), person=people())
def test_every_compiled_expression_is_guarded(rules, person):
    """Only person facts (t == 1) can match: the session state never does."""
    try:
        engine = Engine(rules, CATALOG, as_of=AS_OF)
    except RuleFileError:
        assume(False)
    for name, rule in engine.compiled[engine.ruleset_name].items():
        m = rule["all"][0]["m"]
        assert m == {"t": 1} or m["$and"][0] == {"t": 1}, name


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=true_and_false_rules(), crowd=st.lists(sparse_people(), min_size=1, max_size=6),
       chunk=st.sampled_from([1, 256]))
def test_durable_and_python_agree_on_unknown_facts(rules, crowd, chunk):
    """With many facts absent and histories complete, complete since a date, or not known to be
    complete: durable fires a condition's rule exactly when the Python evaluator finds it true,
    and its negation's exactly when it finds it false, so unknown matches neither."""
    try:
        engine = Engine(rules, CATALOG, as_of=AS_OF, chunk_size=chunk)
    except RuleFileError as exc:
        assert all(p.code == "E130" for p in exc.problems)
        assume(False)
    for i, p in enumerate(crowd):
        p["id"] = f"p{i}"
    from_durable = []
    for start in range(0, len(crowd), chunk):
        from_durable.extend(engine.durable_fired(crowd[start:start + chunk]))
    assert from_durable == [engine.python_fired(p) for p in crowd]
    for p in crowd:
        person = person_from_dict(p)
        get = lambda path, person=person: fact_value(person, path, AS_OF)  # noqa: E731
        for rule in rules[::2]:
            value = truth(rule.when, get)
            fired = set(engine.python_fired(p))
            assert (rule.id in fired, rule.id.replace("-true", "-false") in fired) == (value is True, value is False)


NUMBER_FIELDS = {"level": "whole", "months_in_role": "whole", "pipeline.months_waiting": "whole",
                 "tenure_years": "float", "compa_ratio": "float", "extra.grade": "any"}


def _with(person, path, value):
    person = dict(person)
    if path.startswith("extra."):
        person["extra"] = dict(person.get("extra") or {}, **{path[len("extra."):]: value})
    elif path == "pipeline.months_waiting":
        person["pipeline"] = {"status": "none", "months_waiting": value}
    else:
        person[path] = value
    return person


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rule_lists(max_size=3), person=people(), path=st.sampled_from(sorted(NUMBER_FIELDS)),
       bad=REFUSED_NUMBERS, op=st.sampled_from(["eq", "ne", "lt", "ge", "in"]))
def test_numbers_durable_cannot_compare_exactly_are_refused_for_both(rules, person, path, bad, op):
    """NaN, infinities and whole numbers past 2**53 (past 64 bits too) never reach durable:
    a record holding one is refused by both matchers, naming the field; a rule testing one is
    refused (E112), naming the rule."""
    engine = None
    try:
        engine = Engine(rules, CATALOG, as_of=AS_OF)
    except RuleFileError:
        pass
    # a float field takes a whole number past 2**53 as the float nearest to it (exact for durable)
    refused = NUMBER_FIELDS[path] != "float" or not math.isfinite(bad)
    if engine is not None and refused:
        raw = _with(person, path, bad)
        for match in (lambda: engine.durable_fired([raw]), lambda: engine.python_fired(raw)):
            try:
                match()
            except RecordError as exc:
                assert f"field '{path}'" in str(exc), str(exc)
            else:
                raise AssertionError(f"{path}={bad!r} was taken")
    value = (bad,) if op == "in" else bad
    rule = Rule(id="odd-number", title="odd", when=Compare(path, op, value), recommend=(Target("mentoring"),))
    try:
        Engine([rule], CATALOG, as_of=AS_OF)
    except RuleFileError as exc:
        assert [p.code for p in exc.problems] == ["E112"], str(exc)
        assert "rule 'odd-number' tests " + path in str(exc)
    else:
        raise AssertionError(f"a rule testing {path} {op} {bad!r} was taken")
