"""The store: outcomes and runs, history feeding cooldowns, migrations, concurrent writers."""

import datetime as dt
import json
import multiprocessing
import sqlite3

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from databases import database_url, postgres_url  # noqa: F401  (fixtures: SQLite, and PostgreSQL when given)

from devrecs import Engine
from devrecs.cli import cli
from devrecs.intake.peoplefile import sample_file
from devrecs.oversight import store as store_mod
from devrecs.oversight.store import LATEST, Store, StoreError, with_history

AS_OF = dt.date(2026, 6, 30)
EXPERT = {"id": "p1", "track": "individual_contributor", "performance": "high", "potential": "low",
          "aspiration": "technical", "career_stage": "senior",
          "gaps": [{"skill": "communication", "severity": "high"},
                   {"skill": "strategic_thinking", "severity": "medium"}]}


@pytest.fixture(scope="module")
def engine():
    return Engine.default(as_of=AS_OF)


def test_outcomes_round_trip_and_feed_cooldowns(database_url, engine):  # noqa: F811
    store = Store(database_url)
    assert store.version == LATEST
    first = engine.recommend(EXPERT)
    assert "communication-skills" in [r.intervention for r in first]
    run_id = store.record_run([(EXPERT["id"], first)], engine.ruleset_hash, as_of=AS_OF)
    rec = store.record_outcome("p1", "communication-skills", "completed", by="hr-7", note="done in May")
    assert rec.run_id == run_id and rec.rules == next(r.rules for r in first
                                                      if r.intervention == "communication-skills")
    store.record_outcome("p1", "mentoring", "declined", by="p1", when=dt.date(2026, 5, 2))
    history = store.history_for("p1")
    assert [h["intervention"] for h in history] == ["mentoring", "communication-skills"]
    assert history[0] == {"intervention": "mentoring", "date": dt.date(2026, 5, 2), "outcome": "declined"}
    assert store.history_for("nobody") == []

    (person,) = with_history([engine.prepare(EXPERT)], store)
    again = [r.intervention for r in engine.recommend(person)]
    assert "communication-skills" not in again
    item = engine.explain(person, "communication-skills").items[0]
    assert item.status == "removed" and "in cooldown" in item.summary
    [run] = store.runs()
    assert run["run_id"] == run_id and run["people"] == 1 and run["proposals"] == len(first)
    store.close()


