"""Unknown facts: three-valued conditions, exists/missing, history completeness.

A test of a fact the record does not hold is unknown (domain.md, "Unknown
facts"); a rule holds only when its condition is true. Every engine-level test
here checks durable and the Python evaluator alike.
"""

import datetime as dt
import itertools

import pytest

from devrecs import Engine
from devrecs.catalog import Catalog
from devrecs.model import Intervention
from devrecs.org import compute
from devrecs.people import person_from_dict
from devrecs.render.explanations import FORMATS
from devrecs.rulefile.conditions import All, AnyOf, Compare, Not, compare_values, truth
from devrecs.rulefile.logic import implies, never_holds
from devrecs.rulefile.parse import parse_text
from devrecs.rulefile.walk import NOT_TRUE, dnf, literal_text, nnf

AS_OF = dt.date(2026, 6, 30)
IDS = ("mentoring", "career-conversation", "learning-time", "ic-development-program")
CATALOG = Catalog([Intervention(i, i, "", "career", "person", ("hr",)) for i in IDS])

T, F, U = True, False, None


def rules(when_yaml: str):
    text = f"ruleset: t\nrules:\n  - id: r\n    title: R\n    when: {when_yaml}\n    recommend: [mentoring]\n"
    parsed, problems = parse_text(text, "t.yaml", IDS)
    assert not problems, problems
    return list(parsed.rules)


def fired(when_yaml: str, person: dict) -> bool:
    """Whether the rule fires, by durable and by the Python evaluator (which must agree)."""
    engine = Engine(rules(when_yaml), CATALOG, as_of=AS_OF)
    person = dict({"id": "p"}, **person)
    by_durable = engine.durable_fired([person])[0] == ["r"]
    assert by_durable == (engine.python_fired(person) == ["r"])
    return by_durable


# -- the truth table --------------------------------------------------------------------

# the value of each fact that makes its test true, false or unknown
PERFORMANCE = {T: "high", F: "low", U: None}
ASPIRATION = {T: "technical", F: "management", U: None}


@pytest.mark.parametrize("op, value", [("eq", "x"), ("ne", "x"), ("in", ("x",)), ("not_in", ("x",)),
                                       ("lt", 3), ("le", 3), ("gt", 3), ("ge", 3), ("between", (1, 3))])
def test_a_test_of_a_missing_fact_is_unknown_for_every_operator(op, value):
    assert compare_values(None, op, value) is None
    assert compare_values(None, "exists", True) is False and compare_values(None, "exists", False) is True


@pytest.mark.parametrize("a, b", list(itertools.product((T, F, U), repeat=2)))
def test_not_all_any_follow_kleene(a, b):
    x = Compare("performance", "eq", "high", ("low", "medium", "high"))
    y = Compare("aspiration", "eq", "technical")
    get = {"performance": PERFORMANCE[a], "aspiration": ASPIRATION[b]}.get
    assert truth(x, get) is a and truth(y, get) is b
    want_and = F if F in (a, b) else U if U in (a, b) else T
    want_or = T if T in (a, b) else U if U in (a, b) else F
    assert truth(All((x, y)), get) is want_and
    assert truth(AnyOf((x, y)), get) is want_or
    assert truth(Not(x), get) is (None if a is None else not a)
    assert truth(Not(All((x, y))), get) is (None if want_and is None else not want_and)


# -- rules on unknown facts, in both engines ---------------------------------------------

def test_not_of_an_unrecorded_fact_does_not_hold():
    # on 7cf748f a missing aspiration read as "does not want to manage" and this fired
    assert not fired("{not: {aspiration: management}}", {})
    assert fired("{not: {aspiration: management}}", {"aspiration": "technical"})
    assert not fired("{not: {aspiration: management}}", {"aspiration": "management"})


def test_an_unknown_part_decides_neither_way():
    when = "{any: [{performance: high}, {not: {aspiration: management}}]}"
    assert fired(when, {"performance": "high"})          # true or unknown is true
    assert not fired(when, {"performance": "low"})        # false or unknown is unknown
    when = "{not: {all: [{performance: high}, {aspiration: management}]}}"
    assert fired(when, {"performance": "low"})            # not (false and unknown) is true
    assert not fired(when, {"performance": "high"})       # not (true and unknown) is unknown


def test_an_organizations_own_fact_of_another_kind_is_known_and_different():
    assert fired("{not: {extra.grade: {gt: 3}}}", {"extra": {"grade": "B"}})
    assert not fired("{not: {extra.grade: {gt: 3}}}", {"extra": {}})


