"""The devrecs command line: the group, its commands loaded when they run, and exit codes.

What this package holds: click commands that parse options and call the
library's application layer (devrecs.app) and renderers; no use case lives
here. Each command module imports click and cli.options only at the top;
the library is imported inside the command, so ``devrecs --help`` and every
command load only what they use.

Exit codes: 0 success; 1 (batch) some records were rejected, (authoring
commands) problems found; 2 a usage, rule-file, plugin or input error (one
line per problem, never a traceback); 3 the run was cut short (disk full,
interrupted), with a last line saying what was written.
"""

from __future__ import annotations

import importlib
from typing import Any, Optional

import click

# command name -> (module under devrecs.cli, function name, one-line help shown by --help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "recommend": ("run", "recommend", "Recommend development for every person of a source."),
    "explain": ("run", "explain", "Explain why a person gets (or does not get) development, for an audience."),
    "batch": ("run", "batch", "Recommend for every record of a source, streamed, with rejects."),
    "record": ("oversight", "record", "Record what a person did with a proposed intervention."),
    "replay": ("oversight", "replay", "What would change for the people in a decision log under new rules."),
    "review": ("review", "review", "Review proposals before release; contest an item or a fact, and correct it."),
    "person": ("person", "person", "One person's data in the store and the logs: export or erase it."),
    "log": ("log", "log", "Decision logs: verify the hash chain across rotated files."),
    "store": ("oversight", "store_cmd", "The store's retention period: set it, and prune what is older."),
    "report": ("oversight", "report", "Write an organization report with charts to an HTML file."),
    "audit": ("oversight", "audit", "Who gets which development, by group: shares, ratios and exact tests."),
    "plugins": ("run", "plugins_cmd", "List plugins: hooks, rule packs, interventions, overrides."),
    "compile": ("run", "compile_cmd", "Print the durable-rules JSON that rules compile to."),
    "validate": ("authoring", "validate", "Check rule files, catalogs and decision tables."),
    "lint": ("authoring", "lint", "Find rules that are valid but probably wrong."),
    "test": ("authoring", "test_cmd", "Run rule tests and report rule coverage."),
    "schema": ("authoring", "schema", "Print the JSON Schema of rule files or rule-test files."),
    "diff": ("authoring", "diff", "Who gains and who loses which intervention when rules change."),
    "serve": ("serve", "serve", "Answer recommendations and explanations over HTTP (needs devrecs[serve])."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when one is run (its help text is listed here)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, short) for name, (_, _, short) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        from ..batch.stopping import handlers
        from ..errors import DevrecsError, RunCutShort
        try:
            with handlers():           # SIGINT and SIGTERM stop a run between whole rows
                return super().invoke(ctx)
        except RunCutShort as exc:     # the run stopped part way: what was written, and where
            click.echo(str(exc), err=True)
            ctx.exit(3)
        except DevrecsError as exc:   # one line per problem, exit 2, never a traceback
            click.echo(str(exc), err=True)
            ctx.exit(2)
        except KeyboardInterrupt as exc:
            why = str(exc) or "SIGINT"
            click.echo(f"interrupted ({why}): the command stopped before it finished; nothing it would "
                       f"have printed after this is complete, and a store run it started is marked "
                       f"unfinished", err=True)
            ctx.exit(3)
        except OSError as exc:         # e.g. the disk full while writing (--html, --log)
            click.echo(f"stopped: {exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else ""),
                       err=True)
            ctx.exit(3)


@click.group(cls=LazyGroup)
@click.version_option(package_name="devrecs")
def cli() -> None:
    """devrecs: which development each person should get, and why."""


def main() -> None:  # pragma: no cover - console entry
    cli(prog_name="devrecs")


if __name__ == "__main__":  # pragma: no cover
    main()