def test_bad_outcomes_are_refused(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    with pytest.raises(StoreError, match="did you mean 'accepted'"):
        store.record_outcome("p1", "mentoring", "acepted", by="hr")
    with pytest.raises(StoreError, match="by must be a non-empty id"):
        store.record_outcome("p1", "mentoring", "accepted", by="")


def test_rates_count_each_pair_once_by_its_latest_outcome(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    recs = [{"intervention": "mentoring", "subject": s, "rules": ["r-mentor"], "priority": 50}
            for s in ("a", "b", "c")]
    with store.start_run("h1") as run:
        for r in recs:
            run.add([r], r["subject"])
    store.record_outcome("a", "mentoring", "accepted", by="hr")
    store.record_outcome("a", "mentoring", "completed", by="hr")
    store.record_outcome("b", "mentoring", "declined", by="hr")
    rates = store.rates()
    t = rates.interventions["mentoring"]
    assert (t.proposed, t.accepted, t.completed, t.declined) == (3, 0, 1, 1)
    assert t.acceptance == 0.5 and t.completion == 1.0
    assert rates.rules["r-mentor"].to_dict()["acceptance"] == 0.5


def test_a_v1_database_migrates_to_the_latest(database_url):  # noqa: F811
    old = Store(database_url, migrate_to=1)
    assert old.version == 1
    with old.engine.begin() as conn:   # rows as devrecs wrote them at version 1
        conn.execute(sa.text("INSERT INTO recommendations (run_id, person, subject, intervention, rules, priority, "
                             "ruleset_hash, proposed_at) VALUES ('run-1', 'p1', 'p1', 'mentoring', "
                             "'early-career-mentoring', 70, 'abc', '2026-01-05 10:00:00')"))
        conn.execute(sa.text("INSERT INTO outcomes (person, intervention, outcome, decided_by, decided_at, note) "
                             "VALUES ('p1', 'mentoring', 'accepted', 'hr-1', '2026-02-01 09:00:00', 'ok')"))
    assert not sa.inspect(old.engine).has_table("runs")
    old.close()

    store = Store(database_url)
    assert store.version == LATEST == 4
    [run] = store.runs()
    assert (run["run_id"], run["ruleset_hash"], run["people"], run["proposals"]) == ("run-1", "abc", 1, 1)
    [o] = store.outcomes()
    assert (o.run_id, o.rules, o.note) == ("run-1", ("early-career-mentoring",), "ok")
    assert store.history_for("p1") == [{"intervention": "mentoring", "date": dt.date(2026, 2, 1),
                                        "outcome": "accepted"}]
    with store.engine.connect() as conn:
        versions = [r[0] for r in conn.execute(sa.text("SELECT version FROM schema_version ORDER BY version"))]
        assert versions == [1, 2, 3, 4]
        # the latest Table objects the queries use match what the migrations built
        live = sa.MetaData()
        live.reflect(conn)
        for table in store_mod._md.sorted_tables:
            assert {c.name for c in live.tables[table.name].columns} == set(table.columns.keys()), table.name


def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "new.db"
    Store(str(path)).close()
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO schema_version VALUES (99, '2030-01-01 00:00:00')")
    with pytest.raises(StoreError, match="version 99, newer than this devrecs knows"):
        Store(str(path))


# -- several processes writing at once ---------------------------------------------------------

WRITERS = 4
EACH = 40


def _writer(path: str, n: int, barrier) -> None:
    barrier.wait()                     # every process opens (and migrates) the fresh file at once
    store = Store(path)
    for i in range(EACH):
        store.record_outcome(f"p{n}-{i}", "mentoring", ("accepted", "declined", "completed")[i % 3],
                             by=f"writer-{n}", note=f"{n}:{i}")
        if i % 10 == 0:
            with store.start_run(f"hash-{n}") as run:
                run.add([{"intervention": "coaching", "subject": f"p{n}-{i}", "rules": ["r"], "priority": 1}],
                        f"p{n}-{i}")
    store.close()


def test_concurrent_writers_lose_nothing(database_url):  # noqa: F811
    path = database_url
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WRITERS)
    procs = [ctx.Process(target=_writer, args=(path, n, barrier)) for n in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    store = Store(path)
    notes = sorted(o.note for o in store.outcomes())
    assert notes == sorted(f"{n}:{i}" for n in range(WRITERS) for i in range(EACH))
    runs = store.runs()
    assert len(runs) == WRITERS * (EACH // 10) and all(r["proposals"] == 1 for r in runs)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM schema_version")).scalar() == LATEST
        if store.sqlite:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"


# -- the CLI --------------------------------------------------------------------------------------


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def test_record_then_recommend_sees_the_cooldown(tmp_path):
    db = str(tmp_path / "devrecs.db")
    first = run("recommend", "--sample", "--format", "json", "--store", db)
    assert first.exit_code == 0, first.output
    rows = json.loads(first.stdout)
    deep = next(r for r in rows if r["person"] == "persona-deep-expert")
    assert "communication-skills" in [r["intervention"] for r in deep["recommendations"]]
    assert "recorded run" in first.stderr

    out = run("record", "persona-deep-expert", "communication-skills", "--outcome", "completed",
              "--by", "hr-7", "--note", "finished the course", "--store", db)
    assert out.exit_code == 0, out.output
    assert "completed" in out.output and "answers run" in out.output

    # the store's URL from the environment works the same
    second = run("recommend", "--sample", "--format", "json", env={"DEVRECS_STORE": db})
    deep = next(r for r in json.loads(second.stdout) if r["person"] == "persona-deep-expert")
    assert "communication-skills" not in [r["intervention"] for r in deep["recommendations"]]
    store = Store(db)
    assert len(store.runs()) == 2
    sample = sample_file()
    person = next(p for p in with_history(sample.people(), store) if p.id == "persona-deep-expert")
    item = Engine.default(as_of=sample.as_of).explain(person, "communication-skills").items[0]
    assert "in cooldown: completed on" in item.summary


def test_record_errors_are_one_line(tmp_path):
    db = str(tmp_path / "devrecs.db")
    bad = CliRunner().invoke(cli, ["record", "p1", "mentorng", "--outcome", "accepted", "--by", "hr",
                                   "--store", db])
    assert bad.exit_code == 2 and "unknown intervention 'mentorng' (did you mean 'mentoring'?)" in bad.output
    no_store = CliRunner().invoke(cli, ["record", "p1", "mentoring", "--outcome", "accepted", "--by", "hr"],
                                  env={"DEVRECS_STORE": ""})
    assert no_store.exit_code == 2 and "--store" in no_store.output
    bad_date = CliRunner().invoke(cli, ["record", "p1", "mentoring", "--outcome", "accepted", "--by", "hr",
                                        "--date", "2026-13-01", "--store", db])
    assert bad_date.exit_code == 2 and "Traceback" not in bad_date.output
