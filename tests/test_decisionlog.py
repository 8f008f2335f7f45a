"""The decision log: one line per person per run, masked per audience, pseudonymised on request;
replay against other rules."""

import io
import json
import shutil

import pytest
from click.testing import CliRunner

from devrecs import Engine
from devrecs.cli import cli
from devrecs.errors import DevrecsError
from devrecs.intake.peoplefile import sample_file
from devrecs.oversight.decisionlog import DecisionLog, Pseudonymiser, read_log, replay, select
from devrecs.oversight.store import Store
from devrecs.packs import default_rules_dir

KEY = "s3cret-key-for-tests-0123456789"
FIELDS = {"log", "time", "run", "ruleset_hash", "packs", "as_of", "audience", "cap", "person", "pseudonymised",
          "recommendations", "seq", "prev"}


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def ok(result):
    assert result.exit_code == 0, result.output
    return True


@pytest.fixture(scope="module")
def sample():
    f = sample_file()
    return f, list(f.people()), Engine.default(as_of=f.as_of)


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("audience", ["manager", "executive"])
def test_one_line_per_person_as_the_audience_sees_it(tmp_path, sample, audience):
    f, people, engine = sample
    log = tmp_path / "decisions.jsonl"
    out = run("recommend", "--sample", "--audience", audience, "--log", str(log), "--format", "json")
    assert out.exit_code == 0, out.output
    entries = lines(log)
    assert [e["person"] for e in entries] == [p.id for p in people]
    for e, p in zip(entries, people):
        assert set(e) == FIELDS
        assert e["audience"] == audience and e["as_of"] == f.as_of.isoformat() and not e["pseudonymised"]
        assert e["ruleset_hash"] == engine.ruleset_hash and e["cap"] == 5
        assert e["packs"] == engine.packs and e["packs"]["careers"] == "1"     # each pack with its version
        expected = engine.recommend_for(p, audience)
        assert [(r["intervention"], r["subject"], r["rules"], r["priority"]) for r in e["recommendations"]] == \
            [(r.intervention, r.subject, list(r.rules), r.priority) for r in expected]
    assert len({e["run"] for e in entries}) == 1
    text = log.read_text()
    # neither the referral (nor its rule) nor the fact, for managers and executives
    assert "wellbeing-referral" not in text and "wellbeing_concern" not in text
    assert "evidence" not in text           # no fact values at all
    if audience == "executive":
        assert "performance-advisor" not in text and "performance_plan" not in text


def test_hr_log_without_audience_holds_what_hr_may_see(tmp_path, sample):
    _, people, engine = sample
    log = tmp_path / "d.jsonl"
    assert ok(run("recommend", "--sample", "--log", str(log)))
    entries = {e["person"]: e for e in lines(log)}
    assert all(e["audience"] == "hr" for e in entries.values())
    p = next(p for p in people if p.wellbeing_concern)
    assert "wellbeing-referral" in [r["intervention"] for r in entries[p.id]["recommendations"]]


def test_pseudonymised_log_never_holds_ids_or_the_key(tmp_path, sample):
    _, people, _ = sample
    log = tmp_path / "d.jsonl"
    out = run("recommend", "--sample", "--audience", "manager", "--log", str(log),
              "--pseudonymise-key-env", "DEVRECS_TEST_LOG_KEY", env={"DEVRECS_TEST_LOG_KEY": KEY})
    assert out.exit_code == 0, out.output
    text = log.read_text()
    assert KEY not in text and KEY not in out.output
    for p in people:
        assert f'"{p.id}"' not in text
    entries = lines(log)
    key = Pseudonymiser(KEY.encode())
    assert [e["person"] for e in entries] == [key(p.id) for p in people]
    assert all(e["pseudonymised"] and "key_id" not in e for e in entries)
    # an item sent to the person's manager names the manager: pseudonymised the same way
    line = DecisionLog("-", ruleset_hash="h", audience="hr", as_of=sample[0].as_of, pseudonymiser=key,
                       stream=io.StringIO()).entry("p1", [{"intervention": "coaching", "subject": "m1",
                                                           "rules": ["r"], "priority": 1}])
    assert line["person"] == key("p1") and line["recommendations"][0]["subject"] == key("m1")
    assert Pseudonymiser(b"another-key-of-enough-entropy-5WQ2xz")("nw-001") != key("nw-001")
    assert KEY not in repr(key)


