"""Options every command shares, and the few steps that turn them into library calls.

What this module holds: click option decorators (rules, people source and
mapping, dates, store, decision log), the date parser, and the helpers that
build an Engine, open people and open the store from options. It imports
click at the top and the library only inside functions, so loading a
command stays cheap.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Optional, Sequence

import click

# the audiences of domain.md (devrecs.audience.AUDIENCES; a test keeps the two equal)
AUDIENCES = ("employee", "manager", "hr", "executive")
DEFAULT_CAP = 5     # devrecs.engine.resolve.DEFAULT_CAP (a test keeps the two equal)

def parse_date(value: Optional[str], option: str = "--as-of") -> Optional[dt.date]:
    """The date an option gives (None when it was not given)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from None


rules_option = click.option("--rules", "rules", multiple=True, type=click.Path(),
                            help="Rule file or folder (repeatable). Default: the built-in packs.")
sample_option = click.option("--sample", is_flag=True, help="Use the built-in sample organization.")
as_of_option = click.option("--as-of", "as_of", help="Date history and cooldowns are measured from "
                                                     "(default: the data's as_of, else today).")
store_option = click.option("--store", "store_url", envvar="DEVRECS_STORE", metavar="URL",
                            help="Outcome store: a SQLite file or a database URL (default: $DEVRECS_STORE).")


def source_options(f: Callable) -> Callable:
    """--mapping, --source, --table, --query: how people are read (any command that reads them)."""
    f = click.option("--query", help="With a database URL: a SELECT that gives the people.")(f)
    f = click.option("--table", help="With a database URL: the table of people.")(f)
    f = click.option("--source", "source_name",
                     help="Read the people with this data source (default: by file extension; sql for a "
                          "database URL); plugins add sources.")(f)
    return click.option("--mapping", type=click.Path(),
                        help="Mapping file: the source's columns to facts (docs/data.md).")(f)


def log_options(f: Callable) -> Callable:
    f = click.option("--pseudonymise-key-env", "key_env", metavar="VAR",
                     help="Pseudonymise person ids in the log with a keyed hash; VAR names the environment "
                          "variable that holds the key.")(f)
    return click.option("--log", "log_path", type=click.Path(dir_okay=False),
                        help="Append one JSON line per person to this decision log (FILE.jsonl).")(f)


def engine(rules: Sequence[str], cap: Optional[int] = DEFAULT_CAP, as_of: Optional[dt.date] = None) -> Any:
    """The Engine for --rules (default: the built-in packs), with the installed plugins."""
    from ..app import Engine
    return Engine.from_paths(list(rules) or None, cap=cap, as_of=as_of)


def location(source: Optional[str], sample: bool, what: str = "PEOPLE_FILE") -> str:
    """Where people come from: a file or database URL, or the built-in sample."""
    if sample == bool(source):
        raise click.UsageError(f"give a {what} or --sample (one of them)")
    from ..intake.pipeline import SAMPLE
    return SAMPLE if sample else str(source)


def open_people(eng: Any, where: str, mapping: Optional[str], source_name: Optional[str],
                table: Optional[str], query: Optional[str]) -> Any:
    return eng.open(where, mapping=mapping, source=source_name, table=table, query=query)


def progress(what: str, total: Optional[int] = None) -> Any:
    """A progress bar on stderr when it is a terminal (devrecs.batch.progress), else nothing."""
    import sys

    from ..batch.progress import Progress
    return Progress(sys.stderr, what, total)


def reading(opened: Any) -> Any:
    """The bar for reading the people of ``opened``, with the count expected when the source can
    tell it cheaply (time left is shown then)."""
    import sys

    from ..batch.progress import expected_rows, on_terminal
    total = expected_rows(opened.records.source, opened.label) if on_terminal(sys.stderr) else None
    return progress("reading people", total)


def read_people(opened: Any, store: Any = None) -> list:
    """Every person of ``opened`` (raising one error listing every bad record), with a bar on
    stderr while they are read."""
    from ..intake.pipeline import strict
    with reading(opened) as bar:
        return strict(bar.track(opened.read(store)))


def open_store(url: Optional[str]) -> Any:
    """The Store for --store (or $DEVRECS_STORE), or None when neither is given."""
    from ..oversight.store import open_store as opened
    return opened(url)


def pseudonymiser(key_env: Optional[str], log_path: Optional[str], needed: bool = True) -> Any:
    if key_env is None:
        return None
    if not log_path and needed:
        raise click.UsageError("--pseudonymise-key-env goes with --log FILE")
    from ..oversight.decisionlog import Pseudonymiser
    return Pseudonymiser.from_env(key_env)


audience_option = click.option("--audience", type=click.Choice(AUDIENCES), default="hr", show_default=True,
                               help="Who will read it: what they may not see is left out or withheld.")

__all__ = ["AUDIENCES", "DEFAULT_CAP", "as_of_option", "audience_option", "engine",
           "location", "log_options", "open_people", "open_store", "parse_date", "progress", "pseudonymiser",
           "read_people", "reading",
           "rules_option", "sample_option", "source_options", "store_option"]
