"""Hostile text (issue 17): a lone surrogate (the JSON or YAML escape "\\ud800") is refused where
it is read, naming the field, instead of passing validation and then crashing every output that
writes UTF-8 (the table, JSON, explain, the store, CSV)."""

import json
import re
import subprocess
import sys

import pytest

from devrecs.errors import RecordError
from devrecs.people import person_from_dict
from devrecs.rulefile.parse import parse_text

LONE = chr(0xD800)

RECORDS = [
    ({"id": "p", "name": LONE}, "name"),
    ({"id": "p", "name": "Zoë" + chr(0xDFFF)}, "name"),
    ({"id": "p", "manager_id": "m" + LONE}, "manager_id"),
    ({"id": "p", "interests": ["python", LONE]}, "interests[1]"),
    ({"id": "p", "gaps": [{"skill": LONE, "severity": "low"}]}, "gaps[0].skill"),
    ({"id": "p", "gaps": [{"skill": "vision", "severity": "low", "source": LONE}]}, "gaps[0].source"),
    ({"id": "p", "history": [{"intervention": LONE, "date": "2025-01-01", "outcome": "accepted"}]},
     "history[0].intervention"),
    ({"id": "p", "extra": {"dept": LONE}}, "extra.dept"),
    ({"id": "p", "extra": {"notes": ["ok", {"deep": "x" + LONE}]}}, "extra.notes[1].deep"),
    ({"id": "p", "extra": {LONE: 1}}, "extra.\\ud800"),
    ({"id": LONE}, "id"),
]


@pytest.mark.parametrize("raw,field", RECORDS)
def test_a_record_with_a_lone_surrogate_is_refused_naming_the_field(raw, field):
    with pytest.raises(RecordError) as caught:
        person_from_dict(raw)
    message = str(caught.value)
    assert f"field '{field}': " in message and "lone surrogate" in message
    message.encode("utf-8")          # the error itself can be written out


RULE = """\
ruleset: odd
rules:
  - id: {id}
    title: {title}
    when: {when}
    recommend: [mentoring]
    rationale: {rationale}
"""


@pytest.mark.parametrize("field,line,col", [("id", 3, 9), ("title", 4, 12), ("when", 5, 11),
                                            ("rationale", 7, 16), ("key", 5, 12)])
def test_a_rule_file_with_a_lone_surrogate_is_refused_where_it_is(field, line, col):
    values = {"id": "ok", "title": "Ok", "when": "{extra.dept: RD}", "rationale": "fine"}
    if field == "key":
        values["when"] = '{"extra.d\\ud800": RD}'
    elif field == "when":
        values["when"] = '"extra.dept: \\ud800"'
    else:
        values[field] = '"a\\ud800"'
    parsed, problems = parse_text(RULE.format(**values), "odd.yaml", ["mentoring"])
    # libyaml refuses the escape itself: the column is the escape's, inside the string that starts at col
    assert [(p.line, p.code) for p in problems] == [(line, "E100")], problems
    assert problems[0].col >= col
    assert "lone surrogate" in problems[0].message or "invalid Unicode character escape" in problems[0].message
    str(problems[0]).encode("utf-8")


def devrecs(*args, cwd):
    child = subprocess.run([sys.executable, "-c", "from devrecs.cli import cli; cli()", *map(str, args)],
                           capture_output=True, text=True, timeout=300, cwd=cwd, errors="backslashreplace")
    assert child.returncode >= 0, f"died by signal {-child.returncode}"
    assert "Traceback" not in child.stderr, child.stderr[-3000:]
    return child


@pytest.mark.parametrize("command", [["recommend", "{people}"], ["recommend", "{people}", "--format", "json"],
                                     ["explain", "{people}", "p2"]])
def test_the_cli_reports_the_field_instead_of_crashing_on_output(command, tmp_path):
    people = tmp_path / "people.json"
    people.write_text('[{"id": "p1", "performance": "high"}, {"id": "p2", "name": "A\\ud800", '
                      '"performance": "high", "extra": {"site": "\\udc80"}}]')
    child = devrecs(*[a.format(people=people) for a in command], cwd=tmp_path)
    assert child.returncode == 2, child.stderr
    assert "field 'name': text with a lone surrogate (U+D800, character 2) is not valid Unicode" in child.stderr
    assert "field 'extra.site'" in child.stderr


def test_a_batch_rejects_a_record_with_a_lone_surrogate_alone(tmp_path):
    source = tmp_path / "people.jsonl"
    rows = [{"id": "p1"}, {"id": "p2", "name": LONE}, {"id": "p3", "extra": {"k": ["a", LONE]}}, {"id": "p4"}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.jsonl"
    child = devrecs("batch", source, "--out", out, "--rejects", rejects, cwd=tmp_path)
    assert child.returncode == 1
    assert child.stderr.strip().splitlines()[-1] == "4 read, 2 accepted, 2 rejected"
    assert [(r["id"], r["field"]) for r in map(json.loads, rejects.read_text().splitlines())] == [
        ("p2", "name"), ("p3", "extra.k[1]")]


def test_a_mapping_value_with_a_lone_surrogate_refuses_the_mapping_where_it_is(tmp_path):
    (tmp_path / "people.csv").write_text("Id,Perf\n1,3\n2,4\n")
    (tmp_path / "map.yaml").write_text('id: "x{Id}"\nfacts:\n  performance: {column: Perf, map: {3: medium, 4: high}}\n'
                                       'extra:\n  site: {value: "Ber\\ud800"}\n')
    rejects = tmp_path / "rejects.jsonl"
    child = devrecs("batch", tmp_path / "people.csv", "--mapping", tmp_path / "map.yaml", "--out",
                    tmp_path / "out.jsonl", "--rejects", rejects, cwd=tmp_path)
    # the mapping file is refused before any record is read, at the escape (libyaml's reader)
    assert child.returncode == 2, child.stderr
    assert re.search(r"map.yaml:5:\d+: E100 .*(lone surrogate|invalid Unicode character escape)", child.stderr), \
        child.stderr
    assert "Traceback" not in child.stderr and not (tmp_path / "out.jsonl").exists()
