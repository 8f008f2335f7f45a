"""The Engine: durable-rules' quirks handled once, resolve steps, threads, streaming."""

import datetime as dt
import gc
import threading

import durable_rules_engine
import pytest

from devrecs import Engine, RuleEngine
from devrecs.catalog import Catalog
from devrecs.model import Intervention

AS_OF = dt.date(2026, 6, 30)


def catalog(*ids, cooldown=12):
    return Catalog([Intervention(i, i.title(), "", "career", "person", ("hr",), cooldown_months=cooldown)
                    for i in ids])


def write(tmp_path, text, name="r.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


RULES = """\
ruleset: t
rules:
  - id: strong
    title: Strong
    when: {performance: high}
    recommend: [mentoring]
    priority: 60
    rationale: Strong people get a mentor.
  - id: expert
    title: Expert
    when: {all: [{performance: high}, {aspiration: technical}]}
    recommend: [mentoring, conference-attendance]
    priority: 70
    rationale: Experts widen their network.
  - id: struggling
    title: Struggling
    when: {performance: low}
    recommend: [performance-advisor, {intervention: coaching-conversations-training, to: manager}]
    suppresses: [coaching]
    priority: 90
  - id: everyone
    title: Everyone
    recommend: [coaching, learning-time]
    priority: 10
"""
IDS = ("mentoring", "conference-attendance", "performance-advisor", "coaching",
       "coaching-conversations-training", "learning-time")


@pytest.fixture()
def engine(tmp_path):
    cat = write(tmp_path, "interventions:\n" + "".join(
        f"  - {{id: {i}, title: {i}, description: d, kind: career, subject: person, audiences: [hr]}}\n"
        for i in IDS), "cat.yaml")
    return Engine.from_paths([cat, write(tmp_path, RULES)], default_catalog=False, as_of=AS_OF)


def ids(recs):
    return [r.intervention for r in recs]


def test_a_person_no_rule_matches_gets_an_empty_list(tmp_path):
    cat = write(tmp_path, "interventions:\n  - {id: mentoring, title: M, description: d, kind: career, "
                          "subject: person, audiences: [hr]}\n", "cat.yaml")
    rules = write(tmp_path, "ruleset: t\nrules:\n  - id: a\n    title: A\n    when: {level: {gt: 9}}\n"
                            "    recommend: [mentoring]\n")
    e = Engine.from_paths([cat, rules], default_catalog=False)
    assert e.recommend({"id": "x", "level": 2}) == []
    assert e.recommend({"id": "y"}) == []


def test_two_rules_for_one_intervention_give_one_recommendation_with_both(engine):
    recs = engine.recommend({"id": "x", "performance": "high", "aspiration": "technical"})
    (mentoring,) = [r for r in recs if r.intervention == "mentoring"]
    assert mentoring.rules == ("expert", "strong") and mentoring.priority == 70
    assert {e.rule for e in mentoring.evidence} == {"expert", "strong"}
    assert mentoring.rationale == ("Experts widen their network.", "Strong people get a mentor.")


def test_order_is_by_priority_then_id(engine):
    recs = engine.recommend({"id": "x", "performance": "high", "aspiration": "technical"})
    assert ids(recs) == ["conference-attendance", "mentoring", "coaching", "learning-time"]


def test_suppresses_removes_and_manager_subject(engine):
    recs = engine.recommend({"id": "x", "performance": "low", "manager_id": "boss"})
    assert ids(recs) == ["coaching-conversations-training", "performance-advisor", "learning-time"]
    assert recs[0].subject == "boss" and recs[0].person == "x"
    ev = engine.evaluate({"id": "x", "performance": "low"})
    assert ("coaching", "suppressed", "struggling") in [(r.intervention, r.step, r.detail) for r in ev.resolution.removed]
    assert ("coaching-conversations-training", "no-manager") in [(r.intervention, r.step) for r in ev.resolution.removed]


def test_cap_keeps_the_highest_priorities_and_manager_items_do_not_count(tmp_path, engine):
    capped = Engine(engine.rules, engine.catalog, cap=1, as_of=AS_OF)
    recs = capped.recommend({"id": "x", "performance": "low", "manager_id": "boss"})
    assert ids(recs) == ["coaching-conversations-training", "performance-advisor"]
    uncapped = Engine(engine.rules, engine.catalog, cap=None, as_of=AS_OF)
    assert len(uncapped.recommend({"id": "x", "performance": "high", "aspiration": "technical"})) == 4


def test_cooldown_after_history(engine):
    person = {"id": "x", "performance": "high",
              "history": [{"intervention": "mentoring", "date": "2026-01-10", "outcome": "completed"}]}
    assert "mentoring" not in ids(engine.recommend(person))
    removed = engine.evaluate(person).resolution.removed
    assert [(r.intervention, r.step) for r in removed] == [("mentoring", "cooldown")]
    assert "completed on 2026-01-10" in removed[0].detail
    old = dict(person, history=[{"intervention": "mentoring", "date": "2024-01-10", "outcome": "completed"}])
    assert "mentoring" in ids(engine.recommend(old))
    offered = dict(person, history=[{"intervention": "mentoring", "date": "2026-01-10", "outcome": "recommended"}])
    assert "mentoring" in ids(engine.recommend(offered))


def test_evidence_has_each_leaf_with_the_actual_value(engine):
    recs = engine.recommend({"id": "x", "performance": "high", "aspiration": "technical"})
    conf = recs[0]
    assert [(e.fact, e.test, e.actual, e.held) for e in conf.evidence] == [
        ("performance", "performance is high", "high", True),
        ("aspiration", "aspiration is technical", "technical", True)]
    d = conf.to_dict()
    assert d["intervention"] == "conference-attendance" and d["evidence"][0]["actual"] == "high"
    assert d["ruleset_hash"] == engine.ruleset_hash


def test_duplicate_people_are_fine(engine):
    p = {"id": "x", "performance": "high"}
    results = list(engine.recommend_many([p, p, p]))
    assert len(results) == 3 and all(ids(r) == ids(results[0][1]) for _, r in results)
    assert ids(engine.recommend(p)) == ids(engine.recommend(p))


def test_an_exception_inside_an_action_reaches_the_caller(engine, monkeypatch):
    def broken(self, index, pids, matches):
        raise RuntimeError("boom in action")
    monkeypatch.setattr(RuleEngine, "_on_match", broken)
    with pytest.raises(RuntimeError, match="boom in action"):
        engine.recommend({"id": "x", "performance": "high"})
    monkeypatch.undo()   # and the same engine works afterwards
    assert ids(engine.recommend({"id": "x", "performance": "low"}))


def test_session_state_is_deleted_after_each_chunk(engine):
    handle = engine.core._handles[engine.ruleset_name]
    # a session left alone keeps its state: durable can tell it apart from a deleted one
    code, state = durable_rules_engine.assert_facts(handle, '[{"pid": 0, "t": 1, "sid": "kept"}]')
    started = durable_rules_engine.start_action_for_state(handle, state)
    message = started[1] if started else None
    while message:
        message = durable_rules_engine.complete_and_start_action(handle, state)
    assert '"kept"' in durable_rules_engine.get_state(handle, "kept")
    durable_rules_engine.delete_state(handle, "kept")

    engine.recommend({"id": "x", "performance": "high"})
    sid = str(next(engine.core._sessions) - 1)
    with pytest.raises(durable_rules_engine.error, match="Could not get state"):
        durable_rules_engine.get_state(handle, sid)


def test_two_engines_with_different_rules_live_side_by_side(engine, tmp_path):
    other = Engine([r for r in engine.rules if r.id == "struggling"], engine.catalog, as_of=AS_OF)
    assert engine.ruleset_name != other.ruleset_name
    p = {"id": "x", "performance": "high"}
    assert ids(other.recommend(p)) == [] and "mentoring" in ids(engine.recommend(p))


def test_compiled_is_exactly_what_was_posted_and_unchanged(engine):
    compiled = engine.compiled
    body = compiled[engine.ruleset_name]
    assert all("run" in r for r in body.values()), "durable deletes run keys: the engine must post a copy"
    assert body["seen"]["all"] == [{"m": {"t": 1}}]
    engine.recommend({"id": "x"})
    assert engine.compiled == compiled


def test_recommend_many_streams(engine):
    consumed = []

    def people():
        for i in range(2000):
            consumed.append(i)
            yield {"id": f"p{i}", "performance": "high" if i % 2 else "low"}

    stream = engine.recommend_many(people())
    first_person, first = next(stream)
    assert first_person.id == "p0" and "performance-advisor" in ids(first)
    assert len(consumed) <= engine.chunk_size   # only the first chunk was read
    rest = list(stream)
    assert len(rest) == 1999 and [p.id for p, _ in rest[:3]] == ["p1", "p2", "p3"]


def test_one_engine_is_safe_to_share_between_threads(engine):
    people = [{"id": f"p{i}", "performance": ["low", "medium", "high"][i % 3],
               "aspiration": "technical" if i % 2 else "management"} for i in range(300)]
    expected = {p["id"]: ids(engine.recommend(p)) for p in people}
    failures = []

    def work(offset):
        for p in people[offset::4]:
            if ids(engine.recommend(p)) != expected[p["id"]]:
                failures.append(p["id"])
        for person, recs in engine.recommend_many(people[offset::4]):
            if ids(recs) != expected[person.id]:
                failures.append(person.id)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_no_background_dispatch_threads():
    before = threading.active_count()
    engines = [Engine.default() for _ in range(3)]
    gc.collect()
    assert threading.active_count() == before and engines


def test_ruleset_hash_changes_with_the_rules(engine):
    other = Engine(engine.rules[:-1], engine.catalog, as_of=AS_OF)
    same = Engine(engine.rules, engine.catalog, as_of=AS_OF)
    assert other.ruleset_hash != engine.ruleset_hash == same.ruleset_hash


def test_reused_evidence_is_what_fresh_evidence_would_be(monkeypatch):
    from devrecs.engine import core as engine_module
    from devrecs.intake.peoplefile import sample_file
    people = [raw for _, raw in sample_file().records]
    cached = Engine.default(entry_points=False, as_of=AS_OF)
    first = [[r.to_dict() for r in recs] for _, recs in cached.recommend_many(people)]
    again = [[r.to_dict() for r in recs] for _, recs in cached.recommend_many(people)]
    assert cached.core._evidence_cache, "the sample shares values: evidence must be reused"
    monkeypatch.setattr(engine_module, "EVIDENCE_CACHE_SIZE", 0)
    fresh = Engine.default(entry_points=False, as_of=AS_OF)
    made = [[r.to_dict() for r in recs] for _, recs in fresh.recommend_many(people)]
    assert not fresh.core._evidence_cache
    assert first == again == made


def test_reused_evidence_keeps_the_kind_of_each_value(tmp_path):
    cat = write(tmp_path, "interventions:\n  - {id: mentoring, title: M, description: d, kind: career, "
                          "subject: person, audiences: [hr]}\n", "cat.yaml")
    rules = write(tmp_path, "ruleset: t\nrules:\n  - id: a\n    title: A\n    when: {extra.score: {ge: 1}}\n"
                            "    recommend: [mentoring]\n")
    e = Engine.from_paths([cat, rules], default_catalog=False, as_of=AS_OF)
    actual = [e.recommend({"id": pid, "extra": {"score": score}})[0].evidence[0].actual
              for pid, score in (("x", 1), ("y", 1.0), ("z", 1))]
    assert [(a, type(a)) for a in actual] == [(1, int), (1.0, float), (1, int)]
