"""Commands that run the rules: recommend, explain, batch, plugins and compile.

Each parses its options and calls the application layer (devrecs.app); the
library is imported inside the command.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Optional

import click

from .options import (
    AUDIENCES,
    DEFAULT_CAP,
    as_of_option,
    audience_option,
    engine,
    location,
    log_options,
    open_people,
    open_store,
    parse_date,
    pseudonymiser,
    rules_option,
    sample_option,
    source_options,
    store_option,
)


@click.command()
@click.argument("people_file", required=False)
@sample_option
@rules_option
@source_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--cap", type=click.IntRange(min=0), default=DEFAULT_CAP, show_default=True,
              help="Most items a person gets for themself.")
@as_of_option
@click.option("--org", "whole_org", is_flag=True,
              help="Also recommend to managers (for their teams) and to the organization.")
@click.option("--open-positions", type=click.IntRange(min=0, max=2 ** 53), default=0, show_default=True,
              help="Open leadership positions (with --org).")
@click.option("--audience", type=click.Choice(AUDIENCES), default=None,
              help="Show only what this audience may see (default: everything, as hr).")
@store_option
@log_options
def recommend(people_file: Optional[str], sample: bool, rules: tuple[str, ...], mapping: Optional[str],
              source_name: Optional[str], table: Optional[str], query: Optional[str], fmt: str, cap: int,
              as_of: Optional[str], whole_org: bool, open_positions: int, audience: Optional[str],
              store_url: Optional[str], log_path: Optional[str], key_env: Optional[str]) -> None:
    """Recommend development for every person in PEOPLE_FILE (YAML, JSON, JSONL, CSV, a database
    URL with --table or --query, or any source a plugin adds; --mapping maps its columns).

    With --store, recorded outcomes join each person's history first (cooldowns, organization
    facts) and the proposals are recorded as a run; --log appends one line per person to a
    decision log (docs/oversight.md). Sinks, store and log get what --audience is shown.
    """
    from ..app import Outputs
    from ..render.listing import organization_table, people_table, rec_json
    where = location(people_file, sample)
    day = parse_date(as_of)
    eng = engine(rules, cap, day)
    keys = pseudonymiser(key_env, log_path)
    store = open_store(store_url)
    opened = open_people(eng, where, mapping, source_name, table, query)
    people = opened.all(store)
    day = day or opened.as_of or eng.day()
    # HR's and managers' lists say where each item stands in review, as the store had it before
    # this run proposed anything ("new": never proposed); the employee sees released items only
    states = (store.review_states(p.id for p in people)
              if store is not None and (audience or "hr") in ("hr", "manager") else None)
    with Outputs(eng, audience, store=store, log=(log_path, keys) if log_path else None, label=opened.label,
                 as_of=day, warn=lambda line: click.echo(line, err=True)) as outputs:
        run = eng.run(people, audience=audience, org=whole_org, open_positions=open_positions, as_of=day,
                      outputs=outputs)
    if outputs.recorder is not None:
        click.echo(f"recorded run {outputs.run_id}: {outputs.proposals} proposals for {len(people)} people "
                   f"in {store.label}", err=True)
    if outputs.log is not None:
        click.echo(f"logged {outputs.log.lines} people to {log_path} (as {outputs.audience} sees them"
                   f"{', pseudonymised' if keys else ''})", err=True)
    result = run.organization
    if fmt == "json":
        made = eng.provenance       # once per record (person, team, organization), not per item
        rows = [{"person": p.id, "recommendations": [rec_json(r, states) for r in recs], **made}
                for p, recs in run.people]
        out: Any = rows
        if result is not None:
            out = {"organization": {"facts": result.organization_facts,
                                    "recommendations": [rec_json(r) for r in result.organization], **made},
                   "teams": [{"manager": m, "facts": result.team_facts[m],
                              "recommendations": [rec_json(r) for r in recs], **made}
                             for m, recs in result.teams.items()],
                   "people": rows}
        click.echo(json.dumps(out, indent=2))
        return
    if result is not None:
        click.echo(organization_table(result))
    click.echo(people_table(run.people, states=states, priorities=audience != "employee"))


@click.command()
@click.argument("people_file", required=False)
@click.argument("person_id", required=False)
@sample_option
@rules_option
@source_options
@click.option("--intervention", help="Explain this intervention (default: each one the person gets).")
@audience_option
@click.option("--format", "fmt", default="text", show_default=True,
              help="text, json, markdown, or a format a plugin adds.")
@as_of_option
@store_option
def explain(people_file: Optional[str], person_id: Optional[str], sample: bool, rules: tuple[str, ...],
            mapping: Optional[str], source_name: Optional[str], table: Optional[str], query: Optional[str],
            intervention: Optional[str], audience: str, fmt: str, as_of: Optional[str],
            store_url: Optional[str]) -> None:
    """Explain why PERSON_ID gets (or does not get) development, for an audience. PEOPLE_FILE is
    any source recommend reads (--mapping, --source too).

    With --sample give only PERSON_ID: devrecs explain --sample persona-deep-expert
    """
    from ..errors import UnknownIdError, did_you_mean
    if sample and person_id is None:
        people_file, person_id = None, people_file
    if person_id is None:
        raise click.UsageError("give PEOPLE_FILE PERSON_ID, or --sample PERSON_ID")
    where = location(people_file, sample)
    day = parse_date(as_of)
    eng = engine(rules, DEFAULT_CAP, day)
    eng.formats()          # a plugin's broken format is named before any work
    opened = open_people(eng, where, mapping, source_name, table, query)
    store = open_store(store_url)
    people = {p.id: p for p in opened.all(store)}
    if person_id not in people:
        raise UnknownIdError(f"unknown person '{person_id}'{did_you_mean(person_id, people)}")
    explanation = eng.explain(people[person_id], intervention, audience, day or opened.as_of, review=store)
    click.echo(eng.render(explanation, fmt))


@click.command()
@click.argument("source")
@source_options
@rules_option
@click.option("--out", help="Where to write: FILE.jsonl, FILE.csv, FILE.parquet or a database URL "
                            "(default: JSONL on stdout).")
@click.option("--out-table", default="devrecs_recommendations", show_default=True,
              help="With --out DB_URL: the table rows are appended to (created when missing).")
@click.option("--rejects", type=click.Path(), help="Write every rejected record to this JSONL file.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes that recommend in parallel; the output keeps the input order.")
@click.option("--org", "whole_org", is_flag=True,
              help="Also recommend to managers (for their teams) and to the organization.")
@click.option("--audience", type=click.Choice(AUDIENCES), default=None,
              help="Recommend only what this audience may see.")
@click.option("--cap", type=click.IntRange(min=0), default=DEFAULT_CAP, show_default=True,
              help="Most items a person gets for themself.")
@store_option
@log_options
@as_of_option
def batch(source: str, mapping: Optional[str], source_name: Optional[str], table: Optional[str],
          query: Optional[str], rules: tuple[str, ...], out: Optional[str], out_table: str,
          rejects: Optional[str], workers: int, whole_org: bool, audience: Optional[str], cap: int,
          store_url: Optional[str], log_path: Optional[str], key_env: Optional[str], as_of: Optional[str]) -> None:
    """Recommend for every record of SOURCE (a CSV, JSON, JSONL or YAML file, a database URL
    with --table or --query, or a plugin's source with --source), streamed.

    Bad records are rejected with their row, field and reason, and the rest go on. The last
    line on stderr is "N read, N accepted, N rejected". Exit codes: 0 all accepted, 1 some
    rejected, 2 a usage, plugin or configuration error. --log (with --audience) appends one
    line per accepted person to a decision log, as that audience sees them (docs/oversight.md).
    """
    from ..batch import runner as batch_mod
    if table is not None and query is not None:
        raise click.UsageError("give --table or --query, not both")
    options = batch_mod.BatchOptions(
        source=source, mapping=mapping, source_name=source_name, table=table, query=query, rules=rules,
        out=out, out_table=out_table, rejects=rejects, workers=workers, org=whole_org, audience=audience,
        as_of=parse_date(as_of), cap=cap, store=store_url, log=log_path,
        pseudonymiser=pseudonymiser(key_env, log_path))
    stats = batch_mod.run_batch(options)
    if log_path:
        click.echo(f"logged {stats.logged} people to {log_path} (as {audience} sees them"
                   f"{', pseudonymised' if options.pseudonymiser else ''})", err=True)
    click.echo(stats.summary(), err=True)
    if stats.rejected:
        sys.exit(1)


@click.command("plugins")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def plugins_cmd(fmt: str) -> None:
    """List plugins: version, hooks, rule packs and interventions they add, rules they override."""
    from ..app import Engine
    eng = Engine.default()
    found = eng.plugins.describe(eng.overrides) if eng.plugins else []
    if fmt == "json":
        click.echo(json.dumps(found, indent=2))
        return
    for p in found:
        version = f" {p['distribution']} {p['version']}".rstrip() if p["distribution"] else ""
        click.echo(f"{p['name']}{' (' + version.strip() + ')' if version else ''}")
        click.echo(f"  hooks: {', '.join(p['hooks']) or '-'}")
        for path in p.get("rule_paths", []):
            click.echo(f"  rule pack: {path}")
        if p.get("interventions"):
            click.echo(f"  interventions: {', '.join(p['interventions'])}")
        for o in p["overrides"]:
            click.echo(f"  overrides rule {o['rule']} (built-in, {o['replaced']})")


@click.command("compile")
@click.argument("rules", nargs=-1, type=click.Path())
def compile_cmd(rules: tuple[str, ...]) -> None:
    """Print the durable-rules JSON that RULES (default: the built-in packs) compile to."""
    click.echo(json.dumps(engine(rules, None, None).compiled, indent=2, sort_keys=True))
