"""Writing a plugin without installing it: --plugin PATH, rule tests scoped to a pack or a
plugin (--coverage-of), isolation from other plugins, diff of packs that replace built-ins,
errors that name the plugin, lint's L107 for plugin interventions (issue 18)."""

import json

import pytest
from click.testing import CliRunner

from devrecs import Engine
from devrecs.authoring.ruletests import default_test_paths, run_tests
from devrecs.cli import cli
from devrecs.plugins.manager import plugin_from_path

PLUGIN = '''\
from pathlib import Path
import devrecs

@devrecs.hookimpl
def devrecs_rule_paths():
    return [Path(__file__).parent / "rules"]

@devrecs.hookimpl
def devrecs_interventions():
    return [{
        "id": "widgets-guild",
        "title": "The widget makers' guild",
        "description": "Monthly meetings of Widgets' engineers who stay technical.",
        "kind": "relationship",
        "subject": "person",
        "audiences": ["employee", "manager", "hr", "executive"],
    }{more}]

@devrecs.hookimpl
def devrecs_enrich_person(person):
    return {{"site": "north"}} if person.id.startswith("n") else None
'''

RULES = """\
ruleset: widgets
rules:
  - id: widgets-guild-for-technical
    title: A guild for engineers who stay technical
    when:
      all:
        - aspiration: technical
        - any: [{extra.site: north}, {extra.site: south}]
    recommend: [widgets-guild]
    priority: 70
    rationale: r
    source: s
  - id: learning-time-for-everyone
    replaces: true
    title: Learning time for every engineer at Widgets
    when: {track: individual_contributor}
    recommend: [learning-time]
    priority: 20
    rationale: r
    source: s
"""

TESTS = """\
plugins: [devrecs_widgets]
as_of: '2026-06-30'
tests:
  - name: a technical engineer in the north joins the guild, and built-in rules still run
    person: {id: n1, aspiration: technical, track: individual_contributor, performance: high,
             potential: low}
    expect:
      include: [widgets-guild, expert-leadership-program]
      fired: [widgets-guild-for-technical, learning-time-for-everyone, deep-expert-leadership-program]
  - name: the south too
    person: {id: s1, aspiration: technical, extra: {site: south}}
    expect: {include: [widgets-guild]}
"""


def make_plugin(tmp_path, name="devrecs_widgets", more="", rules=RULES, tests=TESTS):
    pkg = tmp_path / name
    (pkg / "rules").mkdir(parents=True)
    (pkg / "__init__.py").write_text(PLUGIN.replace("{more}", more).replace("{{", "{").replace("}}", "}"))
    (pkg / "rules" / "widgets.yaml").write_text(rules)
    (tmp_path / "tests").mkdir(exist_ok=True)
    (tmp_path / "tests" / "test_widgets.yaml").write_text(tests)
    return pkg


def run(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)


def test_coverage_of_a_plugin_counts_its_rules_with_the_builtins_loaded(tmp_path):
    pkg = make_plugin(tmp_path)
    result = run("test", "--plugin", pkg, "--coverage-of", "devrecs_widgets", "--min-coverage", "100",
                 tmp_path / "tests")
    assert result.exit_code == 0, result.output
    assert "2 tests: 2 passed, 0 failed" in result.output
    assert "Rule coverage: 2 of 2 rules fired (100.0%); 2 of 2 alternatives of 'any' taken (100.0%)" in result.output
    # without --coverage-of the file's 'plugins' scope coverage the same way
    result = run("test", "--plugin", pkg, "--min-coverage", "100", tmp_path / "tests")
    assert result.exit_code == 0, result.output
    assert "Rule coverage: 2 of 2 rules fired" in result.output


def test_counts_never_double_and_plugin_rules_are_not_built_in(tmp_path):
    pkg = make_plugin(tmp_path)
    plugins = [plugin_from_path(pkg)]
    report = run_tests([*default_test_paths(), tmp_path / "tests"], plugins=plugins)
    assert report.failed == 0 and report.errors == 0, [o.details for o in report.outcomes if not o.passed]
    builtin = Engine.default(entry_points=False).rules
    # every built-in rule, plus the plugin's two (one of them has a built-in id: it is another rule)
    assert report.coverage.rules == len(builtin) + 2
    groups = report.coverage.groups
    assert {r.id for r in groups["plugin 'devrecs_widgets'"]} == {"widgets-guild-for-technical",
                                                                  "learning-time-for-everyone"}
    assert all("devrecs_widgets" not in r.file for r in groups["built-in packs"])
    assert len(groups["built-in packs"]) == len(builtin)
    # the same files twice count once
    again = run_tests([*default_test_paths(), tmp_path / "tests", tmp_path / "tests" / "test_widgets.yaml"],
                      plugins=plugins)
    assert again.coverage.rules == report.coverage.rules


