"""Items the catalog gives the employee only once released (``released_to``: a pay review, a
conversation about what leading well asks, support for a move elsewhere). With review on, the employee
sees such an item after a reviewer released it, in their own words, its reasons named as the
talent review and its evidence withheld whole; before release nothing shows it exists; without
review (no store, or review off) the employee never sees it. The library, the command line, the
employee's decision log, batch and the service all follow."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from devrecs import Engine
from devrecs.app import Outputs
from devrecs.audience import TALENT_REVIEW, WITHHELD
from devrecs.catalog import entry_problems
from devrecs.cli import cli
from devrecs.intake.peoplefile import sample_file
from devrecs.oversight.store import Store

SAMPLE = sample_file()
PEOPLE = list(SAMPLE.people())
ENGINE = Engine.default(as_of=SAMPLE.as_of)
UNCAPPED = ENGINE.with_cap(None)
BY_ID = {p.id: p for p in PEOPLE}
PAY = BY_ID["persona-senior-flight-risk"]          # compensation-review, among many other items
MOTIVE = BY_ID["persona-power-motive"]              # leadership-motivation-conversation
GRADUATE = BY_ID["persona-waiting-graduate"]        # external-move-support
ONCE = {"compensation-review": PAY, "leadership-motivation-conversation": MOTIVE,
        "external-move-support": GRADUATE}
# words the employee must never read of these items (other audiences' labels, unquoted facts)
NEVER = ("compa_ratio", "compa ratio", "pay ratio", "flight", "motive", "power", "market midpoint", "under the market",
         "risk", "potential", "engagement")


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def proposed(store, people):
    store.record_run(UNCAPPED.recommend_many(people), ENGINE.ruleset_hash)
    return {(p.subject, p.intervention): p.id for p in store.review_queue()}


def release(store, ids):
    store.advance(ids, "approved", "hr-1")
    store.advance(ids, "released", "hr-1")


def names(recs):
    return [r.intervention for r in recs]


def test_the_catalog_gives_the_three_items_to_the_employee_only_once_released():
    for intervention in ONCE:
        entry = ENGINE.catalog.get(intervention)
        assert entry.audiences == ("manager", "hr") and entry.released_to == ("employee",)
        own = entry.description_for("employee")
        assert own != entry.description and "you" in own.lower()
        assert not any(word in own.lower() for word in NEVER)
        assert "the person" not in entry.first_step_for("employee")


def test_released_to_is_checked_like_audiences():
    base = {"id": "x", "title": "X", "description": "d", "kind": "reward", "subject": "person",
            "audiences": ["manager", "hr"]}
    assert entry_problems(dict(base, released_to=["employee"]), "c.yaml", (1, 1)) == []
    for bad in (["executive"], ["employe"], "employee", [1]):
        [problem] = entry_problems(dict(base, released_to=bad), "c.yaml", (3, 5))
        assert (problem.code, problem.line, problem.col) == ("E112", 3, 5)
        assert "'released_to' must be a list of employee" in problem.message
    [problem] = entry_problems(dict(base, audiences=["employee", "hr"], released_to=["employee"]), "c.yaml", (1, 1))
    assert "already lets see it" in problem.message
    [problem] = entry_problems(dict(base, released_to_=["employee"]), "c.yaml", (1, 1))
    assert problem.code == "E103" and "did you mean 'released_to'" in problem.message


@pytest.mark.parametrize("intervention", sorted(ONCE))
def test_released_the_employee_sees_it_with_the_reasons_withheld_and_not_before(tmp_path, intervention):
    person = ONCE[intervention]
    store = Store(str(tmp_path / "s.db"))
    ids = proposed(store, [person])
    before = ENGINE.recommend_for(person, "employee", review=store)
    assert before == []
    assert intervention not in names(ENGINE.recommend_for(person, "employee"))     # no review: never
    release(store, [ids[(person.id, intervention)]])
    [shown] = ENGINE.recommend_for(person, "employee", review=store)
    assert shown.intervention == intervention and shown.rules == (TALENT_REVIEW,)
    assert [(e.rule, e.fact, e.test, e.actual, e.held) for e in shown.evidence] == [
        (TALENT_REVIEW, WITHHELD, WITHHELD, WITHHELD, None)]
    text = json.dumps(shown.to_dict()).lower()
    hr_rules = [r for r in UNCAPPED.recommend(person) if r.intervention == intervention][0].rules
    assert not any(rule in text for rule in hr_rules)
    assert not any(word in " ".join(shown.rationale).lower() for word in NEVER)
    # explained: the talent review, nothing of its conditions
    [item] = ENGINE.explain(person, None, "employee", review=store).items
    assert item.intervention == intervention and item.status == "recommended"
    assert [(r.rule, r.condition, r.checks) for r in item.why] == [(TALENT_REVIEW, WITHHELD, ())]
    assert item.why_not == () and item.summary.endswith(f"by '{TALENT_REVIEW}'")
    assert item.description == ENGINE.catalog.get(intervention).description_for("employee")
    rendered = ENGINE.render(ENGINE.explain(person, intervention, "employee", review=store), "text").lower()
    assert not any(rule in rendered for rule in hr_rules)
    assert not any(word in rendered for word in NEVER)
    # managers and HR see it as before, with its reasons
    for audience in ("manager", "hr"):
        assert ENGINE.recommend_for(person, audience, review=store) == ENGINE.recommend_for(person, audience)


def test_before_release_the_employee_view_is_as_if_the_item_did_not_exist(tmp_path):
    """Everything else released, the pay review waiting, rejected or never proposed: the same
    list, order, count and explanation; released, it takes a place under the cap."""
    views = []
    for case in ("waiting", "rejected", "never proposed"):
        store = Store(str(tmp_path / f"{case}.db"))
        if case == "never proposed":
            store.record_run([(PAY, [r for r in UNCAPPED.recommend(PAY) if r.intervention != "compensation-review"])],
                             ENGINE.ruleset_hash)
            ids = {(p.subject, p.intervention): p.id for p in store.review_queue()}
        else:
            ids = proposed(store, [PAY])
        pay = ids.pop((PAY.id, "compensation-review"), None)
        release(store, list(ids.values()))
        if case == "rejected":
            store.advance([pay], "rejected", "hr-1", "pay was reviewed in March")
        recs = ENGINE.recommend_for(PAY, "employee", review=store)
        assert len(recs) == ENGINE.cap
        views.append(json.dumps([r.to_dict() for r in recs]) +
                     ENGINE.render(ENGINE.explain(PAY, None, "employee", review=store), "json"))
    assert views[0] == views[1] == views[2]
    assert "compensation-review" not in views[0]
    store = Store(str(tmp_path / "waiting.db"))
    pay = [p.id for p in store.review_queue() if p.intervention == "compensation-review"]
    release(store, pay)
    shown = names(ENGINE.recommend_for(PAY, "employee", review=store))
    order = [i for i in names(UNCAPPED.recommend(PAY)) if i != "wellbeing-referral"]
    assert "compensation-review" in shown and len(shown) == ENGINE.cap
    assert shown == [i for i in order if i in shown]          # in the engine's order


def test_review_off_or_no_store_keeps_them_from_the_employee(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    ids = proposed(store, [PAY])
    release(store, list(ids.values()))
    with Outputs(ENGINE, "employee", store=store, review=False) as outputs:
        off = ENGINE.run([PAY], audience="employee", outputs=outputs).people[0][1]
    assert "compensation-review" not in names(off)
    with Outputs(ENGINE, "employee", store=store) as outputs:
        on = ENGINE.run([PAY], audience="employee", outputs=outputs).people[0][1]
    assert "compensation-review" in names(on)
    with Outputs(ENGINE, "employee", store=store) as outputs:       # an organization run too
        org = ENGINE.run([PAY, MOTIVE], audience="employee", org=True, outputs=outputs).people
    assert "compensation-review" in names(dict((p.id, r) for p, r in org)[PAY.id])
    assert names(dict((p.id, r) for p, r in org)[MOTIVE.id]) == []


def test_command_line_log_and_batch_show_a_released_item_to_the_employee(tmp_path):
    db, log, out = str(tmp_path / "s.db"), tmp_path / "e.jsonl", tmp_path / "b.jsonl"
    store = Store(db)
    ids = proposed(store, [PAY, MOTIVE])
    release(store, [ids[(PAY.id, "compensation-review")]])
    done = run("recommend", "--sample", "--audience", "employee", "--store", db, "--format", "json",
               "--log", str(log))
    assert done.exit_code == 0, done.output
    rows = {r["person"]: r["recommendations"] for r in json.loads(done.stdout)}
    assert [r["intervention"] for r in rows[PAY.id]] == ["compensation-review"]
    assert rows[PAY.id][0]["rules"] == [TALENT_REVIEW] and rows[MOTIVE.id] == []
    [line] = [json.loads(x) for x in log.read_text().splitlines() if json.loads(x)["person"] == PAY.id]
    assert [r["intervention"] for r in line["recommendations"]] == ["compensation-review"]
    assert "compa_ratio" not in json.dumps(line)
    text = run("explain", "--sample", PAY.id, "--audience", "employee", "--store", db).output
    assert ENGINE.catalog.get("compensation-review").title in text and "compa_ratio" not in text.lower()
    plain = run("recommend", "--sample", "--audience", "employee", "--format", "json").stdout
    assert "compensation-review" not in plain
    done = run("batch", "sample", "--audience", "employee", "--store", db, "--out", str(out))
    assert done.exit_code == 0, done.output
    batch = {r["person"]: r["recommendations"] for r in map(json.loads, out.read_text().splitlines())}
    assert [r["intervention"] for r in batch[PAY.id]] == ["compensation-review"]


def test_the_service_shows_a_released_pay_review_to_the_employee(tmp_path):
    for module in ("fastapi", "httpx", "prometheus_client"):
        pytest.importorskip(module)
    from fastapi.testclient import TestClient

    from devrecs import service as svc
    store = Store(str(tmp_path / "s.db"))
    ids = proposed(store, [PAY])
    release(store, [ids[(PAY.id, "compensation-review")]])
    token = "e-" + "x" * 30
    path = tmp_path / "tokens.yaml"
    path.write_text(json.dumps({"tokens": [{"name": "e", "sha256": svc.hash_token(token), "audience": "employee"}]}))
    service = svc.Service(ENGINE, svc.Tokens.load(str(path)), svc.Settings(store=store), echo=lambda line: None)
    record = json.loads(json.dumps(next(raw for _, raw in SAMPLE.records if raw["id"] == PAY.id), default=str))
    with TestClient(svc.create_app(service)) as client:
        body = {"person": record, "as_of": SAMPLE.as_of.isoformat()}
        answer = client.post("/v1/recommend", json=body, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        [shown] = answer.json()["recommendations"]
        assert shown["intervention"] == "compensation-review" and shown["rules"] == [TALENT_REVIEW]
        explained = client.post("/v1/explain", json=body, headers={"Authorization": f"Bearer {token}"}).json()
        assert [i["intervention"] for i in explained["explanation"]["items"]] == ["compensation-review"]
        assert "compa_ratio" not in json.dumps(explained)


def test_across_the_sample_waiting_items_of_the_three_leave_the_view_as_without_them(tmp_path):
    """Everything released but the three items, which wait: every employee's view (list, order,
    count under the cap, evidence) is the view without review, which never shows them; released
    too, each of them appears exactly where it ranks, and nothing else changes."""
    store = Store(str(tmp_path / "s.db"))
    ids = proposed(store, PEOPLE)
    release(store, [i for (_, intervention), i in ids.items() if intervention not in ONCE])
    with_review = [recs for _, recs in ENGINE.recommend_many(PEOPLE, audience="employee", review=store)]
    without = [recs for _, recs in ENGINE.recommend_many(PEOPLE, audience="employee")]
    assert with_review == without
    release(store, [i for (_, intervention), i in ids.items() if intervention in ONCE])
    after = [recs for _, recs in UNCAPPED.recommend_many(PEOPLE, audience="employee", review=store)]
    plain = [recs for _, recs in UNCAPPED.recommend_many(PEOPLE, audience="employee")]
    gained = 0
    for person, mine, before in zip(PEOPLE, after, plain):
        assert [r for r in mine if r.intervention not in ONCE] == before
        extra = [r for r in mine if r.intervention in ONCE]
        gained += len(extra)
        assert all(r.rules == (TALENT_REVIEW,) and len(r.evidence) == 1 for r in extra)
        full = [r.intervention for r in UNCAPPED.recommend(person)]
        assert [r.intervention for r in mine] == [i for i in full if i in {r.intervention for r in mine}]
    assert gained == sum(1 for (_, intervention) in ids if intervention in ONCE) > 10


def test_without_review_the_cap_counts_only_what_the_employee_is_shown():
    """A pay review the employee may not see took a place under the cap before (nw-008 got four
    items where the cap is five: a gap that told of it). Now the cap comes after it is left out."""
    for person in PEOPLE:
        shown = ENGINE.recommend_for(person, "employee")
        everything = UNCAPPED.recommend_for(person, "employee")
        own = [r for r in everything if r.subject == person.id]
        assert [r for r in shown if r.subject == person.id] == own[:ENGINE.cap]
    nw008 = BY_ID["nw-008"]
    assert "compensation-review" in names(ENGINE.recommend(nw008))
    assert len(ENGINE.recommend_for(nw008, "employee")) == ENGINE.cap
    explained = ENGINE.explain(nw008, None, "employee")
    assert [i.intervention for i in explained.items] == names(ENGINE.recommend_for(nw008, "employee"))


def test_the_ruleset_hash_changes_with_released_to():
    """What the employee may be shown after release is part of what decided: the hash says so."""
    import attrs

    from devrecs import Engine
    from devrecs.catalog import Catalog
    eng = Engine.default()
    items = [attrs.evolve(i, released_to=()) if i.id == "compensation-review" else i for i in eng.catalog]
    assert Engine(eng.rules, Catalog(items)).ruleset_hash != Engine(eng.rules, eng.catalog).ruleset_hash
    assert Engine(eng.rules, eng.catalog).ruleset_hash == Engine(eng.rules, eng.catalog).ruleset_hash
