"""The devrecs pytest plugin (entry point ``pytest11: devrecs``).

With devrecs installed, ``pytest`` in a folder of rule tests collects every
``test_*.yaml`` file whose top has ``tests:`` (ruletests.py) as test items,
one per test, and offers two fixtures for tests written in Python:

- ``devrecs_engine``: an Engine (session-wide) on the rules named by the
  ``devrecs_rules`` ini option (paths relative to the ini file), else the
  built-in packs;
- ``make_person``: ``make_person(track="manager", months_in_role=3)`` gives
  a validated Person (``id`` defaults to "person").

Options: ``--devrecs-coverage`` prints rule coverage after the run;
``--devrecs-min-coverage N`` also fails the run below N percent;
``--devrecs-coverage-of PACK_OR_PLUGIN`` counts only that plugin's or
pack's rules (as ``devrecs test --coverage-of``); ``--devrecs-plugin PATH``
(or the ini option ``devrecs_plugins``, paths relative to the ini file)
loads a plugin under development without installing it. The ini option
``devrecs_rule_tests = false`` stops the collection of YAML files.

This module imports devrecs itself only when it is needed, so having the
plugin installed costs nothing to projects that do not use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pytest

_STATE = pytest.StashKey[dict]()


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("devrecs", "devrecs rule tests")
    group.addoption("--devrecs-coverage", action="store_true", default=False,
                    help="print the rule coverage of the YAML rule tests")
    group.addoption("--devrecs-min-coverage", type=float, default=None, metavar="N",
                    help="fail when fewer than N percent of the rules fired in the YAML rule tests")
    group.addoption("--devrecs-coverage-of", default=None, metavar="PACK_OR_PLUGIN",
                    help="count only the rules of this plugin (its name), pack (a path) or 'builtin'")
    group.addoption("--devrecs-plugin", action="append", default=[], metavar="PATH",
                    help="a plugin under development (module, package or project folder), used "
                         "without installing it (repeatable)")
    parser.addini("devrecs_plugins", type="linelist", default=[],
                  help="plugins under development (paths relative to the ini file), as --devrecs-plugin")
    parser.addini("devrecs_rules", type="linelist", default=[],
                  help="rule files or folders for YAML rule tests without 'rules:' and for the "
                       "devrecs_engine fixture (default: the built-in packs)")
    parser.addini("devrecs_rule_tests", type="bool", default=True,
                  help="collect test_*.yaml rule-test files (default: true)")


def _state(config: Any) -> dict:
    if _STATE not in config.stash:
        config.stash[_STATE] = {}
    return config.stash[_STATE]


def _ini_rules(config: Any) -> Optional[list[Path]]:
    lines = config.getini("devrecs_rules")
    if not lines:
        return None
    base = Path(config.inipath).parent if config.inipath else Path(config.rootpath)
    return [base / line for line in lines]


def _dev_plugins(config: Any) -> list:
    state = _state(config)
    if "plugins" not in state:
        from ..plugins.manager import plugin_from_path
        base = Path(config.inipath).parent if config.inipath else Path(config.rootpath)
        paths = list(config.getoption("devrecs_plugin")) + [str(base / line)
                                                             for line in config.getini("devrecs_plugins")]
        state["plugins"] = [plugin_from_path(p) for p in paths]
    return state["plugins"]


def _runner(config: Any) -> Any:
    state = _state(config)
    if "runner" not in state:
        from .ruletests import Runner
        state["runner"] = Runner(plugins=_dev_plugins(config), coverage_of=config.getoption("devrecs_coverage_of"))
        state["ini_rules"] = _ini_rules(config)
    return state["runner"]


def pytest_collect_file(file_path: Path, parent: Any) -> Optional[Any]:
    if file_path.suffix not in (".yaml", ".yml") or not file_path.name.startswith("test_"):
        return None
    if not parent.config.getini("devrecs_rule_tests"):
        return None
    from .ruletests import is_test_file
    if not is_test_file(file_path):
        return None
    return YamlRuleTestFile.from_parent(parent, path=file_path)


class RuleTestFileProblem(Exception):
    """A rule-test file (or the rules it names) has problems: reported as a collection error."""


class RuleTestFailed(Exception):
    """A YAML rule test failed: its details are the report."""


class YamlRuleTestFile(pytest.File):
    def collect(self) -> Any:
        from .ruletests import load_test_file
        runner = _runner(self.config)
        tf = load_test_file(self.path)
        if tf.rules is None and _state(self.config).get("ini_rules"):
            import attrs
            tf = attrs.evolve(tf, rules=tuple(_state(self.config)["ini_rules"]))
        problems = list(tf.problems)
        if not problems:
            try:
                runner.engine_for(tf)
            except Exception as exc:      # RuleTestError: the rule files' problems
                problems = list(getattr(exc, "problems", [exc]))
        if problems:
            raise RuleTestFileProblem("\n".join(str(p) for p in problems))
        for test in tf.tests:
            yield YamlRuleTest.from_parent(self, name=test.name, rule_test=test, test_file=tf)

    def repr_failure(self, excinfo: Any, style: Any = None) -> Any:
        if isinstance(excinfo.value, RuleTestFileProblem):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)


class YamlRuleTest(pytest.Item):
    def __init__(self, *, rule_test: Any, test_file: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.rule_test = rule_test
        self.test_file = test_file

    def runtest(self) -> None:
        outcome = _runner(self.config).run(self.test_file, self.rule_test)
        if not outcome.passed:
            raise RuleTestFailed("\n".join(outcome.details))

    def repr_failure(self, excinfo: Any, style: Any = None) -> Any:
        if isinstance(excinfo.value, RuleTestFailed):
            return f"{self.rule_test.where}: {self.rule_test.name}\n{excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Any, int, str]:
        return self.path, self.rule_test.line - 1, f"rule test: {self.rule_test.name}"


@pytest.fixture(scope="session")
def devrecs_engine(request: Any) -> Any:
    """An Engine on the ``devrecs_rules`` ini option's rules, else the built-in packs, with the
    plugins under development (``--devrecs-plugin``, ``devrecs_plugins``)."""
    from ..app import Engine
    rules = _ini_rules(request.config)
    plugins = _dev_plugins(request.config)
    return Engine.from_paths(rules, plugins=plugins) if rules else Engine.default(plugins=plugins)


@pytest.fixture
def make_person() -> Any:
    """A factory of validated people: make_person(track='manager', engagement='low')."""
    from .ruletests import make_person as factory
    return factory


def pytest_terminal_summary(terminalreporter: Any, exitstatus: Any, config: Any) -> None:
    state = _state(config)
    runner = state.get("runner")
    if runner is None or (not runner.coverage.sets and not state.get("below")):
        return
    wanted = (config.getoption("devrecs_coverage") or config.getoption("devrecs_min_coverage") is not None
              or config.getoption("devrecs_coverage_of") is not None)
    if not wanted:
        return
    terminalreporter.section("devrecs rule coverage")
    for line in runner.coverage.report():
        terminalreporter.write_line(line)
    if state.get("below"):
        terminalreporter.write_line(state["below"])


def pytest_sessionfinish(session: Any, exitstatus: Any) -> None:
    minimum = session.config.getoption("devrecs_min_coverage")
    runner = _state(session.config).get("runner")
    what = session.config.getoption("devrecs_coverage_of")
    if what is not None and runner is not None and not runner.coverage.rules:
        _state(session.config)["below"] = (f"FAIL: --devrecs-coverage-of {what}: no rule of the tests' engines "
                                           f"comes from this pack or plugin")
        if session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    if minimum is None or runner is None or not runner.coverage.sets:
        return
    if runner.coverage.percent < minimum:
        _state(session.config)["below"] = (f"FAIL: rule coverage {runner.coverage.percent:.1f}% is below "
                                           f"--devrecs-min-coverage {minimum:g}%")
        if session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
