"""Unquoted facts (domain.md): for the employee, potential, the 9-box, flight risk, leadership
motive, pay position and engagement may drive an item but are never named, quoted or hinted at,
in the list, its evidence, the explanation, why-not or what it would take. On 7cf748f the
employee's JSON quoted 'potential ... low' and rule ids such as 'flight-risk-career-conversation'."""

import json
import re

import pytest

from devrecs import Engine
from devrecs.audience import TALENT_REVIEW, unquoted_facts
from devrecs.intake.peoplefile import sample_file

UNQUOTED = sorted(unquoted_facts("employee"))
# words that name an unquoted fact or one of its labels, as JSON or text would show them
NAMING = re.compile(r"potential|nine_box|9-box|flight|risk of leaving|motive|compa_ratio|compa ratio|"
                    r"pay position|below market|under market|engagement|disengaged|status or control|"
                    r"control or status", re.I)


def without_ids(text, person):
    """The text without the person's own id and name (persona ids name what they test) and
    without the rules' sources (citations of the seeds, about people in general)."""
    text = re.sub(r'"source": "[^"]*"', "", text)
    text = re.sub(r"(?m)^\s*source: .*$", "", text)
    for own in (person.id, person.name):
        if own:
            text = text.replace(own, "")
    return text


@pytest.fixture(scope="module")
def engine():
    return Engine.default(as_of=sample_file().as_of)


@pytest.fixture(scope="module")
def people():
    return list(sample_file().people())


def test_the_unquoted_facts_are_the_matrix_rows():
    assert UNQUOTED == ["compa_ratio", "engagement", "flight_risk", "leadership_motive", "nine_box", "potential"]


def test_the_employee_list_never_names_an_unquoted_fact(engine, people):
    named = []
    for person in people:
        for rec in engine.recommend_for(person, "employee"):
            text = json.dumps({"rules": rec.rules, "rationale": rec.rationale,
                               "evidence": [[e.rule, e.fact, e.test, str(e.actual)] for e in rec.evidence]})
            if NAMING.search(text):
                named.append((person.id, rec.intervention, NAMING.search(text).group(0)))
    assert not named, named[:10]


def test_an_item_an_unquoted_fact_drove_is_said_to_come_from_the_talent_review(engine, people):
    driven = [(p, r) for p in people for r in engine.recommend_for(p, "employee") if TALENT_REVIEW in r.rules]
    assert driven, "the sample has people whose items come from potential or flight risk"
    for person, rec in driven:
        assert not [e for e in rec.evidence if e.fact in UNQUOTED]
        assert not [r for r in rec.rules if NAMING.search(r)]


def test_the_employee_explanation_never_names_an_unquoted_fact(engine, people):
    named = []
    for person in people:
        for fmt in ("json", "text"):
            explanation = engine.explain(person, None, "employee")
            text = engine.render(explanation, fmt)
            hit = NAMING.search(without_ids(text, person))
            if hit:
                named.append((person.id, fmt, text[max(0, hit.start() - 60):hit.end() + 60]))
    assert not named, named[:5]


def test_why_not_and_what_it_would_take_for_the_employee_name_no_unquoted_fact(engine, people):
    named = []
    for person in people[:60]:
        for intervention in ("special-advisor-track", "expert-leadership-program", "career-conversation",
                             "leadership-pipeline-program", "compensation-review"):
            text = engine.render(engine.explain(person, intervention, "employee"), "json")
            hit = NAMING.search(without_ids(text, person))
            if hit:
                named.append((person.id, intervention, text[max(0, hit.start() - 60):hit.end() + 60]))
    assert not named, named[:5]


def test_the_manager_still_sees_the_facts(engine, people):
    """Unquoted is for the employee only: the manager's evidence keeps the facts."""
    facts = {e.fact for p in people for r in engine.recommend_for(p, "manager") for e in r.evidence}
    assert {"flight_risk", "potential"} & facts


def test_a_rule_on_a_fact_hidden_from_the_executive_is_not_named_to_one(engine, people):
    """A rule whose title speaks of a performance plan ('... while on a performance plan') would
    tell an executive the person is on one; it reads as the talent review instead."""
    plan_rules = {r.id for r in engine.rules if any(leaf.path == "performance_plan"
                                                   for leaf in __import__("devrecs.rulefile.conditions",
                                                                          fromlist=["leaves"]).leaves(r.when))}
    assert plan_rules
    for person in people:
        text = engine.render(engine.explain(person, None, "executive"), "json")
        assert not [r for r in plan_rules if f"'{r}'" in text or f'"{r}"' in text], person.id
        assert "performance plan" not in text.lower(), person.id
        for rec in engine.recommend_for(person, "executive"):
            assert not set(rec.rules) & plan_rules


def test_an_item_from_the_talent_review_shows_no_rule_s_priority_to_the_employee():
    """Two rules of one intervention with other priorities would tell the employee which
    unquoted fact drove it: the employee reads priority 0 for such an item, in the same order."""
    from devrecs.audience import TALENT_REVIEW
    from devrecs.intake.peoplefile import sample_file
    eng = Engine.default()
    people = list(sample_file().people())
    full = {p.id: recs for p, recs in eng.with_cap(None).recommend_many(people, audience="hr")}
    seen = 0
    for person, recs in eng.recommend_many(people, audience="employee"):
        for r in recs:
            if TALENT_REVIEW in r.rules:
                seen += 1
                assert r.priority == 0, (person.id, r.intervention)
            else:
                assert r.priority > 0
        kept = [r.intervention for r in full[person.id] if r.intervention in {x.intervention for x in recs}]
        assert [r.intervention for r in recs] == kept, person.id      # the order stays
    assert seen > 0


def test_the_employee_s_list_shows_no_priority_numbers():
    from click.testing import CliRunner

    from devrecs.cli import cli
    employee = CliRunner().invoke(cli, ["recommend", "--sample", "--audience", "employee"]).output
    hr = CliRunner().invoke(cli, ["recommend", "--sample", "--audience", "hr"]).output
    import re
    item = re.compile(r"^  \d+\. \S+ \(\d+\)", re.M)
    assert item.search(hr) and not item.search(employee)
    assert re.search(r"^  1\. \S+$", employee, re.M)
