"""Commands on one person's data: ``devrecs person export|erase ID`` (GDPR Arts. 15 and 17;
docs/oversight.md). The library is imported inside each command."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Optional

import click

from .options import open_store, pseudonymiser, store_option


def _where(store_url: Optional[str], logs: tuple[str, ...]) -> Any:
    store = open_store(store_url)
    if store is None and not logs:
        raise click.UsageError("give --store URL (or set DEVRECS_STORE) and/or --log FILE")
    return store


_log_option = click.option("--log", "logs", multiple=True, type=click.Path(dir_okay=False, exists=True),
                           help="A decision log to search (repeatable: a log and the files it was rotated into).")
_key_option = click.option("--pseudonymise-key-env", "key_env", metavar="VAR",
                           help="The environment variable holding the key the logs were pseudonymised with "
                                "(their lines about the person are found through it).")


@click.group()
def person() -> None:
    """One person's data in the store and the decision logs: export it, or erase it."""


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


@person.command()
@click.argument("person_id")
@store_option
@_log_option
@_key_option
def export(person_id: str, store_url: Optional[str], logs: tuple[str, ...], key_env: Optional[str]) -> None:
    """Print, as JSON, everything the store and the given decision logs hold about PERSON_ID."""
    from ..oversight.decisionlog import person_lines
    store = _where(store_url, logs)
    keys = pseudonymiser(key_env, None, needed=False)
    data: dict[str, Any] = {"person": person_id}
    if store is not None:
        held = store.person_data(person_id)
        data["store"] = {k: [{c: _plain(v) for c, v in row.items()} for row in rows]
                         for k, rows in held.items() if k != "person"}
    data["logs"] = person_lines(list(logs), person_id, keys)
    click.echo(json.dumps(data, indent=2, default=str))


@person.command()
@click.argument("person_id")
@store_option
@_log_option
@_key_option
@click.option("--yes", is_flag=True, help="Erase for good (there is no undo).")
def erase(person_id: str, store_url: Optional[str], logs: tuple[str, ...], key_env: Optional[str],
          yes: bool) -> None:
    """Erase PERSON_ID from the store and the given decision logs. Log lines keep their place, so
    'devrecs log verify' still holds; where the person acted for others, the actor becomes 'erased'."""
    from ..oversight.decisionlog import erase_person as erase_from_logs
    if not yes:
        raise click.UsageError("erasing cannot be undone: add --yes")
    store = _where(store_url, logs)
    keys = pseudonymiser(key_env, None, needed=False)
    parts = []
    if store is not None:
        counts = store.erase_person(person_id)
        parts.append(", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items()) + " in the store")
    if logs:
        parts.append(f"{erase_from_logs(list(logs), person_id, keys)} log lines")
    click.echo(f"erased {person_id}: " + "; ".join(parts))
