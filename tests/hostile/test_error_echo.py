"""Errors never quote the raw value of a sensitive field (issue 17, item 10 / small cells):
they name the field and what was expected. A record error can reach any audience (a batch for
executives, a manager's terminal), so this holds whatever --audience says."""

import pytest
import yaml
from click.testing import CliRunner

from devrecs.cli import cli
from devrecs.errors import RecordError
from devrecs.people import person_from_dict

SECRET_BOOL = "yes - burnout, on sick leave"
SECRET_PLAN = "pip since March, 2nd warning"


def _invoke(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("audience", [[], ["--audience", "executive"], ["--audience", "manager"]])
def test_recommend_names_the_field_not_the_value(tmp_path, audience):
    f = tmp_path / "people.yaml"
    f.write_text(yaml.safe_dump({"people": [{"id": "p1", "wellbeing_concern": SECRET_BOOL,
                                             "performance_plan": SECRET_PLAN}]}))
    out = _invoke("recommend", str(f), *audience)
    assert out.exit_code == 2
    assert "burnout" not in out.output and "sick" not in out.output and "March" not in out.output
    assert "field 'wellbeing_concern': the value is not true or false (not shown: a sensitive field)" in out.output
    assert ("field 'performance_plan': the value is not one of none, informal, pip (not shown: a sensitive field)"
            in out.output)


def test_a_batch_reject_line_quotes_no_sensitive_value(tmp_path):
    f = tmp_path / "people.csv"
    f.write_text(f"id,wellbeing_concern,performance_plan\np1,\"{SECRET_BOOL}\",pip\np2,false,\"{SECRET_PLAN}\"\n"
                 f"p3,no,none\n")
    out = _invoke("batch", str(f), "--audience", "executive", "--out", str(tmp_path / "out.jsonl"))
    assert out.exit_code == 1
    assert "burnout" not in out.output and "March" not in out.output
    assert "row 2 (id 'p1'), field 'wellbeing_concern': the value is not true or false" in out.output
    assert "row 3 (id 'p2'), field 'performance_plan': the value is not one of none, informal, pip" in out.output
    assert "3 read, 1 accepted, 2 rejected" in out.output


def test_a_mapped_sensitive_column_is_not_quoted(tmp_path):
    data = tmp_path / "hr.csv"
    data.write_text(f"EmpId,Wb\ne1,\"{SECRET_BOOL}\"\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("id: EmpId\nfacts:\n  wellbeing_concern: {column: Wb, type: bool}\n")
    out = _invoke("batch", str(data), "--mapping", str(mapping), "--audience", "executive",
                  "--out", str(tmp_path / "o.jsonl"))
    assert out.exit_code == 1
    assert "burnout" not in out.output
    assert "field 'wellbeing_concern': the value is not true or false" in out.output


def test_a_near_miss_gets_no_did_you_mean_for_a_sensitive_field():
    with pytest.raises(RecordError) as caught:
        person_from_dict({"id": "p1", "performance_plan": "pipp"})
    assert "pipp" not in str(caught.value) and "did you mean" not in str(caught.value)


def test_other_fields_still_quote_the_value_and_suggest():
    with pytest.raises(RecordError) as caught:
        person_from_dict({"id": "p1", "performance": "hihg"})
    assert "'hihg' is not one of low, medium, high (did you mean 'high'?)" in str(caught.value)
