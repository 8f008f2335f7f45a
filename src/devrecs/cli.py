"""The devrecs command line: a thin layer over the library.

Exit codes: 0 success; 1 (batch only) some records were rejected; 2 a
usage, rule-file or input error (one line per problem, never a traceback).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import textwrap
from typing import Any, Optional, Sequence

import click

from . import authoring_cli, batch as batch_mod, plugins as plugin_hooks
from .audience import AUDIENCES
from .engine import Engine
from .errors import DevrecsError, UnknownIdError, did_you_mean
from .model import Person, Recommendation
from .peoplefile import PeopleFile, read_people_file, sample_file
from .render import FORMATS
from .resolve import DEFAULT_CAP

PROPOSAL_NOTE = ("Recommendations are proposals for a person to review with the employee, "
                 "not decisions.")


class _Fail(click.ClickException):
    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


def _engine(rules: Sequence[str], cap: Optional[int], as_of: Optional[dt.date]) -> Engine:
    try:
        if rules:
            return Engine.from_paths(rules, cap=cap, as_of=as_of)
        return Engine.default(cap=cap, as_of=as_of)
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None


def _people(people_file: Optional[str], sample: bool) -> PeopleFile:
    if sample == bool(people_file):
        raise click.UsageError("give a PEOPLE_FILE or --sample (one of them)")
    try:
        return sample_file() if sample else read_people_file(people_file)
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None


def _as_of(value: Optional[str], option: str = "--as-of") -> Optional[dt.date]:
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
                                                     "(default: the file's as_of, else today).")
store_option = click.option("--store", "store_url", envvar="DEVRECS_STORE", metavar="URL",
                            help="Outcome store: a SQLite file or a database URL (default: $DEVRECS_STORE).")


def log_options(f: Any) -> Any:
    f = click.option("--pseudonymise-key-env", "key_env", metavar="VAR",
                     help="Pseudonymise person ids in the log with a keyed hash; VAR names the environment "
                          "variable that holds the key.")(f)
    return click.option("--log", "log_path", type=click.Path(dir_okay=False),
                        help="Append one JSON line per person to this decision log (FILE.jsonl).")(f)


@click.group()
@click.version_option(package_name="devrecs")
def cli() -> None:
    """devrecs: which development each person should get, and why."""


@cli.command()
@click.argument("people_file", required=False, type=click.Path())
@sample_option
@rules_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--cap", type=click.IntRange(min=0), default=5, show_default=True,
              help="Most items a person gets for themself.")
@as_of_option
@click.option("--org", "whole_org", is_flag=True,
              help="Also recommend to managers (for their teams) and to the organization.")
@click.option("--open-positions", type=click.IntRange(min=0), default=0, show_default=True,
              help="Open leadership positions (with --org).")
@click.option("--audience", type=click.Choice(AUDIENCES), default=None,
              help="Show only what this audience may see (default: everything, as hr).")
@store_option
@log_options
def recommend(people_file: Optional[str], sample: bool, rules: tuple[str, ...], fmt: str,
              cap: int, as_of: Optional[str], whole_org: bool, open_positions: int,
              audience: Optional[str], store_url: Optional[str], log_path: Optional[str],
              key_env: Optional[str]) -> None:
    """Recommend development for every person in PEOPLE_FILE (YAML, JSON or JSONL).

    With --store, recorded outcomes join each person's history first (cooldowns, organization
    facts) and the proposals are recorded as a run; --log appends one line per person to a
    decision log (docs/oversight.md).
    """
    source = _people(people_file, sample)
    day = _as_of(as_of) or source.as_of
    engine = _engine(rules, cap, day)
    pseudonymiser = _pseudonymiser(key_env, log_path)
    store = _open_store(store_url)
    try:
        people = list(source.people())
        if store is not None:
            from .store import with_history
            people = list(with_history(people, store))
        if whole_org:
            result = engine.recommend_organization(people, open_leadership_positions=open_positions)
            results = result.people
        elif audience:
            results = [(p, engine.recommend_for(p, audience)) for p in people]
        else:
            results = list(engine.recommend_many(people))
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None
    _notify(engine, [(p.id, recs) for p, recs in results]
            + ([(m, recs) for m, recs in result.teams.items()] + [("organization", result.organization)]
               if whole_org else []), audience or "hr")
    if store is not None or log_path:
        _keep_history(engine, store, log_path, pseudonymiser, people, results,
                      (list(result.teams.items()) + [("organization", result.organization)]) if whole_org else [],
                      None if whole_org else audience, day or dt.date.today(), source.label)
    rows = [{"person": p.id, "recommendations": [_rec_json(r) for r in recs]} for p, recs in results]
    if fmt == "json":
        if whole_org:
            out: Any = {
                "organization": {"facts": result.organization_facts,
                                 "recommendations": [_rec_json(r) for r in result.organization]},
                "teams": [{"manager": m, "facts": result.team_facts[m],
                           "recommendations": [_rec_json(r) for r in recs]}
                          for m, recs in result.teams.items()],
                "people": rows,
            }
        else:
            out = rows
        click.echo(json.dumps(out, indent=2))
        return
    if whole_org:
        click.echo(_org_table(result))
    click.echo(_table(results))


def _notify(engine: Engine, subjects: list, audience: str) -> None:
    """Tell the plugins' sinks; a failing sink is reported on stderr and the rest goes on."""
    for subject, recs in subjects:
        for failure in engine.notify(subject, recs, audience):
            click.echo(f"warning: {failure}", err=True)


