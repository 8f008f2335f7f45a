"""Rule tests: YAML test files, readable failures with explanations, coverage, and the pytest
plugin (run with pytester in a temporary folder)."""

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from devrecs.authoring.ruletests import load_test_file, make_person, run_tests
from devrecs.cli import cli
from devrecs.packs import default_rules_dir

pytest_plugins = ["pytester"]
# the hypothesis plugin costs seconds per in-process run and plays no part here
FAST = ("-p", "no:hypothesispytest")


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


RULES = """\
ruleset: acme
rules:
  - id: acme-mentoring
    title: A mentor for early careers or new managers
    when:
      any:
        - career_stage: early
        - all: [{track: manager}, {months_in_role: {le: 12}}]
    recommend: [mentoring]
    rationale: r
    source: s
  - id: acme-coaching
    title: Coaching for strong performers
    when: {performance: high}
    recommend: [coaching]
    rationale: r
    source: s
"""


def test_the_shipped_tests_pass_with_full_rule_and_branch_coverage():
    result = run("test", "--min-coverage", "100")
    assert result.exit_code == 0, result.output
    rules = len(__import__("devrecs").Engine.default().rules)
    lines = result.output.strip().splitlines()
    assert lines[0].endswith("failed") and ", 0 failed" in lines[0]
    assert lines[1].startswith(f"Rule coverage: {rules} of {rules} rules fired (100.0%)")
    assert "alternatives of 'any' taken (100.0%)" in lines[1]


def test_the_shipped_tests_live_beside_the_packs_and_are_not_rule_files():
    files = sorted(p.name for p in (default_rules_dir() / "tests").glob("test_*.yaml"))
    assert files
    for name in files:
        assert load_test_file(default_rules_dir() / "tests" / name).problems == ()


def test_a_failure_shows_expected_got_and_the_explanation(tmp_path):
    write(tmp_path, "rules.yaml", RULES)
    write(tmp_path, "test_acme.yaml", """\
        rules: [rules.yaml]
        as_of: '2026-06-30'
        tests:
          - name: a new manager gets a mentor
            person: {id: nm, track: manager, months_in_role: 3}
            expect:
              include: [mentoring]
          - name: a strong performer gets a mentor (wrong)
            person: {id: strong, performance: high}
            expect:
              include: [mentoring]
              exclude: [coaching]
        """)
    result = run("test", str(tmp_path))
    assert result.exit_code == 1
    out = result.output
    assert f"FAILED {tmp_path / 'test_acme.yaml'}:8  a strong performer gets a mentor (wrong)" in out
    assert "person strong, as seen by hr, as of 2026-06-30" in out
    assert "expected to include: mentoring" in out
    assert "expected to exclude: coaching" in out
    assert "got: coaching (50)" in out
    assert "missing: mentoring" in out
    assert "should not be there: coaching" in out
    assert "explanation of mentoring:" in out
    assert "rule 'acme-mentoring' (A mentor for early careers or new managers): did not hold" in out
    assert "explanation of coaching:" in out and "rule 'acme-coaching'" in out
    assert "2 tests: 1 passed, 1 failed" in out
    # coverage: both rules fired; the early-career alternative was never taken
    assert "Rule coverage: 2 of 2 rules fired (100.0%); 1 of 2 alternatives of 'any' taken (50.0%)" in out
    assert "acme-mentoring: alternative 1 of 2 of 'any': career_stage is early" in out


def test_min_coverage_fails_below_and_json_reports_it(tmp_path):
    write(tmp_path, "rules.yaml", RULES)
    write(tmp_path, "test_acme.yaml", """\
        rules: rules.yaml
        tests:
          - name: strong
            person: {performance: high}
            expect: {include: [coaching], fired: [acme-coaching], not_fired: [acme-mentoring]}
        """)
    result = run("test", str(tmp_path), "--min-coverage", "60")
    assert result.exit_code == 1
    assert "Rule coverage 50.0% is below --min-coverage 60%" in result.output
    assert "Rules never fired (rules.yaml):" not in result.output or "acme-mentoring" in result.output
    result = run("test", str(tmp_path), "--min-coverage", "50", "--format", "json")
    assert result.exit_code == 0
    out = json.loads(result.output)
    assert out["passed"] == 1 and out["coverage"]["rules"]["percent"] == 50.0
    assert [r["rule"] for r in out["coverage"]["rules"]["never_fired"]] == ["acme-mentoring"]


def test_problems_in_test_files_are_located_and_stop_the_run(tmp_path):
    write(tmp_path, "test_bad.yaml", """\
        tests:
          - name: typo in a key
            person: {performnce: high}
            expext: {}
          - name: typo in an intervention
            person: {performance: high}
            expect: {exclude: [mentorng]}
          - name: a rule that does not exist
            person: {performance: high}
            expect: {fired: [strengths-coching]}
        """)
    result = run("test", str(tmp_path))
    assert result.exit_code == 2
    f = tmp_path / "test_bad.yaml"
    lines = result.output.strip().splitlines()
    assert f"{f}:4:5: T103 unknown key 'expext' in a test (did you mean 'expect'?); expected one of name, " \
           f"person, people, org, open_positions, as_of, audience, cap, expect" in lines
    assert any(line.startswith(f"{f}:3:13: T110 person, field 'performnce': unknown field (did you mean "
                               f"'performance'?)") for line in lines)
    assert f"{f}:7:24: T120 unknown intervention 'mentorng' (did you mean 'mentoring'?)" in lines
    assert f"{f}:10:22: T121 unknown rule 'strengths-coching' (did you mean 'strengths-coaching'?)" in lines