def test_coverage_of_builtin_and_of_a_pack_path_and_an_unknown_name(tmp_path):
    pkg = make_plugin(tmp_path)
    result = run("test", "--plugin", pkg, "--coverage-of", "builtin", tmp_path / "tests")
    assert result.exit_code == 0, result.output
    assert "plugin 'devrecs_widgets'" not in result.output
    result = run("test", "--plugin", pkg, "--coverage-of", pkg / "rules" / "widgets.yaml", tmp_path / "tests")
    assert "Rule coverage: 2 of 2 rules fired" in result.output
    result = run("test", "--plugin", pkg, "--coverage-of", "devrecs_widget", tmp_path / "tests")
    assert result.exit_code == 2
    assert "T123 --coverage-of devrecs_widget" in result.output and "did you mean 'devrecs_widgets'" in result.output


FAILING = '''\
import devrecs

@devrecs.hookimpl
def devrecs_enrich_person(person):
    raise RuntimeError("the HR system is down")
'''


def test_an_isolated_test_file_runs_no_other_plugins_hooks(tmp_path):
    pkg = make_plugin(tmp_path)
    (tmp_path / "broken.py").write_text(FAILING)
    # as in production, the broken plugin breaks the tests
    result = run("test", "--plugin", pkg, "--plugin", tmp_path / "broken.py", tmp_path / "tests")
    assert result.exit_code == 1
    assert "plugin 'broken' failed in devrecs_enrich_person: RuntimeError: the HR system is down" in result.output
    # isolated: only the packs and plugins the file names (the built-in packs when it names 'builtin')
    (tmp_path / "tests" / "test_widgets.yaml").write_text("isolated: true\npacks: [builtin]\n" + TESTS)
    result = run("test", "--plugin", pkg, "--plugin", tmp_path / "broken.py", "--coverage-of", "devrecs_widgets",
                 "--min-coverage", "100", tmp_path / "tests")
    assert result.exit_code == 0, result.output
    # the file names the built-in packs too: without --coverage-of they are counted, under their name
    result = run("test", "--plugin", pkg, "--plugin", tmp_path / "broken.py", tmp_path / "tests")
    assert "plugin 'devrecs_widgets': 2 of 2 rules fired" in result.output
    assert "built-in packs: " in result.output


def test_isolated_without_builtin_leaves_the_built_in_rules_out(tmp_path):
    tests = TESTS.replace("plugins: [devrecs_widgets]", "isolated: true\nplugins: [devrecs_widgets]")
    tests = tests.replace(", expert-leadership-program]", "]").replace(", deep-expert-leadership-program]", "]")
    pkg = make_plugin(tmp_path, tests=tests + (
        "  - name: no built-in rule is there\n"
        "    person: {id: x, performance: high, potential: low, track: individual_contributor}\n"
        "    expect: {exactly: [learning-time]}\n"))
    result = run("test", "--plugin", pkg, tmp_path / "tests")
    assert result.exit_code == 0, result.output
    unknown = tests.replace("plugins: [devrecs_widgets]", "plugins: [devrecs_widget]")
    (tmp_path / "tests" / "test_widgets.yaml").write_text(unknown)
    result = run("test", "--plugin", pkg, tmp_path / "tests")
    assert result.exit_code == 2 and "T122 'plugins' names 'devrecs_widget'" in result.output


def test_validate_and_lint_load_the_plugins_catalog_from_its_path(tmp_path):
    pkg = make_plugin(tmp_path, more=''', {"id": "widgets-unused", "title": "Unused", "description": "d",
        "kind": "relationship", "subject": "person", "audiences": ["hr"]}''')
    pack = pkg / "rules" / "widgets.yaml"
    alone = pack.read_text().replace("  - id: learning-time-for-everyone", "  - id: widgets-learning-time")
    alone = alone.replace("    replaces: true\n", "")
    (tmp_path / "mine.yaml").write_text(alone)
    without = run("validate", tmp_path / "mine.yaml")
    assert without.exit_code == 1 and "E120" in without.output and "widgets-guild" in without.output
    with_plugin = run("validate", "--plugin", pkg, tmp_path / "mine.yaml")
    assert with_plugin.exit_code == 0, with_plugin.output
    # the whole set, the plugin's pack with the built-ins (its override is fine)
    assert run("validate", "--plugin", pkg).exit_code == 0
    linted = run("lint", "--plugin", pkg, tmp_path / "mine.yaml")
    line = next(i for i, text in enumerate((pkg / "__init__.py").read_text().splitlines(), 1)
                if '"widgets-unused"' in text)
    assert (f"{pkg / '__init__.py'}:{line}:1: L107 warning: intervention 'widgets-unused' (Unused) is in the "
            f"catalog but no rule recommends it (plugin 'devrecs_widgets')") in linted.output
    assert "'widgets-guild'" not in linted.output      # a rule brings it


def test_a_problem_in_a_plugins_rule_file_names_the_plugin(tmp_path):
    pkg = make_plugin(tmp_path, rules=RULES.replace("    replaces: true\n", "").replace("aspiration: technical",
                                                                                         "aspiration: technicl"))
    result = run("validate", "--plugin", pkg)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "widgets.yaml" in line]
    assert any("E112" in line for line in lines) and any("E121" in line for line in lines)
    assert all("plugin 'devrecs_widgets'" in line for line in lines), lines


