"""Raw records become Person, or an error naming the record, field and what was expected."""

import pytest

from devrecs import RecordError, person_from_dict
from devrecs.model import CareerStage, Rating


def error_of(raw, **kw):
    with pytest.raises(RecordError) as info:
        person_from_dict(raw, **kw)
    return str(info.value)


def test_bad_enum_in_a_list_names_the_path_and_the_choices():
    msg = error_of({"id": "p17", "gaps": [{"skill": "vision", "severity": "low"},
                                          {"skill": "vision", "severity": "hihg"}]})
    assert msg.startswith("person 'p17', field 'gaps[1].severity': 'hihg' is not one of low, medium, high")


def test_every_problem_is_reported_at_once():
    msg = error_of({"id": "p2", "level": "three", "performance": "hi",
                    "history": [{"intervention": "mentoring", "date": "2024-13-01", "outcome": "done"}]})
    assert "field 'level': 'three' is not a whole number" in msg
    assert "field 'performance'" in msg
    assert "field 'history[0].date'" in msg
    assert "field 'history[0].outcome': 'done' is not one of recommended, accepted, declined, completed" in msg


def test_unknown_keys_are_rejected_with_a_suggestion_but_extra_is_free():
    assert "field 'performnce': unknown field (did you mean 'performance'?)" in error_of({"id": "x", "performnce": "high"})
    p = person_from_dict({"id": "x", "extra": {"department": "R&D", "anything": [1, 2]}})
    assert p.extra["department"] == "R&D"


def test_missing_id_and_a_record_label():
    assert error_of({"name": "No Id"}, record="people.csv row 4") == "people.csv row 4, field 'id' is required"


def test_values_are_normalised():
    p = person_from_dict({"id": 7, "performance": "High", "level": "3", "wellbeing_concern": "yes",
                          "tenure_years": "4.5"})
    assert p.id == "7" and p.performance is Rating.HIGH and p.level == 3 and p.wellbeing_concern is True


@pytest.mark.parametrize("years, stage", [(0, "early"), (2.9, "early"), (3, "mid"), (9.9, "mid"), (10, "senior")])
def test_career_stage_is_derived_from_tenure_when_absent(years, stage):
    assert person_from_dict({"id": "x", "tenure_years": years}).career_stage == CareerStage(stage)


def test_given_career_stage_wins_over_tenure():
    assert person_from_dict({"id": "x", "tenure_years": 20, "career_stage": "early"}).career_stage == CareerStage.EARLY


@pytest.mark.parametrize("perf, pot, cell", [("high", "low", "deep_pro"), ("high", "high", "star"),
                                             ("low", "low", "underperformer"), ("medium", "high", "high_potential")])
def test_nine_box(perf, pot, cell):
    assert person_from_dict({"id": "x", "performance": perf, "potential": pot}).nine_box == cell
    assert person_from_dict({"id": "x", "performance": perf}).nine_box is None


def test_missing_item_field_is_named_once():
    assert "field 'gaps[0].severity' is required" in error_of({"id": "x", "gaps": [{"skill": "vision"}]})


def test_an_impossible_unquoted_date_in_a_people_file_is_a_clear_error(tmp_path):
    from devrecs.errors import DevrecsError
    from devrecs.intake.peoplefile import read_people_file
    f = tmp_path / "p.yaml"
    f.write_text("- id: a\n  history: [{intervention: mentoring, date: 2025-13-01, outcome: completed}]\n")
    with pytest.raises(DevrecsError, match=r"p.yaml record 1, .*write dates as 'YYYY-MM-DD'"):
        read_people_file(f).people()
