"""Plugins: every hook works, conflicts and failures are named, built-ins are plugins too."""

import importlib.metadata
import inspect
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import devrecs
from devrecs import Engine, RuleFileError
from devrecs.cli import cli
from devrecs.plugins import hookspecs, manager as plugin_hooks

ROOT = Path(__file__).resolve().parents[1]
HOOKS = sorted(n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("devrecs_"))
class Pack:
    def __init__(self, path):
        self.path = path

    @devrecs.hookimpl
    def devrecs_rule_paths(self):
        return [self.path]


class Catalog:
    def __init__(self, *ids):
        self.ids = ids

    @devrecs.hookimpl
    def devrecs_interventions(self):
        return [{"id": i, "title": i, "description": "d", "kind": "career", "subject": "person",
                 "audiences": ["employee", "hr"]} for i in self.ids]


def rule_file(tmp_path, rule_id, intervention, when="{performance: high}", name="p.yaml"):
    path = tmp_path / name
    path.write_text(f"ruleset: {name}\nrules:\n  - id: {rule_id}\n    title: T\n    when: {when}\n"
                    f"    recommend: [{intervention}]\n    rationale: r\n    source: s\n")
    return path


def test_every_hook_is_documented_with_an_example():
    docs = (ROOT / "docs" / "plugins.md").read_text()
    for hook in HOOKS:
        assert re.search(rf"^#+ .*`{hook}", docs, re.M), f"docs/plugins.md has no section for {hook}"
        assert f"def {hook}(" in docs, f"docs/plugins.md has no example of {hook}"


def test_every_hook_has_a_test_here():
    me = Path(__file__).read_text()
    for hook in HOOKS:
        assert me.count(hook) >= 2, hook


def test_builtins_are_plugins_and_can_be_listed():
    hooks = plugin_hooks.Plugins.load(entry_points=False)
    names = {n for n, _ in hooks.pm.list_name_plugin()}
    assert {"devrecs.rules", "devrecs.formats", "devrecs.sources"} <= names
    assert set(hooks.formats()) == {"text", "json", "markdown"}
    assert {"csv", "json", "jsonl", "yaml", "sql"} <= set(hooks.sources())


def test_devrecs_rule_paths_and_devrecs_interventions(tmp_path):
    pack = Pack(rule_file(tmp_path, "mine", "my-thing"))
    engine = Engine.default(plugins=[("mine", pack), ("cat", Catalog("my-thing"))], entry_points=False)
    assert "my-thing" in [r.intervention for r in engine.recommend({"id": "a", "performance": "high"})]


def test_a_plugin_rule_replaces_the_default_rule_with_its_id(tmp_path):
    path = rule_file(tmp_path, "strengths-coaching", "mentoring", when="{level: {ge: 99}}")
    with pytest.raises(RuleFileError, match=r"rule 'strengths-coaching' of plugin 'override' has the id of a "
                                            r"built-in rule .*add 'replaces: true'"):
        Engine.default(plugins=[("override", Pack(path))], entry_points=False)
    path.write_text(path.read_text().replace("    title: T\n", "    title: T\n    replaces: true\n"))
    engine = Engine.default(plugins=[("override", Pack(path))], entry_points=False)
    (rule,) = [r for r in engine.rules if r.id == "strengths-coaching"]
    assert rule.file.endswith("p.yaml")
    assert [(o.rule, o.plugin) for o in engine.overrides] == [("strengths-coaching", "override")]
    described = {p["name"]: p for p in engine.plugins.describe(engine.overrides)}
    assert described["override"]["overrides"][0]["rule"] == "strengths-coaching"


def test_two_plugins_with_the_same_rule_id_is_an_error_naming_both(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = Pack(rule_file(tmp_path / "a", "same", "mentoring"))
    b = Pack(rule_file(tmp_path / "b", "same", "coaching"))
    with pytest.raises(RuleFileError, match=r"duplicate rule id 'same'.*plugins one and two"):
        Engine.default(plugins=[("one", a), ("two", b)], entry_points=False)


def test_two_plugins_defining_one_intervention_is_an_error_naming_both():
    with pytest.raises(RuleFileError, match=r"'twin' is defined by both plugin one .* and plugin two"):
        Engine.default(plugins=[("one", Catalog("twin")), ("two", Catalog("twin"))], entry_points=False)
    with pytest.raises(RuleFileError, match=r"'mentoring' is defined by both"):
        Engine.default(plugins=[("one", Catalog("mentoring"))], entry_points=False)


def test_a_plugin_that_raises_in_a_rule_or_catalog_hook_is_named():
    class Broken:
        @devrecs.hookimpl
        def devrecs_interventions(self):
            raise ValueError("no catalog today")

    with pytest.raises(plugin_hooks.PluginError,
                       match="plugin 'broken' failed in devrecs_interventions: ValueError: no catalog today"):
        Engine.default(plugins=[("broken", Broken())], entry_points=False)

    class BrokenPack:
        @devrecs.hookimpl
        def devrecs_rule_paths(self):
            raise OSError("disk gone")

    with pytest.raises(plugin_hooks.PluginError, match="plugin 'pack' failed in devrecs_rule_paths"):
        Engine.default(plugins=[("pack", BrokenPack())], entry_points=False)


def test_a_plugin_that_fails_to_import_is_named(monkeypatch):
    class FakeEntryPoint:
        name, value, dist = "ghost", "ghost_module:plugin", None

        def load(self):
            raise ImportError("No module named 'ghost_module'")

    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group=None: [FakeEntryPoint()])
    monkeypatch.setenv("DEVRECS_DISABLE_PLUGINS", "")
    with pytest.raises(plugin_hooks.PluginError, match=r"plugin 'ghost' \(ghost_module:plugin\) failed to import"):
        Engine.default()
    result = CliRunner().invoke(cli, ["recommend", "--sample"])
    assert result.exit_code == 2 and "plugin 'ghost'" in result.output and "Traceback" not in result.output
    monkeypatch.setenv("DEVRECS_DISABLE_PLUGINS", "ghost")
    assert Engine.default().rules