def _rec_json(r: Recommendation) -> dict:
    d = r.to_dict()
    return {k: d[k] for k in ("intervention", "subject", "rules", "priority", "rationale", "evidence")}


def _table(results: list[tuple[Person, list[Recommendation]]]) -> str:
    width = 100
    lines = []
    for person, recs in results:
        head = person.id + (f"  {person.name}" if person.name else "")
        lines.append(head)
        if not recs:
            lines.append("    (no recommendation)")
        for n, r in enumerate(recs, 1):
            who = "" if r.subject == person.id else f"  [for manager {r.subject}]"
            lines.append(f"  {n}. {r.intervention} ({r.priority}){who}")
            why = " ".join(r.rationale) or r.title
            lines.extend(textwrap.wrap(why, width, initial_indent="       ", subsequent_indent="       "))
        lines.append("")
    lines.append(PROPOSAL_NOTE)
    return "\n".join(lines)


def _org_table(result: Any) -> str:
    f = result.organization_facts
    share = f.get("share_ic_developing")
    story = f"{f['headcount']} people: {f['ics']} individual contributors, {f['managers']} managers."
    if share is not None:
        story += (f" {share:.0%} of individual contributors had development in the last year (seed 001: "
                  f"only 22% of organisations have a formal programme for them).")
    story += (f" {f['graduates_waiting']} pipeline graduates wait for a seat (longest "
              f"{f['graduates_waiting_max_months']} months); {f['open_leadership_positions']} open "
              f"leadership positions; {f['stagnant_leaders']} leaders long in role with low engagement.")
    lines = ["ORGANIZATION", ""] + textwrap.wrap(story, 96, initial_indent="  ", subsequent_indent="  ")
    lines.append("")
    for n, r in enumerate(result.organization, 1):
        lines.append(f"  {n}. {r.intervention} ({r.priority})")
        lines.extend(textwrap.wrap(" ".join(r.rationale) or r.title, 96, initial_indent="       ",
                                   subsequent_indent="       "))
    lines += ["", "TEAMS", ""]
    teams = [(m, recs) for m, recs in result.teams.items() if recs]
    if not teams:
        lines.append("  (no team recommendation)")
    for manager, recs in teams:
        facts = result.team_facts[manager]
        lines.append(f"  manager {manager}: {facts['reports']} reports, {facts['high_flight_risk_reports']} at "
                     f"high flight risk, {facts['low_engagement_reports']} with low engagement")
        for r in recs:
            lines.append(f"    - {r.intervention} ({r.priority})")
    lines += ["", "PEOPLE", ""]
    return "\n".join(lines)


audience_option = click.option("--audience", type=click.Choice(AUDIENCES), default="hr", show_default=True,
                               help="Who will read it: what they may not see is left out or withheld.")


@cli.command()
@click.argument("people_file", required=False, type=click.Path())
@click.argument("person_id", required=False)
@sample_option
@rules_option
@click.option("--intervention", help="Explain this intervention (default: each one the person gets).")
@audience_option
@click.option("--format", "fmt", default="text", show_default=True,
              help="text, json, markdown, or a format a plugin adds.")
