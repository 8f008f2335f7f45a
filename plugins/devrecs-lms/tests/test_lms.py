"""The LMS plugin: completed courses reach cooldowns and rules, through enrichment and a source."""

import datetime as dt
import textwrap

import devrecs_lms
import pytest

from devrecs import Engine

TODAY = dt.date.today()


@pytest.fixture()
def export(tmp_path, monkeypatch):
    path = tmp_path / "courses.csv"
    recent = (TODAY - dt.timedelta(days=40)).isoformat()
    path.write_text(textwrap.dedent(f"""\
        person_id,course,intervention,completed_on
        p1,Speaking to executives,communication-skills,{recent}
        p1,Intro to Rust,new-technology-learning,2019-05-01
        p2,Negotiation basics,influencing-skills,{recent}
        """))
    monkeypatch.setenv(devrecs_lms.ENV, str(path))
    devrecs_lms.load.cache_clear()
    return path


def expert(pid):
    return {"id": pid, "track": "individual_contributor", "performance": "high", "potential": "low",
            "aspiration": "technical", "gaps": [{"skill": "communication", "severity": "high"}]}


def test_completed_courses_become_history_so_cooldowns_apply(export):
    plain = Engine.default(entry_points=False)
    with_lms = Engine.default(plugins=[devrecs_lms], entry_points=False)
    assert "communication-skills" in [r.intervention for r in plain.recommend(expert("p1"))]
    got = with_lms.evaluate(expert("p1"))
    assert "communication-skills" not in [r.intervention for r in got.recommendations]
    assert ("communication-skills", "cooldown") in [(r.intervention, r.step) for r in got.resolution.removed]
    assert got.person.extra["lms_courses_last_year"] == 1
    # someone with no courses is untouched
    assert with_lms.evaluate(expert("p9")).person.extra == {}


def test_lms_facts_are_testable_by_rules(export, tmp_path):
    rules = tmp_path / "r.yaml"
    rules.write_text(textwrap.dedent("""\
        ruleset: lms-aware
        rules:
          - id: keep-learning
            title: Keep a learner going
            when: {extra.lms_courses_last_year: {ge: 1}}
            recommend: [conference-attendance]
        """))
    engine = Engine.from_paths([rules], plugins=[devrecs_lms], entry_points=False)
    assert [r.intervention for r in engine.recommend({"id": "p2"})] == ["conference-attendance"]
    assert engine.recommend({"id": "p9"}) == []


def test_the_lms_source_yields_people_with_history(export):
    engine = Engine.default(plugins=[devrecs_lms], entry_points=False)
    source = engine.sources()["lms"](str(export))
    records = list(source)
    assert [raw["id"] for _, raw in records] == ["p1", "p2"]
    assert len(records[0][1]["history"]) == 2 and records[0][0].endswith("person 1")
    from devrecs import person_from_dict
    assert [person_from_dict(raw).extra["lms_courses_last_year"] for _, raw in records] == [1, 1]


def test_a_bad_export_is_a_clear_error(tmp_path, monkeypatch):
    bad = tmp_path / "bad.csv"
    bad.write_text("person_id,course,intervention,completed_on\np1,X,mentoring,yesterday\n")
    monkeypatch.setenv(devrecs_lms.ENV, str(bad))
    devrecs_lms.load.cache_clear()
    engine = Engine.default(plugins=[devrecs_lms], entry_points=False)
    with pytest.raises(Exception, match="row 2, column 'completed_on': 'yesterday' is not a date"):
        engine.recommend({"id": "p1"})
