"""No input makes durable-rules kill the process (issue 17): each CLI command runs in a child
process on the inputs that made durable die by SIGSEGV on 7cf748f (a float Python writes with
an exponent and no '.', as the first fact of a session), and on records devrecs now refuses;
each exits normally, and a one-process batch rejects each bad record alone."""

import json
import subprocess
import sys

import pytest

# accepted: floats durable once could not read, the first record first
FORMER_CRASHES = [
    {"id": "e1", "compa_ratio": 1e-05, "track": "individual_contributor", "manager_id": "m1"},
    {"id": "g1", "performance": "high", "track": "individual_contributor", "manager_id": "m1"},
    {"id": "e2", "compa_ratio": 3e-308, "tenure_years": 1e-310, "manager_id": "m1"},
    {"id": "e3", "compa_ratio": 1e+16, "extra": {"x": 5e-324}},
    {"id": "m1", "track": "manager", "compa_ratio": 5e-324},
]
# refused where they are read, each naming its field
REFUSED = [
    ({"id": "b-nan", "extra": {"score": float("nan")}}, "extra.score"),
    ({"id": "b-big", "level": 2 ** 64}, "level"),
    ({"id": "b-huge", "extra": {"n": 10 ** 30}}, "extra.n"),
    ({"id": "b-sur", "name": chr(0xD800)}, "name"),
    ({"id": "b-neg", "months_in_role": -1}, "months_in_role"),
    ({"id": "b-inf", "compa_ratio": float("inf")}, "compa_ratio"),
]


def devrecs(*args, cwd):
    child = subprocess.run([sys.executable, "-c", "from devrecs.cli import cli; cli()", *map(str, args)],
                           capture_output=True, text=True, timeout=300, cwd=cwd)
    assert child.returncode >= 0, f"devrecs {' '.join(map(str, args))} died by signal {-child.returncode}"
    assert "Traceback" not in child.stderr, child.stderr[-3000:]
    return child


@pytest.fixture
def people_file(tmp_path):
    path = tmp_path / "people.json"
    path.write_text(json.dumps(FORMER_CRASHES))
    return path


@pytest.mark.parametrize("command", [
    ["recommend", "{people}"], ["recommend", "{people}", "--org", "--format", "json"],
    ["explain", "{people}", "e1"], ["report", "{people}", "--html", "{tmp}/report.html"],
    ["audit", "{people}", "--by", "track"],
])
def test_each_command_survives_the_floats_that_crashed_durable(command, people_file, tmp_path):
    args = [a.format(people=people_file, tmp=tmp_path) for a in command]
    child = devrecs(*args, cwd=tmp_path)
    assert child.returncode == 0, child.stderr[-3000:]


def test_recommend_refuses_a_people_file_with_bad_numbers_or_text_naming_each_field(tmp_path):
    path = tmp_path / "people.json"
    path.write_text(json.dumps(FORMER_CRASHES + [raw for raw, _ in REFUSED]))
    child = devrecs("recommend", path, cwd=tmp_path)
    assert child.returncode == 2
    # a people file is read as YAML, where NaN is the text 'NaN': that record is taken
    for raw, field in REFUSED[1:]:
        assert f"(id '{raw['id']}'), field '{field}'" in child.stderr, child.stderr


def test_a_one_process_batch_rejects_each_bad_record_alone(tmp_path):
    records = [FORMER_CRASHES[0]] + [raw for raw, _ in REFUSED] + FORMER_CRASHES[1:]
    source = tmp_path / "people.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    child = devrecs("batch", source, "--out", tmp_path / "out.jsonl", "--rejects", tmp_path / "rejects.jsonl",
                    cwd=tmp_path)
    assert child.returncode == 1
    assert child.stderr.strip().splitlines()[-1] == f"{len(records)} read, {len(FORMER_CRASHES)} accepted, " \
                                                    f"{len(REFUSED)} rejected"
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [row["person"] for row in out] == [r["id"] for r in FORMER_CRASHES]
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [(r["id"], r["field"]) for r in rejects] == [(raw["id"], field) for raw, field in REFUSED]
