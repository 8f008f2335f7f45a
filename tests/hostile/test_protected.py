"""Protected attributes by any name (issue 17, item 9): look-alike names, a mapping that
renames a protected column, and facts a plugin derives from one. A sure case is refused
(E140); a guess is a warning (lint L140, batch W140) with the reason and a way to declare the
fact not protected."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import devrecs
from devrecs import Engine
from devrecs.cli import cli
from devrecs.errors import RuleFileError

ROOT = Path(__file__).resolve().parents[2]
IBM = ROOT / "examples" / "ibm-hr-attrition"

SURE = ["gender_code", "GenderCode", "birth_year", "dob", "DOB", "date of birth", "yearOfBirth", "BirthDate",
        "employeegender", "Over18", "ethnic_group", "religious_holidays", "pregnant", "EmpAge", "age_band",
        "marital", "sex_code", "nationality_code"]
GUESSES = ["empage", "agegroup", "sexcode", "gendr", "genedr", "religon", "natinality"]
FINE = ["department", "manager", "language", "usage", "message", "percentage", "stage", "heritage", "wage",
        "page_count", "trace", "sussex", "years_at_company", "job_role", "overtime", "location", "grade", "badge",
        "site code", "training_times_last_year", "years_with_current_manager"]


def _rule_file(tmp_path, path, name="r.yaml", value="x"):
    f = tmp_path / name
    f.write_text("ruleset: t\nrules:\n  - id: r1\n    title: T\n    when:\n"
                 f"      {json.dumps(path)}: {json.dumps(value)}\n"
                 "    recommend: [mentoring]\n    priority: 50\n    rationale: r\n    source: s\n")
    return f


def _invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.mark.parametrize("name", SURE)
def test_a_protected_attribute_under_another_name_is_refused(tmp_path, name):
    f = _rule_file(tmp_path, f"extra.{name}")
    out = _invoke("validate", str(f))
    assert out.exit_code == 1, out.output      # validate: 1 when it finds problems
    assert f"{f}:6:7: E140 'extra.{name}' is a protected attribute (" in out.output


@pytest.mark.parametrize("name", SURE)
def test_the_engine_refuses_them_too(tmp_path, name):
    from devrecs.model import Rule, Target
    from devrecs.packs import load_packs, resolve_paths
    from devrecs.rulefile.conditions import Compare
    catalog = load_packs(resolve_paths(None)).catalog
    rule = Rule(id="built", title="t", when=Compare(f"extra.{name}", "eq", "x"),
                recommend=(Target("mentoring"),), priority=1)
    with pytest.raises(RuleFileError, match=f"E140 rule 'built' tests 'extra.{name}', a protected attribute"):
        Engine([rule], catalog)


@pytest.mark.parametrize("name", GUESSES)
def test_a_look_alike_is_a_lint_warning_with_the_reason_and_the_way_out(tmp_path, name):
    f = _rule_file(tmp_path, f"extra.{name}")
    assert _invoke("validate", str(f)).exit_code == 0
    out = _invoke("lint", str(f))
    assert "L140 warning: rule 'r1' tests " in out.output and "which may be a protected attribute" in out.output
    assert f"DEVRECS_NOT_PROTECTED={name}" in out.output
    settled = _invoke("lint", str(f), env={"DEVRECS_NOT_PROTECTED": name})
    assert "L140" not in settled.output


@pytest.mark.parametrize("name", FINE)
def test_ordinary_names_are_not_taken_for_protected_ones(name):
    from devrecs.facts import protected_name
    assert protected_name(name) is None


def test_protected_values_look_alikes():
    from devrecs.facts import protected_values
    assert "gender codes" in protected_values(["M", "F", "F", "M"])
    assert "gender codes" in protected_values(["male", "female"])
    assert "years of birth" in protected_values([1971, 1988, 1999, 1965])
    assert "dates of birth" in protected_values(["1971-02-03", "1988-12-30"])
    assert protected_values(["Y", "N"]) is None and protected_values([1, 2, 3]) is None
    assert protected_values(["M", "M"]) is None and protected_values(["RD", "IT"]) is None


def _ibm_mapping(tmp_path, old, new):
    text = (IBM / "mapping.yaml").read_text()
    assert old in text
    f = tmp_path / "mapping.yaml"
    f.write_text(text.replace(old, new))
    return f


def _ibm_batch(tmp_path, mapping, rules, env=None):
    return _invoke("batch", str(IBM / "ibm-hr-attrition.csv"), "--mapping", str(mapping), "--rules", str(rules),
                   "--out", str(tmp_path / "out.jsonl"), env=env)


def test_ibm_a_rule_on_a_renamed_gender_column_is_refused(tmp_path):
    """The red team's case: 588 women got mentoring by a rule on a renamed gender column."""
    mapping = _ibm_mapping(tmp_path, "  gender: Gender\n", "  g: Gender\n")
    rules = _rule_file(tmp_path, "extra.g", value="Female")
    out = _ibm_batch(tmp_path, mapping, rules)
    assert out.exit_code == 2, out.output
    assert (f"{rules}:6:18: E140 rule 'r1' tests 'extra.g', a protected attribute ({mapping} maps it from "
            f"column 'Gender': 'Gender' is the protected attribute 'gender')") in out.output
    assert not (tmp_path / "out.jsonl").exists() or (tmp_path / "out.jsonl").read_text() == ""


