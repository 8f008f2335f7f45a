"""Commands of review before release: ``devrecs review list|approve|reject|release``
(docs/oversight.md). The library is imported inside each command."""

from __future__ import annotations

import json
from typing import Any, Optional

import click

from .options import open_store, store_option


def _store(store_url: Optional[str]) -> Any:
    store = open_store(store_url)
    if store is None:
        raise click.UsageError("give --store URL (a SQLite file or a database URL) or set DEVRECS_STORE")
    return store


@click.group()
def review() -> None:
    """Review proposals before they are released to the employee: list, approve, reject, release."""


@review.command("list")
@store_option
@click.option("--state", default="proposed", show_default=True,
              help="proposed (waiting for a reviewer), approved, rejected, released, accepted, declined, "
                   "completed or contested.")
@click.option("--intervention", help="Only proposals of this intervention.")
@click.option("--rule", help="Only proposals this rule helped make.")
@click.option("--subject", help="Only proposals to this person (or manager, for items sent to the manager).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_cmd(store_url: Optional[str], state: str, intervention: Optional[str], rule: Optional[str],
             subject: Optional[str], fmt: str) -> None:
    """The proposals in a state (default: those waiting for a reviewer), oldest first."""
    found = _store(store_url).review_queue(state=state, intervention=intervention, rule=rule, subject=subject)
    if fmt == "json":
        click.echo(json.dumps([p.to_dict() for p in found], indent=2))
        return
    for p in found:
        click.echo(f"{p.id}\t{p.subject}\t{p.intervention}\trules {', '.join(p.rules)}\trun {p.run_id}")
    click.echo(f"{len(found)} proposal{'s' if len(found) != 1 else ''} {state}")


def _step(event: str, needs_reason: bool) -> click.Command:
    @click.argument("ids", nargs=-1, required=True, type=int)
    @click.option("--by", "by", required=True, help="Who decides (a person id).")
    @click.option("--reason", default="", required=needs_reason,
                  help="Why" + (" (required)." if needs_reason else " (optional)."))
    @store_option
    def command(ids: tuple[int, ...], by: str, reason: str, store_url: Optional[str]) -> None:
        done = _store(store_url).advance(list(ids), event, by, reason)
        for p in done:
            click.echo(f"{p.id}\t{p.subject}\t{p.intervention}\t{event} by {by}")

    command.__doc__ = {
        "approved": "Approve proposals IDS (from 'devrecs review list'): they may then be released.",
        "rejected": "Reject proposals IDS with a reason: they never reach the employee.",
        "released": "Release approved proposals IDS to the employee.",
    }[event]
    return click.command()(command)


review.add_command(_step("approved", False), "approve")
review.add_command(_step("rejected", True), "reject")
review.add_command(_step("released", False), "release")
