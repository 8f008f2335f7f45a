"""Rule-file types fuzz (issue 17): a value of the wrong type at any key of a rule file (or a key
of the wrong type) gives located problems, ``file:line:col CODE message``, never a traceback.

A rule file using every part of the language is the base; each example puts values from a pool
of wrong types (lists, mappings, null, booleans, NaN, infinities, huge and tiny numbers, dates,
empty text ...) at one to three places, values or keys, and reads the file as ``devrecs
validate`` and the engine would: parse, then compile and give to durable-rules.
"""

import copy
import datetime as dt
import math
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from devrecs import Engine
from devrecs.catalog import Catalog
from devrecs.errors import RuleFileError
from devrecs.model import Intervention
from devrecs.rulefile.parse import parse_text

INTERVENTIONS = ["mentoring", "coaching"]
CATALOG = Catalog([Intervention(i, i, "", "career", "person", ("hr", "manager")) for i in INTERVENTIONS])
LOCATED = re.compile(r"^rules\.yaml:\d+:\d+: E\d{3} \S")

BASE = {
    "ruleset": "fuzz", "version": 1, "description": "every part of the language",
    "rules": [
        {"id": "a", "title": "A", "scope": "person",
         "when": {"all": [
             {"track": "individual_contributor"},
             {"performance": {"ge": "medium"}},
             {"level": {"between": [1, 5]}},
             {"aspiration": {"in": ["technical", "management"]}},
             {"not": {"wellbeing_concern": True}},
             {"any": [{"extra.dept": "RD"}, {"compa_ratio": {"lt": 0.9}}, {"tenure_years": {"ge": 2.5}}]},
             {"gaps": {"any": {"skill": {"in": ["communication"]}, "severity": {"ge": "medium"}}}},
             {"history": {"none": {"intervention": "mentoring", "within_months": 12, "months_ago": {"gt": 1}}}},
             {"interests": {"contains": ["python"]}},
             {"manager_id": {"exists": True}},
         ]},
         "recommend": ["mentoring", {"intervention": "coaching", "to": "manager"}],
         "priority": 60, "suppresses": ["coaching"], "rationale": "why", "source": "seed"},
        {"id": "b", "title": "B", "scope": "team", "when": {"reports": {"ge": 3}}, "recommend": ["coaching"]},
        {"id": "c", "title": "C", "when": [{"pipeline.months_waiting": {"gt": 6}}, {"extra.n": {"le": 1.5}}],
         "recommend": "mentoring"},
    ],
}

WRONG = [[], {}, [[]], [{}], {"a": 1}, {"eq": []}, {"any": {}}, {"none": None}, {"in": []}, {1: 2},
         None, True, False, 0, -1, 1.5, -0.0, 1e-05, 5e-324, 1e308, math.nan, math.inf, -math.inf,
         2 ** 53 + 1, 2 ** 64, -(2 ** 70), "", " ", "x", "all", "any", "not", dt.date(2020, 1, 1),
         [None], [1, "a"], [math.nan, 1], [math.inf, -math.inf], ["mentoring", []], {"between": [math.inf, 1]}]
WRONG_KEYS = [1, 0, None, True, 1.5, math.nan, "", "all", "any", "not", "eq", "extra.", "extra.x.y", "x" * 300]


def places(node, path=()):
    """Every place in the document: ('value', path) for values and items, ('key', path) for keys."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield "value", path + (key,)
            yield "key", path + (key,)
            yield from places(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield "value", path + (i,)
            yield from places(value, path + (i,))


PLACES = list(places(BASE))


def changed(doc, place, new):
    kind, path = place
    doc = copy.deepcopy(doc)
    parent = doc
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return doc           # an earlier change removed this place
    last = path[-1]
    try:
        if kind == "value":
            parent[last] = copy.deepcopy(new)
        elif isinstance(parent, dict) and last in parent:
            parent[new] = parent.pop(last)
    except (KeyError, IndexError, TypeError):
        pass
    return doc


def read(text):
    """What validate and the engine do with a rule file: its problems, or an engine."""
    parsed, problems = parse_text(text, "rules.yaml", INTERVENTIONS)
    if problems:
        raise RuleFileError(problems)
    return Engine(parsed.rules, CATALOG)


def assert_located(text):
    try:
        read(text)
    except RuleFileError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert LOCATED.match(str(problem)), str(problem)
            str(problem).encode("utf-8")


def test_the_base_file_is_valid():
    read(yaml.safe_dump(BASE, sort_keys=False))


@pytest.mark.parametrize("text", [
    "ruleset: x\nrules:\n  - {id: a, title: A, scope: [], recommend: [mentoring]}\n",
    "ruleset: x\nrules:\n  - {id: a, title: A, scope: {}, recommend: [mentoring]}\n",
    "ruleset: x\nrules:\n  - {id: a, title: A, when: {history: {any: {within_months: .nan}}}, recommend: [mentoring]}\n",
    "ruleset: x\nrules:\n  - {id: a, title: A, when: {history: {any: {within_months: .inf}}}, recommend: [mentoring]}\n",
    "ruleset: x\nrules:\n  - {id: a, title: A, when: {history: {any: {months_ago: {gt: .inf}}}}, recommend: [mentoring]}\n",
    "ruleset: x\nrules:\n  - {id: a, title: A, when: {history: {any: {within_months: 1.0e+308}}}, recommend: [mentoring]}\n",
    "ruleset: x\nrules:\n  - {id: a, title: A, recommend: [{intervention: mentoring, to: []}]}\n",
    "ruleset: x\nversion: []\nrules:\n  - {id: a, title: A, recommend: [mentoring]}\n",
])
def test_the_wrong_types_that_gave_tracebacks_give_located_problems(text):
    with pytest.raises(RuleFileError):
        read(text)
    assert_located(text)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(PLACES), st.sampled_from(WRONG), st.sampled_from(WRONG_KEYS)),
                min_size=1, max_size=3))
def test_wrong_types_anywhere_give_only_located_problems(changes):
    doc = BASE
    for place, value, key in changes:
        doc = changed(doc, place, key if place[0] == "key" else value)
    assert_located(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


@pytest.mark.parametrize("cell", ["1e400", "-1e400", "9" * 5000, "9007199254740993", "[]", "{}", "nan", ".inf"])
def test_a_decision_table_cell_of_the_wrong_kind_gives_located_problems(cell):
    from devrecs.rulefile.decision_table import read_table_text
    from devrecs.rulefile.parse import read_rule_doc
    doc, problems = read_table_text(f"level >=,compa_ratio <,history.months_ago <=,recommend\n"
                                    f"{cell},{cell},{cell},mentoring\n", "rules.csv")
    if doc is not None:
        problems += read_rule_doc(doc, "rules.csv", INTERVENTIONS)[1]
    assert problems
    for problem in problems:
        assert re.match(r"^rules\.csv:2:[1-3]: E\d{3} \S", str(problem)), str(problem)