def test_pseudonymising_needs_the_variable_set(tmp_path):
    out = CliRunner().invoke(cli, ["recommend", "--sample", "--log", str(tmp_path / "d.jsonl"),
                                   "--pseudonymise-key-env", "NO_SUCH_VAR_9"], env={"NO_SUCH_VAR_9": ""})
    assert out.exit_code == 2 and "NO_SUCH_VAR_9 is not set" in out.output


def _rules_without(tmp_path, pack):
    """A copy of the built-in rule packs without one pack."""
    new = tmp_path / "new-rules"
    new.mkdir()
    for f in default_rules_dir().glob("*.yaml"):
        if f.name not in (pack, "catalog.yaml"):   # the default catalog comes anyway
            shutil.copyfile(f, new / f.name)
    return new


def test_replay_shows_what_new_rules_would_change(tmp_path, sample):
    _, people, engine = sample
    log = tmp_path / "d.jsonl"
    assert ok(run("recommend", "--sample", "--log", str(log)))

    same = run("replay", str(log), "--sample", "--format", "json")
    assert same.exit_code == 0, same.output
    report = json.loads(same.stdout)
    assert report["compared"] == len(people) and report["changed"] == 0 and report["missing"] == []

    new = _rules_without(tmp_path, "learning.yaml")
    changed = run("replay", str(log), "--rules", str(new), "--sample", "--format", "json")
    report = json.loads(changed.stdout)
    assert report["changed"] > 0 and report["new_ruleset_hash"] != engine.ruleset_hash
    assert report["lost"].get("learning-time", 0) > 0
    expected_new = Engine.from_paths([str(new)], as_of=engine.as_of)
    for c in report["changes"]:
        p = next(x for x in people if x.id == c["person"])
        now = {(r.intervention, r.subject) for r in expected_new.recommend_for(p, "hr")}
        before = {(r.intervention, r.subject) for r in engine.recommend_for(p, "hr")}
        assert {(g["intervention"], g["subject"]) for g in c["gained"]} == now - before
        assert {(g["intervention"], g["subject"]) for g in c["lost"]} == before - now
    text = run("replay", str(log), "--rules", str(new), "--sample").stdout
    assert "would change" in text and "lost: " in text and "- learning-time" in text


def test_replay_matches_pseudonyms_with_the_same_key(tmp_path, sample):
    log = tmp_path / "d.jsonl"
    env = {"K1": KEY, "K2": "a-different-key-of-enough-entropy-7Rq"}
    assert ok(run("recommend", "--sample", "--log", str(log), "--pseudonymise-key-env", "K1", env=env))
    same = run("replay", str(log), "--sample", "--pseudonymise-key-env", "K1", "--format", "json", env=env)
    assert json.loads(same.stdout)["compared"] == len(sample[1])
    wrong = CliRunner().invoke(cli, ["replay", str(log), "--sample", "--pseudonymise-key-env", "K2"], env=env)
    assert wrong.exit_code == 2 and "another key" in wrong.output
    none = CliRunner().invoke(cli, ["replay", str(log), "--sample"])
    assert none.exit_code == 2 and "pseudonyms" in none.output


def test_replay_with_the_store_sees_the_history_the_run_saw(tmp_path):
    db, log = str(tmp_path / "s.db"), tmp_path / "d.jsonl"
    assert ok(run("record", "persona-deep-expert", "communication-skills", "--outcome", "completed",
                  "--by", "hr-1", "--store", db))
    assert ok(run("recommend", "--sample", "--store", db, "--log", str(log)))
    # after the run: this outcome must not count when the run is replayed
    assert ok(run("record", "persona-deep-expert", "technical-career-path", "--outcome", "declined",
                  "--by", "hr-1", "--store", db))
    entry = next(e for e in lines(log) if e["person"] == "persona-deep-expert")
    assert "communication-skills" not in [r["intervention"] for r in entry["recommendations"]]
    assert entry["run"] == _run_ids(db)[-1]

    with_store = json.loads(run("replay", str(log), "--sample", "--store", db, "--format", "json").stdout)
    assert with_store["changed"] == 0
    without = json.loads(run("replay", str(log), "--sample", "--format", "json").stdout)
    change = next(c for c in without["changes"] if c["person"] == "persona-deep-expert")
    assert {"intervention": "communication-skills", "subject": "persona-deep-expert"} in change["gained"]


