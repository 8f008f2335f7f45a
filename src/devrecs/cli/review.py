"""Commands of review before release and of contest: ``devrecs review list|approve|reject|
release|events|contest|contested|correct`` (docs/oversight.md). The library is imported inside each command."""

from __future__ import annotations

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
    rules_option,
    sample_option,
    source_options,
    store_option,
)


def _store(store_url: Optional[str]) -> Any:
    store = open_store(store_url)
    if store is None:
        raise click.UsageError("give --store URL (a SQLite file or a database URL) or set DEVRECS_STORE")
    return store


@click.group()
def review() -> None:
    """Review proposals before they are released to the employee (list, approve, reject, release,
    events), and contests of released items and of the facts behind them (contest, contested,
    correct)."""


@review.command("list")
@store_option
@click.option("--state", default="proposed", show_default=True,
              help="proposed (waiting for a reviewer), approved, rejected, released, accepted, declined, "
                   "completed or contested.")
@click.option("--intervention", help="Only proposals of this intervention.")
@click.option("--rule", help="Only proposals this rule helped make.")
@click.option("--subject", help="Only proposals to this person (or manager, for items sent to the manager).")
@click.option("--manager", help="Only proposals made from the facts of this manager's reports (needs the "
                                 "people: --people or --sample, to know who reports to whom).")
@click.option("--people", "people_file", help="With --manager: the people (any source recommend reads).")
@sample_option
@source_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "ids"]), default="text", show_default=True,
              help="ids: only the ids, one a line (to give to approve, reject, release or contest).")
def list_cmd(store_url: Optional[str], state: str, intervention: Optional[str], rule: Optional[str],
             subject: Optional[str], manager: Optional[str], people_file: Optional[str], sample: bool,
             mapping: Optional[str], source_name: Optional[str], table: Optional[str], query: Optional[str],
             fmt: str) -> None:
    """The proposals in a state (default: those waiting for a reviewer), oldest first.

    With --manager ID, only those of ID's reports (items for the report and items sent to the
    manager about them). The store keeps who a proposal was made for, not who manages them: give
    the people (--people FILE, --sample, --source) so manager_id tells who reports to whom.
    """
    store = _store(store_url)
    reports = None
    if manager is not None:
        if not people_file and not sample:
            raise click.UsageError("--manager needs the people to know who reports to whom (the store does "
                                   "not hold manager ids): give --people FILE or --sample")
        reports = _reports(manager, location(people_file, sample, "--people FILE"), mapping, source_name,
                           table, query)
    elif people_file or sample:
        raise click.UsageError("--people and --sample go with --manager")
    found = store.review_queue(state=state, intervention=intervention, rule=rule, subject=subject)
    if reports is not None:
        found = [p for p in found if p.person in reports]
    if fmt == "json":
        click.echo(json.dumps([p.to_dict() for p in found], indent=2))
        return
    if fmt == "ids":
        click.echo("\n".join(str(p.id) for p in found))
        return
    for p in found:
        click.echo(f"{p.id}\t{p.subject}\t{p.intervention}\trules {', '.join(p.rules)}\trun {p.run_id}")
    click.echo(f"{len(found)} proposal{'s' if len(found) != 1 else ''} {state}")


def _reports(manager: str, where: str, mapping: Optional[str], source_name: Optional[str],
             table: Optional[str], query: Optional[str]) -> set[str]:
    """Ids of the people whose manager_id is ``manager`` (rejected records are counted on stderr:
    one of them may be a report)."""
    from ..intake.pipeline import Reject
    opened = open_people(engine((), DEFAULT_CAP, None), where, mapping, source_name, table, query)
    reports, rejected = set(), 0
    for _, person in opened.read():
        if isinstance(person, Reject):
            rejected += 1
        elif person.manager_id == manager:
            reports.add(person.id)
    if rejected:
        click.echo(f"warning: {rejected} record{'s' if rejected != 1 else ''} of the people could not be read; "
                   f"a report among them is not listed", err=True)
    if not reports:
        click.echo(f"warning: nobody in the people reports to '{manager}'", err=True)
    return reports


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


@review.command("events")
@click.argument("proposal_id", type=int)
@store_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def events_cmd(proposal_id: int, store_url: Optional[str], fmt: str) -> None:
    """The life of proposal PROPOSAL_ID so far: each step, by whom, when and why, oldest first."""
    found = _store(store_url).events(proposal_id)
    if fmt == "json":
        click.echo(json.dumps([{"proposal": e.proposal, "event": e.event, "by": e.by, "when": e.when.isoformat(),
                                "reason": e.reason} for e in found], indent=2))
        return
    for e in found:
        click.echo(f"{e.when:%Y-%m-%d %H:%M}\t{e.event}\tby {e.by}" + (f"\t{e.reason}" if e.reason else ""))
    click.echo(f"{len(found)} step{'s' if len(found) != 1 else ''} after proposed")