@pytest.mark.parametrize("old,new,fact", [
    ("  age: {column: Age, type: int}\n", "  years_lived: {column: Age, type: int}\n", "extra.years_lived"),
    ("  marital_status: MaritalStatus\n", "  household: {column: MaritalStatus}\n", "extra.household"),
])
def test_ibm_other_renamed_columns_are_refused(tmp_path, old, new, fact):
    mapping = _ibm_mapping(tmp_path, old, new)
    rules = _rule_file(tmp_path, fact, value="Single")
    out = _ibm_batch(tmp_path, mapping, rules)
    assert out.exit_code == 2 and f"E140 rule 'r1' tests '{fact}', a protected attribute" in out.output


def test_ibm_a_built_in_fact_read_from_a_protected_column_is_protected_too(tmp_path):
    """tenure_years from Age, or flight risk worked out from Gender: rules on them are refused."""
    mapping = _ibm_mapping(tmp_path, "  tenure_years: TotalWorkingYears\n", "  tenure_years: Age\n")
    rules = _rule_file(tmp_path, "tenure_years", value=40)
    out = _ibm_batch(tmp_path, mapping, rules)
    assert out.exit_code == 2
    assert "E140 rule 'r1' tests 'tenure_years', a protected attribute" in out.output
    assert "maps it from column 'Age'" in out.output
    mapping = _ibm_mapping(tmp_path, '      - when: {Attrition: "Yes"}\n', '      - when: {Gender: "Female"}\n')
    out = _invoke("batch", str(IBM / "ibm-hr-attrition.csv"), "--mapping", str(mapping),
                  "--out", str(tmp_path / "o.jsonl"))
    assert out.exit_code == 2
    assert "tests 'flight_risk', a protected attribute" in out.output and "column 'Gender'" in out.output


