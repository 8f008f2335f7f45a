"""Lax records (issue 17): negative months, tenure and levels were taken as facts; now each is
refused naming the field, by the fast path and the converter alike."""

import json
import subprocess
import sys

import pytest

from devrecs.errors import RecordError
from devrecs.people import _person_from_dict_cattrs, person_from_dict


@pytest.mark.parametrize("raw,message", [
    ({"months_in_role": -1}, "field 'months_in_role': -1 is negative: expected a whole number from 0"),
    ({"months_since_promotion": "-12"}, "field 'months_since_promotion': '-12' is negative"),
    ({"months_since_promotion": -3.0}, "field 'months_since_promotion': -3.0 is negative"),
    ({"level": -2}, "field 'level': -2 is negative"),
    ({"pipeline": {"status": "participant", "months_waiting": -6}}, "field 'pipeline.months_waiting': -6 is negative"),
    ({"tenure_years": -0.5}, "field 'tenure_years': -0.5 is negative: expected a number of years from 0"),
    ({"tenure_years": "-3"}, "field 'tenure_years': -3.0 is negative"),
    ({"tenure_years": -5e-324}, "field 'tenure_years': -5e-324 is negative"),
])
def test_a_negative_count_of_months_level_or_tenure_is_refused_naming_the_field(raw, message):
    for convert in (person_from_dict, _person_from_dict_cattrs):
        with pytest.raises(RecordError) as caught:
            convert({"id": "p", **raw})
        assert f"person 'p', {message}" in str(caught.value)


def test_zero_is_taken():
    person = person_from_dict({"id": "p", "months_in_role": 0, "level": 0, "tenure_years": -0.0,
                               "pipeline": {"status": "participant", "months_waiting": 0}})
    assert (person.months_in_role, person.level, person.tenure_years, person.pipeline.months_waiting) == (0, 0, 0, 0)


def test_a_batch_rejects_each_lax_record_alone(tmp_path):
    rows = [{"id": "a"}, {"id": "b", "months_in_role": -1}, {"id": "c", "tenure_years": -2},
            {"id": "d", "level": -1}, {"id": "e", "pipeline": {"months_waiting": -1}}, {"id": "f"}]
    source = tmp_path / "people.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rejects = tmp_path / "rejects.jsonl"
    child = subprocess.run([sys.executable, "-c", "from devrecs.cli import cli; cli()", "batch", str(source),
                            "--out", str(tmp_path / "out.jsonl"), "--rejects", str(rejects)],
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == 1, child.stderr
    assert child.stderr.strip().splitlines()[-1] == "6 read, 2 accepted, 4 rejected"
    assert [(r["id"], r["field"]) for r in map(json.loads, rejects.read_text().splitlines())] == [
        ("b", "months_in_role"), ("c", "tenure_years"), ("d", "level"), ("e", "pipeline.months_waiting")]