def test_diff_compares_two_versions_of_a_pack_that_replaces_built_ins(tmp_path):
    override = "ruleset: widgets\nrules:\n  - id: learning-time-for-everyone" + RULES.split(
        "  - id: learning-time-for-everyone")[1]
    v1, v2 = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    v1.write_text(override)
    v2.write_text(override.replace("when: {track: individual_contributor}", "when: {track: manager}"))
    result = run("diff", f"builtin,{v1}", f"builtin,{v2}", "--sample", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["rules"]["changed"] == ["learning-time-for-everyone"]
    learning = next(d for d in out["interventions"] if d["intervention"] == "learning-time")
    assert learning["gained"] > 0 and learning["lost"] > 0
    # without 'replaces: true' the same id beside the built-ins is E121, naming both
    (tmp_path / "v3.yaml").write_text(override.replace("    replaces: true\n", ""))
    refused = run("diff", "builtin", f"builtin,{tmp_path / 'v3.yaml'}", "--sample")
    assert refused.exit_code == 2
    assert "E121 rule 'learning-time-for-everyone' of the pack" in refused.output
    assert "has the id of a built-in rule (" in refused.output and "learning.yaml:" in refused.output
    # a plain rule set (no 'builtin') is the whole rule set, as before
    alone = run("diff", f"{v1}", f"{v2}", "--sample", "--format", "json")
    assert alone.exit_code == 0, alone.output


def test_plugin_from_path_takes_a_module_a_package_or_a_project(tmp_path):
    pkg = make_plugin(tmp_path / "project" / "src")
    (tmp_path / "project" / "pyproject.toml").write_text("[project]\nname = 'devrecs-widgets'\n")
    for path in (pkg, tmp_path / "project", pkg / "__init__.py"):
        name, module = plugin_from_path(path)
        assert hasattr(module, "devrecs_interventions")
        assert name == "devrecs_widgets"
    from devrecs.plugins.manager import PluginError
    with pytest.raises(PluginError, match="expected a plugin module"):
        plugin_from_path(tmp_path)


def test_a_plugin_under_development_stands_in_for_the_installed_one(monkeypatch):
    monkeypatch.setenv("DEVRECS_DISABLE_PLUGINS", "")
    from pathlib import Path
    acme = Path(__file__).resolve().parents[1] / "plugins" / "devrecs-acme"
    name, module = plugin_from_path(acme)
    assert name == "acme"             # the installed entry point's name
    engine = Engine.default(plugins=[(name, module)])
    assert "acme-guild-membership" in engine.catalog      # once: no E123 for the same entry twice


pytest_plugins = ["pytester"]


def test_pytest_takes_a_plugin_under_development_and_coverage_of(pytester):
    make_plugin(pytester.path)
    fast = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")
    result = pytester.runpytest(*fast, "--devrecs-plugin", "devrecs_widgets", "--devrecs-coverage-of",
                                "devrecs_widgets", "--devrecs-min-coverage", "100", "tests")
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["Rule coverage: 2 of 2 rules fired (100.0%)*"])
    pytester.makeini("[pytest]\ndevrecs_plugins = devrecs_widgets\n")
    result = pytester.runpytest(*fast, "--devrecs-coverage-of", "builtin", "--devrecs-min-coverage", "100", "tests")
    result.assert_outcomes(passed=2)
    assert result.ret == 1           # two tests do not fire every built-in rule
    result.stdout.fnmatch_lines(["*is below --devrecs-min-coverage 100%*"])
    result = pytester.runpytest(*fast, "--devrecs-coverage-of", "nobody", "tests")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*--devrecs-coverage-of nobody: no rule of the tests' engines comes from*"])


def test_a_files_packs_load_beside_the_builtins_and_count_alone(tmp_path):
    override = "ruleset: mine\nrules:\n  - id: learning-time-for-everyone" + RULES.split(
        "  - id: learning-time-for-everyone")[1]
    (tmp_path / "mine.yaml").write_text(override)
    (tmp_path / "test_mine.yaml").write_text(
        "packs: [mine.yaml]\ntests:\n  - name: my override, and a built-in rule beside it\n"
        "    person: {id: x, track: individual_contributor, performance: high, potential: low}\n"
        "    expect:\n      fired: [learning-time-for-everyone, deep-expert-leadership-program]\n")
    result = run("test", "--min-coverage", "100", tmp_path)
    assert result.exit_code == 0, result.output
    assert "Rule coverage: 1 of 1 rules fired" in result.output
    (tmp_path / "test_mine.yaml").write_text(
        "plugins: [nobody]\ntests:\n  - name: x\n    person: {id: x}\n    expect: {}\n")
    result = run("test", tmp_path)
    assert result.exit_code == 2 and "T122 'plugins' names 'nobody'" in result.output
