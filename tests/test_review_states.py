"""HR's and managers' lists with a store say where each item stands in review (new, waiting for
review, approved, released, rejected, accepted ...), read from the store in one query per chunk
of people and as the store stood before the run proposed anything; the employee's list never
carries it (it holds released items only)."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from click.testing import CliRunner

from devrecs import Engine
from devrecs.cli import cli
from devrecs.intake.peoplefile import sample_file
from devrecs.oversight import store as store_mod
from devrecs.oversight.store import Store
from devrecs.render.listing import people_table

SAMPLE = sample_file()
PEOPLE = list(SAMPLE.people())
ENGINE = Engine.default(as_of=SAMPLE.as_of)
EXPERT = next(p for p in PEOPLE if p.id == "persona-deep-expert")


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def queue(store, person):
    return {p.intervention: p.id for p in store.review_queue() if p.person == person}


def test_states_follow_each_proposal_life_and_the_latest_review_decides(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    assert store.review_states([EXPERT.id]) == {}
    store.record_run([(EXPERT, ENGINE.recommend(EXPERT))], ENGINE.ruleset_hash)
    ids = queue(store, EXPERT.id)
    a, b, c, d = (ids[i] for i in list(ids)[:4])
    store.advance([a, b, c], "approved", "hr-1")
    store.advance([a], "released", "hr-1")
    store.advance([b], "rejected", "hr-1", "not now")
    store.advance([a], "accepted", EXPERT.id)
    key = {i: (EXPERT.id, EXPERT.id, i) for i in ids}
    names = {v: k for k, v in ids.items()}
    states = store.review_states([EXPERT.id, "nobody"])
    assert {states[key[names[x]]] for x in (a, b, c, d)} == {"accepted", "rejected", "approved", "proposed"}
    assert [states[key[names[x]]] for x in (a, b, c, d)] == ["accepted", "rejected", "approved", "proposed"]
    # proposed again: a released (or later) item stays as it stands; a rejected one waits again
    store.record_run([(EXPERT, ENGINE.recommend(EXPERT))], ENGINE.ruleset_hash)
    again = store.review_states([EXPERT.id])
    assert again[key[names[a]]] == "accepted" and again[key[names[b]]] == "proposed"
    assert again[key[names[c]]] == "proposed"


def test_one_query_per_chunk_of_people(tmp_path, monkeypatch):
    store = Store(str(tmp_path / "s.db"))
    store.record_run(ENGINE.recommend_many(PEOPLE), ENGINE.ruleset_hash)
    monkeypatch.setattr(store_mod, "ID_CHUNK", 50)
    seen = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    states = store.review_states(p.id for p in PEOPLE)
    assert len([q for q in seen if "proposal_events" in q]) == len(PEOPLE) // 50
    assert len(states) == len({(r.person, r.subject, r.intervention) for _, recs in
                               ENGINE.recommend_many(PEOPLE) for r in recs})


def reviewed_store(path):
    """The sample proposed once (every item "new" then), one of the expert's items released and one
    rejected; returns the store URL and those two interventions."""
    db = str(path)
    first = json.loads(run("recommend", "--sample", "--store", db, "--format", "json").stdout)
    assert {r["review"] for row in first for r in row["recommendations"]} == {"new"}
    store = Store(db)
    ids = queue(store, EXPERT.id)
    [released, rejected, *_] = ids
    store.advance([ids[released], ids[rejected]], "approved", "hr-1")
    store.advance([ids[released]], "released", "hr-1")
    store.advance([ids[rejected]], "rejected", "hr-1", "not this year")
    return db, released, rejected


def test_text_and_json_show_the_state_for_hr_and_managers_never_for_the_employee(tmp_path):
    for n, audience in enumerate(("hr", "manager")):
        db, released, rejected = reviewed_store(tmp_path / f"json{n}.db")
        rows = json.loads(run("recommend", "--sample", "--store", db, "--audience", audience,
                              "--format", "json").stdout)
        mine = {r["intervention"]: r["review"] for row in rows if row["person"] == EXPERT.id
                for r in row["recommendations"]}
        assert mine[released] == "released" and mine[rejected] == "rejected"
        assert {s for i, s in mine.items() if i not in (released, rejected)} == {"proposed"}
        db, released, rejected = reviewed_store(tmp_path / f"text{n}.db")
        text = run("recommend", "--sample", "--store", db, "--audience", audience).stdout
        block = re.split(r"\n(?=\S)", text.split("\n" + EXPERT.id, 1)[1], maxsplit=1)[0]  # to the next person
        assert f"{released} (" in block and "[released]" in block and "[rejected]" in block
        assert "[waiting for review]" in block
        # proposed again by that run: the rejected item waits for review again, the released stays
        again = json.loads(run("recommend", "--sample", "--store", db, "--audience", audience,
                               "--format", "json").stdout)
        mine = {r["intervention"]: r["review"] for row in again if row["person"] == EXPERT.id
                for r in row["recommendations"]}
        assert mine[released] == "released" and mine[rejected] == "proposed"
    employee = run("recommend", "--sample", "--store", db, "--audience", "employee", "--format", "json").stdout
    assert '"review"' not in employee and released in employee
    assert "[released]" not in run("recommend", "--sample", "--store", db, "--audience", "employee").stdout
    plain = run("recommend", "--sample", "--format", "json").stdout        # no store: no state
    assert '"review"' not in plain


def test_people_table_without_states_is_as_before():
    results = [(EXPERT, ENGINE.recommend(EXPERT))]
    assert "[" not in people_table(results).split("\n", 2)[1]
    assert people_table(results, states={}).split("\n", 2)[1].endswith("[new: not proposed before]")


def test_review_list_for_one_managers_reports(tmp_path):
    db = str(tmp_path / "s.db")
    assert run("recommend", "--sample", "--store", db, "--org").exit_code == 0
    store = Store(db)
    manager = "nw-022"
    reports = {p.id for p in PEOPLE if p.manager_id == manager}
    assert len(reports) > 3
    ids = run("review", "list", "--store", db, "--manager", manager, "--sample", "--format", "ids").stdout.split()
    listed = [p for p in store.review_queue() if str(p.id) in ids]
    assert len(listed) == len(ids) and {p.person for p in listed} == reports
    assert [p for p in store.review_queue() if p.person in reports] == listed    # all of them, and only them
    # with another filter, and in another state
    released = [p.id for p in listed if p.intervention == listed[0].intervention]
    store.advance(released, "approved", "hr-1")
    out = json.loads(run("review", "list", "--store", db, "--manager", manager, "--sample", "--state", "approved",
                         "--format", "json").stdout)
    assert [p["id"] for p in out] == released
    # the store alone cannot tell who reports to whom: the command says so
    done = CliRunner().invoke(cli, ["review", "list", "--store", db, "--manager", manager])
    assert done.exit_code == 2 and "needs the people to know who reports to whom" in done.output
    done = CliRunner().invoke(cli, ["review", "list", "--store", db, "--manager", "nobody", "--sample"])
    assert done.exit_code == 0 and "nobody in the people reports to 'nobody'" in done.output


def test_explain_shows_the_state_of_each_recommended_item_to_hr_and_managers(tmp_path):
    db, released, rejected = reviewed_store(tmp_path / "s.db")
    store = Store(db)
    for audience in ("hr", "manager"):
        found = ENGINE.explain(EXPERT, None, audience, review=store)
        states = {i.intervention: i.review for i in found.items}
        assert states[released] == "released" and states[rejected] == "rejected"
        assert set(states.values()) == {"released", "rejected", "proposed"}
        text = ENGINE.render(found, "text")
        assert "Review: released." in text and "Review: waiting for review." in text
        assert json.loads(ENGINE.render(found, "json"))["items"][0]["review"] == states[found.items[0].intervention]
        assert "Review: rejected." in ENGINE.render(found, "markdown")
        cli_text = run("explain", "--sample", EXPERT.id, "--audience", audience, "--store", db).stdout
        assert "Review: released." in cli_text
        # an item not recommended has no state; without a store no item has one
        other = ENGINE.explain(EXPERT, "mentor-others", audience, review=store)
        assert other.items[0].status != "recommended" and other.items[0].review == ""
        assert all(i.review == "" for i in ENGINE.explain(EXPERT, None, audience).items)
        assert "Review:" not in ENGINE.render(ENGINE.explain(EXPERT, None, audience), "text")
    release = ENGINE.explain(EXPERT, None, "employee", review=store)
    assert [i.intervention for i in release.items] == [released] and release.items[0].review == ""
    assert "Review:" not in ENGINE.render(release, "text")
