"""Review before release: a proposal's life proposed -> approved/rejected -> released ->
accepted/declined/completed/contested, each step an event in an append-only table, on SQLite
and (when given) PostgreSQL; ``devrecs review`` lists, approves, rejects and releases."""

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from databases import database_url, postgres_url  # noqa: F401  (fixtures: SQLite, and PostgreSQL when given)

from devrecs.cli import cli
from devrecs.oversight.store import NEXT, PROPOSED, Store, StoreError


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def proposals(store):
    recs = [{"intervention": "mentoring", "subject": "p1", "rules": ["early-career-mentoring"], "priority": 70},
            {"intervention": "coaching", "subject": "p1", "rules": ["coach"], "priority": 50},
            {"intervention": "new-manager-training", "subject": "m1", "rules": ["new-managers"], "priority": 60}]
    with store.start_run("h1") as recorder:
        recorder.add(recs, "p1")
    return {(p.intervention): p.id for p in store.review_queue()}


def test_one_proposal_walks_from_proposed_to_contested_with_every_event_recorded(database_url):  # noqa: F811
    store = Store(database_url)
    ids = proposals(store)
    mentoring = ids["mentoring"]
    t0 = dt.datetime(2026, 7, 1, 9)
    steps = [("approved", "hr-1", "fits the plan"), ("released", "hr-1", ""), ("accepted", "p1", ""),
             ("contested", "p1", "my gaps are out of date")]
    for i, (event, by, reason) in enumerate(steps):
        [p] = store.advance([mentoring], event, by, reason, when=t0 + dt.timedelta(days=i))
        assert p.state == event
    assert [(e.event, e.by, e.reason, e.when) for e in store.events(mentoring)] == \
        [(event, by, reason, t0 + dt.timedelta(days=i)) for i, (event, by, reason) in enumerate(steps)]
    assert [p.id for p in store.review_queue(state="contested")] == [mentoring]
    # the others still wait for a reviewer
    assert {p.intervention for p in store.review_queue()} == {"coaching", "new-manager-training"}


def test_steps_out_of_order_are_refused_and_nothing_is_written(database_url):  # noqa: F811
    store = Store(database_url)
    ids = proposals(store)
    with pytest.raises(StoreError, match=r"is proposed: it cannot be released; from proposed it can be "
                                         r"approved, rejected"):
        store.advance([ids["coaching"]], "released", "hr-1")
    store.advance([ids["mentoring"]], "rejected", "hr-1", "not now")
    # one of the two cannot be approved: neither is
    with pytest.raises(StoreError, match="is rejected: it cannot be approved; from rejected it can be nothing"):
        store.advance([ids["coaching"], ids["mentoring"]], "approved", "hr-1")
    assert store.events(ids["coaching"]) == []
    with pytest.raises(StoreError, match="needs a reason"):
        store.advance([ids["coaching"]], "rejected", "hr-1")
    with pytest.raises(StoreError, match="no proposal 999"):
        store.advance([999], "approved", "hr-1")
    with pytest.raises(StoreError, match="did you mean 'approved'"):
        store.advance([ids["coaching"]], "aproved", "hr-1")


def test_the_event_table_is_append_only(database_url):  # noqa: F811
    store = Store(database_url)
    ids = proposals(store)
    store.advance([ids["mentoring"]], "approved", "hr-1")
    for statement in ("UPDATE proposal_events SET actor = 'someone else'", "DELETE FROM proposal_events"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(sa.text(statement))
    assert [e.by for e in store.events(ids["mentoring"])] == ["hr-1"]


def test_every_state_can_be_reached_and_the_ends_are_ends():
    reachable, todo = {PROPOSED}, [PROPOSED]
    while todo:
        for nxt in NEXT[todo.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                todo.append(nxt)
    assert reachable == set(NEXT)
    assert NEXT["rejected"] == () and NEXT["contested"] == ()
    assert "released" not in NEXT[PROPOSED]       # nothing reaches the employee unreviewed


def test_devrecs_review_lists_approves_rejects_and_releases(tmp_path):
    db = str(tmp_path / "s.db")
    assert run("recommend", "--sample", "--store", db).exit_code == 0
    waiting = json.loads(run("review", "list", "--store", db, "--format", "json").stdout)
    assert waiting and all(p["state"] == "proposed" for p in waiting)
    mentoring = [p for p in waiting if p["intervention"] == "mentoring"]
    listed = json.loads(run("review", "list", "--store", db, "--intervention", "mentoring", "--format",
                            "json").stdout)
    assert [p["id"] for p in listed] == [p["id"] for p in mentoring]
    rule = waiting[0]["rules"][0]
    by_rule = json.loads(run("review", "list", "--store", db, "--rule", rule, "--format", "json").stdout)
    assert by_rule and all(rule in p["rules"] for p in by_rule)

    first, second = str(mentoring[0]["id"]), str(mentoring[1]["id"])
    out = run("review", "approve", first, second, "--by", "hr-1", "--reason", "agreed in the talent review",
              "--store", db)
    assert out.exit_code == 0 and out.output.count("approved by hr-1") == 2
    nowhere = CliRunner().invoke(cli, ["review", "release", first, "--by", "hr-1"], env={"DEVRECS_STORE": None})
    assert nowhere.exit_code == 2 and "give --store" in nowhere.output
    assert run("review", "release", first, "--by", "hr-1", "--store", db).exit_code == 0
    out = CliRunner().invoke(cli, ["review", "reject", second, "--by", "hr-2", "--store", db])
    assert out.exit_code == 2 and "--reason" in out.output          # a rejection needs its reason
    assert run("review", "reject", second, "--by", "hr-2", "--reason", "already booked", "--store", db).exit_code == 0
    out = CliRunner().invoke(cli, ["review", "release", second, "--by", "hr-2", "--store", db])
    assert out.exit_code == 2 and "is rejected: it cannot be released" in out.output
    text = run("review", "list", "--store", db, "--state", "rejected").output
    assert text.startswith(second + "\t") and "1 proposal rejected" in text
    store = Store(db)
    assert [(e.event, e.by, e.reason) for e in store.events(int(second))] == [
        ("approved", "hr-1", "agreed in the talent review"), ("rejected", "hr-2", "already booked")]
    assert [e.event for e in store.events(int(first))] == ["approved", "released"]


def test_a_recorded_outcome_is_an_event_of_a_released_proposal(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    ids = proposals(store)
    store.advance([ids["mentoring"]], "approved", "hr-1")
    store.advance([ids["mentoring"]], "released", "hr-1")
    store.record_outcome("p1", "mentoring", "accepted", by="p1", note="starts in May")
    store.record_outcome("p1", "mentoring", "completed", by="hr-1")
    assert [(e.event, e.by, e.reason) for e in store.events(ids["mentoring"])][2:] == [
        ("accepted", "p1", "starts in May"), ("completed", "hr-1", "")]
    # an unreviewed proposal gets its outcome recorded, and its life is left as it was
    store.record_outcome("p1", "coaching", "declined", by="p1")
    assert store.events(ids["coaching"]) == [] and [o.outcome for o in store.outcomes()][-1] == "declined"
