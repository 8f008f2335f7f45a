"""History and the store follow the audience matrix (issue 17, item 6).

A wellbeing referral in a person's history (or recorded in the store) is
health data: hidden from managers and executives. A performance advisor is
hidden from executives. Twins that differ only in such an entry must give
the same bytes for that audience: the recommendations as JSON, explain (text
and JSON), the decision log line and (tests/hostile/test_executive_report.py)
the report. No oracle: the tests compare the twins' outputs with each other,
not with an expected list.
"""

import datetime as dt
import json
import re

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st
from strategies import AS_OF, people

from devrecs import Engine
from devrecs.audience import masked
from devrecs.cli import cli
from devrecs.oversight.decisionlog import DecisionLog
from devrecs.oversight.store import Store

DAY = "2026-06-30"
# someone two years in role with nothing recorded: learning-time-for-everyone fires unless the
# history shows development accepted or completed in the last year
BASE = {"id": "p1", "name": "Pat", "track": "individual_contributor", "level": 3, "career_stage": "mid",
        "performance": "medium", "potential": "medium", "aspiration": "undecided", "months_in_role": 30,
        "engagement": "medium", "manager_id": "m1",
        "history": [{"intervention": "mentoring", "date": "2022-01-10", "outcome": "completed"}]}
HIDDEN = {"manager": ["wellbeing-referral"], "executive": ["wellbeing-referral", "performance-advisor"]}
CASES = [(audience, intervention) for audience, found in HIDDEN.items() for intervention in found]


def _with_entry(intervention, outcome="accepted", date="2026-03-01"):
    return dict(BASE, history=BASE["history"] + [{"intervention": intervention, "date": date, "outcome": outcome}])


def _write(tmp_path, name, person):
    path = tmp_path / name
    path.mkdir(exist_ok=True)
    f = path / "people.yaml"
    f.write_text(yaml.safe_dump({"as_of": DAY, "people": [person]}))
    return str(f)


def _run(*args):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("audience,intervention", CASES)
def test_recommend_json_is_the_same_for_twins_differing_in_a_hidden_history_entry(tmp_path, audience, intervention):
    plain = _write(tmp_path, "a", BASE)
    twin = _write(tmp_path, "b", _with_entry(intervention))
    out_plain = _run("recommend", plain, "--audience", audience, "--format", "json")
    out_twin = _run("recommend", twin, "--audience", audience, "--format", "json")
    assert out_plain == out_twin
    assert intervention not in out_twin


@pytest.mark.parametrize("audience,intervention", CASES)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_explain_is_the_same_for_twins(tmp_path, audience, intervention, fmt):
    plain = _write(tmp_path, "a", BASE)
    twin = _write(tmp_path, "b", _with_entry(intervention))
    for extra in ([], ["--intervention", "learning-time"], ["--intervention", intervention]):
        a = _run("explain", plain, "p1", "--audience", audience, "--format", fmt, *extra)
        b = _run("explain", twin, "p1", "--audience", audience, "--format", fmt, *extra)
        assert a == b, extra
        if not extra or extra[1] == "learning-time":
            assert intervention not in b


@pytest.mark.parametrize("audience,intervention", CASES)
def test_the_decision_log_line_is_the_same_for_twins(tmp_path, audience, intervention):
    engine = Engine.default(as_of=AS_OF)
    now = dt.datetime(2026, 6, 30, 12, tzinfo=dt.timezone.utc)
    lines = []
    for person in (BASE, _with_entry(intervention)):
        log = DecisionLog(str(tmp_path / "log.jsonl"), ruleset_hash=engine.ruleset_hash, audience=audience,
                          as_of=AS_OF, run_id="run-1", cap=engine.cap)
        with log:
            lines.append(json.dumps(log.entry("p1", engine.recommend_for(person, audience, AS_OF), now=now)))
    assert lines[0] == lines[1]


@pytest.mark.parametrize("audience,intervention", CASES)
def test_the_cli_log_is_the_same_for_twins(tmp_path, audience, intervention):
    logs = []
    for name, person in (("a", BASE), ("b", _with_entry(intervention))):
        f = _write(tmp_path, name, person)
        log = tmp_path / name / "log.jsonl"
        _run("recommend", f, "--audience", audience, "--log", str(log))
        logs.append(_normal_log(log.read_text()))
    assert logs[0] == logs[1]


