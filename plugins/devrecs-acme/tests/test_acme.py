"""The Acme pack: its intervention, its rules on extra facts, its override of a default rule."""

import importlib.metadata
import json

import devrecs_acme
import pytest
from click.testing import CliRunner

from devrecs import Engine
from devrecs.cli import cli

ENGINEER = {"id": "e1", "track": "individual_contributor", "aspiration": "technical",
            "performance": "medium", "extra": {"department": "Engineering"}}


@pytest.fixture()
def engine(monkeypatch):
    monkeypatch.setenv(devrecs_acme.ENV, "on")
    return Engine.default(plugins=[devrecs_acme], entry_points=False)


def test_without_the_switch_the_pack_changes_nothing(monkeypatch):
    # Installed but not switched on: the same rules, the same recommendations as no plugin at all.
    monkeypatch.delenv(devrecs_acme.ENV, raising=False)
    off = Engine.default(plugins=[devrecs_acme], entry_points=False)
    plain = Engine.default(entry_points=False)
    assert [r.id for r in off.rules] == [r.id for r in plain.rules] and off.overrides == ()
    for person in (ENGINEER, dict(ENGINEER, months_in_role=1)):
        assert ids(off.recommend(person)) == ids(plain.recommend(person))


def ids(recs):
    return [r.intervention for r in recs]


def test_the_pack_adds_its_intervention_and_rule(engine):
    assert "acme-guild-membership" in engine.catalog
    assert "acme-guild-membership" in ids(engine.recommend(ENGINEER))
    member = dict(ENGINEER, extra={"department": "Engineering", "guild_member": True})
    assert "acme-guild-membership" not in ids(engine.recommend(member))
    sales = dict(ENGINEER, extra={"department": "Sales"})
    assert "acme-guild-membership" not in ids(engine.recommend(sales))


def test_the_pack_replaces_the_default_learning_time_rule(engine):
    (rule,) = [r for r in engine.rules if r.id == "learning-time-for-everyone"]
    assert rule.ruleset == "acme"
    assert [(o.rule, o.plugin) for o in engine.overrides] == [("learning-time-for-everyone", "devrecs_acme")]
    # the default needed two years in role; Acme gives it to every engineer
    assert "learning-time" in ids(engine.recommend(dict(ENGINEER, months_in_role=1)))
    assert "learning-time" not in ids(Engine.default(entry_points=False).recommend(dict(ENGINEER, months_in_role=1)))


def test_installed_with_pip_it_loads_from_its_entry_point(monkeypatch):
    names = [ep.name for ep in importlib.metadata.entry_points(group="devrecs")]
    if "acme" not in names:
        pytest.skip("devrecs-acme is not installed (pip install ./plugins/devrecs-acme)")
    monkeypatch.delenv("DEVRECS_DISABLE_PLUGINS", raising=False)
    monkeypatch.setenv(devrecs_acme.ENV, "on")
    engine = Engine.default()
    assert "acme-guild-membership" in engine.catalog
    result = CliRunner().invoke(cli, ["plugins", "--format", "json"])
    assert result.exit_code == 0
    acme = [p for p in json.loads(result.output) if p["name"] == "acme"][0]
    assert acme["distribution"] == "devrecs-acme" and acme["version"] == "1.0.0"
    assert acme["interventions"] == ["acme-guild-membership"]
    assert acme["overrides"][0]["rule"] == "learning-time-for-everyone"
    monkeypatch.setenv("DEVRECS_DISABLE_PLUGINS", "acme")
    assert "acme-guild-membership" not in Engine.default().catalog


def test_the_main_job_is_the_same_with_the_example_plugins_installed(monkeypatch):
    # README's test command installs both example plugins next to devrecs; the main job
    # (`devrecs recommend --sample`) must give exactly what a clean install gives.
    monkeypatch.delenv(devrecs_acme.ENV, raising=False)
    monkeypatch.delenv("DEVRECS_LMS_CSV", raising=False)
    monkeypatch.delenv("DEVRECS_DISABLE_PLUGINS", raising=False)
    installed = CliRunner().invoke(cli, ["recommend", "--sample", "--format", "json"])
    monkeypatch.setenv("DEVRECS_DISABLE_PLUGINS", "acme,lms")
    clean = CliRunner().invoke(cli, ["recommend", "--sample", "--format", "json"])
    assert installed.exit_code == 0 and clean.exit_code == 0
    # the same people and recommendations; the provenance differs as it must: the installed
    # plugins add catalog entries, so the rule set hash that each record names is another one
    def decisions(output):
        return [(r["person"], r["recommendations"]) for r in json.loads(output)]
    assert decisions(installed.output) == decisions(clean.output)
    hashes = [{r["ruleset_hash"] for r in json.loads(out.output)} for out in (installed, clean)]
    assert len(hashes[0]) == len(hashes[1]) == 1 and hashes[0] != hashes[1]