@pytest.mark.parametrize("when, person, expected", [
    ("{missing: aspiration}", {}, True),
    ("{missing: aspiration}", {"aspiration": "technical"}, False),
    ("{exists: aspiration}", {"aspiration": "technical"}, True),
    ("{not: {missing: aspiration}}", {}, False),
    ("{missing: [aspiration, extra.grade]}", {}, True),
    ("{missing: [aspiration, extra.grade]}", {"extra": {"grade": 2}}, False),
    ("{any: [{missing: leadership_motive}, {leadership_motive: unknown}]}", {"leadership_motive": "unknown"}, True),
    ("{aspiration: {exists: false}}", {}, True),
])
def test_exists_and_missing(when, person, expected):
    assert fired(when, person) is expected


@pytest.mark.parametrize("when, code, where", [
    ("{missing: aspirations}", "E110", "t.yaml:5:21"),
    ("{missing: gaps}", "E111", "t.yaml:5:21"),
    ("{exists: [level, 3]}", "E104", "t.yaml:5:20"),
    ("{missing: extra.gender}", "E140", "t.yaml:5:21"),
])
def test_exists_and_missing_refuse_what_they_cannot_test(when, code, where):
    text = f"ruleset: t\nrules:\n  - id: r\n    title: R\n    when: {when}\n    recommend: [mentoring]\n"
    _, problems = parse_text(text, "t.yaml", IDS)
    assert [p.code for p in problems] == [code]
    assert str(problems[0]).startswith(where), str(problems[0])


# -- history completeness ----------------------------------------------------------------

NOTHING_RECENT = "{history: {none: {outcome: {in: [accepted, completed]}, within_months: 12}}}"
NEVER_TRAINED = "{history: {none: {intervention: mentoring}}}"


@pytest.mark.parametrize("person, expected", [
    ({}, False),                                                         # not known to be complete
    ({"history_complete": False}, False),
    ({"history_complete": True}, True),
    ({"history_complete": True, "history_since": "2025-01-01"}, True),    # reaches back 18 months
    ({"history_complete": True, "history_since": "2026-01-01"}, False),   # only 6 of the 12 months
    ({"history": [{"intervention": "mentoring", "date": "2026-05-01", "outcome": "completed"}]}, False),
])
def test_no_development_in_n_months_needs_a_complete_history(person, expected):
    assert fired(NOTHING_RECENT, person) is expected
    # an entry found is known whatever the completeness
    assert fired("{not: " + NOTHING_RECENT + "}", person) is ("history" in person)


def test_never_had_it_needs_the_whole_history():
    assert fired(NEVER_TRAINED, {"history_complete": True})
    assert not fired(NEVER_TRAINED, {"history_complete": True, "history_since": "2020-01-01"})
    assert not fired(NEVER_TRAINED, {})


def test_a_gap_without_the_field_a_test_reads_is_unknown():
    gap = {"skill": "communication", "severity": "medium"}
    assert fired("{gaps: {none: {source: review}}}", {"gaps": [dict(gap, source="self")]})
    assert not fired("{gaps: {none: {source: review}}}", {"gaps": [gap]})
    assert not fired("{gaps: {any: {source: review}}}", {"gaps": [gap]})
    assert fired("{gaps: {none: {source: review}}}", {"gaps": []})   # no gap at all: none is true


def test_the_sample_declares_complete_history_and_the_ibm_mapping_does_not():
    from pathlib import Path

    import yaml
    root = Path(__file__).resolve().parent.parent
    sample = yaml.safe_load((root / "src/devrecs/data/sample.yaml").read_text())
    assert all(p.get("history_complete") is True for p in sample["people"])
    from devrecs.intake.mapping import load_mapping
    mapping = load_mapping(root / "examples/ibm-hr-attrition/mapping.yaml")
    assert "history_complete" not in mapping.facts and "history_since" not in mapping.facts


def test_a_mapping_declares_completeness_for_every_record(tmp_path):
    from devrecs.intake.mapping import load_mapping
    f = tmp_path / "m.yaml"
    f.write_text("id: 'e-{N}'\nfacts:\n  history_complete: {value: true}\n  history_since: {value: '2024-01-01'}\n")
    person = person_from_dict(load_mapping(f).apply("row 1", {"N": "1"}), record="row 1")
    assert person.history_complete is True and person.history_since == dt.date(2024, 1, 1)
    assert person_from_dict({"id": "x"}).history_complete is False


# -- organization coverage ---------------------------------------------------------------

def ics(n, **facts):
    return [person_from_dict(dict({"id": f"p{i}", "track": "individual_contributor"}, **facts)) for i in range(n)]


def test_coverage_facts_are_unknown_without_complete_histories():
    # on 7cf748f this read as 0% and 'ic-development-program' fired on data with no history at all
    facts = compute(ics(8), AS_OF).organization_facts()
    assert facts["share_ic_developing"] is None and facts["share_ic_technical_aspiration"] is None
    engine = Engine.default(as_of=AS_OF, entry_points=False)
    people = [{"id": f"p{i}", "track": "individual_contributor"} for i in range(8)]
    assert "ic-development-program" not in [r.intervention for r in engine.recommend_organization(people).organization]
    complete = [dict(p, history_complete=True) for p in people]
    assert compute([person_from_dict(p) for p in complete], AS_OF).organization_facts()["share_ic_developing"] == 0.0
    assert "ic-development-program" in [r.intervention for r in engine.recommend_organization(complete).organization]