def _normal_log(text):
    return [{k: v for k, v in json.loads(line).items() if k not in ("time", "run")} for line in text.splitlines()]


@pytest.mark.parametrize("audience,intervention", CASES)
def test_an_outcome_in_the_store_is_hidden_as_history_is(tmp_path, audience, intervention):
    """Twin stores: one holds an accepted wellbeing referral (or performance advisor) for p1."""
    f = _write(tmp_path, "people", BASE)
    outputs = []
    for name, record in (("plain", False), ("twin", True)):
        url = str(tmp_path / f"{name}.db")
        Store(url).close()
        if record:
            _run("record", "p1", intervention, "--outcome", "accepted", "--by", "hr-1", "--date", "2026-03-01",
                 "--store", url)
        rec = _run("recommend", f, "--audience", audience, "--format", "json", "--store", url)
        why = _run("explain", f, "p1", "--audience", audience, "--format", "json", "--store", url,
                   "--intervention", "learning-time")
        outputs.append((rec, why))
    assert outputs[0] == outputs[1]


def test_hr_and_the_employee_still_see_the_referral_in_history(tmp_path):
    """The person and HR may see health data: their view keeps the entry (and its cooldown)."""
    twin = _write(tmp_path, "b", _with_entry("wellbeing-referral"))
    plain = _write(tmp_path, "a", BASE)
    for audience in ("hr", "employee"):
        a = _run("explain", plain, "p1", "--audience", audience, "--format", "json", "--intervention", "learning-time")
        b = _run("explain", twin, "p1", "--audience", audience, "--format", "json", "--intervention", "learning-time")
        assert a != b
        assert "wellbeing-referral" in b


def test_masked_history_keeps_what_the_audience_may_see_and_unknown_ids():
    engine = Engine.default(as_of=AS_OF)
    person = engine.prepare(dict(BASE, history=[
        {"intervention": "wellbeing-referral", "date": "2026-03-01", "outcome": "accepted"},
        {"intervention": "mentoring", "date": "2026-02-01", "outcome": "completed"},
        {"intervention": "our-own-course", "date": "2026-01-01", "outcome": "completed"},
        {"intervention": "career-conversation", "date": "2026-01-02", "outcome": "declined"},
        {"intervention": "performance-advisor", "date": "2026-01-05", "outcome": "accepted"}]))
    seen = {a: sorted(h.intervention for h in masked(person, a, engine.catalog).history)
            for a in ("employee", "manager", "hr", "executive")}
    assert seen["hr"] == seen["employee"] == sorted(h.intervention for h in person.history)
    assert seen["manager"] == ["career-conversation", "mentoring", "our-own-course", "performance-advisor"]
    assert seen["executive"] == ["career-conversation", "mentoring", "our-own-course"]
    # without a catalog the built-in one decides
    assert sorted(h.intervention for h in masked(person, "manager").history) == seen["manager"]


ENGINE = None


def _engine():
    global ENGINE
    if ENGINE is None:
        ENGINE = Engine.default(as_of=AS_OF)
    return ENGINE


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person=people(pid="p1"), audience_entry=st.sampled_from(CASES),
       outcome=st.sampled_from(["recommended", "accepted", "declined", "completed"]),
       days_ago=st.integers(0, 800))
def test_property_a_hidden_history_entry_never_changes_what_the_audience_gets(person, audience_entry, outcome,
                                                                               days_ago):
    audience, intervention = audience_entry
    engine = _engine()
    twin = dict(person, history=list(person.get("history", [])) + [
        {"intervention": intervention, "date": (AS_OF - dt.timedelta(days=days_ago)).isoformat(),
         "outcome": outcome}])
    a = [r.to_dict() for r in engine.recommend_for(person, audience, AS_OF)]
    b = [r.to_dict() for r in engine.recommend_for(twin, audience, AS_OF)]
    assert a == b
    ea = engine.explain(person, None, audience, AS_OF).to_dict()
    eb = engine.explain(twin, None, audience, AS_OF).to_dict()
    assert ea == eb
    assert not re.search(re.escape(intervention), json.dumps(b) + json.dumps(eb))
