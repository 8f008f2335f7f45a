"""Commands of history and oversight: record, replay, report, audit and store retention
(docs/oversight.md).

Each parses its options and calls the library; the library is imported inside
the command.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Optional

import click

from .options import (
    DEFAULT_CAP,
    as_of_option,
    engine,
    location,
    open_people,
    open_store,
    parse_date,
    progress,
    pseudonymiser,
    read_people,
    reading,
    rules_option,
    sample_option,
    source_options,
    store_option,
)


@click.command()
@click.argument("person")
@click.argument("intervention")
@click.option("--outcome", required=True, type=click.Choice(["accepted", "declined", "completed"]),
              help="What the person did with the proposal.")
@click.option("--by", "by", required=True, help="Who decided or recorded it (a person id).")
@click.option("--note", default="", help="A short note (no health or other sensitive details).")
@click.option("--date", "date", help="When it was decided, YYYY-MM-DD (default: now).")
@rules_option
@store_option
def record(person: str, intervention: str, outcome: str, by: str, note: str, date: Optional[str],
           rules: tuple[str, ...], store_url: Optional[str]) -> None:
    """Record what PERSON did with a proposed INTERVENTION: accepted, declined or completed.

    Recorded outcomes join the person's history in later runs (--store): the intervention goes
    into cooldown, and accepted or completed ones count as development.
    """
    from ..errors import UnknownIdError, did_you_mean
    when = parse_date(date, "--date")
    store = open_store(store_url)
    if store is None:
        raise click.UsageError("give --store URL (a SQLite file or a database URL) or set DEVRECS_STORE")
    catalog = engine(rules, DEFAULT_CAP, None).catalog
    if intervention not in catalog:
        raise UnknownIdError(f"unknown intervention '{intervention}'{did_you_mean(intervention, catalog.ids)}")
    rec = store.record_outcome(person, intervention, outcome, by=by, when=when, note=note)
    answers = (f"answers run {rec.run_id} (rules {', '.join(rec.rules)})" if rec.run_id else
               "no earlier proposal of it is on record")
    click.echo(f"recorded: {person} {intervention} {outcome} on {rec.when:%Y-%m-%d} by {by}; {answers}")


@click.command()
@click.argument("log", type=click.Path(dir_okay=False))
@rules_option
@click.option("--people", "people_file", help="The people the log is about (matched by id, or by "
              "pseudonym with the same key): any source recommend reads.")
@sample_option
@source_options
@click.option("--run", "run_id", help="Replay this run (default: each person's latest line).")
@click.option("--pseudonymise-key-env", "key_env", metavar="VAR",
              help="The environment variable holding the key the log was pseudonymised with.")
@click.option("--cap", type=click.IntRange(min=0), default=None, help="Default: the cap the log was made with.")
@store_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def replay(log: str, rules: tuple[str, ...], people_file: Optional[str], sample: bool, mapping: Optional[str],
           source_name: Optional[str], table: Optional[str], query: Optional[str], run_id: Optional[str],
           key_env: Optional[str], cap: Optional[int], store_url: Optional[str], fmt: str) -> None:
    """What would change for the people in decision LOG under new rules (--rules; default the
    built-in packs): interventions each person would gain or lose, and counts.

    The log holds no facts: give the people with --people SOURCE or --sample. With --store,
    outcomes recorded by the time of the logged run join their history, as they did then.
    """
    from ..oversight.decisionlog import read_log, replay as replay_log, select
    where = location(people_file, sample, "--people SOURCE")
    keys = pseudonymiser(key_env, None, needed=False)
    entries = select(read_log(log), run_id)
    caps = {e.get("cap", DEFAULT_CAP) for e in entries}
    eng = engine(rules, cap if cap is not None else (caps.pop() if len(caps) == 1 else DEFAULT_CAP), None)
    opened = open_people(eng, where, mapping, source_name, table, query)
    result = replay_log(log, entries, eng, read_people(opened), pseudonymiser=keys, store=open_store(store_url))
    if result.missing:
        click.echo(f"warning: {len(result.missing)} logged people are not in {opened.label}: "
                   f"{', '.join(result.missing[:5])}{' ...' if len(result.missing) > 5 else ''}", err=True)
    click.echo(json.dumps(result.to_dict(), indent=2) if fmt == "json" else result.text())


@click.command()
@click.argument("people_file", required=False)
@sample_option
@source_options
@click.option("--html", "html_path", required=True, type=click.Path(dir_okay=False),
              help="Write the report to this HTML file (one self-contained file).")
@click.option("--audience", type=click.Choice(["hr", "executive"]), default="hr", show_default=True,
              help="executive: aggregates only, small counts shown as <5, no names or ids.")
@rules_option
@as_of_option
@click.option("--open-positions", type=click.IntRange(min=0, max=2 ** 53), default=0, show_default=True,
              help="Open leadership positions (people data cannot tell them).")
@click.option("--title", default="", help="The report's title (default: 'Development report').")
@store_option
@click.option("--audit-by", "audit_by", default="",
              help="Add a fairness audit section grouped by these extra attributes (e.g. gender,age).")
def report(people_file: Optional[str], sample: bool, mapping: Optional[str], source_name: Optional[str],
           table: Optional[str], query: Optional[str], html_path: str, audience: str, rules: tuple[str, ...],
           as_of: Optional[str], open_positions: int, title: str, store_url: Optional[str],
           audit_by: str) -> None:
    """Write an organization report with charts to an HTML file: development coverage of
    individual contributors, the 9-box by track, the leadership pipeline, flight-risk
    hotspots, the intervention mix, and acceptance rates from the store (--store)."""
    from ..errors import DevrecsError
    from ..reports.fairness import report_section
    from ..reports.organization import build_report
    where = location(people_file, sample)
    day = parse_date(as_of)
    eng = engine(rules, DEFAULT_CAP, day)
    store = open_store(store_url)
    opened = open_people(eng, where, mapping, source_name, table, query)
    people = read_people(opened, store)
    day = day or opened.as_of
    attributes = [a.strip() for a in audit_by.split(",") if a.strip()]
    extra = [report_section(attributes)] if attributes else []
    page = build_report(eng, people, audience=audience, store=store, open_positions=open_positions,
                        extra_sections=extra, as_of=day,
                        title=title or ("Development report: the built-in sample organization"
                                        if sample else f"Development report: {opened.label}"))
    try:
        with open(html_path, "w", encoding="utf-8") as f:
            f.write(page)
    except OSError as exc:
        raise DevrecsError(f"--html {html_path}: cannot write ({exc.strerror or exc})") from None
    click.echo(f"wrote {html_path} ({len(page.encode()) // 1024} KB): {audience} view of {len(people)} people, "
               f"as of {(day or dt.date.today()).isoformat()}")


@click.command()
@click.argument("source", required=False)
@sample_option
@source_options
@rules_option
@click.option("--by", "by", help="Protected attributes to group by, comma-separated (e.g. gender,age); "
              "not with --format ll144, which finds sex and race/ethnicity itself.")
@click.option("--min-group", type=click.IntRange(min=1), default=30, show_default=True,
              help="Both groups need this many people before a ratio is flagged.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "ll144", "ll144-json"]),
              default="text", show_default=True,
              help="ll144: a bias audit summary in the NYC Local Law 144 format (Markdown; ll144-json: JSON).")
@click.option("--data-from", help="With ll144: the first day the data covers (YYYY-MM-DD; default: the as-of date).")
@click.option("--data-until", help="With ll144: the last day the data covers (YYYY-MM-DD; default: the as-of date).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False),
              help="With ll144: also write the summary as one HTML section to this file, to publish in a web page.")
@as_of_option
def audit(source: Optional[str], sample: bool, mapping: Optional[str], source_name: Optional[str],
          table: Optional[str], query: Optional[str], rules: tuple[str, ...], by: Optional[str], min_group: int,
          fmt: str, data_from: Optional[str], data_until: Optional[str], html_path: Optional[str],
          as_of: Optional[str]) -> None:
    """Who gets which development, by group: shares, four-fifths ratios and exact tests.

    Aggregates only: groups under 5 people are shown as <5 and never flagged. Records that
    cannot be read are counted as rejected (devrecs batch lists them). --format ll144 gives
    selection rates and impact ratios by sex, race/ethnicity and both (docs/fairness.md);
    --html FILE also writes that summary as an HTML section.
    """
    from ..intake.pipeline import Reject
    from ..reports import fairness
    ll144 = fmt.startswith("ll144")
    if ll144 and by:
        raise click.UsageError("--format ll144 audits sex and race/ethnicity: leave out --by")
    if not ll144 and not by:
        raise click.UsageError("give --by ATTRIBUTES (e.g. --by gender,age), or --format ll144")
    if not ll144 and (data_from or data_until or html_path):
        raise click.UsageError("--data-from, --data-until and --html go with --format ll144")
    span = [parse_date(d, opt) for d, opt in ((data_from, "--data-from"), (data_until, "--data-until"))]
    if span[0] and span[1] and span[1] < span[0]:
        raise click.UsageError(f"--data-until {data_until} is before --data-from {data_from}")
    where = location(source, sample, "SOURCE")
    attributes = [a.strip() for a in (by or "").split(",") if a.strip()]
    day = parse_date(as_of)
    eng = engine(rules, DEFAULT_CAP, day)
    opened = open_people(eng, where, mapping, source_name, table, query)
    opened.warnings()
    people, rejected = [], 0
    with reading(opened) as bar:
        for _, item in bar.track(opened.read()):
            if isinstance(item, Reject):
                rejected += 1
            else:
                people.append(item)
    if day is None and opened.as_of is not None:
        eng = engine(rules, DEFAULT_CAP, opened.as_of)   # the data's date (known once read)
    if ll144:
        found = fairness.audit_ll144(eng, people, rejected=rejected,
                                     data_from=span[0].isoformat() if span[0] else None,
                                     data_until=span[1].isoformat() if span[1] else None)
        if html_path:
            from ..errors import DevrecsError
            try:
                with open(html_path, "w", encoding="utf-8") as f:
                    f.write(fairness.render_ll144_html(found))
            except OSError as exc:
                raise DevrecsError(f"--html {html_path}: cannot write ({exc.strerror or exc})") from None
        click.echo(json.dumps(found.to_dict(), indent=2) if fmt == "ll144-json" else fairness.render_ll144(found),
                   nl=fmt == "ll144-json")
        return
    with progress("auditing", len(people)) as bar:
        result = fairness.audit(eng, bar.track(people), attributes, min_group=min_group, rejected=rejected)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(fairness.render_markdown(result) if fmt == "markdown" else fairness.render_text(result))


@click.group("store")
def store_cmd() -> None:
    """The store's retention: set the period, and prune what is older (docs/oversight.md)."""


