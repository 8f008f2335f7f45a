"""person_from_dict's fast path gives exactly what the cattrs path gives.

Valid records, in every spelling the converter accepts, must take the fast path
and come out equal (same types too: the reprs are compared). Any record at all,
valid or not, must give the same Person or the same error from
person_from_dict as from the cattrs path alone.
"""

import collections
import copy
import datetime as dt
import math

import attrs
from hypothesis import HealthCheck, given, settings, strategies as st

from devrecs import people as people_module
from devrecs.intake.peoplefile import sample_file
from devrecs.model import (
    Aspiration,
    CareerStage,
    Gap,
    HistoryEntry,
    LeadershipMotive,
    Outcome,
    PerformancePlan,
    Person,
    Pipeline,
    PipelineStatus,
    Rating,
    Track,
)
from devrecs.people import _fast_person, _person_from_dict_cattrs, person_from_dict

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Label(str):
    """A str subclass: the fast path leaves it to the converter."""


def outcome(convert, raw, record=None):
    try:
        person = convert(raw, record)
    except Exception as exc:   # RecordError, or whatever the converter path lets through
        return ("error", type(exc).__name__, str(exc))
    return ("person", person, repr(person))


# Valid values, in every spelling the converter accepts.

def enum_spellings(cls):
    member = st.sampled_from(list(cls))
    return st.one_of(
        member,
        member.map(lambda m: m.value),
        member.map(lambda m: m.value.upper()),
        member.map(lambda m: m.value.title()),
        member.map(lambda m: f" {m.value}\t"),
        member.map(lambda m: f"  {m.value.capitalize()} "),
    )


INTS = st.one_of(st.integers(0, 500), st.integers(0, 500).map(float), st.just(-0.0), st.just(2 ** 53),
                 st.integers(0, 500).map(str), st.integers(0, 500).map(lambda i: f" {i} "))
FLOATS = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-10**6, 10**6),
                   st.floats(0, 40, allow_nan=False).map(repr), st.sampled_from(["3.0", " 4.5 ", "12", "1e1"]))
YEARS = st.one_of(st.floats(0, 1e6), st.integers(0, 10**6), st.floats(0, 40).map(repr),
                  st.sampled_from(["3.0", " 4.5 ", "12", "1e1", -0.0, 5e-324]))
TEXTS = st.one_of(st.text(max_size=6).filter(lambda t: people_module._text_problem(t) is None),
                  st.integers(), st.floats())
IDS = st.one_of(st.text(min_size=1, max_size=6).filter(str.strip), st.integers(), st.floats(-1e3, 1e3))
BOOLS = st.one_of(st.booleans(), st.sampled_from([0, 1]),
                  st.sampled_from(["true", "False", " YES ", "no", "y", "N", "1", "0 "]))
DATES = st.one_of(st.dates(), st.datetimes(), st.dates().map(dt.date.isoformat),
                  st.datetimes().map(dt.datetime.isoformat), st.dates().map(lambda d: f" {d.isoformat()} "))


def items(strategy):
    return st.one_of(st.lists(strategy, max_size=3), st.lists(strategy, max_size=2).map(tuple))


GAPS = items(st.fixed_dictionaries({"skill": TEXTS, "severity": enum_spellings(Rating)},
                                   optional={"source": st.one_of(st.none(), TEXTS)}))
HISTORY = items(st.fixed_dictionaries({"intervention": TEXTS, "date": DATES, "outcome": enum_spellings(Outcome)}))
PIPELINE = st.fixed_dictionaries({}, optional={"status": enum_spellings(PipelineStatus),
                                               "months_waiting": st.one_of(st.none(), INTS)})
def _valid_text(size):
    return st.text(max_size=size).filter(lambda t: people_module._text_problem(t) is None)


WHOLE = st.integers(-2 ** 53, 2 ** 53)
EXTRA = st.dictionaries(_valid_text(5), st.one_of(st.none(), WHOLE, _valid_text(4), st.floats(allow_nan=False,
                                                  allow_infinity=False), st.lists(WHOLE, max_size=2)), max_size=3)