def test_one_unknown_history_makes_the_share_unknown_but_a_recent_entry_is_known():
    recent = [{"intervention": "mentoring", "date": "2026-05-01", "outcome": "completed"}]
    assert compute(ics(3, history_complete=True) + ics(1), AS_OF).organization_facts()["share_ic_developing"] is None
    people = ics(3, history_complete=True) + ics(1, history=recent)   # incomplete, but the entry is there
    assert compute(people, AS_OF).organization_facts()["share_ic_developing"] == 0.25


# -- explanations ------------------------------------------------------------------------

def test_explanations_say_not_recorded_instead_of_engine_notation():
    engine = Engine(rules("{all: [{performance: high}, {not: {aspiration: management}}]}"), CATALOG, as_of=AS_OF)
    ex = engine.explain({"id": "p", "performance": "high"}, "mentoring", "hr", AS_OF)
    checks = ex.items[0].why_not[0].checks
    assert [c.text for c in checks] == ["performance is high: high", "aspiration: not recorded"]
    assert [(c.held, c.recorded) for c in checks] == [(True, True), (False, False)]
    text = FORMATS["text"].render(ex)
    assert "aspiration: not recorded" in text and "not: aspiration" not in text
    assert "aspiration is management" not in text and "unknown" not in text
    assert "aspiration: not recorded -> technical" in text       # what it would take
    ex = engine.explain({"id": "p", "performance": "high", "aspiration": "technical"}, "mentoring", "hr", AS_OF)
    assert ex.items[0].why[0].checks[1].text == "aspiration is not management: technical"


@pytest.mark.parametrize("when, text", [
    ("{aspiration: management}", "aspiration is not management"),
    ("{performance: {ge: medium}}", "performance is below medium"),
    ("{level: {between: [2, 4]}}", "level is not between 2 and 4"),
    ("{aspiration: {in: [technical, undecided]}}", "aspiration is none of [technical, undecided]"),
    ("{missing: aspiration}", "aspiration is recorded"),
    ("{gaps: {any: {skill: communication}}}", "there is no gap where skill is communication"),
    ("{interests: {contains: python}}", "interests do not include python"),
])
def test_negated_literals_read_as_plain_words(when, text):
    (rule,) = rules(when)
    assert literal_text(rule.when, False) == text


# -- the walkers and lint -----------------------------------------------------------------

def test_nnf_pushes_not_down_to_false_literals():
    x = Compare("aspiration", "eq", "management")
    y = Compare("performance", "eq", "high")
    form = nnf(Not(AnyOf((x, Not(y)))))
    assert repr(form).count("positive=False") == 1 and repr(form).count("positive=True") == 1


def test_lint_never_claims_an_implication_an_unknown_fact_breaks():
    x = Compare("aspiration", "eq", "technical")
    either = AnyOf((x, Not(x)))          # true or false when recorded, unknown when not
    strong = Compare("performance", "eq", "high", ("low", "medium", "high"))
    assert not implies(strong, either)   # on 7cf748f: claimed (the person may have no aspiration)
    assert implies(All((strong, x)), either)
    assert ((x, None), (x, None)) in dnf(either, NOT_TRUE)      # not true: aspiration unknown
    # "not high and not medium and not low" cannot be true: it is false or unknown
    ratings = ("low", "medium", "high")
    assert never_holds(All(tuple(Not(Compare("performance", "eq", v, ratings)) for v in ratings))) is not None


@pytest.mark.parametrize("when, valid", [
    ("{all: [{missing: aspiration}, {exists: [extra.grade, level]}]}", True),
    ("{missing: aspirations}", False),
    ("{missing: gaps}", False),
])
def test_the_rule_file_schema_knows_exists_and_missing(when, valid):
    import jsonschema
    import yaml

    from devrecs.authoring.schema import rule_file_schema
    doc = yaml.safe_load(f"ruleset: x\nrules:\n  - id: a\n    title: A\n    when: {when}\n    recommend: [mentoring]\n")
    assert jsonschema.Draft7Validator(rule_file_schema()).is_valid(doc) is valid


def test_the_org_view_says_the_share_cannot_be_told_instead_of_zero(tmp_path):
    from click.testing import CliRunner

    from devrecs.cli import cli
    people = tmp_path / "people.yaml"
    people.write_text("people:\n" + "".join(f"  - {{id: p{i}, track: individual_contributor}}\n" for i in range(6)))
    result = CliRunner().invoke(cli, ["recommend", str(people), "--org", "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "cannot be told" in text and "0% of individual contributors" not in text
    assert "ic-development-program" not in text