@review.command("contest")
@click.argument("person_id")
@click.option("--proposal", "proposal", type=int, help="The released item contested (an id from 'review list').")
@click.option("--fact", help="A fact behind it that is wrong (e.g. engagement, gaps, pipeline.status, extra.NAME).")
@click.option("--reason", required=True, help="Why (required).")
@click.option("--by", "by", required=True, help="Who contests: the person, or HR for them (a person id).")
@store_option
def contest(person_id: str, proposal: Optional[int], fact: Optional[str], reason: str, by: str,
            store_url: Optional[str]) -> None:
    """PERSON_ID contests a released item (--proposal) and/or a fact behind it (--fact), with a
    reason. A contested fact stays flagged (HR sees it marked in explain and recommend) until
    'devrecs review correct' re-runs the person on the corrected fact."""
    open_facts = _store(store_url).contest(person_id, proposal=proposal, fact=fact, reason=reason, by=by)
    if proposal is not None:
        click.echo(f"{proposal}\tcontested by {by}")
    for c in open_facts:
        click.echo(f"fact {c.fact} of {c.person}\tcontested by {c.by} on {c.when:%Y-%m-%d}\t{c.reason}")


@review.command("contested")
@store_option
@click.option("--person", "person_id", help="Only this person's contested facts.")
@click.option("--all", "show_all", is_flag=True, help="Also the facts already corrected.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def contested_cmd(store_url: Optional[str], person_id: Optional[str], show_all: bool, fmt: str) -> None:
    """The contested facts that wait for a correction (with --all, the corrected ones too)."""
    found = _store(store_url).contested([person_id] if person_id else None, open_only=not show_all)
    rows = [c for person in found.values() for c in person]
    if fmt == "json":
        click.echo(json.dumps([c.to_dict() for c in rows], indent=2))
        return
    for c in rows:
        done = f"\tcorrected by {c.corrected_by} (run {c.correction_run})" if c.corrected_at else ""
        click.echo(f"{c.person}\t{c.fact}\tby {c.by} on {c.when:%Y-%m-%d}\t{c.reason}{done}")
    click.echo(f"{len(rows)} contested fact{'s' if len(rows) != 1 else ''}" + ("" if show_all else " open"))


@review.command("correct")
@click.argument("people_file", required=False)
@click.argument("person_id", required=False)
@sample_option
@rules_option
@source_options
@click.option("--fact", help="The contested fact that was corrected (default: every open one of the person).")
@click.option("--value", help="The corrected value, as YAML (e.g. high, or '[{skill: conflict, severity: low}]'); "
                              "default: the value read again from PEOPLE_FILE.")
@click.option("--by", "by", required=True, help="Who corrected it (a person id).")
@as_of_option
@store_option
def correct(people_file: Optional[str], person_id: Optional[str], sample: bool, rules: tuple[str, ...],
            mapping: Optional[str], source_name: Optional[str], table: Optional[str], query: Optional[str],
            fact: Optional[str], value: Optional[str], by: str, as_of: Optional[str], store_url: Optional[str],
            ) -> None:
    """Re-run PERSON_ID after a contested fact was corrected: the person is read again from
    PEOPLE_FILE (fixed at the source), or --fact is set to --value; the new proposals are recorded
    as a run (they wait for review like any other) and the contests are marked corrected.
    With --sample give only PERSON_ID."""
    import yaml

    from ..app import set_fact
    from ..errors import UnknownIdError, did_you_mean
    from ..oversight.store import check_fact
    if sample and person_id is None:
        people_file, person_id = None, people_file
    if person_id is None:
        raise click.UsageError("give PEOPLE_FILE PERSON_ID, or --sample PERSON_ID")
    if value is not None and fact is None:
        raise click.UsageError("--value needs --fact: say which fact it corrects")
    store = _store(store_url)
    where = location(people_file, sample)
    day = parse_date(as_of)
    eng = engine(rules, DEFAULT_CAP, day)
    opened = open_people(eng, where, mapping, source_name, table, query)
    people = {p.id: p for p in opened.all()}
    if person_id not in people:
        raise UnknownIdError(f"unknown person '{person_id}'{did_you_mean(person_id, people)}")
    person = people[person_id]
    if value is not None and fact is not None:
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise click.BadParameter(f"not YAML: {str(exc).splitlines()[0]}", param_hint="--value") from None
        person = set_fact(person, check_fact(fact), parsed)
    person, recs, run_id = eng.correct(person, store, by=by, fact=fact, as_of=day or opened.as_of)
    click.echo(f"re-ran {person.id}: recorded run {run_id} with {len(recs)} proposal{'s' if len(recs) != 1 else ''} "
               f"waiting for review" + (f"; {fact} marked corrected" if fact else "; its contests marked corrected"))
    for r in recs:
        click.echo(f"  {r.intervention} ({r.priority})")
