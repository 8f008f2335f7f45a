"""Employee views show only released items when review is on (the default with a store): the
library (recommend_for, recommend_many, explain, run), `devrecs recommend/explain --audience
employee --store`, the employee's decision log and the HTTP service. Nothing an employee sees
tells how many items wait or were rejected; HR and managers are not filtered; review can be
switched off only by a library call (Outputs(review=False)), and the output then says so."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from devrecs import Engine
from devrecs.app import Outputs
from devrecs.cli import cli
from devrecs.intake.peoplefile import sample_file
from devrecs.oversight.store import Store

SAMPLE = sample_file()
PEOPLE = list(SAMPLE.people())
ENGINE = Engine.default(as_of=SAMPLE.as_of)
UNCAPPED = ENGINE.with_cap(None)          # compiled once: each engine stays in durable for the process
EXPERT = next(p for p in PEOPLE if p.id == "persona-deep-expert")


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def proposed(store, people=PEOPLE):
    """An HR run recorded in the store, uncapped (every item a reviewer could release)."""
    store.record_run(UNCAPPED.recommend_many(people), ENGINE.ruleset_hash)
    return {(p.subject, p.intervention): p.id for p in store.review_queue()}


def release(store, ids):
    store.advance(ids, "approved", "hr-1")
    store.advance(ids, "released", "hr-1")


def items(recs):
    return [(r.intervention, r.subject) for r in recs]


def test_the_employee_sees_only_released_items_and_the_cap_comes_after(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    ids = proposed(store, [EXPERT])
    full = UNCAPPED.recommend_for(EXPERT, "employee")
    assert len(full) > ENGINE.cap          # the last item falls below the cap without review
    last = full[-1]
    assert (last.intervention, last.subject) not in items(ENGINE.recommend_for(EXPERT, "employee"))
    assert ENGINE.recommend_for(EXPERT, "employee", review=store) == []        # nothing released yet
    release(store, [ids[(EXPERT.id, last.intervention)]])
    # released, it is shown even though five waiting items rank above it
    assert items(ENGINE.recommend_for(EXPERT, "employee", review=store)) == [(last.intervention, EXPERT.id)]
    # the released item as the employee sees it without review, word for word
    [shown] = ENGINE.recommend_for(EXPERT, "employee", review=store)
    assert shown == full[-1]
    # HR and the manager are not filtered
    for audience in ("hr", "manager"):
        assert ENGINE.recommend_for(EXPERT, audience, review=store) == ENGINE.recommend_for(EXPERT, audience)


def test_waiting_and_rejected_items_leave_no_trace_in_the_employee_view(tmp_path):
    """Two stores where the same item is released, one with the others waiting, one with them
    rejected and one where they were never proposed: the employee view is the same."""
    views = []
    for case in ("waiting", "rejected", "never proposed"):
        store = Store(str(tmp_path / f"{case}.db"))
        if case == "never proposed":
            store.record_run([(EXPERT, [r for r in ENGINE.recommend(EXPERT)
                                        if r.intervention == "technical-career-path"])], ENGINE.ruleset_hash)
            ids = {(p.subject, p.intervention): p.id for p in store.review_queue()}
        else:
            ids = proposed(store, [EXPERT])
        release(store, [ids[(EXPERT.id, "technical-career-path")]])
        if case == "rejected":
            others = [i for key, i in ids.items() if key[1] != "technical-career-path"]
            store.advance(others, "rejected", "hr-1", "not this year")
        recs = ENGINE.recommend_for(EXPERT, "employee", review=store)
        views.append(json.dumps([r.to_dict() for r in recs]))
        explained = ENGINE.explain(EXPERT, None, "employee", review=store)
        views[-1] += ENGINE.render(explained, "json")
    assert views[0] == views[1] == views[2]
    assert "technical-career-path" in views[0] and "expert-leadership-program" not in views[0]


def test_a_later_rejection_withdraws_a_released_item_and_a_new_unreviewed_one_does_not(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    ids = proposed(store, [EXPERT])
    item = ids[(EXPERT.id, "technical-career-path")]
    release(store, [item])
    proposed(store, [EXPERT])                                  # a new run: proposed again, unreviewed
    assert "technical-career-path" in [r.intervention for r in ENGINE.recommend_for(EXPERT, "employee",
                                                                                     review=store)]
    newer = max(p.id for p in store.review_queue() if p.intervention == "technical-career-path")
    store.advance([newer], "rejected", "hr-2", "the path changed")
    assert ENGINE.recommend_for(EXPERT, "employee", review=store) == []
    # accepted, declined, completed and contested items stay shown
    for step, reason in (("accepted", ""), ("contested", "my gaps are wrong")):
        other = ids[(EXPERT.id, "communication-skills")]
        if step == "accepted":
            release(store, [other])
        store.advance([other], step, EXPERT.id, reason)
        assert "communication-skills" in [r.intervention for r in ENGINE.recommend_for(EXPERT, "employee",
                                                                                        review=store)]


def test_recommend_and_explain_on_the_command_line_and_the_employee_log(tmp_path):
    db, log = str(tmp_path / "s.db"), tmp_path / "employee.jsonl"
    assert run("recommend", "--sample", "--store", db).exit_code == 0       # HR's run: proposals
    store = Store(db)
    waiting = len(store.review_queue())
    mine = [p for p in store.review_queue(subject=EXPERT.id) if p.person == EXPERT.id]
    release(store, [mine[1].id])
    out = run("recommend", "--sample", "--audience", "employee", "--store", db, "--format", "json",
              "--log", str(log))
    assert out.exit_code == 0, out.output
    rows = {r["person"]: r["recommendations"] for r in json.loads(out.stdout)}
    assert [r["intervention"] for r in rows[EXPERT.id]] == [mine[1].intervention]
    assert all(recs == [] for pid, recs in rows.items() if pid != EXPERT.id)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert {line["review"] for line in lines} == {"released-only"}
    [line] = [line for line in lines if line["person"] == EXPERT.id]
    assert [r["intervention"] for r in line["recommendations"]] == [mine[1].intervention]
    assert line["packs"] == ENGINE.packs
    # an employee's view proposes nothing new: the queue is as it was
    assert len(store.review_queue()) == waiting - 1
    assert "(employee view of released items)" in store.runs()[-1]["label"]
    text = run("explain", "--sample", EXPERT.id, "--audience", "employee", "--store", db).output
    title = ENGINE.catalog.get
    assert text.startswith("Your development plan: 1 item.")
    assert title(mine[1].intervention).title in text and title(mine[0].intervention).title not in text
    # without a store nothing is filtered (there is no review to wait for) and the log says so
    plain = tmp_path / "plain.jsonl"
    out = run("recommend", "--sample", "--audience", "employee", "--format", "json", "--log", str(plain))
    assert json.loads(plain.read_text().splitlines()[0])["review"] == "no-store"
    assert len({r["intervention"] for row in json.loads(out.stdout) for r in row["recommendations"]}) > 1


def test_review_switched_off_in_the_library_says_so(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    proposed(store, [EXPERT])
    warnings, log = [], tmp_path / "off.jsonl"
    with Outputs(ENGINE, "employee", store=store, log=(str(log), None), review=False,
                 warn=warnings.append) as outputs:
        done = ENGINE.run([EXPERT], audience="employee", outputs=outputs)
    assert done.people[0][1] == ENGINE.recommend_for(EXPERT, "employee")       # unfiltered
    assert warnings == ["warning: review is off: this employee view shows proposals no reviewer has released"]
    assert json.loads(log.read_text())["review"] == "off"
    assert "(review off)" in store.runs()[-1]["label"]
    with Outputs(ENGINE, "employee", store=store) as outputs:                   # on by default
        assert ENGINE.run([EXPERT], audience="employee", outputs=outputs).people[0][1] == []


def test_the_service_shows_the_employee_only_released_items(tmp_path):
    for module in ("fastapi", "httpx", "prometheus_client"):
        pytest.importorskip(module)
    from fastapi.testclient import TestClient

    from devrecs import service as svc
    store = Store(str(tmp_path / "s.db"))
    ids = proposed(store, [EXPERT])
    release(store, [ids[(EXPERT.id, "strategic-thinking")]])
    tokens = {"employee": "e-" + "x" * 30, "hr": "h-" + "y" * 30}
    path = tmp_path / "tokens.yaml"
    path.write_text(json.dumps({"tokens": [{"name": n, "sha256": svc.hash_token(t), "audience": n}
                                           for n, t in tokens.items()]}))
    service = svc.Service(ENGINE, svc.Tokens.load(str(path)), svc.Settings(store=store), echo=lambda line: None)
    record = json.loads(json.dumps(next(raw for _, raw in SAMPLE.records if raw["id"] == EXPERT.id), default=str))
    with TestClient(svc.create_app(service)) as client:
        def ask(who, path, body):
            answer = client.post(f"/v1{path}", json=body, headers={"Authorization": f"Bearer {tokens[who]}"})
            assert answer.status_code == 200, answer.text
            return answer.json()
        body = {"person": record, "as_of": SAMPLE.as_of.isoformat()}
        shown = ask("employee", "/recommend", body)["recommendations"]
        assert [r["intervention"] for r in shown] == ["strategic-thinking"]
        batch = ask("employee", "/recommend/batch", {"people": [record], "as_of": SAMPLE.as_of.isoformat()})
        assert [r["intervention"] for r in batch["results"][0]["recommendations"]] == ["strategic-thinking"]
        explained = ask("employee", "/explain", body)["explanation"]
        assert [i["intervention"] for i in explained["items"]] == ["strategic-thinking"]
        assert len(ask("hr", "/recommend", body)["recommendations"]) == ENGINE.cap


def test_more_released_items_than_the_cap_show_as_the_cap_allows_in_recommend_and_explain(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    ids = proposed(store, [EXPERT])
    release(store, list(ids.values()))
    shown = ENGINE.recommend_for(EXPERT, "employee", review=store)
    assert len(ids) > ENGINE.cap and shown == ENGINE.recommend_for(EXPERT, "employee")   # all released: as without
    explained = ENGINE.explain(EXPERT, None, "employee", review=store)
    assert [i.intervention for i in explained.items] == [r.intervention for r in shown]


@pytest.mark.parametrize("how", [["--workers", "1"], ["--workers", "2"], ["--org"]])
def test_batch_for_the_employee_with_a_store_writes_only_released_items(tmp_path, how):
    db, log, out = str(tmp_path / "s.db"), tmp_path / "e.jsonl", tmp_path / "out.jsonl"
    store = Store(db)
    ids = proposed(store, [EXPERT])
    release(store, [ids[(EXPERT.id, "technical-career-path")]])
    waiting = len(store.review_queue())
    done = run("batch", "sample", "--audience", "employee", "--store", db, "--log", str(log), "--out", str(out),
               *how)
    assert done.exit_code == 0, done.output
    rows = {r["person"]: r["recommendations"] for r in map(json.loads, out.read_text().splitlines())
            if "person" in r}
    assert [r["intervention"] for r in rows[EXPERT.id]] == ["technical-career-path"]
    assert all(recs == [] for pid, recs in rows.items() if pid != EXPERT.id)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert {line["review"] for line in lines} == {"released-only"}
    assert len(store.review_queue()) == waiting                    # nothing new to review
    assert "(employee view of released items)" in store.runs()[-1]["label"]
