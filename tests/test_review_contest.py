"""Contest: a person (or HR for them) contests a released item or a fact behind it; the fact is
flagged and shown to HR beside it; a corrected fact re-runs the person and records new proposals;
the report counts contests per rule. One proposal walks from proposed to contested through the
commands, with every event recorded, on SQLite and on PostgreSQL (tests/databases.py)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from databases import database_url, postgres_url  # noqa: F401  (fixtures: SQLite, and PostgreSQL when given)

from devrecs import Engine
from devrecs.app import set_fact
from devrecs.cli import cli
from devrecs.intake.peoplefile import sample_file
from devrecs.oversight.store import Store, StoreError

SAMPLE = sample_file()
PEOPLE = {p.id: p for p in SAMPLE.people()}
ENGINE = Engine.default(as_of=SAMPLE.as_of)
EXPERT = PEOPLE["persona-deep-expert"]


def run(*args, code=0):
    out = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert out.exit_code == code, out.output
    return out


def test_one_proposal_walks_from_proposed_to_contested_through_the_commands(database_url, tmp_path):  # noqa: F811
    db = database_url
    run("recommend", "--sample", "--store", db)
    waiting = json.loads(run("review", "list", "--store", db, "--subject", EXPERT.id, "--intervention",
                             "communication-skills", "--format", "json").stdout)
    [item] = [p for p in waiting if p["person"] == EXPERT.id]
    pid = str(item["id"])
    assert item["state"] == "proposed"
    run("review", "approve", pid, "--by", "hr-1", "--reason", "agreed in the talent review", "--store", db)
    run("review", "release", pid, "--by", "hr-1", "--store", db)
    run("record", EXPERT.id, "communication-skills", "--outcome", "accepted", "--by", EXPERT.id,
        "--note", "starts in May", "--store", db)
    out = run("review", "contest", EXPERT.id, "--proposal", pid, "--fact", "gaps", "--reason",
              "my communication gap was closed last year", "--by", EXPERT.id, "--store", db)
    assert f"{pid}\tcontested by {EXPERT.id}" in out.output and "fact gaps of persona-deep-expert" in out.output
    steps = json.loads(run("review", "events", pid, "--store", db, "--format", "json").stdout)
    assert [(s["event"], s["by"], s["reason"]) for s in steps] == [
        ("approved", "hr-1", "agreed in the talent review"), ("released", "hr-1", ""),
        ("accepted", EXPERT.id, "starts in May"), ("contested", EXPERT.id, "my communication gap was closed last year")]
    assert [s["when"] for s in steps] == sorted(s["when"] for s in steps)
    # the end of its life: nothing moves it on
    out = run("review", "release", pid, "--by", "hr-1", "--store", db, code=2)
    assert "is contested: it cannot be released" in out.output
    store = Store(db)
    [flag] = store.contested([EXPERT.id])[EXPERT.id]
    assert (flag.person, flag.fact, flag.proposal, flag.by) == (EXPERT.id, "gaps", int(pid), EXPERT.id)
    assert store.contests_per_rule()[item["rules"][0]] == {"items": 1, "facts": 1}
    # HR sees the fact marked contested beside it; the employee does not see the marking
    hr = run("explain", "--sample", EXPERT.id, "--intervention", "strategic-thinking", "--store", db).output
    assert "[contested: my communication gap was closed last year]" in hr
    own = run("explain", "--sample", EXPERT.id, "--audience", "employee", "--store", db).output
    assert "contested" not in own
    listed = run("review", "contested", "--store", db).output
    assert f"{EXPERT.id}\tgaps\tby {EXPERT.id}" in listed and "1 contested fact open" in listed
    # corrected (the gap given anew): the person is re-run and the new proposals wait for review
    out = run("review", "correct", "--sample", EXPERT.id, "--fact", "gaps", "--value",
              "[{skill: strategic_thinking, severity: medium}]", "--by", "hr-2", "--store", db)
    assert "communication-skills" not in out.output and "strategic-thinking" in out.output
    assert "waiting for review" in out.output
    assert store.contested([EXPERT.id]) == {}
    [done] = store.contested([EXPERT.id], open_only=False)[EXPERT.id]
    assert done.corrected_by == "hr-2" and done.correction_run == store.runs()[-1]["run_id"]
    newest = [p for p in store.review_queue(subject=EXPERT.id) if p.run_id == done.correction_run]
    assert newest and "communication-skills" not in {p.intervention for p in newest}
    assert "[contested" not in run("explain", "--sample", EXPERT.id, "--store", db).output


def test_a_contest_is_refused_clearly_and_writes_nothing(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    store.record_run([(EXPERT, ENGINE.recommend(EXPERT))], ENGINE.ruleset_hash)
    [first, *_] = store.review_queue()
    with pytest.raises(StoreError, match="is proposed: only a released item"):
        store.contest(EXPERT.id, proposal=first.id, fact="gaps", reason="wrong", by=EXPERT.id)
    assert store.contested() == {}            # neither the step nor the fact was written
    with pytest.raises(StoreError, match="is not someone-else's"):
        store.contest("someone-else", proposal=first.id, reason="wrong", by="hr-1")
    with pytest.raises(StoreError, match="needs a reason"):
        store.contest(EXPERT.id, fact="gaps", reason="  ", by=EXPERT.id)
    with pytest.raises(StoreError, match="did you mean 'engagement'"):
        store.contest(EXPERT.id, fact="engagment", reason="x", by=EXPERT.id)
    with pytest.raises(StoreError, match="say what is contested"):
        store.contest(EXPERT.id, reason="x", by=EXPERT.id)
    # a fact alone may be contested at any time, and extra facts too
    store.contest(EXPERT.id, fact="extra.department", reason="I moved teams", by="hr-1")
    assert [c.fact for c in store.contested()[EXPERT.id]] == ["extra.department"]
    out = CliRunner().invoke(cli, ["review", "contest", EXPERT.id, "--fact", "gaps", "--by", "x",
                                   "--store", str(tmp_path / "s.db")])
    assert out.exit_code == 2 and "--reason" in out.output


def test_hr_sees_contested_facts_in_recommend_evidence_and_others_do_not(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    store.contest(EXPERT.id, fact="performance", reason="rated before my project shipped", by=EXPERT.id)
    marked = ENGINE.recommend_for(EXPERT, "hr", review=store)
    tests = [e.test for r in marked for e in r.evidence if e.fact == "performance"]
    assert tests and all(t.endswith("[contested: rated before my project shipped]") for t in tests)
    for audience in ("manager", "executive"):
        assert ENGINE.recommend_for(EXPERT, audience, review=store) == ENGINE.recommend_for(EXPERT, audience)
    # devrecs recommend --store, HR's view of everything, marks it in the evidence of its JSON
    db = str(tmp_path / "s.db")
    rows = json.loads(run("recommend", "--sample", "--store", db, "--format", "json").stdout)
    [mine] = [r["recommendations"] for r in rows if r["person"] == EXPERT.id]
    marked = [e["test"] for r in mine for e in r["evidence"] if e["fact"] == "performance"]
    assert marked and all("[contested: rated before my project shipped]" in t for t in marked)
    assert "[contested" not in json.dumps([r for r in rows if r["person"] != EXPERT.id])


def test_set_fact_sets_nested_facts_and_validates():
    p = set_fact(EXPERT, "engagement", "low")
    assert str(getattr(p.engagement, "value", p.engagement)) == "low" != str(getattr(EXPERT.engagement, "value",
                                                                                     EXPERT.engagement))
    assert set_fact(EXPERT, "extra.department", "R&D").extra["department"] == "R&D"
    from devrecs.errors import DevrecsError
    with pytest.raises(DevrecsError, match="engagement"):
        set_fact(EXPERT, "engagement", "enormous")


def test_the_report_counts_contests_per_rule(tmp_path):
    from devrecs.reports.organization import build_report
    store = Store(str(tmp_path / "s.db"))
    store.record_run([(EXPERT, ENGINE.recommend(EXPERT))], ENGINE.ruleset_hash)
    item = next(p for p in store.review_queue() if p.intervention == "communication-skills")
    store.advance([item.id], "approved", "hr-1")
    store.advance([item.id], "released", "hr-1")
    store.contest(EXPERT.id, proposal=item.id, fact="gaps", reason="closed last year", by=EXPERT.id)
    store.contest(EXPERT.id, fact="engagement", reason="survey misread", by="hr-1")
    page = build_report(ENGINE, list(PEOPLE.values()), audience="hr", store=store, as_of=SAMPLE.as_of)
    assert "Contests per rule" in page
    rule = item.rules[0]
    title = next(r.title for r in ENGINE.rules if r.id == rule)
    assert f'<td><code>{rule}</code></td><td>{title}</td><td class="n">1</td><td class="n">1</td>' in page
    assert '<td>(no rule: a fact alone)</td><td></td><td class="n">0</td><td class="n">1</td>' in page
    board = build_report(ENGINE, list(PEOPLE.values()), audience="executive", store=store, as_of=SAMPLE.as_of)
    assert "Contests per rule" not in board                 # HR's table: rule ids and facts contested