def test_organization_tests_check_every_level(tmp_path):
    write(tmp_path, "test_org.yaml", """\
        as_of: '2026-06-30'
        tests:
          - name: wrong on purpose
            org: true
            people:
              - {id: m1, track: manager}
              - {id: a1, manager_id: m1, flight_risk: high}
            expect:
              teams: {m1: {include: [coaching-conversations-training]}}
              organization: {exclude: [ic-development-program]}
        """)
    result = run("test", str(tmp_path))
    assert result.exit_code == 1
    assert "team of manager m1: got (nothing)" in result.output
    assert "missing: coaching-conversations-training" in result.output
    assert "high_flight_risk_reports 1" in result.output


def test_make_person_gives_a_validated_person():
    p = make_person(track="manager", months_in_role="3")
    assert p.id == "person" and p.months_in_role == 3
    with pytest.raises(Exception, match="hihg"):
        make_person(performance="hihg")


def test_run_tests_api_matches_the_cli(tmp_path):
    write(tmp_path, "rules.yaml", RULES)
    write(tmp_path, "test_a.yaml", "rules: [rules.yaml]\ntests:\n  - name: one\n    person: {career_stage: early}\n"
                                   "    expect: {exactly: [mentoring]}\n")
    report = run_tests([tmp_path])
    assert report.passed == 1 and report.coverage.fired == 1 and report.coverage.taken == 1


# -- the pytest plugin --------------------------------------------------------------------


def test_pytest_collects_yaml_rule_tests_and_offers_fixtures(pytester):
    pytester.makefile(".yaml", rules=RULES)
    pytester.makefile(".yaml", test_rules=textwrap.dedent("""\
        rules: [rules.yaml]
        as_of: '2026-06-30'
        tests:
          - name: early careers get a mentor
            person: {career_stage: early}
            expect: {include: [mentoring]}
          - name: strong performers get a mentor (wrong on purpose)
            person: {performance: high}
            expect: {include: [mentoring]}
        """))
    pytester.makefile(".yaml", test_data="people:\n  - {id: a}\n")     # test_*.yaml without 'tests:'
    pytester.makefile(".yml", other="tests: [not, collected]\n")        # not named test_*
    pytester.makepyfile(test_devrecs_fixtures="""
        def test_engine_and_person(devrecs_engine, make_person):
            recs = devrecs_engine.recommend(make_person(performance="high"))
            assert "coaching" in [r.intervention for r in recs]
    """)
    result = pytester.runpytest(*FAST, "-v", "--devrecs-coverage")
    result.assert_outcomes(passed=2, failed=1)
    for line in ("*test_rules.yaml::early careers get a mentor PASSED*",
                 "*test_rules.yaml::strong performers get a mentor (wrong on purpose) FAILED*",
                 "*test_devrecs_fixtures.py::test_engine_and_person PASSED*"):
        result.stdout.fnmatch_lines([line])
    result.stdout.fnmatch_lines(["*got: coaching (50)*", "*missing: mentoring*",
                                 "*devrecs rule coverage*", "Rule coverage: 2 of 2 rules fired*"])
    assert "test_data" not in result.stdout.str()


def test_pytest_min_coverage_and_ini_rules(pytester):
    pytester.makefile(".yaml", rules=RULES)
    pytester.makeini("[pytest]\ndevrecs_rules = rules.yaml\n")
    pytester.makefile(".yaml", test_rules=textwrap.dedent("""\
        tests:
          - name: strong performers get coaching
            person: {performance: high}
            expect: {exactly: [coaching]}
        """))
    pytester.makepyfile(test_devrecs_ini_engine="""
        def test_the_engine_has_the_ini_rules(devrecs_engine):
            assert [r.id for r in devrecs_engine.rules] == ["acme-mentoring", "acme-coaching"]
    """)
    result = pytester.runpytest(*FAST, "--devrecs-min-coverage", "80")
    result.assert_outcomes(passed=2)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*rule coverage 50.0% is below --devrecs-min-coverage 80%*"])
    assert pytester.runpytest(*FAST, "--devrecs-min-coverage", "50").ret == 0


def test_pytest_reports_broken_files_and_broken_tests(pytester):
    pytester.makefile(".yaml", test_broken="tests:\n  - name: x\n    person: {performance: high}\n"
                                           "    expect: {}\nrules: [nowhere/]\n")
    pytester.makefile(".yaml", test_record="tests:\n  - name: bad record\n    person: {performance: hihg}\n"
                                           "    expect: {}\n")
    result = pytester.runpytest(*FAST, "--continue-on-collection-errors")
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR collecting test_broken.yaml*", "*nowhere*E100 no such file or folder*"])
    result.stdout.fnmatch_lines(["*T110 person, field 'performance': 'hihg' is not one of*"])


def test_the_yaml_collection_can_be_switched_off(pytester):
    pytester.makefile(".yaml", test_rules="tests:\n  - name: x\n    person: {}\n    expect: {}\n")
    pytester.makeini("[pytest]\ndevrecs_rule_tests = false\n")
    assert pytester.runpytest(*FAST).ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_the_test_file_example_in_the_docs_passes(tmp_path):
    docs = (Path(__file__).resolve().parents[1] / "docs" / "authoring.md").read_text()
    block = docs.split("## 4. Rule tests", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "test_docs.yaml").write_text(block.replace("rules: [..]", ""))
    result = run("test", str(tmp_path), "-v")
    assert result.exit_code == 0, result.output
    assert "4 tests: 4 passed, 0 failed" in result.output
