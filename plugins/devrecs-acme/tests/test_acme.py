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
def engine():
    return Engine.default(plugins=[devrecs_acme], entry_points=False)


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
