"""Decision tables, the JSON Schemas, diff over a population, and hot reload."""

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from devrecs import DevrecsError, Engine, RuleFileError
from devrecs.authoring.diff import diff
from devrecs.authoring.schema import rule_file_schema, schema_json, test_file_schema
from devrecs.cli import cli
from devrecs.intake.peoplefile import sample_file
from devrecs.packs import load_packs, resolve_paths
from devrecs.rulefile.decision_table import read_table_text
from devrecs.rulefile.logic import strip_locs
from devrecs.rulefile.parse import parse_text, read_rule_doc

ROOT = Path(__file__).resolve().parents[1]
IDS = ["mentoring", "coaching", "learning-time", "career-conversation", "influencing-skills",
       "coaching-conversations-training", "mentor-others"]


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# -- decision tables ---------------------------------------------------------------------

TABLE = """\
id,title,track,level >=,level <=,aspiration in,not performance,engagement !=,interests,gaps.skill,gaps.severity >=,no history.outcome,no history.within_months,extra.site,compa_ratio exists,recommend,recommend to manager,priority,suppresses,rationale,source
t1,First,manager,3,6,technical|undecided,low,high,"speaking, teaching",influencing|presenting,medium,completed,12,Paris,true,mentoring|coaching,coaching-conversations-training,70,mentor-others,"Why, with a comma.",policy 1
,,,,,,,,,,,,,,,learning-time,,,,,
"""

YAML_EQUIVALENT = """\
ruleset: t
rules:
  - id: t1
    title: First
    when:
      all:
        - track: manager
        - level: {ge: 3}
        - level: {le: 6}
        - aspiration: {in: [technical, undecided]}
        - not: {performance: low}
        - engagement: {ne: high}
        - interests: {contains: [speaking, teaching]}
        - gaps: {any: {skill: {in: [influencing, presenting]}, severity: {ge: medium}}}
        - history: {none: {outcome: completed, within_months: 12}}
        - extra.site: Paris
        - compa_ratio: {exists: true}
    recommend: [mentoring, coaching, {intervention: coaching-conversations-training, to: manager}]
    priority: 70
    suppresses: [mentor-others]
    rationale: Why, with a comma.
    source: policy 1
  - id: t-row-3
    title: t, row 3
    recommend: [learning-time]
"""


def _rules_of_table(text, name="t.csv"):
    doc, problems = read_table_text(text, name)
    assert problems == []
    parsed, problems = read_rule_doc(doc, name, IDS)
    assert problems == []
    return parsed.rules


def test_each_row_is_the_rule_its_yaml_would_be():
    table = _rules_of_table(TABLE)
    parsed, problems = parse_text(YAML_EQUIVALENT, "t.yaml", IDS)
    assert problems == []
    assert len(table) == len(parsed.rules) == 2
    for a, b in zip(table, parsed.rules):
        assert strip_locs(a.when) == strip_locs(b.when)
        assert (a.id, a.title, a.recommend, a.priority, a.suppresses, a.rationale, a.source) == \
               (b.id, b.title, b.recommend, b.priority, b.suppresses, b.rationale, b.source)
    # blank cells are no condition: the second row applies to everyone
    assert type(table[1].when).__name__ == "Always"


def test_a_single_condition_and_semicolon_tables():
    (rule,) = _rules_of_table("recommend;performance;priority\ncoaching;high;60\n")
    (expected,) = parse_text("ruleset: t\nrules:\n  - {id: x, title: x, when: {performance: high}, "
                             "recommend: coaching}\n", "t.yaml", IDS)[0].rules
    assert strip_locs(rule.when) == strip_locs(expected.when) and rule.priority == 60


def test_table_errors_name_file_row_and_column():
    text = ("id,performnce,level >==,recommend\n"
            "a,high,3,mentoring\n")
    doc, problems = read_table_text(text, "bad.csv")
    assert [str(p) for p in problems] == [
        "bad.csv:1:2: E110 unknown fact or column 'performnce' in the header (did you mean 'performance'?)",
        "bad.csv:1:3: E111 unknown operator '>==' in the header (did you mean '>='?); expected one of =, !=, <, "
        "<=, >, >=, in, not in, between, exists, contains",
    ]
    text = ("id,performance,level >=,recommend,priority\n"
            "a,hihg,3,mentorng,50\n"
            "\n"
            "b,high,three,coaching,500\n")
    doc, problems = read_table_text(text, "bad.csv")
    assert problems == []
    _, problems = read_rule_doc(doc, "bad.csv", IDS)
    assert [str(p) for p in problems] == [
        "bad.csv:2:2: E112 'hihg' is not a value of performance: expected one of low, medium, high "
        "(did you mean 'high'?)",
        "bad.csv:2:4: E120 unknown intervention 'mentorng' (did you mean 'mentoring'?)",
        "bad.csv:4:3: E112 level is a number, got 'three'",
        "bad.csv:4:5: E104 'priority' must be a whole number from 0 to 100, got 500",
    ]


