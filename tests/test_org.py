"""Team and organization facts from people, and the rules that use them."""

import datetime as dt
import json

from click.testing import CliRunner

from devrecs import Engine
from devrecs.cli import cli
from devrecs.org import compute

AS_OF = dt.date(2026, 6, 30)


def ic(pid, manager="m1", **facts):
    # complete histories: an empty one means no development (tests/test_unknown.py has the others)
    return dict({"id": pid, "track": "individual_contributor", "manager_id": manager, "history_complete": True},
                **facts)


def recent(intervention="mentoring", outcome="completed"):
    return [{"intervention": intervention, "date": "2026-03-01", "outcome": outcome}]


def org_with(developing, total=10, **extra):
    people = [{"id": "m1", "track": "manager", "months_in_role": 20, "engagement": "medium"}]
    people += [ic(f"p{i}", history=recent() if i < developing else []) for i in range(total)]
    return people


def test_team_and_organization_facts():
    engine = Engine.default(as_of=AS_OF)
    people = org_with(developing=3) + [
        ic("x1", "m2", flight_risk="high", pipeline={"status": "graduate", "months_waiting": 14}),
        ic("x2", "m2", flight_risk="high", potential="high", level=5, aspiration="technical"),
        ic("x3", "m2", flight_risk="high", engagement="low",
           history=[{"intervention": "mentoring", "date": "2024-01-01", "outcome": "completed"}]),
        {"id": "m2", "track": "manager", "months_in_role": 80, "engagement": "low", "manager_id": "m1"},
    ]
    from devrecs.people import person_from_dict
    facts = compute([person_from_dict(p) for p in people], AS_OF, open_leadership_positions=1)
    m2 = facts.team_facts()["m2"]
    assert (m2["reports"], m2["high_flight_risk_reports"], m2["graduates_waiting"], m2["high_potential_ics"],
            m2["share_ic_developing"], m2["manager_months_in_role"]) == (3, 3, 1, 1, 0.0, 80)
    o = facts.organization_facts()
    assert o["headcount"] == 15 and o["ics"] == 13 and o["managers"] == 2
    assert o["share_ic_developing"] == round(3 / 13, 4)
    assert (o["graduates_waiting"], o["graduates_waiting_max_months"], o["stagnant_leaders"],
            o["flight_risk_hotspots"], o["senior_ics"], o["open_leadership_positions"]) == (1, 14, 1, 1, 1, 1)
    assert engine  # the default packs load team and organization rules alongside person rules


def test_manager_with_several_high_flight_risk_reports_gets_coaching_training():
    # domain.md persona: coaching-conversations-training goes to that manager
    people = [{"id": "boss", "track": "manager"}] + [ic(f"r{i}", "boss", flight_risk="high") for i in range(3)]
    result = Engine.default(as_of=AS_OF).recommend_organization(people)
    (rec,) = [r for r in result.teams["boss"] if r.intervention == "coaching-conversations-training"]
    assert rec.subject == "boss" and rec.rules == ("team-flight-risk-coaching",)
    assert any(e.fact == "high_flight_risk_reports" and e.actual == 3 for e in rec.evidence)
    calm = [{"id": "boss", "track": "manager"}] + [ic(f"r{i}", "boss", flight_risk="high") for i in range(2)]
    assert Engine.default(as_of=AS_OF).recommend_organization(calm).teams["boss"] == []


def test_ic_development_program_when_under_a_quarter_of_ics_develop():
    engine = Engine.default(as_of=AS_OF)
    few = engine.recommend_organization(org_with(developing=2))       # 20%
    many = engine.recommend_organization(org_with(developing=3))      # 30%
    assert "ic-development-program" in [r.intervention for r in few.organization]
    assert "ic-development-program" not in [r.intervention for r in many.organization]
    assert few.organization[0].subject == "organization"


def test_waiting_graduates_and_stagnant_leaders():
    engine = Engine.default(as_of=AS_OF)
    people = org_with(developing=5) + [
        ic("g1", pipeline={"status": "graduate", "months_waiting": 18}),
        {"id": "old", "track": "manager", "months_in_role": 90, "engagement": "low"}]
    got = [r.intervention for r in engine.recommend_organization(people).organization]
    assert "grow-leadership-seats" in got and "transition-stagnant-leaders" in got
    seat = [r.intervention for r in engine.recommend_organization(people, open_leadership_positions=2).organization]
    assert "grow-leadership-seats" not in seat


def test_cli_org_json_has_every_level():
    result = CliRunner().invoke(cli, ["recommend", "--sample", "--org", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {"ic-development-program", "grow-leadership-seats"} <= {
        r["intervention"] for r in out["organization"]["recommendations"]}
    teams = {t["manager"]: t for t in out["teams"]}
    assert "coaching-conversations-training" in [
        r["intervention"] for r in teams["persona-flight-risk-manager"]["recommendations"]]
    assert len(out["people"]) == 200


def test_cli_org_table_reads_as_a_story():
    result = CliRunner().invoke(cli, ["recommend", "--sample", "--org"])
    assert result.exit_code == 0
    text = result.output
    assert text.index("ORGANIZATION") < text.index("TEAMS") < text.index("PEOPLE")
    assert "22%" in text and "manager persona-flight-risk-manager" in text