def test_devrecs_enrich_person_merges_facts_and_history(tmp_path):
    class Enricher:
        @devrecs.hookimpl
        def devrecs_enrich_person(self, person):
            if person.id == "a":
                return {"badge": "gold", "history": [{"intervention": "mentoring", "date": "2026-01-02",
                                                      "outcome": "completed"}]}
            return None

    rules = rule_file(tmp_path, "gold", "mentoring", when="{extra.badge: gold}")
    engine = Engine.from_paths([rules], plugins=[("e", Enricher())], entry_points=False, as_of=None)
    ev = engine.evaluate({"id": "a"}, as_of=__import__("datetime").date(2026, 6, 30))
    assert ev.person.extra == {"badge": "gold"} and ev.person.history[0].intervention == "mentoring"
    assert [r.step for r in ev.resolution.removed] == ["cooldown"]     # the history reached the cooldown
    assert engine.evaluate({"id": "b"}).fired == ()


def test_devrecs_register_formats_adds_a_format_for_explain():
    class Shout:
        def render(self, explanation):
            return f"{explanation.person.upper()}: {len(explanation.items)} ITEMS"

    class Formats:
        @devrecs.hookimpl
        def devrecs_register_formats(self, register):
            register("shout", Shout())

    hooks = plugin_hooks.Plugins.load([("f", Formats())], entry_points=False)
    assert set(hooks.formats()) == {"text", "json", "markdown", "shout"}
    engine = Engine.default(plugins=[("f", Formats())], entry_points=False)
    renderer = engine.formats()["shout"]
    assert renderer.render(engine.explain({"id": "p", "wellbeing_concern": True})) == "P: 1 ITEMS"


def test_devrecs_register_sources_adds_a_source():
    class Fixed:
        def __init__(self, location, **options):
            self.location = location

        def __iter__(self):
            yield "fixed record 1", {"id": "f1", "performance": "high"}

    class Sources:
        @devrecs.hookimpl
        def devrecs_register_sources(self, register):
            register("fixed", Fixed)

    found = plugin_hooks.Plugins.load([("s", Sources())], entry_points=False).sources()
    assert list(found["fixed"]("anywhere")) == [("fixed record 1", {"id": "f1", "performance": "high"})]


def test_devrecs_recommendations_made_sinks_and_a_failing_sink(tmp_path):
    seen = []

    class Good:
        @devrecs.hookimpl
        def devrecs_recommendations_made(self, subject, recommendations, audience):
            seen.append((subject, len(recommendations), audience))

    class Bad:
        @devrecs.hookimpl
        def devrecs_recommendations_made(self, subject):
            raise RuntimeError("ticket system down")

    engine = Engine.default(plugins=[("good", Good()), ("bad", Bad())], entry_points=False)
    failures = engine.notify("p1", engine.recommend({"id": "p1", "wellbeing_concern": True}), "hr")
    assert seen == [("p1", 1, "hr")]
    assert failures == ["plugin 'bad' failed in devrecs_recommendations_made for p1: RuntimeError: ticket system down"]


def test_disable_plugins_by_name(monkeypatch, tmp_path):
    pack = Pack(rule_file(tmp_path, "mine", "mentoring", when="{level: {ge: 99}}"))
    monkeypatch.setenv("DEVRECS_DISABLE_PLUGINS", "mine")
    assert "mine" not in [r.id for r in Engine.default(plugins=[("mine", pack)], entry_points=False).rules]
    monkeypatch.setenv("DEVRECS_DISABLE_PLUGINS", "")
    assert "mine" in [r.id for r in Engine.default(plugins=[("other", pack)], entry_points=False).rules]


def test_devrecs_plugins_command_lists_builtins():
    result = CliRunner().invoke(cli, ["plugins", "--format", "json"])
    assert result.exit_code == 0
    found = {p["name"]: p for p in json.loads(result.output)}
    assert found["devrecs.rules"]["hooks"] == ["devrecs_rule_paths"]
    assert found["devrecs.formats"]["version"] == devrecs.__version__


def test_testing_helpers_for_plugin_authors(tmp_path):
    from devrecs.authoring.ruletests import engine_with, make_person
    pack = Pack(rule_file(tmp_path, "mine", "my-thing"))
    engine = engine_with(("mine", pack), ("cat", Catalog("my-thing")))
    person = make_person(performance="high")
    assert person.id == "person" and "my-thing" in [r.intervention for r in engine.recommend(person)]