@as_of_option
@store_option
def explain(people_file: Optional[str], person_id: Optional[str], sample: bool, rules: tuple[str, ...],
            intervention: Optional[str], audience: str, fmt: str, as_of: Optional[str],
            store_url: Optional[str]) -> None:
    """Explain why PERSON_ID gets (or does not get) development, for an audience.

    With --sample give only PERSON_ID: devrecs explain --sample persona-deep-expert
    """
    if sample and person_id is None:
        people_file, person_id = None, people_file
    if person_id is None:
        raise click.UsageError("give PEOPLE_FILE PERSON_ID, or --sample PERSON_ID")
    source = _people(people_file, sample)
    day = _as_of(as_of) or source.as_of
    engine = _engine(rules, DEFAULT_CAP, day)
    try:
        people = {p.id: p for p in source.people()}
        if person_id not in people:
            raise UnknownIdError(f"unknown person '{person_id}'{did_you_mean(person_id, people)}")
        renderers = plugin_hooks.formats(engine.plugins) if engine.plugins else FORMATS
        if fmt not in renderers:
            raise UnknownIdError(f"unknown format '{fmt}'{did_you_mean(fmt, renderers)}; "
                                 f"expected one of {', '.join(sorted(renderers))}")
        person = people[person_id]
        store = _open_store(store_url)
        if store is not None:
            from .store import with_history
            (person,) = with_history([person], store)
        explanation = engine.explain(person, intervention, audience)
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None
    click.echo(renderers[fmt].render(explanation))


# -- history and oversight: the store, the decision log, replay, the report (docs/oversight.md) --

def _open_store(url: Optional[str]) -> Any:
    """The Store for --store (or $DEVRECS_STORE), or None when neither is given."""
    from .store import open_store
    try:
        return open_store(url)
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None


def _pseudonymiser(key_env: Optional[str], log_path: Optional[str], needed: bool = True) -> Any:
    if key_env is None:
        return None
    if not log_path and needed:
        raise click.UsageError("--pseudonymise-key-env goes with --log FILE")
    from .decisionlog import Pseudonymiser
    try:
        return Pseudonymiser.from_env(key_env)
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None


def _keep_history(engine: Engine, store: Any, log_path: Optional[str], pseudonymiser: Any, people: list,
                  results: list, groups: list, audience: Optional[str], day: dt.date, label: str) -> None:
    """Record the run in the store and/or log each person's recommendations as the audience sees them."""
    from .decisionlog import DecisionLog
    try:
        run_id = None
        if store is not None:
            run_id = store.record_run(list(results) + groups, engine.ruleset_hash, as_of=day,
                                      audience=audience or "hr", label=label)
            proposals = sum(len(recs) for _, recs in results) + sum(len(recs) for _, recs in groups)
            click.echo(f"recorded run {run_id}: {proposals} proposals for {len(results)} people in {store.label}",
                       err=True)
        if log_path:
            seen = audience or "hr"
            with DecisionLog(log_path, ruleset_hash=engine.ruleset_hash, audience=seen, as_of=day, run_id=run_id,
                             pseudonymiser=pseudonymiser, cap=engine.cap) as log:
                for person, recs in (results if audience else
                                     ((p, engine.recommend_for(p, seen, day)) for p in people)):
                    log.write(person.id, recs)
            click.echo(f"logged {log.lines} people to {log_path} (as {seen} sees them"
                       f"{', pseudonymised' if pseudonymiser else ''})", err=True)
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None


@cli.command()
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
    when = _as_of(date, "--date")
    store = _open_store(store_url)
    if store is None:
        raise click.UsageError("give --store URL (a SQLite file or a database URL) or set DEVRECS_STORE")
    catalog = _engine(rules, DEFAULT_CAP, None).catalog
    if intervention not in catalog:
        raise _Fail(f"unknown intervention '{intervention}'{did_you_mean(intervention, catalog.ids)}")
    try:
        rec = store.record_outcome(person, intervention, outcome, by=by, when=when, note=note)
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None
    answers = (f"answers run {rec.run_id} (rules {', '.join(rec.rules)})" if rec.run_id else
               "no earlier proposal of it is on record")
    click.echo(f"recorded: {person} {intervention} {outcome} on {rec.when:%Y-%m-%d} by {by}; {answers}")


@cli.command()
@click.argument("log", type=click.Path(dir_okay=False))
@rules_option
@click.option("--people", "people_file", type=click.Path(), help="The people the log is about (matched by id, "
              "or by pseudonym with the same key).")