VALID = {
    "id": IDS, "name": TEXTS, "track": enum_spellings(Track), "level": INTS,
    "career_stage": enum_spellings(CareerStage), "performance": enum_spellings(Rating),
    "potential": enum_spellings(Rating), "aspiration": enum_spellings(Aspiration),
    "leadership_motive": enum_spellings(LeadershipMotive), "gaps": GAPS, "interests": items(TEXTS),
    "engagement": enum_spellings(Rating), "flight_risk": enum_spellings(Rating),
    "performance_plan": enum_spellings(PerformancePlan), "wellbeing_concern": BOOLS,
    "months_in_role": INTS, "months_since_promotion": INTS, "tenure_years": YEARS, "compa_ratio": FLOATS,
    "pipeline": PIPELINE, "manager_id": TEXTS, "history": HISTORY, "extra": EXTRA,
    "history_complete": BOOLS, "history_since": DATES,
}


def valid_records():
    """Any subset of the fields; None at the top level means 'not given'."""
    optional = {key: st.one_of(st.none(), strategy) for key, strategy in VALID.items() if key != "id"}
    return st.fixed_dictionaries({"id": VALID["id"]}, optional=optional)


# Anything: a valid record, then a few things changed to values at or past the
# edge of what the converter accepts, or to anything at all.

