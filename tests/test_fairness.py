"""Fairness audit: planted disparities are flagged, fair populations are not, protected
attributes are never used by rules."""

import json
import random
import textwrap

import pytest
from click.testing import CliRunner

from devrecs import Engine, RuleFileError
from devrecs.cli import cli
from devrecs.model import Rule, Target
from devrecs.people import person_from_dict
from devrecs.reports.fairness import age_band, audit, render_markdown, render_text
from devrecs.rulefile.conditions import Compare

RULES = textwrap.dedent("""\
    ruleset: t
    rules:
      - id: strong-get-conferences
        title: Strong performers go to conferences
        when: {performance: high}
        recommend: [conference-attendance]
      - id: struggling-get-advice
        title: Struggling people get an advisor
        when: {performance: low}
        recommend: [performance-advisor]
    """)


@pytest.fixture()
def engine(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RULES)
    return Engine.from_paths([path])


def population(share_a, share_b, n=200, seed=1):
    """n people in each of groups A and B; share_x of group x rated high."""
    rnd = random.Random(seed)
    out = []
    for group, share in (("A", share_a), ("B", share_b)):
        for i in range(n):
            perf = "high" if rnd.random() < share else rnd.choice(["medium", "low"])
            out.append(person_from_dict({"id": f"{group}{i}", "performance": perf,
                                         "extra": {"Gender": group, "age": rnd.randint(20, 64)}}))
    return out


def find(result, attribute, intervention):
    (a,) = [x for x in result.attributes if x.attribute == attribute]
    (i,) = [x for x in a.interventions if x.intervention == intervention]
    return i


def test_a_planted_disparity_is_flagged_with_its_driver(engine):
    result = audit(engine, population(0.5, 0.2), ["gender"])
    conf = find(result, "gender", "conference-attendance")
    assert conf.flagged
    (c,) = conf.comparisons
    assert (c.group, c.reference) == ("B", "A") and c.ratio < 0.8 and c.p_value < 0.001
    assert "rule 'strong-get-conferences', condition 'performance is high'" in c.drivers[0]
    assert conf.purpose == "opportunity" and find(result, "gender", "performance-advisor").purpose == "remedial"


def test_a_fair_population_is_not_flagged(engine):
    result = audit(engine, population(0.4, 0.4, seed=3), ["gender"])
    assert not find(result, "gender", "conference-attendance").flagged


def test_small_groups_are_shown_as_under_5_and_never_flagged(engine):
    people = population(0.6, 0.6, n=100) + [person_from_dict({"id": f"c{i}", "performance": "low",
                                                               "extra": {"gender": "C"}}) for i in range(3)]
    result = audit(engine, people, ["gender"])
    conf = find(result, "gender", "conference-attendance")
    small = [r for r in conf.rates if r.group == "C"][0]
    assert small.to_dict() == {"group": "C", "people": "<5", "got": "<5", "share": None}
    assert all(c.group != "C" for c in conf.comparisons)
    assert "C <5" in render_text(result) and "<5" in render_markdown(result)


def test_both_groups_must_be_large_enough(engine):
    result = audit(engine, population(0.5, 0.1, n=20), ["gender"], min_group=30)
    conf = find(result, "gender", "conference-attendance")
    assert not conf.flagged and conf.comparisons[0].ratio < 0.8


@pytest.mark.parametrize("age, band", [(18, "under 30"), (29, "under 30"), (30, "30-39"), (49, "40-49"),
                                       (50, "50+"), ("x", "unknown")])
def test_age_bands(age, band):
    assert age_band(age) == band


def test_support_interventions_are_never_audited_by_group(engine):
    result = audit(engine, population(0.5, 0.5, n=10), ["gender"])
    assert "wellbeing-referral" not in [i.intervention for i in result.attributes[0].interventions]


@pytest.mark.parametrize("attribute", ["extra.gender", "extra.Age", "extra.MaritalStatus", "extra.ethnicity"])
def test_a_rule_reading_a_protected_attribute_is_refused_with_its_location(tmp_path, attribute):
    path = tmp_path / "bad.yaml"
    path.write_text(f"ruleset: x\nrules:\n  - id: a\n    title: t\n    when:\n      {attribute}: F\n"
                    f"    recommend: [mentoring]\n")
    with pytest.raises(RuleFileError) as info:
        Engine.from_paths([path])
    (p,) = info.value.problems
    assert (p.line, p.col, p.code) == (6, 7, "E140") and attribute in p.message
    result = CliRunner().invoke(cli, ["recommend", "--sample", "--rules", str(path)])
    assert result.exit_code == 2 and "E140" in result.output


def test_the_engine_refuses_a_protected_attribute_in_a_rule_built_in_python(engine):
    rule = Rule("sneaky", "t", Compare("extra.gender", "eq", "F"), (Target("mentoring"),), file="app.py", line=9)
    with pytest.raises(RuleFileError, match="E140 rule 'sneaky' tests 'extra.gender'"):
        Engine([rule], engine.catalog)


def test_cli_audit_on_the_sample_json():
    result = CliRunner().invoke(cli, ["audit", "--sample", "--by", "location", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["people"] == 200 and data["attributes"][0]["attribute"] == "location"
    for a in data["attributes"]:
        for i in a["interventions"]:
            for g in i["groups"]:
                assert g["people"] == "<5" or g["people"] >= 5


def test_the_report_has_an_audit_section_for_hr_and_executives(tmp_path):
    for audience in ("hr", "executive"):
        out = tmp_path / f"{audience}.html"
        result = CliRunner().invoke(cli, ["report", "--sample", "--html", str(out), "--audience", audience,
                                          "--audit-by", "location"])
        assert result.exit_code == 0, result.output
        page = out.read_text()
        assert 'id="fairness"' in page or "Fairness audit" in page
        assert "By location" in page and "Remote" in page
        if audience == "executive":
            assert "persona-" not in page and "nw-0" not in page
