"""Commands on decision logs: ``devrecs log verify`` checks the hash chain (docs/oversight.md).

The library is imported inside the command.
"""

from __future__ import annotations

import json
from typing import Optional

import click


@click.group()
def log() -> None:
    """Decision logs: check that no line was altered, removed, inserted or reordered."""


@log.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--head", help="The hash of the last line, kept elsewhere (as verify printed it, or "
              "SEQ:HASH): shows lines cut from the end.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def verify(files: tuple[str, ...], head: Optional[str], fmt: str) -> None:
    """Check the hash chain of decision log FILES (a log and the files it was rotated into, oldest
    first). Exit 0 when every line holds; exit 1 naming the first line altered, removed, inserted
    or reordered (or when no line is chained)."""
    from ..oversight.decisionlog import verify as verify_chain
    verdict = verify_chain(list(files), head=head)
    click.echo(json.dumps(verdict.to_dict(), indent=2) if fmt == "json" else verdict.text())
    if not verdict.ok:
        raise click.exceptions.Exit(1)
