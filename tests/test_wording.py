"""Audience-safe wording of the default packs and catalog, and the short explain views.

domain.md: an employee reads "you", plain words, what happens next and who
takes the first step; a manager reads what to do with the report; HR reads
the full reasoning. Facts the employee is not quoted (potential and the
9-box, flight risk, leadership motive, pay ratio, engagement) are never
named or hinted at in what the employee reads, and no audience reads
engine notation.
"""

import re

import pytest

import devrecs
from devrecs.intake.peoplefile import sample_file
from devrecs.render.explanations import FORMATS

SAMPLE = sample_file()

ENGINE = devrecs.Engine.default(entry_points=False)
PEOPLE = list(SAMPLE.people())

# Words that name or hint at a fact the employee is not quoted (domain.md's "unquoted").
UNQUOTED_FOR_EMPLOYEE = re.compile(
    r"potential|9-box|nine[- ]box|deep[ _]pro|flight|leav(e|ing)|quit|retention|make you stay|stay here|"
    r"motive|power|control or status|engag|disengag|compa[-_ ]ratio|pay ratio|below market|under market|"
    r"underpaid|high risk|at risk|talent review rating", re.I)
ENGINE_NOTATION = re.compile(r"\bnot: |did not hold|\bis one of \[|\[yes\]|\[NO\]|rule '|priority \d")


def person_rules():
    return [r for r in ENGINE.rules if r.scope == "person"]


def visible(intervention, audience):
    return audience in ENGINE.catalog.get(intervention).audiences


def test_every_rule_has_wording_for_each_audience_that_sees_its_items():
    for rule in ENGINE.rules:
        worded = {a for a, _ in rule.wording}
        for target in rule.recommend:
            wanted = {"employee", "manager"} if rule.scope == "person" else (
                {"manager"} if rule.scope == "team" else set())
            wanted = {a for a in wanted if visible(target.intervention, a)}
            assert wanted <= worded, (rule.id, sorted(wanted - worded))
        # hr falls back to the full rationale
        assert rule.rationale_for("hr") == rule.rationale


def test_every_catalog_entry_says_who_acts_the_first_step_and_a_timeframe():
    for entry in ENGINE.catalog:
        assert entry.who_acts and set(entry.who_acts) <= {"employee", "manager", "hr"}, entry.id
        assert entry.first_step and entry.timeframe, entry.id
        for audience in ("employee", "manager"):
            if entry.subject != "organization" and audience in entry.audiences:
                assert dict(entry.wording).get(audience), (entry.id, audience)


def test_employee_wording_is_second_person_and_names_no_unquoted_fact():
    for rule in person_rules():
        text = dict(rule.wording).get("employee")
        if text is None:
            continue
        assert not UNQUOTED_FOR_EMPLOYEE.search(text), (rule.id, UNQUOTED_FOR_EMPLOYEE.search(text).group())
        assert re.search(r"\byou(r)?\b", text, re.I), rule.id
        assert not re.search(r"\b(this person|the person)\b", text, re.I), rule.id
    for entry in ENGINE.catalog:
        text = dict(entry.wording).get("employee", "")
        assert not UNQUOTED_FOR_EMPLOYEE.search(text), entry.id


def test_nobody_is_told_they_are_no_longer_stretched():
    for rule in ENGINE.rules:
        for text in [rule.rationale] + [t for _, t in rule.wording]:
            assert "no longer stretched" not in text, rule.id


def test_the_employee_never_sees_the_pay_motive_or_move_items():
    # domain.md: compensation-review, leadership-motivation-conversation and external-move-support are
    # HR's and the manager's work before anything is said to the person; role fit is not named to executives
    for intervention in ("compensation-review", "leadership-motivation-conversation", "external-move-support"):
        assert not visible(intervention, "employee") and visible(intervention, "manager")
    assert not visible("role-refit-conversation", "executive")


