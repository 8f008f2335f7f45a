"""Rule files: every problem located (file:line:col, code, message), all at once; safe YAML only."""

import textwrap

import pytest

from devrecs import Engine, RuleFileError
from devrecs.rulefile.parse import parse_text
from devrecs.catalog import Catalog
from devrecs.packs import default_rules_dir

IDS = ["mentoring", "coaching", "performance-advisor", "career-conversation"]


def problems(text):
    _, found = parse_text(textwrap.dedent(text), "acme.yaml", IDS)
    return [str(p) for p in found]


def test_a_file_with_several_errors_reports_all_with_locations_and_suggestions():
    found = problems("""\
        ruleset: acme
        rules:
          - id: r1
            title: One
            when:
              all:
                - performnce: high
                - level: {gte: 3}
                - potential: hihg
            recommend: [mentorship]
          - id: r2
            title: Two
            when: {gaps: {any: {skil: vision}}}
            recommend: [coaching]
            priority: 500
        """)
    assert "acme.yaml:7:11: E110 unknown fact 'performnce' (did you mean 'performance'?)" in found
    assert any(f.startswith("acme.yaml:8:19: E111 unknown operator 'gte' (did you mean 'ge'?)") for f in found)
    assert any(f.startswith("acme.yaml:9:22: E112 'hihg' is not a value of potential") and "did you mean 'high'" in f
               for f in found)
    assert "acme.yaml:10:17: E120 unknown intervention 'mentorship' (did you mean 'mentoring'?)" in found
    assert any(f.startswith("acme.yaml:13:25: E113 unknown field 'skil' of gaps (did you mean 'skill'?)") for f in found)
    assert any(f.startswith("acme.yaml:15:15: E104 'priority' must be a whole number") for f in found)
    assert len(found) == 6


def test_yaml_syntax_error_is_located():
    found = problems("ruleset: x\nrules:\n  - id: [unclosed\n")
    assert len(found) == 1 and found[0].startswith("acme.yaml:4:1: E100 YAML syntax")


def test_nothing_in_a_rule_file_is_executed():
    found = problems("ruleset: x\nrules: !!python/object/apply:os.system ['echo pwned']\n")
    assert len(found) == 1 and "E100 YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed" in found[0]


def test_duplicate_keys_are_an_error_not_a_silent_override():
    found = problems("ruleset: x\nrules:\n  - id: a\n    id: b\n    title: t\n    recommend: [coaching]\n")
    assert found == ["acme.yaml:4:5: E101 duplicate key 'id' (first at line 3)"]


@pytest.mark.parametrize("when, message", [
    ("{level: {between: [5, 2]}}", "'between' needs the lower value first"),
    ("{track: {gt: manager}}", "track has no order"),
    ("{wellbeing_concern: yes please}", "wellbeing_concern is true or false"),
    ("{extra.grade: {gt: B}}", "'gt' compares numbers"),
    ("{interests: python}", "interests takes 'contains"),
    ("{history: {none: {intervention: mentorng}}}", "unknown intervention 'mentorng' (did you mean 'mentoring'?)"),
    ("{level: {in: [1, two]}}", "level is a number, got 'two'"),
])
def test_bad_values_are_explained(when, message):
    found = problems(f"ruleset: x\nrules:\n  - id: a\n    title: t\n    when: {when}\n    recommend: [coaching]\n")
    assert len(found) == 1 and message in found[0], found


def test_readable_rule_parses_to_a_tree(tmp_path):
    (tmp_path / "r.yaml").write_text(textwrap.dedent("""\
        ruleset: acme
        rules:
          - id: struggling
            title: Help for someone who struggles
            when:
              any:
                - performance: low
                - performance_plan: {in: [informal, pip]}
            recommend: [performance-advisor]
            suppresses: [coaching]
            priority: 90
            rationale: Prescriptive help works better than coaching here.
            source: seed 003
        """))
    engine = Engine.from_paths([tmp_path / "r.yaml"])
    (rule,) = engine.rules
    assert (rule.id, rule.priority, rule.suppresses, rule.line) == ("struggling", 90, ("coaching",), 3)
    assert rule.file.endswith("r.yaml")


def test_duplicate_rule_ids_across_files_name_both(tmp_path):
    body = "ruleset: {n}\nrules:\n  - id: same\n    title: t\n    recommend: [coaching]\n"
    (tmp_path / "a.yaml").write_text(body.format(n="a"))
    (tmp_path / "b.yaml").write_text(body.format(n="b"))
    with pytest.raises(RuleFileError) as info:
        Engine.from_paths([tmp_path])
    (p,) = info.value.problems
    assert p.code == "E121" and "b.yaml" in p.file and "a.yaml:3" in p.message


def test_default_packs_and_catalog_load():
    engine = Engine.default()
    assert len(engine.catalog) >= 41
    assert (default_rules_dir() / "catalog.yaml").is_file()
    assert isinstance(engine.catalog, Catalog)