@sample_option
@click.option("--run", "run_id", help="Replay this run (default: each person's latest line).")
@click.option("--pseudonymise-key-env", "key_env", metavar="VAR",
              help="The environment variable holding the key the log was pseudonymised with.")
@click.option("--cap", type=click.IntRange(min=0), default=None, help="Default: the cap the log was made with.")
@store_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def replay(log: str, rules: tuple[str, ...], people_file: Optional[str], sample: bool, run_id: Optional[str],
           key_env: Optional[str], cap: Optional[int], store_url: Optional[str], fmt: str) -> None:
    """What would change for the people in decision LOG under new rules (--rules; default the
    built-in packs): interventions each person would gain or lose, and counts.

    The log holds no facts: give the people with --people FILE or --sample. With --store,
    outcomes recorded by the time of the logged run join their history, as they did then.
    """
    from .decisionlog import read_log, replay as replay_log, select
    source = _people(people_file, sample)
    pseudonymiser = _pseudonymiser(key_env, None, needed=False)
    try:
        entries = select(read_log(log), run_id)
        caps = {e.get("cap", DEFAULT_CAP) for e in entries}
        engine = _engine(rules, cap if cap is not None else (caps.pop() if len(caps) == 1 else DEFAULT_CAP), None)
        result = replay_log(log, entries, engine, source.people(), pseudonymiser=pseudonymiser,
                            store=_open_store(store_url))
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None
    if result.missing:
        click.echo(f"warning: {len(result.missing)} logged people are not in {source.label}: "
                   f"{', '.join(result.missing[:5])}{' ...' if len(result.missing) > 5 else ''}", err=True)
    click.echo(json.dumps(result.to_dict(), indent=2) if fmt == "json" else result.text())


@cli.command()
@click.argument("people_file", required=False, type=click.Path())
@sample_option
@click.option("--html", "html_path", required=True, type=click.Path(dir_okay=False),
              help="Write the report to this HTML file (one self-contained file).")
@click.option("--audience", type=click.Choice(["hr", "executive"]), default="hr", show_default=True,
              help="executive: aggregates only, small counts shown as <5, no names or ids.")
@rules_option
@as_of_option
@click.option("--open-positions", type=click.IntRange(min=0), default=0, show_default=True,
              help="Open leadership positions (people data cannot tell them).")
@click.option("--title", default="", help="The report's title (default: 'Development report').")
@store_option
@click.option("--audit-by", "audit_by", default="",
              help="Add a fairness audit section grouped by these extra attributes (e.g. gender,age).")
def report(people_file: Optional[str], sample: bool, html_path: str, audience: str, rules: tuple[str, ...],
           as_of: Optional[str], open_positions: int, title: str, store_url: Optional[str],
           audit_by: str) -> None:
    """Write an organization report with charts to an HTML file: development coverage of
    individual contributors, the 9-box by track, the leadership pipeline, flight-risk
    hotspots, the intervention mix, and acceptance rates from the store (--store)."""
    from .report import build_report
    source = _people(people_file, sample)
    day = _as_of(as_of) or source.as_of
    engine = _engine(rules, DEFAULT_CAP, day)
    store = _open_store(store_url)
    try:
        people = list(source.people())
        if store is not None:
            from .store import with_history
            people = list(with_history(people, store))
        from .fairness import report_section
        attributes = [a.strip() for a in audit_by.split(",") if a.strip()]
        extra = [report_section(attributes)] if attributes else []
        page = build_report(engine, people, audience=audience, store=store, open_positions=open_positions,
                            extra_sections=extra,
                            as_of=day, title=title or ("Development report: the built-in sample organization"
                                                       if sample else f"Development report: {source.label}"))
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None
    try:
        with open(html_path, "w", encoding="utf-8") as f:
            f.write(page)
    except OSError as exc:
        raise _Fail(f"--html {html_path}: cannot write ({exc.strerror or exc})") from None
    click.echo(f"wrote {html_path} ({len(page.encode()) // 1024} KB): {audience} view of {len(people)} people, "
               f"as of {(day or dt.date.today()).isoformat()}")


@cli.command()
@click.argument("source")
@click.option("--mapping", type=click.Path(), help="Mapping file: source columns to facts (docs/data.md).")
@click.option("--source", "source_name", help="Read SOURCE with this source (default: by file extension; "
                                              "sql for a database URL).")
