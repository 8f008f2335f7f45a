"""One person's data: export finds everything the store and the logs hold about them (through
the pseudonym key too); erase leaves nothing of them, keeps the log chain verifiable and the
other people's data whole."""

import json

import sqlalchemy as sa
from click.testing import CliRunner
from databases import database_url, postgres_url  # noqa: F401  (fixtures: SQLite, and PostgreSQL when given)

from devrecs.cli import cli
from devrecs.intake.peoplefile import sample_file
from devrecs.oversight.decisionlog import DecisionLog, Pseudonymiser, person_lines, read_log, verify
from devrecs.oversight.store import ERASED, Store

KEY = "k3y-for-the-person-data-tests-7Qx9Zr2Lm"
DAY = sample_file().as_of


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def fill(store):
    """p1's proposals (one of them sent to p1's manager m1), an outcome, review steps by hr-1,
    and p2's data, which must survive p1's erasure; m1 also records an outcome for p2."""
    with store.start_run("h1") as r:
        r.add([{"intervention": "mentoring", "subject": "p1", "rules": ["a"], "priority": 70},
               {"intervention": "new-manager-training", "subject": "m1", "rules": ["b"], "priority": 60}], "p1")
        r.add([{"intervention": "coaching", "subject": "p2", "rules": ["c"], "priority": 50}], "p2")
    ids = {p.intervention: p.id for p in store.review_queue()}
    store.advance([ids["mentoring"], ids["coaching"]], "approved", "hr-1")
    store.advance([ids["coaching"]], "released", "p1")          # p1 acting for someone else
    store.record_outcome("p1", "mentoring", "accepted", by="m1")
    store.record_outcome("p2", "coaching", "declined", by="p1")
    store.contest("p1", fact="gaps", reason="my gaps are out of date", by="p1")
    store.contest("p2", fact="engagement", reason="survey misread", by="p1")      # p1 as HR for p2
    return ids


def dump(store):
    """Every value of every table, as text."""
    with store.engine.connect() as conn:
        return "\n".join(str(tuple(row)) for t in ("recommendations", "outcomes", "proposal_events", "runs",
                                                              "contested_facts")
                         for row in conn.execute(sa.text(f"SELECT * FROM {t}")))


def test_export_and_erase_in_the_store(database_url):  # noqa: F811
    store = Store(database_url)
    ids = fill(store)
    data = store.person_data("p1")
    assert {p["intervention"] for p in data["proposals"]} == {"mentoring", "new-manager-training"}
    assert {(o["person"], o["decided_by"]) for o in data["outcomes"]} == {("p1", "m1"), ("p2", "p1")}
    # p2's declining the released coaching is an event too, recorded by p1
    assert {(e["proposal"], e["event"]) for e in data["proposal_events"]} == {
        (ids["mentoring"], "approved"), (ids["coaching"], "released"), (ids["coaching"], "declined")}

    assert {(c["person"], c["actor"]) for c in data["contested_facts"]} == {("p1", "p1"), ("p2", "p1")}
    counts = store.erase_person("p1")
    assert counts == {"proposal_events": 1, "proposals": 2, "outcomes": 1, "contested_facts": 1, "redacted": 4}
    text = dump(store)
    assert "'p1'" not in text                                  # nothing of p1 remains
    assert store.person_data("p1") == {"person": "p1", "proposals": [], "proposal_events": [], "outcomes": [],
                                       "contested_facts": []}
    assert [(c.person, c.fact, c.by) for c in store.contested()["p2"]] == [("p2", "engagement", ERASED)]
    # p2's data stays, with p1 as the actor erased
    assert [(e.event, e.by) for e in store.events(ids["coaching"])] == [("approved", "hr-1"), ("released", ERASED),
                                                                        ("declined", ERASED)]
    assert [(o.person, o.by) for o in store.outcomes()] == [("p2", ERASED)]
    # and the table is append-only again afterwards
    with store.engine.begin() as conn:
        try:
            conn.execute(sa.text("DELETE FROM proposal_events"))
            raise AssertionError("the append-only guard did not come back")
        except sa.exc.DatabaseError:
            pass


def test_erase_in_the_logs_keeps_the_chain_and_leaves_nothing(tmp_path):
    a, b = tmp_path / "d.1.jsonl", tmp_path / "d.2.jsonl"
    key = Pseudonymiser(KEY.encode())
    with DecisionLog(str(a), ruleset_hash="h", audience="hr", as_of=DAY, pseudonymiser=key) as log:
        log.write("p2", [])
        log.write("p1", [{"intervention": "mentoring", "subject": "p1", "rules": ["a"], "priority": 1}])
        log.rotate(str(b))
        log.write("p3", [{"intervention": "coaching", "subject": "p1", "rules": ["m"], "priority": 1}])
        log.write("p1", [])
        log.write("p4", [])
    found = person_lines([str(a), str(b)], "p1", key)
    assert [(f["file"], f["line"]) for f in found] == [(str(a), 2), (str(b), 1), (str(b), 2)]
    assert person_lines([str(a), str(b)], "p1") == []           # pseudonymised: found only through the key

    env = {"K": KEY}
    out = run("person", "erase", "p1", "--log", str(a), "--log", str(b), "--pseudonymise-key-env", "K", "--yes",
              env=env)
    assert out.exit_code == 0 and "3 log lines" in out.output, out.output
    text = a.read_text() + b.read_text()
    assert key("p1") not in text and '"p1"' not in text
    v = verify([str(a), str(b)])
    assert v.ok and v.erased == 3 and v.chained == 5
    assert [e["person"] for e in read_log(str(a)) + read_log(str(b))] == [key("p2"), key("p3"), key("p4")]
    # a line changed after the erasure is still caught
    lines = b.read_text().splitlines()
    lines[-1] = lines[-1].replace(key("p4"), key("p5"))
    b.write_text("\n".join(lines) + "\n")
    assert verify([str(a), str(b)]).ok          # the last line: only a kept head shows it
    lines = a.read_text().splitlines()
    lines[0] = lines[0].replace(key("p2"), key("p5"))
    a.write_text("\n".join(lines) + "\n")
    broken = verify([str(a), str(b)]).broken
    assert broken is not None and (broken.line, broken.kind) == (1, "altered")


def test_devrecs_person_export_and_erase_from_the_store_and_a_log(tmp_path):
    db, log = str(tmp_path / "s.db"), tmp_path / "d.jsonl"
    assert run("recommend", "--sample", "--store", db, "--log", str(log)).exit_code == 0
    who = "persona-deep-expert"
    out = run("person", "export", who, "--store", db, "--log", str(log))
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    assert data["store"]["proposals"] and all(who in (p["person"], p["subject"]) for p in data["store"]["proposals"])
    assert [x["entry"]["person"] for x in data["logs"]] == [who]
    refused = CliRunner().invoke(cli, ["person", "erase", who, "--store", db])
    assert refused.exit_code == 2 and "--yes" in refused.output
    assert run("person", "erase", who, "--store", db, "--log", str(log), "--yes").exit_code == 0
    assert who not in log.read_text() and who not in dump(Store(db))
    again = json.loads(run("person", "export", who, "--store", db, "--log", str(log)).stdout)
    assert again["logs"] == [] and all(v == [] for v in again["store"].values())
    assert run("log", "verify", str(log)).exit_code == 0
