"""Every person-level catalog intervention is reachable through the default rule packs.

PEOPLE maps each intervention to a person who gets it from
``Engine.default(cap=None)``. The organization interventions and
coaching-conversations-training come from team and organization facts
(organization.yaml), never from a person rule. Every rule must carry a
rationale and a seed source, and durable-rules must agree with the Python
evaluator on these people.
"""

import datetime as dt
import re

import pytest

import devrecs
from devrecs.facts import fact_value
from devrecs.people import person_from_dict
from devrecs.rulefile.conditions import holds

AS_OF = dt.date(2026, 6, 30)
IC = "individual_contributor"

NOT_PERSON_LEVEL = {
    "ic-development-program", "spotlight-ic-advancement", "grow-leadership-seats",
    "transition-stagnant-leaders", "coaching-conversations-training",
}


def gap(skill, severity="medium"):
    return {"skill": skill, "severity": severity}


PEOPLE = {
    "career-conversation": {"track": IC, "flight_risk": "high"},
    "technical-career-path": {"track": IC, "aspiration": "technical", "performance": "medium"},
    "role-refit-conversation": {"track": "manager", "months_in_role": 6, "engagement": "low"},
    "subject-matter-ownership": {"track": IC, "aspiration": "technical", "career_stage": "mid",
                                 "performance": "medium"},
    "special-advisor-track": {"track": IC, "career_stage": "senior", "performance": "high", "level": 4,
                              "months_in_role": 24, "aspiration": "technical"},
    "cross-discipline-team-time": {"track": IC, "career_stage": "mid", "performance": "high",
                                   "engagement": "medium"},
    "project-lead-role": {"track": IC, "career_stage": "mid", "performance": "high", "aspiration": "undecided"},
    "new-technology-learning": {"gaps": [gap("new_technology", "low")]},
    "certification-funding": {"interests": ["certification"]},
    "conference-attendance": {"interests": ["conferences"]},
    "professional-association": {"track": IC, "aspiration": "technical", "career_stage": "mid"},
    "speaking-opportunity": {"interests": ["public-speaking"]},
    "industry-publication-subscription": {"interests": ["industry-news"]},
    "further-education": {"interests": ["degree"]},
    "learning-time": {"months_in_role": 30, "history_complete": True},
    "cross-industry-network": {"interests": ["cross-industry"]},
    "internal-technical-forum": {"track": IC, "aspiration": "technical", "performance": "medium"},
    "external-service": {"career_stage": "senior", "performance": "medium",
                         "interests": ["volunteering"]},
    "travel-opportunity": {"interests": ["travel"]},
    "expert-leadership-program": {"track": IC, "performance": "high", "potential": "low",
                                  "aspiration": "technical"},
    "communication-skills": {"gaps": [gap("communication")]},
    "strategic-thinking": {"gaps": [gap("strategic_thinking", "high")]},
    "influencing-skills": {"gaps": [gap("negotiation")]},
    "project-management-skills": {"gaps": [gap("project_management")]},
    "time-management-skills": {"gaps": [gap("time_management")]},
    "mentoring": {"career_stage": "early"},
    "mentor-others": {"track": IC, "career_stage": "senior", "performance": "high"},
    "coaching": {"performance": "high"},
    "performance-advisor": {"performance_plan": "informal"},
    "wellbeing-referral": {"wellbeing_concern": True},
    "new-manager-training": {"track": "manager", "months_in_role": 2, "history_complete": True},
    "compensation-review": {"compa_ratio": 0.85, "performance": "medium"},
    "leadership-pipeline-program": {"performance": "high", "potential": "high",
                                    "aspiration": "management", "leadership_motive": "service",
                                    "pipeline": {"status": "none"}},
    "leadership-motivation-conversation": {"leadership_motive": "power"},
    "leadership-placement": {"track": IC, "pipeline": {"status": "graduate", "months_waiting": 6}},
    "external-move-support": {"track": IC, "pipeline": {"status": "graduate", "months_waiting": 24},
                              "extra": {"open_leadership_positions": 0}},
}


@pytest.fixture(scope="module")
def engine():
    return devrecs.Engine.default(cap=None)


def person(intervention):
    return {"id": f"gets-{intervention}", **PEOPLE[intervention]}


def test_the_mapping_covers_every_person_level_intervention(engine):
    wanted = {i.id for i in engine.catalog} - NOT_PERSON_LEVEL
    assert set(PEOPLE) == wanted


@pytest.mark.parametrize("intervention", sorted(PEOPLE))
def test_someone_gets_it(engine, intervention):
    p = person(intervention)
    got = {r.intervention for r in engine.recommend(p, as_of=AS_OF) if r.subject == p["id"]}
    assert intervention in got


def person_rules(engine):
    return [r for r in engine.rules if r.scope == "person"]


def test_no_person_rule_recommends_an_organization_intervention(engine):
    org = {i.id for i in engine.catalog if i.subject == "organization"}
    for rule in person_rules(engine):
        assert not org & {t.intervention for t in rule.recommend}, rule.id


def test_manager_targets_are_manager_interventions(engine):
    # `to: manager` is only used for interventions whose subject is a manager.
    for rule in person_rules(engine):
        for t in rule.recommend:
            if t.to == "manager":
                assert engine.catalog.get(t.intervention).subject == "manager", rule.id


def test_every_rule_explains_itself_and_names_its_seed(engine):
    for rule in engine.rules:
        assert rule.rationale, rule.id
        assert re.match(r"seed 00[0-3]: \S", rule.source), (rule.id, rule.source)


def test_durable_agrees_with_python_on_these_people(engine):
    people = [person(i) for i in sorted(PEOPLE)]
    rules = person_rules(engine)
    python = [[r.id for r in rules if holds(r.when, lambda path, p=p: fact_value(person_from_dict(p), path, AS_OF))]
              for p in people]
    assert engine.durable_fired(people, as_of=AS_OF) == python
