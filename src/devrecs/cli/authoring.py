"""The rule-authoring commands: validate, lint, test, schema and diff (docs/authoring.md).

Each is a few lines over its library module (authoring/: validate.py, lint.py,
ruletests.py, schema.py, diff.py), imported when the command runs.

Exit codes: 0 clean; 1 problems found (validate), error findings (lint),
failed tests or coverage under ``--min-coverage`` (test), changes with
``--exit-code`` (diff); 2 a usage error, or files that cannot be used.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any, Optional

import click

from ..errors import DevrecsError
from .options import location, open_people, parse_date, read_people, source_options

format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                             show_default=True, help="text for people, json for programs.")


plugin_option = click.option("--plugin", "plugin_paths", multiple=True, type=click.Path(exists=True),
                              metavar="PATH",
                              help="A plugin under development, used without installing it (repeatable): its "
                                   "module (.py), package folder or project folder. It stands in for the "
                                   "installed plugin of the same name.")


def _plugins(paths: tuple[str, ...]) -> list[tuple[str, Any]]:
    """(name, module) of each --plugin PATH; a plugin that fails to import is a usage error."""
    from ..plugins.manager import plugin_from_path
    try:
        return [plugin_from_path(p) for p in paths]
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None


class _Fail(click.ClickException):
    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@plugin_option
@format_option
def validate(paths: tuple[str, ...], plugin_paths: tuple[str, ...], fmt: str) -> None:
    """Check rule files, catalogs and decision tables (default: the built-in packs and the plugins'
    packs): every problem of every file, one per line as file:line:col: CODE message. Exit 1 when
    there is any problem."""
    from ..authoring.validate import check
    plugins = _plugins(plugin_paths)
    try:
        checked = check(list(paths) or None, plugins=plugins)
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(checked.to_dict(), indent=2))
    else:
        for p in checked.problems:
            click.echo(str(p))
        click.echo(checked.summary(), err=not checked.ok)
    if not checked.ok:
        sys.exit(1)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@plugin_option
@format_option
def lint(paths: tuple[str, ...], plugin_paths: tuple[str, ...], fmt: str) -> None:
    """Find rules that are valid but probably wrong (default: the built-in packs): duplicates, rules
    covered by others, contradictions, rules always suppressed, unreachable interventions, suppression
    cycles, missing rationale or source. Exit 1 when a finding is an error (or a file has problems)."""
    from ..authoring.lint import ERROR, lint as run_lint
    try:
        report = run_lint(list(paths) or None, plugins=_plugins(plugin_paths))
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for p in report.checked.problems:
            click.echo(str(p))
        for f in report.findings:
            click.echo(str(f))
        click.echo(report.summary())
    if not report.checked.ok or any(f.severity == ERROR for f in report.findings):
        sys.exit(1)


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--rules", "rules", multiple=True, type=click.Path(),
              help="Run the tests against these rule files or folders (default: what each test file names, "
                   "else the built-in packs).")
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=None,
              help="Fail when fewer than this percent of the rules counted fire in the tests.")
@click.option("--coverage-of", "coverage_of", metavar="PACK_OR_PLUGIN",
              help="Count only the rules of this plugin (its name), pack (a rule file or folder) or "
                   "'builtin' (the built-in packs); the engine still holds everything else.")
@plugin_option
@click.option("--verbose", "-v", is_flag=True, help="List passing tests too.")
@format_option
def test_cmd(paths: tuple[str, ...], rules: tuple[str, ...], min_coverage: Optional[float],
             coverage_of: Optional[str], plugin_paths: tuple[str, ...], verbose: bool, fmt: str) -> None:
    """Run rule tests: PATHS are test files, or folders searched for test_*.yaml (default: the tests of
    the built-in packs). Prints failures with the expected and actual recommendations and the
    explanation, then rule coverage. Exit 1 on a failure or coverage below --min-coverage."""
    from ..authoring.ruletests import RuleTestError, run_tests
    plugins = _plugins(plugin_paths)
    try:
        report = run_tests(list(paths) or None, list(rules) or None, plugins=plugins, coverage_of=coverage_of)
    except RuleTestError as exc:
        raise _Fail(str(exc)) from None
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None
    low = min_coverage is not None and report.coverage.percent < min_coverage
    if fmt == "json":
        out = report.to_dict()
        out["min_coverage"] = min_coverage
        click.echo(json.dumps(out, indent=2))
    else:
        for o in report.outcomes:
            if o.passed and not verbose:
                continue
            click.echo(f"{o.status.upper():<6} {o.test.where}  {o.test.name}")
            for line in o.details:
                click.echo(f"       {line}")
        click.echo(report.summary())
        for line in report.coverage.report():
            click.echo(line)
        if low:
            click.echo(f"Rule coverage {report.coverage.percent:.1f}% is below --min-coverage {min_coverage:g}%")
    if report.failed or report.errors or low:
        sys.exit(1)


@click.command()
@click.option("--kind", type=click.Choice(["rules", "tests"]), default="rules", show_default=True,
              help="rules: rule and catalog files; tests: rule-test files.")
def schema(kind: str) -> None:
    """Print the JSON Schema of rule files (or rule-test files) for editor completion. Save it and
    add '# yaml-language-server: $schema=<the file>' at the top of your YAML files."""
    from ..authoring.schema import schema_json
    click.echo(schema_json(kind))


@click.command()
@click.argument("old")
@click.argument("new")
@click.argument("people_file", required=False)
@click.option("--sample", is_flag=True, help="Use the built-in sample organization as the population.")
@source_options
@click.option("--examples", type=click.IntRange(min=0), default=3, show_default=True,
              help="Examples shown per intervention and direction.")
@click.option("--cap", type=click.IntRange(min=0), default=5, show_default=True,
              help="Most items a person gets for themself (both rule sets).")
@click.option("--as-of", "as_of", help="Run date YYYY-MM-DD (default: the file's as_of, else today).")
@click.option("--exit-code", is_flag=True, help="Exit 1 when anyone's recommendations change.")
@plugin_option
@format_option
def diff(old: str, new: str, people_file: Optional[str], sample: bool, mapping: Optional[str],
         source_name: Optional[str], table: Optional[str], query: Optional[str], examples: int, cap: int,
         as_of: Optional[str], exit_code: bool, plugin_paths: tuple[str, ...], fmt: str) -> None:
    """Who gains and who loses which intervention when the rules OLD become NEW, over the people in
    PEOPLE_FILE (or --sample). OLD and NEW are rule files or folders (several: separate them with
    commas); 'builtin' stands for the built-in packs with the installed plugins' packs (and any
    --plugin). 'builtin,PACK' is PACK beside them, as a plugin's pack: its rules with
    'replaces: true' replace built-in ones."""
    from ..authoring.diff import diff as run_diff, engine_for_spec
    where = location(people_file, sample)
    day = parse_date(as_of)
    plugins = _plugins(plugin_paths)

    def engine(spec: str) -> Any:
        return engine_for_spec(spec, cap=cap, plugins=plugins)

    try:
        before = engine(old)
        opened = open_people(before, where, mapping, source_name, table, query)
        people = read_people(opened)
        result = run_diff(before, engine(new), people, day or opened.as_of or dt.date.today(),
                          old_label=old, new_label=new, examples=examples)
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None
    click.echo(json.dumps(result.to_dict(), indent=2) if fmt == "json" else result.text())
    if exit_code and result.changed:
        sys.exit(1)


__all__ = ["diff", "lint", "schema", "test_cmd", "validate"]