KIND = {
    "id": "id", "name": "text", "track": "enum", "level": "int", "career_stage": "enum", "performance": "enum",
    "potential": "enum", "aspiration": "enum", "leadership_motive": "enum", "gaps": "records",
    "interests": "list", "engagement": "enum", "flight_risk": "enum", "performance_plan": "enum",
    "wellbeing_concern": "bool", "months_in_role": "int", "months_since_promotion": "int",
    "tenure_years": "years", "compa_ratio": "float", "pipeline": "record", "manager_id": "text",
    "history": "records", "extra": "extra", "history_complete": "bool", "history_since": "date",
    # in gaps, history and pipeline
    "skill": "text", "severity": "enum", "source": "text", "intervention": "text", "date": "date",
    "outcome": "enum", "status": "enum", "months_waiting": "int",
}
EDGES = {
    "id": [" ", "", "\t", 0, -1.5, math.nan, True, [], Label("p1"), chr(0xD800), ("p" + chr(0xDFFF) + "1")],
    "text": ["", " ", 0, 2.5, math.nan, True, [], {}, ("a",), 10**5000, Label("x"), chr(0xD800), ("é" + chr(0xDC80))],
    "enum": ["hihg", "", " ", " High", "HIGH!", "h", 3, True, [], Label("high"), Rating.LOW, Track.MANAGER,
             PipelineStatus.NONE, PerformancePlan.NONE, Outcome.ACCEPTED],
    "int": [True, False, 2.5, 3.0, -0.0, "3.0", " 7 ", "+7", "1_000", "three", "", math.nan, math.inf,
            10**400, Label("3"), -1, -1.0, " -3 ", 2**53, 2**53 + 1, float(2**60), str(2**64), -2**70],
    "float": [math.nan, -math.inf, 1e308, "nan", "inf", "1e400", " 2.5 ", "2,5", "", True, 10**400, Label("2.5"),
              1e-05, 5e-324, -0.0, 2**53 + 1],
    "years": [math.nan, -math.inf, 1e308, "nan", "1e400", " 2.5 ", "", True, -1, -0.5, "-2", -0.0, -5e-324,
              1e-310, 10**400],
    "bool": [2, -1, 1.0, 0.0, "maybe", "", " Yes ", "1.0", "TRUE", Label("yes")],
    "date": ["2024-13-01", "2024-02-30", "", "20240101", "2024-01-01T25:00", "2024-1-1", 20240101,
             dt.datetime(2024, 1, 1, 10, 30), Label("2024-01-01")],
    "list": ["abc", "", {}, {"a": 1}, {1, 2}, [None], [True], [[]], [Label("x")], (1, 2.5)],
    "records": ["abc", {}, {"skill": "x"}, [None], [[]], ["x"], [collections.OrderedDict(skill="x", severity="low")]],
    "record": [{}, [], "x", {"bogus": 1}, collections.OrderedDict(status="none")],
    "extra": [[], "x", 3, {1: "a"}, {"a": None}, {(1, 2): "a"}, collections.OrderedDict(a=1),
              {"a": math.nan}, {"a": -math.inf}, {"a": 2**53 + 1}, {"a": [1, {"b": 10**30}]}, {"a": chr(0xD800)},
              {chr(0xDFFF): 1}, {"a": {"b": ["x", ("y" + chr(0xDC00))]}}, {"a": 1e-05, "b": 5e-324, "c": 2**53}],
}
ODD = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6), st.dates(), st.datetimes(),
    st.lists(st.one_of(st.integers(), st.none(), st.booleans(), st.text(max_size=2)), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
UNKNOWN_KEYS = ["performnce", "nine_box", "Severity", "", 1]


def edge_or_odd(key):
    edges = st.sampled_from(EDGES[KIND[key]]).map(copy.deepcopy) if key in KIND else st.nothing()
    return st.one_of(edges, edges, ODD)


@st.composite
def any_records(draw):
    raw = draw(valid_records())
    for _ in range(draw(st.integers(1, 4))):
        change = draw(st.sampled_from(["field", "field", "unknown", "drop", "nested", "nested"]))
        if change == "field":   # every kind of field as likely as any other
            kind = draw(st.sampled_from(sorted({KIND[key] for key in VALID})))
            key = draw(st.sampled_from([key for key in VALID if KIND[key] == kind]))
            raw[key] = draw(edge_or_odd(key))
        elif change == "unknown":
            raw[draw(st.sampled_from(UNKNOWN_KEYS))] = draw(ODD)
        elif change == "drop" and raw:
            del raw[draw(st.sampled_from(list(raw)))]
        elif change == "nested":
            nested = [item for key in ("gaps", "history") if type(raw.get(key)) in (list, tuple)
                      for item in raw[key] if type(item) is dict]
            nested += [raw["pipeline"]] if type(raw.get("pipeline")) is dict else []
            if nested:
                item = draw(st.sampled_from(nested))
                if item and draw(st.booleans()):
                    del item[draw(st.sampled_from(list(item)))]
                else:
                    key = draw(st.sampled_from(list(item) + ["source", "months_waiting"] + UNKNOWN_KEYS))
                    item[key] = draw(st.one_of(st.none(), edge_or_odd(key)))
    return raw


def test_the_valid_strategies_cover_every_field():
    assert set(VALID) == {f.name for f in attrs.fields(Person)}


@SETTINGS
@given(valid_records())
def test_valid_records_take_the_fast_path_and_equal_the_converter(raw):
    expected = _person_from_dict_cattrs(raw)
    fast = _fast_person(raw)        # raises if the fast path is not sure
    assert fast == expected
    assert repr(fast) == repr(expected)


@settings(SETTINGS, max_examples=600)
@given(any_records(), st.sampled_from([None, "people.csv row 4"]))
def test_any_record_gives_the_same_person_or_the_same_error(raw, record):
    assert outcome(person_from_dict, raw, record) == outcome(_person_from_dict_cattrs, raw, record)


TYPICAL = {
    "id": "p17", "name": "Ada", "track": "manager", "level": 4, "career_stage": "mid",
    "performance": "high", "potential": "medium", "aspiration": "management", "leadership_motive": "service",
    "gaps": [{"skill": "delegation", "severity": "high", "source": "review"},
             {"skill": "vision", "severity": "low"}],
    "interests": ["python", "leadership"], "engagement": "medium", "flight_risk": "low",
    "performance_plan": "none", "wellbeing_concern": False, "months_in_role": 14,
    "months_since_promotion": 30, "tenure_years": 6.5, "compa_ratio": 0.95,
    "pipeline": {"status": "graduate", "months_waiting": 7}, "manager_id": "m1",
    "history": [{"intervention": "mentoring", "date": "2025-03-01", "outcome": "accepted"}],
    "history_complete": True, "history_since": "2020-01-01",
    "extra": {"department": "R&D"},
}


def no_converter(raw, record=None):
    raise AssertionError(f"fell back to the cattrs path for {raw!r}")


def test_a_typical_record_with_every_field_takes_the_fast_path(monkeypatch):
    assert set(TYPICAL) == {f.name for f in attrs.fields(Person)}
    assert {*TYPICAL["gaps"][0], *TYPICAL["history"][0], *TYPICAL["pipeline"]} == {
        f.name for cls in (Gap, HistoryEntry, Pipeline) for f in attrs.fields(cls)}
    expected = _person_from_dict_cattrs(TYPICAL)
    monkeypatch.setattr(people_module, "_person_from_dict_cattrs", no_converter)
    assert person_from_dict(TYPICAL) == expected
    derived = dict(TYPICAL, career_stage=None)     # career_stage from tenure_years
    assert person_from_dict(derived).career_stage is CareerStage.MID


def test_the_sample_organization_takes_the_fast_path(monkeypatch):
    records = [raw for _, raw in sample_file().records]
    expected = [_person_from_dict_cattrs(raw) for raw in records]
    monkeypatch.setattr(people_module, "_person_from_dict_cattrs", no_converter)
    assert [person_from_dict(raw) for raw in records] == expected


DROP = object()


def edge_records():
    """(what changed, record): TYPICAL with one field, top-level or nested, changed to
    each edge value or None, or dropped; or with an unknown key."""
    def changed(path, value):
        raw = copy.deepcopy(TYPICAL)
        *parents, key = path
        target = raw
        for step in parents:
            target = target[step]
        if value is DROP:
            del target[key]
        else:
            target[key] = copy.deepcopy(value)
        return f"{path}: {type(value).__name__}", raw

    paths = [(key,) for key in TYPICAL] + [("gaps", 0, key) for key in TYPICAL["gaps"][0]] + [
        ("history", 0, key) for key in TYPICAL["history"][0]] + [("pipeline", key) for key in TYPICAL["pipeline"]]
    for path in paths:
        for value in EDGES[KIND[path[-1]]] + [None, DROP]:
            yield changed(path, value)
    for parent in [(), ("gaps", 0), ("history", 0), ("pipeline",)]:
        for key in UNKNOWN_KEYS:
            yield changed((*parent, key), "x")


def test_one_edge_value_anywhere_gives_the_same_person_or_the_same_error():
    for change, raw in edge_records():
        assert outcome(person_from_dict, raw) == outcome(_person_from_dict_cattrs, raw), change


def test_errors_and_persons_still_go_through_the_converter():
    person = person_from_dict(TYPICAL)
    assert person_from_dict(person) is person
    assert outcome(person_from_dict, {"id": "p17", "gaps": [{"skill": "vision", "severity": "low"},
                                                             {"skill": "vision", "severity": "hihg"}]}) == (
        "error", "RecordError",
        "person 'p17', field 'gaps[1].severity': 'hihg' is not one of low, medium, high (did you mean 'high'?)")


# with_facts: a prepared person with some facts replaced (what explanations try) equals
# person_from_dict of the person's record with those values, or fails the same way.

@st.composite
def changed_facts(draw):
    """Some top-level facts: valid values, values at or past the edge, None (not given)."""
    keys = draw(st.lists(st.sampled_from(sorted(VALID)), min_size=1, max_size=4, unique=True))
    return {key: draw(st.one_of(st.none(), VALID[key], edge_or_odd(key))) for key in keys}


@settings(SETTINGS, max_examples=600)
@given(valid_records(), changed_facts(), st.sampled_from([None, "employee", "manager", "hr", "executive"]))
def test_with_facts_equals_the_record_with_those_values(raw, facts, audience):
    from devrecs.audience import masked
    from devrecs.people import person_to_dict, with_facts
    person = person_from_dict(raw)
    if audience is not None:    # a view with hidden facts unknown, as explanations change it
        person = masked(person, audience)
    record = {**person_to_dict(person), **copy.deepcopy(facts)}
    assert outcome(lambda p, _: with_facts(p, facts), person) == outcome(person_from_dict, record)


def test_with_facts_takes_the_fast_path_for_the_changes_explanations_try(monkeypatch):
    from devrecs.people import person_to_dict, with_facts
    person = person_from_dict(TYPICAL)
    tries = [{"months_in_role": 30}, {"tenure_years": 12.5}, {"aspiration": "management"},
             {"interests": ["writing", "public-speaking"]}, {"gaps": []},
             {"gaps": [{"skill": "presenting", "severity": "high", "source": None}], "months_since_promotion": 4},
             {"pipeline": {"status": "graduate", "months_waiting": 9}}]
    expected = [person_from_dict({**person_to_dict(person), **facts}) for facts in tries]
    monkeypatch.setattr(people_module, "person_to_dict", no_converter)
    assert [with_facts(person, facts) for facts in tries] == expected