def test_folders_pick_up_tables_and_skip_other_csv(tmp_path):
    (tmp_path / "table.csv").write_text("performance,recommend\nhigh,coaching\n")
    (tmp_path / "people.csv").write_text("id,performance\np1,high\n")      # data, not a table
    packs = load_packs(resolve_paths([tmp_path]))
    assert [r.id for r in packs.rules] == ["table-row-2"]
    with pytest.raises(RuleFileError) as err:
        load_packs(resolve_paths([tmp_path / "people.csv"]))
    assert "E102 not a decision table: the header has no 'recommend' column" in str(err.value)


def test_the_example_table_validates_lints_and_runs():
    folder = ROOT / "examples" / "decision-tables"
    assert run("validate", str(folder)).exit_code == 0
    result = run("lint", str(folder), str(ROOT / "rules"))
    assert result.exit_code == 0 and result.output.strip().endswith("no findings"), result.output
    engine = Engine.from_paths([folder])
    recs = engine.recommend({"id": "s", "track": "individual_contributor", "aspiration": "technical",
                             "career_stage": "mid", "performance": "medium", "flight_risk": "high",
                             "performance_plan": "none"})    # 'not performance_plan in' needs it recorded
    assert [r.intervention for r in recs] == ["career-conversation", "mentoring"]
    assert "## 11. Decision tables" in (ROOT / "docs" / "rules.md").read_text()


# -- schemas ----------------------------------------------------------------------------------


def test_every_shipped_rule_file_matches_the_schema():
    schema = rule_file_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    files = sorted((ROOT / "rules").glob("*.yaml"))
    assert len(files) >= 9
    for f in files:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(f.read_text()))]
        assert errors == [], (f.name, errors[:3])


def test_the_schema_refuses_what_the_language_refuses():
    validator = jsonschema.Draft7Validator(rule_file_schema())

    def ok(text):
        return not list(validator.iter_errors(yaml.safe_load(textwrap.dedent(text))))

    base = "ruleset: x\nrules:\n  - id: a\n    title: t\n    recommend: [mentoring]\n"
    assert ok(base)
    assert ok(base + "    when: {extra.site: Paris, level: {between: [2, 4]}}\n")
    assert not ok(base + "    when: {performnce: high}\n")                    # unknown fact
    assert not ok(base + "    when: {performance: hihg}\n")                   # not a value
    assert not ok(base + "    when: {track: {gt: manager}}\n")                # no order
    assert not ok(base + "    reccomend: [x]\n")                               # unknown key
    assert not ok(base + "    priority: 500\n")
    assert ok(base.replace("title: t", "title: t\n    scope: team") + "    when: {reports: {ge: 3}}\n")
    assert not ok(base.replace("title: t", "title: t\n    scope: team") + "    when: {performance: high}\n")


def test_the_test_schema_in_the_docs_is_current_and_shipped_tests_match_it():
    assert json.loads((ROOT / "docs/schemas/rule-tests.schema.json").read_text()) == json.loads(schema_json("tests"))
    validator = jsonschema.Draft7Validator(test_file_schema())
    for f in sorted((ROOT / "rules" / "tests").glob("test_*.yaml")):
        assert [e.message for e in validator.iter_errors(yaml.safe_load(f.read_text()))] == [], f.name


def test_schema_command_prints_json():
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "devrecs rule file"
    assert "yaml-language-server: $schema=" in (ROOT / "docs" / "authoring.md").read_text()


# -- diff ------------------------------------------------------------------------------------


NEW_RULE = """\
ruleset: extra
rules:
  - id: all-strong-get-mentoring
    title: Mentoring for every strong performer
    when: {performance: high}
    recommend: [mentoring]
    priority: 99
    rationale: r
    source: s
"""


