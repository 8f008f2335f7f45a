"""Retention: a period set in the store (or given), enforced by `devrecs store prune`; old runs,
proposals with their events, outcomes and contested facts go, newer ones stay; the append-only
guard lets pruning delete only events older than the cutoff, and is whole again afterwards; on
SQLite and on PostgreSQL (tests/databases.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from databases import database_url, postgres_url  # noqa: F401  (fixtures: SQLite, and PostgreSQL when given)

from devrecs.cli import cli
from devrecs.oversight.store import Retention, Store, StoreError, _prune_guard

NOW = dt.datetime(2026, 12, 1, 12, 0)
OLD = NOW - dt.timedelta(days=500)
RECENT = NOW - dt.timedelta(days=30)


def backdate(store, run_id, when):
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE runs SET started_at = :w, finished_at = :w WHERE run_id = :r"),
                     {"w": when, "r": run_id})
        conn.execute(sa.text("UPDATE recommendations SET proposed_at = :w WHERE run_id = :r"), {"w": when, "r": run_id})


def fill(store):
    """An old run (one proposal whose life ended long ago, one reviewed recently), a recent run,
    outcomes and contested facts, old and recent."""
    recs = [{"intervention": "mentoring", "subject": "p1", "rules": ["r1"], "priority": 70},
            {"intervention": "coaching", "subject": "p1", "rules": ["r2"], "priority": 60}]
    old_run = store.record_run([("p1", recs)], "h1")
    backdate(store, old_run, OLD)
    new_run = store.record_run([("p2", [dict(recs[0], subject="p2")])], "h1")
    backdate(store, new_run, RECENT)
    ids = {(p.subject, p.intervention): p.id for p in store.review_queue()}
    store.advance([ids[("p1", "mentoring")]], "approved", "hr-1", when=OLD + dt.timedelta(days=1))
    store.advance([ids[("p1", "coaching")]], "approved", "hr-1", when=OLD + dt.timedelta(days=1))
    store.advance([ids[("p1", "coaching")]], "released", "hr-1",                 # its life goes on: kept
                  when=RECENT - dt.timedelta(days=10))
    store.advance([ids[("p2", "mentoring")]], "approved", "hr-1", when=RECENT)
    store.record_outcome("p1", "mentoring", "declined", by="p1", when=OLD + dt.timedelta(days=2))
    store.record_outcome("p2", "mentoring", "accepted", by="p2", when=RECENT)
    store.contest("p1", fact="gaps", reason="old", by="p1", when=OLD)
    store.contest("p2", fact="gaps", reason="recent", by="p2", when=RECENT)
    return old_run, new_run, ids


def count(store, table):
    with store.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()


def test_prune_deletes_what_is_older_than_the_period_and_keeps_the_rest(database_url):  # noqa: F811
    store = Store(database_url)
    old_run, new_run, ids = fill(store)
    before = {t: count(store, t) for t in ("runs", "recommendations", "proposal_events", "outcomes",
                                           "contested_facts")}
    dry = store.prune("400d", now=NOW, dry_run=True)
    assert dry["deleted"] == {"proposal_events": 1, "proposals": 1, "runs": 0, "outcomes": 1, "contested_facts": 1}
    assert {t: count(store, t) for t in before} == before            # a dry run deletes nothing
    done = store.prune("400d", now=NOW)
    assert done["deleted"] == dry["deleted"] and done["cutoff"] == NOW - dt.timedelta(days=400)
    left = {(p.subject, p.intervention) for s in ("approved", "released") for p in store.review_queue(state=s)}
    assert left == {("p1", "coaching"), ("p2", "mentoring")}
    assert store.events(ids[("p1", "mentoring")]) == []
    assert [e.event for e in store.events(ids[("p1", "coaching")])] == ["approved", "released"]   # whole life kept
    assert [o.person for o in store.outcomes()] == ["p2"]
    assert list(store.contested()) == ["p2"]
    assert {r["run_id"] for r in store.runs()} == {old_run, new_run}     # the old run keeps a proposal
    # once its last proposal is old, the run goes too
    later = store.prune("400d", now=RECENT + dt.timedelta(days=395))
    assert later["deleted"]["runs"] == 1 and later["deleted"]["proposals"] == 1
    assert [r["run_id"] for r in store.runs()] == [new_run]


def test_the_guard_is_whole_again_after_pruning_and_lets_only_old_events_go(database_url):  # noqa: F811
    store = Store(database_url)
    fill(store)
    store.prune("400d", now=NOW)
    for statement in ("UPDATE proposal_events SET actor = 'x'", "DELETE FROM proposal_events"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(sa.text(statement))
    # inside pruning's swap, an event at or after the cutoff still cannot be deleted, nor any updated
    for statement in ("DELETE FROM proposal_events", "UPDATE proposal_events SET reason = 'x'"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with store.engine.begin() as conn:
                _prune_guard(conn, NOW - dt.timedelta(days=400))
                conn.execute(sa.text(statement))
    assert count(store, "proposal_events") == 3


def test_a_retention_period_set_in_the_store_is_what_prune_enforces(database_url):  # noqa: F811
    store = Store(database_url)
    fill(store)
    with pytest.raises(StoreError, match="no retention period"):
        store.prune(now=NOW)
    assert store.retention() is None
    assert store.set_retention("13m") == Retention(13, "m")
    assert Store(database_url).retention() == Retention(13, "m")     # kept in the store
    done = store.prune(now=NOW)
    assert done["period"] == "13m" and done["cutoff"] == dt.datetime(2025, 11, 1, 12, 0)
    assert done["deleted"]["outcomes"] == 1
    store.set_retention(None)
    assert store.retention() is None


def test_retention_periods_read_and_count_back_by_the_calendar():
    assert Retention.parse("400d").cutoff(NOW) == NOW - dt.timedelta(days=400)
    assert Retention.parse("6W").cutoff(NOW) == NOW - dt.timedelta(weeks=6)
    assert Retention.parse("18m").cutoff(dt.datetime(2026, 8, 31)) == dt.datetime(2025, 2, 28)
    assert Retention.parse("2y").cutoff(dt.datetime(2028, 2, 29)) == dt.datetime(2026, 2, 28)
    for bad in ("", "400", "d", "0d", "-3m", "1.5y", "12h"):
        with pytest.raises(StoreError, match="is not a retention period"):
            Retention.parse(bad)


def test_devrecs_store_retention_and_prune(tmp_path):
    db = str(tmp_path / "s.db")
    runner = CliRunner()

    def run(*args, code=0):
        out = runner.invoke(cli, list(args), catch_exceptions=False)
        assert out.exit_code == code, out.output
        return out.output

    assert run("recommend", "--sample", "--store", db)
    assert "none set" in run("store", "retention", "--store", db)
    assert "no retention period" in run("store", "prune", "--store", db, code=2)
    assert "18m (18 months)" in run("store", "retention", "18m", "--store", db)
    assert "18m (18 months)" in run("store", "retention", "--store", db)
    text = run("store", "prune", "--store", db)
    assert "deleted from" in text and "older than 18m" in text and "0 proposals" in text
    assert "is not a retention period" in run("store", "prune", "--older-than", "soon", "--store", db, code=2)
    done = json.loads(run("store", "prune", "--older-than", "1d", "--dry-run", "--format", "json", "--store", db))
    assert done["dry_run"] and done["deleted"]["proposals"] == 0
    assert "no retention period" in run("store", "retention", "--clear", "--store", db)
