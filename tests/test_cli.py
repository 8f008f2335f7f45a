"""The CLI: thin over the API, JSON for programs, one line per problem and exit 2 on errors."""

import json

import pytest
from click.testing import CliRunner

from devrecs import Engine
from devrecs.cli import cli
from devrecs.intake.peoplefile import sample_file


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_recommend_sample_json_matches_the_api():
    result = run("recommend", "--sample", "--format", "json")
    assert result.exit_code == 0
    out = json.loads(result.output)
    sample = sample_file()
    people = list(sample.people())
    assert [row["person"] for row in out] == [p.id for p in people]
    engine = Engine.default(as_of=sample.as_of)
    for row, person in zip(out, people):
        expected = engine.recommend(person)
        assert [r["intervention"] for r in row["recommendations"]] == [r.intervention for r in expected]
        for r in row["recommendations"]:
            assert set(r) == {"intervention", "subject", "rules", "priority", "rationale", "evidence"}


def test_recommend_table_says_recommendations_are_proposals():
    result = run("recommend", "--sample")
    assert result.exit_code == 0
    assert "persona-deep-expert" in result.output
    assert result.output.rstrip().endswith("not decisions.")


def test_bad_people_file_lists_every_bad_record_and_exits_2(tmp_path):
    f = tmp_path / "people.yaml"
    f.write_text("- {id: a, performance: hihg}\n- {id: b, foo: 1}\n- {id: c}\n")
    result = CliRunner().invoke(cli, ["recommend", str(f)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [
        f"{f} record 1 (id 'a'), field 'performance': 'hihg' is not one of low, medium, high (did you mean 'high'?)",
        f"{f} record 2 (id 'b'), field 'foo': unknown field; put organization-specific facts under 'extra'",
    ]
    assert "Traceback" not in result.output


def test_bad_rule_file_prints_located_problems_and_exits_2(tmp_path):
    rules = tmp_path / "bad.yaml"
    rules.write_text("ruleset: x\nrules:\n  - id: a\n    title: t\n    when: {performnce: high}\n"
                     "    recommend: [mentorng]\n")
    result = CliRunner().invoke(cli, ["recommend", "--sample", "--rules", str(rules)])
    assert result.exit_code == 2
    assert f"{rules}:5:12: E110 unknown fact 'performnce' (did you mean 'performance'?)" in result.output
    assert f"{rules}:6:17: E120 unknown intervention 'mentorng' (did you mean 'mentoring'?)" in result.output


def test_duplicate_ids_in_a_people_file(tmp_path):
    f = tmp_path / "people.json"
    f.write_text(json.dumps([{"id": "a"}, {"id": "a"}]))
    result = CliRunner().invoke(cli, ["recommend", str(f)])
    assert result.exit_code == 2 and "duplicate id 'a'" in result.output


@pytest.mark.parametrize("args", [["recommend"], ["recommend", "x.yaml", "--sample"]])
def test_people_file_or_sample_exactly_one(args):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "PEOPLE_FILE or --sample" in result.output


def test_compile_prints_the_json_posted_to_durable():
    result = run("compile")
    assert result.exit_code == 0
    compiled = json.loads(result.output)
    body = next(v for k, v in compiled.items() if not k.endswith(("_team", "_organization")))
    assert body["seen"] == {"all": [{"m": {"t": 1}}], "cap": Engine.default().chunk_size, "run": "rseen"}
    runs = {v["run"] for b in compiled.values() for v in b.values()}
    assert len(runs) == len(Engine.default().rules) + len(compiled)   # one action per rule, a catch-all per scope


def test_jsonl_people_and_as_of(tmp_path):
    f = tmp_path / "people.jsonl"
    f.write_text('{"id": "a", "wellbeing_concern": true}\n\n{"id": "b"}\n')
    result = run("recommend", str(f), "--format", "json", "--as-of", "2026-01-01")
    assert result.exit_code == 0
    out = json.loads(result.output)
    assert [row["person"] for row in out] == ["a", "b"]
    assert "wellbeing-referral" in [r["intervention"] for r in out[0]["recommendations"]]