def _run_ids(db):
    return [r["run_id"] for r in Store(db).runs()]


def test_bad_logs_are_named_by_line(tmp_path, sample):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"time": "x"}\n')
    with pytest.raises(DevrecsError, match=r"bad.jsonl:1: not a decision log line"):
        read_log(str(bad))
    bad.write_text("not json\n")
    with pytest.raises(DevrecsError, match=r"bad.jsonl:1: not valid JSON"):
        read_log(str(bad))


def test_select_takes_each_persons_latest_line_or_one_run(tmp_path, sample):
    f, people, engine = sample
    path = tmp_path / "d.jsonl"
    for run_id in ("run-a", "run-b"):
        with DecisionLog(str(path), ruleset_hash=engine.ruleset_hash, audience="hr", as_of=f.as_of,
                         run_id=run_id) as log:
            for p in people[:3]:
                log.write(p.id, engine.recommend_for(p, "hr"))
    entries = read_log(str(path))
    assert len(entries) == 6
    assert {e["run"] for e in select(entries)} == {"run-b"} and len(select(entries)) == 3
    assert {e["run"] for e in select(entries, "run-a")} == {"run-a"}
    with pytest.raises(DevrecsError, match="no run 'run-z'"):
        select(entries, "run-z")
    result = replay(str(path), select(entries), engine, people)
    assert result.compared == 3 and not result.changes


def _sample_jsonl(tmp_path, bad=True):
    f = sample_file()
    path = tmp_path / "people.jsonl"
    rows = [json.dumps(raw, default=str) for _, raw in f.records]
    if bad:
        rows.insert(3, json.dumps({"id": "broken", "performance": "hihg"}))
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_batch_logs_each_accepted_person_as_the_audience_sees_them(tmp_path, sample, workers):
    f, people, engine = sample
    log, store = tmp_path / "d.jsonl", tmp_path / "outcomes.db"
    out = run("batch", str(_sample_jsonl(tmp_path)), "--audience", "manager", "--log", str(log),
              "--workers", workers, "--out", str(tmp_path / "out.jsonl"), "--store", str(store),
              "--as-of", f.as_of.isoformat())
    assert out.exit_code == 1, out.output           # the broken record is rejected, not logged
    assert f"logged {len(people)} people to {log} (as manager sees them)" in out.output
    entries = lines(log)
    assert [e["person"] for e in entries] == [p.id for p in people]
    for e, p in zip(entries, people):
        assert e["audience"] == "manager" and e["ruleset_hash"] == engine.ruleset_hash
        assert [(r["intervention"], r["subject"], r["rules"], r["priority"]) for r in e["recommendations"]] == \
            [(r.intervention, r.subject, list(r.rules), r.priority) for r in engine.recommend_for(p, "manager")]
    runs = {e["run"] for e in entries}
    assert len(runs) == 1 and runs == {r["run_id"] for r in Store(str(store)).runs()}
    text = log.read_text()
    assert "wellbeing-referral" not in text and "wellbeing_concern" not in text and '"broken"' not in text
    replayed = run("replay", str(log), "--sample", "--format", "json")
    assert replayed.exit_code == 0 and json.loads(replayed.stdout)["changed"] == 0


def test_batch_log_needs_an_audience(tmp_path):
    log = tmp_path / "d.jsonl"
    out = run("batch", str(_sample_jsonl(tmp_path, bad=False)), "--log", str(log))
    assert out.exit_code == 2 and "--log needs --audience" in out.output and not log.exists()


def test_batch_log_lines_name_the_pack_versions_beside_the_hash(tmp_path, sample):
    _, _, engine = sample
    log = tmp_path / "batch.jsonl"
    out = run("batch", "sample", "--audience", "hr", "--log", str(log), "--out", str(tmp_path / "out.jsonl"))
    assert out.exit_code == 0, out.output
    entries = lines(log)
    assert entries and all(e["packs"] == engine.packs and e["ruleset_hash"] == engine.ruleset_hash for e in entries)
    assert list(entries[0])[:5] == ["log", "time", "run", "ruleset_hash", "packs"]