def test_ibm_a_guessed_column_is_a_warning_that_not_protected_settles(tmp_path):
    text = (IBM / "mapping.yaml").read_text().replace("  department: Department\n",
                                                      "  agegroup: Department\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(text)
    rules = _rule_file(tmp_path, "extra.agegroup", value="Sales")
    out = _ibm_batch(tmp_path, mapping, rules)
    assert out.exit_code == 0, out.output
    assert "W140 rule 'r1' tests 'extra.agegroup', which may be a protected attribute" in out.output
    assert "list 'agegroup' under not_protected:" in out.output
    mapping.write_text(text + "\nnot_protected: [agegroup]\n")
    quiet = _ibm_batch(tmp_path, mapping, rules)
    assert quiet.exit_code == 0 and "W140" not in quiet.output


class CopiesGender:
    """A plugin that derives a fact from gender (and one that has nothing to do with it)."""

    @devrecs.hookimpl
    def devrecs_enrich_person(self, person):
        g = str(person.extra.get("gender") or person.extra.get("Gender") or "").lower()
        return {"cohort": "blue" if g.startswith("f") else "green", "site": "north"}


def test_a_fact_a_plugin_derives_from_gender_is_refused(tmp_path):
    rules = _rule_file(tmp_path, "extra.cohort", value="blue")
    with pytest.raises(RuleFileError, match=r"E140 rule 'r1' tests 'extra.cohort', a protected attribute "
                                            r"\(plugin 'copies' derives it from 'gender'"):
        Engine.from_paths([str(rules)], plugins=[("copies", CopiesGender())], entry_points=False)
    fine = _rule_file(tmp_path, "extra.site", value="north", name="fine.yaml")
    engine = Engine.from_paths([str(fine)], plugins=[("copies", CopiesGender())], entry_points=False)
    assert [r.intervention for r in engine.recommend({"id": "p1"})] == ["mentoring"]


def test_the_audit_warns_of_a_rule_on_values_that_look_like_gender_codes(tmp_path):
    """extra.code holds M and F: a rule testing it is named in the audit, with the reason and
    the way to declare it not protected."""
    people = tmp_path / "people.csv"
    people.write_text("id,extra.code,extra.sex\n" + "".join(f"p{i},{'MF'[i % 2]},{'MF'[i % 2]}\n" for i in range(40)))
    rules = _rule_file(tmp_path, "extra.code", value="F")
    out = _invoke("audit", str(people), "--rules", str(rules), "--by", "sex")
    assert out.exit_code == 0, out.output
    assert ("W140 rule 'r1' tests 'extra.code', which may be a protected attribute (its values (f, m) look like "
            "gender codes); if it is not, set DEVRECS_NOT_PROTECTED=code") in out.output
    settled = _invoke("audit", str(people), "--rules", str(rules), "--by", "sex", env={"DEVRECS_NOT_PROTECTED": "code"})
    assert settled.exit_code == 0 and "W140" not in settled.output


def test_the_audit_names_a_rule_on_a_renamed_copy_of_an_audited_attribute(tmp_path):
    """On the IBM data, extra.g copies Gender from a column whose name does not say so (Team,
    one for one with Gender): no name gives it away, the audit by gender finds it by its values."""
    import csv
    rows = list(csv.reader((IBM / "ibm-hr-attrition.csv").open(newline="")))
    gender = rows[0].index("Gender")
    data = tmp_path / "ibm.csv"
    with data.open("w", newline="") as f:
        csv.writer(f).writerows([rows[0] + ["Team"]] + [r + [r[gender]] for r in rows[1:]])
    mapping = _ibm_mapping(tmp_path, "  gender: Gender\n", "  gender: Gender\n  g: {column: Team, map: "
                                                             "{Female: blue, Male: green}}\n")
    rules = _rule_file(tmp_path, "extra.g", value="blue")
    from devrecs.reports import fairness
    engine = Engine.from_paths([str(rules)], entry_points=False)
    people = [p for _, p in engine.open(str(data), mapping=str(mapping)).read()]
    result = fairness.audit(engine, people, ["gender", "age"])
    assert any("W140 rule 'r1' tests 'extra.g', which may be a protected attribute (in these people its values "
               "stand one for one for the groups of 'gender')" in w for w in result.warnings), result.warnings


@pytest.mark.parametrize("name", ["region", "regional_office", "reason"])
def test_ordinary_hr_words_spelled_like_a_protected_one_are_not_flagged(name):
    """'region' is one letter from 'religion' but an ordinary HR column (the tutorial uses it)."""
    from devrecs.facts import protected_name
    assert protected_name(name) is None