def test_diff_counts_gains_and_losses_with_examples(tmp_path):
    (tmp_path / "extra.yaml").write_text(NEW_RULE)
    sample = sample_file()
    people = list(sample.people())
    old = Engine.default()
    new = Engine.from_paths([ROOT / "rules", tmp_path])
    result = diff(old, new, people, sample.as_of, examples=2)
    by = {d.intervention: d for d in result.by_intervention}
    strong = [p for p in people if p.performance is not None and p.performance.value == "high"]
    expected_gain = [p.id for p in strong
                     if "mentoring" not in [r.intervention for r in old.recommend(p, sample.as_of)]]
    assert [c.person for c in by["mentoring"].gained] == expected_gain
    assert by["mentoring"].lost == []
    assert result.rules.added == ("all-strong-get-mentoring",) and not result.rules.removed
    # something at the bottom of someone's list now falls off the cap
    losses = [c for d in result.by_intervention for c in d.lost]
    assert losses and all(c.reason == "now cut by the cap" for c in losses)
    assert result.gaining == len(expected_gain)
    assert result.old_hash != result.new_hash


def test_diff_command_text_json_and_exit_code(tmp_path):
    (tmp_path / "extra.yaml").write_text(NEW_RULE)
    new = f"{ROOT / 'rules'},{tmp_path}"
    result = run("diff", "builtin", new, "--sample")
    assert result.exit_code == 0
    assert "rules added: all-strong-get-mentoring" in result.output
    assert "mentoring: +" in result.output and "  + " in result.output
    out = json.loads(run("diff", "builtin", new, "--sample", "--format", "json").output)
    mentoring = next(d for d in out["interventions"] if d["intervention"] == "mentoring")
    assert mentoring["gained"] > 0 and len(mentoring["examples_gained"]) == 3
    assert mentoring["examples_gained"][0]["rules"][0] == "all-strong-get-mentoring"
    few = tmp_path / "people.yaml"
    few.write_text("as_of: '2026-06-30'\npeople:\n  - {id: strong, performance: high}\n  - {id: other}\n")
    changed = run("diff", "builtin", new, str(few), "--exit-code")
    assert changed.exit_code == 1, changed.output
    assert "2 people: 1 gain something, 0 lose something, 1 unchanged" in changed.output
    same = run("diff", "builtin", str(ROOT / "rules"), str(few), "--exit-code")
    assert same.exit_code == 0 and "No one's recommendations change." in same.output


# -- hot reload ---------------------------------------------------------------------------------


def test_reload_builds_a_new_engine_while_the_old_one_keeps_serving(tmp_path):
    rules = tmp_path / "r.yaml"
    rules.write_text("ruleset: r\nrules:\n  - {id: a, title: a, when: {performance: high}, recommend: [coaching]}\n")
    old = Engine.from_paths([rules])
    assert old.paths == [rules]
    rules.write_text("ruleset: r\nrules:\n  - {id: a, title: a, when: {performance: high}, recommend: [mentoring]}\n")
    new = old.reload()
    assert new is not old and new.ruleset_hash != old.ruleset_hash
    person = {"id": "p", "performance": "high"}
    results: dict = {"old": [], "new": []}
    errors = []

    def serve(name, engine):
        try:
            for _ in range(40):
                results[name].append(engine.recommend(person)[0])
        except BaseException as exc:       # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=serve, args=(n, e)) for n, e in (("old", old), ("new", new)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert {(r.intervention, r.ruleset_hash) for r in results["old"]} == {("coaching", old.ruleset_hash)}
    assert {(r.intervention, r.ruleset_hash) for r in results["new"]} == {("mentoring", new.ruleset_hash)}
    # a broken file on reload raises, and the old engine still works
    rules.write_text("ruleset: r\nrules:\n  - {id: a, title: a, recommend: [mentorng]}\n")
    with pytest.raises(RuleFileError, match="mentorng"):
        new.reload()
    assert new.recommend(person)[0].intervention == "mentoring"


def test_reload_of_the_default_engine_and_of_an_engine_from_memory():
    engine = Engine.default()
    assert engine.paths is None and engine.reload().ruleset_hash == engine.ruleset_hash
    with pytest.raises(DevrecsError, match="not with Engine.from_paths"):
        Engine(engine.rules, engine.catalog).reload()


def test_an_organization_without_managers_does_not_crash_durable():
    # durable-rules crashed the process on an empty team session; run it in a child process
    code = ("import devrecs; r = devrecs.Engine.default().recommend_organization([{'id': 'a'}]); "
            "print(r.teams, len(r.people))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "{} 1"