@click.option("--table", help="With a database URL: the table of people.")
@click.option("--query", help="With a database URL: a SELECT that gives the people.")
@rules_option
@click.option("--out", help="Where to write: FILE.jsonl, FILE.csv or a database URL (default: JSONL on stdout).")
@click.option("--out-table", default=batch_mod.DEFAULT_OUT_TABLE, show_default=True,
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
    """Recommend for every record of SOURCE (a CSV, JSON, JSONL or YAML file, or a database URL
    with --table or --query), streamed.

    Bad records are rejected with their row, field and reason, and the rest go on. The last
    line on stderr is "N read, N accepted, N rejected". Exit codes: 0 all accepted, 1 some
    rejected, 2 a usage or configuration error. --log (with --audience) appends one line per
    accepted person to a decision log, as that audience sees them (docs/oversight.md).
    """
    if table is not None and query is not None:
        raise click.UsageError("give --table or --query, not both")
    options = batch_mod.BatchOptions(
        source=source, mapping=mapping, source_name=source_name, table=table, query=query, rules=rules,
        out=out, out_table=out_table, rejects=rejects, workers=workers, org=whole_org, audience=audience,
        as_of=_as_of(as_of), cap=cap, store=store_url, log=log_path,
        pseudonymiser=_pseudonymiser(key_env, log_path))
    try:
        stats = batch_mod.run_batch(options)
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None
    if log_path:
        click.echo(f"logged {stats.logged} people to {log_path} (as {audience} sees them"
                   f"{', pseudonymised' if options.pseudonymiser else ''})", err=True)
    click.echo(stats.summary(), err=True)
    if stats.rejected:
        sys.exit(1)


@cli.command()
@click.argument("source", required=False)
@sample_option
@click.option("--mapping", type=click.Path(), help="Mapping file from the source's columns to facts.")
@click.option("--source", "source_name", help="Source type (default: by file extension).")
@click.option("--table", help="SQL table (with a database URL).")
@click.option("--query", help="SQL query (with a database URL).")
@rules_option
@click.option("--by", "by", required=True, help="Protected attributes to group by, comma-separated (e.g. gender,age).")
@click.option("--min-group", type=click.IntRange(min=1), default=30, show_default=True,
              help="Both groups need this many people before a ratio is flagged.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@as_of_option
def audit(source: Optional[str], sample: bool, mapping: Optional[str], source_name: Optional[str],
          table: Optional[str], query: Optional[str], rules: tuple[str, ...], by: str, min_group: int,
          fmt: str, as_of: Optional[str]) -> None:
    """Who gets which development, by group: shares, four-fifths ratios and exact tests.

    Aggregates only: groups under 5 people are shown as <5 and never flagged.
    """
    from . import fairness
    attributes = [a.strip() for a in by.split(",") if a.strip()]
    try:
        if sample:
            people, rejected, day = list(sample_file().people()), 0, sample_file().as_of
        elif source:
            people, rejected = fairness.read_people(source, mapping, source_name, table=table, query=query)
            day = None
        else:
            raise click.UsageError("give a SOURCE or --sample")
        engine = _engine(rules, DEFAULT_CAP, _as_of(as_of) or day)
        result = fairness.audit(engine, people, attributes, min_group=min_group, rejected=rejected)
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(fairness.render_markdown(result) if fmt == "markdown" else fairness.render_text(result))


@cli.command("plugins")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def plugins_cmd(fmt: str) -> None:
    """List plugins: version, hooks, rule packs and interventions they add, rules they override."""
    try:
        engine = Engine.default()
    except DevrecsError as exc:
        raise _Fail(str(exc)) from None
    found = plugin_hooks.describe(engine.plugins, engine.overrides)
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


@cli.command("compile")
@click.argument("rules", nargs=-1, type=click.Path())
def compile_cmd(rules: tuple[str, ...]) -> None:
    """Print the durable-rules JSON that RULES (default: the built-in packs) compile to."""
    engine = _engine(rules, None, None)
    click.echo(json.dumps(engine.compiled, indent=2, sort_keys=True))


# rule authoring: validate, lint, test, schema, diff (authoring_cli.py, docs/authoring.md)
for _command in authoring_cli.COMMANDS:
    cli.add_command(_command)


def main() -> None:  # pragma: no cover - console entry
    cli(prog_name="devrecs")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