@pytest.mark.parametrize("audience", ["employee", "manager"])
def test_short_explain_views_are_plain_and_short_for_every_sample_person(audience):
    for person in PEOPLE:
        explanation = ENGINE.explain(person, audience=audience, as_of=SAMPLE.as_of)
        for fmt in ("text", "markdown"):
            text = FORMATS[fmt].render(explanation).replace(person.id, "<id>")
            assert not ENGINE_NOTATION.search(text), (person.id, fmt, ENGINE_NOTATION.search(text).group())
            if audience == "employee":
                found = UNQUOTED_FOR_EMPLOYEE.search(text)
                assert not found, (person.id, fmt, found.group())
            else:
                assert "wellbeing" not in text.lower(), person.id
        text = FORMATS["text"].render(explanation)
        items = [i for i in explanation.items if i.status == "recommended"]
        # a few lines per item: title, why, who acts and the first step, wrapped
        assert len(text.splitlines()) <= 4 + 9 * len(items), (person.id, len(text.splitlines()))
        for item in items:
            assert item.who_acts and item.first_step and item.timeframe and item.reason
            assert "Who acts:" in text and "First step:" in text


def test_hr_keeps_the_full_trace_and_json_keeps_everything():
    person = next(p for p in PEOPLE if p.id == "persona-deep-expert")
    hr = FORMATS["text"].render(ENGINE.explain(person, audience="hr", as_of=SAMPLE.as_of))
    assert "rule 'deep-expert-leadership-program'" in hr and "[yes]" in hr
    employee = ENGINE.explain(person, audience="employee", as_of=SAMPLE.as_of).to_dict()
    first = employee["items"][0]
    assert first["why"] and first["who_acts"] and first["first_step"] and first["reason"]


def test_the_employee_reads_the_rules_own_words_in_recommend_for():
    person = {"id": "e1", "track": "individual_contributor", "flight_risk": "high"}
    (rec,) = [r for r in ENGINE.recommend_for(person, "employee") if r.intervention == "career-conversation"]
    assert rec.rationale and not UNQUOTED_FOR_EMPLOYEE.search(" ".join(rec.rationale))
    (hr,) = [r for r in ENGINE.recommend_for(person, "hr") if r.intervention == "career-conversation"]
    assert "high risk of leaving" in " ".join(hr.rationale)
    assert rec.wording == () and "wording" not in rec.to_dict()


def test_a_rule_without_wording_reads_neutrally_to_the_employee(tmp_path):
    rules = tmp_path / "r.yaml"
    rules.write_text("ruleset: x\nrules:\n  - id: r1\n    title: T\n    when: {flight_risk: high}\n"
                     "    recommend: [mentoring]\n    rationale: This person is at high risk of leaving.\n"
                     "    source: seed 001\n")
    engine = devrecs.Engine.from_paths([rules], entry_points=False)
    (rec,) = engine.recommend_for({"id": "p", "flight_risk": "high"}, "employee")
    assert "leaving" not in " ".join(rec.rationale)
    (rec,) = engine.recommend_for({"id": "p", "flight_risk": "high"}, "manager")
    assert rec.rationale == ("This person is at high risk of leaving.",)


def test_the_first_step_is_in_each_readers_own_words():
    """The catalog writes first steps of "the person" and "the manager"; the employee reads "you"
    and "your manager", the manager "you" and "your report", with the verb agreeing."""
    from devrecs.model import in_own_words
    text = "The person proposes a plan; the manager agrees time for it and the person books it."
    assert in_own_words(text, "employee") == "You propose a plan; your manager agrees time for it and you book it."
    assert in_own_words(text, "manager") == ("Your report proposes a plan; you agree time for it and your report "
                                             "books it.")
    assert in_own_words(text, "hr") == text
    assert in_own_words("The manager gives the person tasks.", "manager") == "You give your report tasks."
    engine = ENGINE
    for entry in engine.catalog:
        for audience in ("employee", "manager"):
            own = entry.first_step_for(audience)
            assert "the person" not in own.lower() and (audience == "employee" or "the manager" not in own.lower()), \
                (entry.id, audience, own)