def _the_store(store_url: Optional[str]) -> Any:
    store = open_store(store_url)
    if store is None:
        raise click.UsageError("give --store URL (a SQLite file or a database URL) or set DEVRECS_STORE")
    return store


@store_cmd.command("retention")
@click.argument("period", required=False)
@click.option("--clear", is_flag=True, help="Remove the retention period set in the store.")
@store_option
def retention(period: Optional[str], clear: bool, store_url: Optional[str]) -> None:
    """Show the retention period set in the store, or set it to PERIOD (e.g. 400d, 6w, 18m, 2y):
    'devrecs store prune' then deletes what is older than it."""
    store = _the_store(store_url)
    if clear and period:
        raise click.UsageError("give PERIOD or --clear, not both")
    if clear:
        store.set_retention(None)
        click.echo(f"no retention period in {store.label} any more")
        return
    found = store.set_retention(period) if period else store.retention()
    click.echo(f"retention in {store.label}: " + (f"{found.text} ({found})" if found else "none set"))


@store_cmd.command("prune")
@click.option("--older-than", "older_than", help="Delete what is older than this (e.g. 400d, 18m); default: "
                                                 "the retention period set in the store.")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@store_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def prune(older_than: Optional[str], dry_run: bool, store_url: Optional[str], fmt: str) -> None:
    """Delete runs, proposals with their review steps, outcomes and contested facts older than
    the retention period. A proposal goes only when its whole life (proposed and every step) is
    older than the cutoff."""
    store = _the_store(store_url)
    done = store.prune(older_than, dry_run=dry_run)
    if fmt == "json":
        click.echo(json.dumps(dict(done, cutoff=done["cutoff"].isoformat()), indent=2))
        return
    counts = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in done["deleted"].items())
    click.echo(f"{'would delete' if dry_run else 'deleted'} from {store.label}, older than {done['period']} "
               f"(before {done['cutoff']:%Y-%m-%d %H:%M} UTC): {counts}")
