"""devrecs batch: streamed runs with rejects, workers, outputs and the IBM example."""

from __future__ import annotations

import collections
import csv
import io
import json
import random
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from databases import database_url, fill, postgres_url  # noqa: F401  (fixtures)

from devrecs import Engine
from devrecs.batch.runner import BatchOptions, _SeenIds, run_batch
from devrecs.cli import cli
from devrecs.intake.peoplefile import sample_file
from devrecs.packs import default_rules_dir

ROOT = Path(__file__).resolve().parents[1]
IBM = ROOT / "examples" / "ibm-hr-attrition"
SUMMARY = re.compile(r"^(\d+) read, (\d+) accepted, (\d+) rejected$")


def batch(*args):
    return CliRunner().invoke(cli, ["batch", *map(str, args)], catch_exceptions=False)


def summary(result) -> tuple[int, int, int]:
    last = result.stderr.strip().splitlines()[-1]
    m = SUMMARY.match(last)
    assert m, f"last stderr line is not the summary: {last!r}"
    return tuple(map(int, m.groups()))


def out_rows(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


LEVELS = ["low", "medium", "high"]


def people(n: int, seed: int = 3) -> list[dict]:
    rnd = random.Random(seed)
    return [{"id": f"p{i}", "track": rnd.choice(["individual_contributor", "manager"]),
             "performance": rnd.choice(LEVELS), "potential": rnd.choice(LEVELS),
             "engagement": rnd.choice(LEVELS), "flight_risk": rnd.choice(LEVELS),
             "aspiration": rnd.choice(["technical", "management", "undecided"]),
             "tenure_years": rnd.randint(0, 25), "months_in_role": rnd.randint(0, 90),
             "compa_ratio": round(rnd.uniform(0.7, 1.3), 2), "manager_id": f"p{rnd.randint(0, 9)}" if i > 9 else None}
            for i in range(n)]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in rows))
    return path


# -- the IBM example -------------------------------------------------------------------------

def test_ibm_example_accepts_every_row(tmp_path):
    out = tmp_path / "recs.jsonl"
    result = batch(IBM / "ibm-hr-attrition.csv", "--mapping", IBM / "mapping.yaml", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert summary(result) == (1470, 1470, 0)
    rows = out_rows(out.read_text())
    assert len(rows) == 1470 and rows[0]["person"] == "ibm-1"
    assert len({r["ruleset_hash"] for r in rows}) == 1
    assert sum(len(r["recommendations"]) for r in rows) > 1470
    assert set(rows[0]["recommendations"][0]) == {"intervention", "subject", "priority", "rules"}


def test_ibm_mapping_keeps_protected_characteristics_out_of_rules():
    text = (IBM / "mapping.yaml").read_text()
    for name in ("gender", "age", "marital_status"):
        assert re.search(rf"^  {name}:", text, re.M), f"{name} is under extra"
        for pack in default_rules_dir().glob("*.yaml"):
            assert f"extra.{name}" not in pack.read_text(), f"{pack.name} tests extra.{name}"


# -- every kind of bad row ----------------------------------------------------------------------

def test_every_kind_of_bad_csv_row_is_rejected_and_counted(tmp_path):
    f = tmp_path / "people.csv"
    f.write_bytes(
        b"\xef\xbb\xbfid,performance,level\r\n"
        b"p1,high,3\r\n"          # row 2: fine
        b",high,3\r\n"            # row 3: missing id
        b"p1,low,2\r\n"           # row 4: duplicate id
        b"p4,hihg,2\r\n"          # row 5: bad enum
        b"p5,low,three\r\n"       # row 6: wrong type
        b"p6,m\xe9dium,2\r\n"     # row 7: not UTF-8
        b"p7,low\r\n"             # row 8: truncated line
        b"p8,medium,1\r\n")       # row 9: fine
    rejects = tmp_path / "rejects.jsonl"
    result = batch(f, "--rejects", rejects, "--out", tmp_path / "out.jsonl")
    assert result.exit_code == 1
    read, accepted, rejected = summary(result)
    assert (read, accepted, rejected) == (8, 2, 6) and read == accepted + rejected
    got = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(r["row"], r["field"]) for r in got] == [
        (3, "id"), (4, "id"), (5, "performance"), (6, "level"), (7, "performance"), (8, None)]
    assert all(r["source"] == str(f) and r["record"] == f"{f} row {r['row']}" for r in got)
    assert got[0]["reason"] == "a value is required"
    assert got[1]["reason"] == f"duplicate id 'p1' (first in {f} row 2)" and got[1]["id"] == "p1"
    assert got[2]["reason"].startswith("'hihg' is not one of low, medium, high (did you mean 'high'?)")
    assert got[3]["reason"] == "'three' is not a whole number"
    assert got[4]["reason"].startswith("not UTF-8 text")
    assert "truncated" in got[5]["reason"]
    # the same lines, readable, on stderr
    assert f"{f} row 5 (id 'p4'), field 'performance': 'hihg' is not one of low, medium, high (did you mean " \
           f"'high'?)" in result.stderr
    assert [r["person"] for r in out_rows((tmp_path / "out.jsonl").read_text())] == ["p1", "p8"]


def test_every_kind_of_bad_jsonl_line_is_rejected_and_counted(tmp_path):
    f = tmp_path / "people.jsonl"
    f.write_bytes(b'{"id": "a", "level": 2}\n'
                  b'{"performance": "high"}\n'
                  b'{"id": "a"}\n'
                  b'{"id": "c", "track": "boss"}\n'
                  b'{"id": "d", "compa_ratio": "cheap"}\n'
                  b'{"id": "e", "name": "Jos\xe9"}\n'
                  b'{"id": "f", "perf\n'
                  b'{"id": "g", "gaps": "none"}\n'
                  b'{"id": "h", "nine_box": "star"}\n'
                  b'{"id": "i"}\n')
    rejects = tmp_path / "rejects.jsonl"
    result = batch(f, "--rejects", rejects, "--out", tmp_path / "out.jsonl")
    assert result.exit_code == 1
    read, accepted, rejected = summary(result)
    assert (read, accepted, rejected) == (10, 2, 8) and read == accepted + rejected
    got = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(r["row"], r["field"]) for r in got] == [
        (2, "id"), (3, "id"), (4, "track"), (5, "compa_ratio"), (6, None), (7, None), (8, "gaps"), (9, "nine_box")]
    assert got[2]["id"] == "c" and "'boss' is not one of individual_contributor, manager" in got[2]["reason"]


def test_many_rejects_are_summed_up_on_stderr(tmp_path):
    rows = [{"id": f"p{i}", "level": "x"} for i in range(30)]
    result = batch(write_jsonl(tmp_path / "p.jsonl", rows), "--out", tmp_path / "o.jsonl")
    assert result.exit_code == 1 and summary(result) == (30, 0, 30)
    assert "... and 10 more rejected (--rejects FILE keeps them all)" in result.stderr


# -- configuration errors: exit 2, one line, no traceback ---------------------------------------

@pytest.mark.parametrize("args, message", [
    (["missing.csv"], "missing.csv: no such file"),
    (["{people}", "--source", "xml"], "unknown source 'xml'"),
    (["{people}", "--table", "t"], "--table only applies to a database source"),
    (["{people}", "--out", "o.txt"], "--out o.txt: write to a .jsonl, .csv or .parquet file, or to a database URL"),
    (["{people}", "--mapping", "{mapping}"], ":2:3: M104 unknown fact 'levl' (did you mean 'level'?)"),
    (["{people}", "--rules", "{rules}"], "E110 unknown fact"),
    (["{people}", "--org", "--workers", "2"], "--org needs the whole population in one process"),
    (["{csv}", "--mapping", "{mapping2}"], "M150 column 'Grade' is not in"),
    (["sqlite:///{tmp}/x.db", "--table", "people"], "no table 'people'"),
])
def test_configuration_errors_exit_2_with_one_line(tmp_path, args, message):
    people = write_jsonl(tmp_path / "p.jsonl", [{"id": "a"}])
    (tmp_path / "m.yaml").write_text("facts:\n  levl: Grade\n")
    (tmp_path / "m2.yaml").write_text("facts:\n  level: Grade\n")
    (tmp_path / "p.csv").write_text("id,grade\na,1\n")
    (tmp_path / "r.yaml").write_text("ruleset: x\nrules:\n  - id: a\n    title: t\n    when: {levl: 1}\n"
                                     "    recommend: [mentoring]\n")
    subst = {"people": people, "mapping": tmp_path / "m.yaml", "mapping2": tmp_path / "m2.yaml",
             "csv": tmp_path / "p.csv", "rules": tmp_path / "r.yaml", "tmp": tmp_path}
    result = CliRunner().invoke(cli, ["batch", *[a.format(**subst) for a in args]], catch_exceptions=False)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


# -- results ---------------------------------------------------------------------------------

def test_batch_matches_recommend_on_the_sample(tmp_path):
    sample = ROOT / "src" / "devrecs" / "data" / "sample.yaml"
    result = batch(sample)
    assert result.exit_code == 0 and summary(result) == (200, 200, 0)
    rows = out_rows(result.stdout)
    engine = Engine.default(as_of=sample_file().as_of)
    expected = list(engine.recommend_many(sample_file().people()))
    assert [r["person"] for r in rows] == [p.id for p, _ in expected]
    for row, (_, recs) in zip(rows, expected):
        assert row["recommendations"] == [{"intervention": r.intervention, "subject": r.subject,
                                           "priority": r.priority, "rules": list(r.rules)} for r in recs]
        assert row["ruleset_hash"] == engine.ruleset_hash


def test_two_workers_give_the_same_output_in_the_same_order(tmp_path):
    f = write_jsonl(tmp_path / "p.jsonl", people(900) + [{"id": "p5"}, {"id": "bad", "level": "x"}])
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    r1 = batch(f, "--out", one, "--as-of", "2026-06-30")
    r2 = batch(f, "--out", two, "--as-of", "2026-06-30", "--workers", "2")
    assert r1.exit_code == r2.exit_code == 1, (r1.stderr, r2.stderr)
    assert summary(r1) == summary(r2) == (902, 900, 2)
    assert one.read_text() == two.read_text()
    assert [r["person"] for r in out_rows(one.read_text())] == [f"p{i}" for i in range(900)]


def test_org_adds_team_and_organization_rows(tmp_path):
    sample = ROOT / "src" / "devrecs" / "data" / "sample.yaml"
    result = batch(sample, "--org")
    assert result.exit_code == 0, result.stderr
    rows = out_rows(result.stdout)
    scopes = collections.Counter(r.get("scope", "person") for r in rows)
    assert scopes["person"] == 200 and scopes["organization"] == 1 and scopes["team"] >= 1
    org = Engine.default(as_of=sample_file().as_of).recommend_organization(list(sample_file().people()))
    assert [r["intervention"] for r in rows[-1]["recommendations"]] == [r.intervention for r in org.organization]


def test_audience_shows_what_that_audience_may_see(tmp_path):
    f = write_jsonl(tmp_path / "p.jsonl", people(40))
    result = batch(f, "--audience", "executive", "--as-of", "2026-06-30")
    assert result.exit_code == 0
    engine = Engine.default(as_of=__import__("datetime").date(2026, 6, 30))
    for row, person in zip(out_rows(result.stdout), people(40)):
        person = {k: v for k, v in person.items() if v is not None}
        assert [r["intervention"] for r in row["recommendations"]] == \
            [r.intervention for r in engine.recommend_for(person, "executive")]


def test_csv_output_has_a_row_per_recommendation(tmp_path):
    f = write_jsonl(tmp_path / "p.jsonl", people(30))
    out = tmp_path / "recs.csv"
    assert batch(f, "--out", out).exit_code == 0
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["scope", "person", "rank", "intervention", "subject", "priority", "rules", "ruleset_hash",
                             "packs"]
    assert {r["person"] for r in rows} == {f"p{i}" for i in range(30)}
    jsonl = out_rows(batch(f).stdout)
    assert len([r for r in rows if r["intervention"]]) == sum(len(r["recommendations"]) for r in jsonl)


def test_sql_in_and_sql_out(tmp_path, database_url):  # noqa: F811
    rows = [{k: (str(v) if v is not None else None) for k, v in p.items()} for p in people(50)]
    rows[7]["performance"] = "hihg"
    fill(database_url, "people", rows)
    if database_url.startswith("sqlite"):
        same = batch(database_url, "--table", "people", "--out", database_url)
        assert same.exit_code == 2 and "SQLite cannot write to the database file it is reading" in same.stderr
        with sa.create_engine(database_url).connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    result = batch(database_url, "--table", "people", "--out", database_url, "--out-table", "recs",
                   "--rejects", tmp_path / "rejects.jsonl")
    assert result.exit_code == 1 and summary(result) == (50, 49, 1)
    reject = json.loads((tmp_path / "rejects.jsonl").read_text())
    assert (reject["record"], reject["field"], reject["id"]) == ("people row 8", "performance", "p7")
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT person, intervention, ruleset_hash, run_at FROM recs")).all()
    engine.dispose()
    assert {g.person for g in got} == {f"p{i}" for i in range(50)} - {"p7"}
    assert all(g.ruleset_hash and g.run_at for g in got)
    query = batch(database_url, "--query", "SELECT * FROM people WHERE id IN ('p1', 'p2') ORDER BY id")
    assert query.exit_code == 0 and [r["person"] for r in out_rows(query.stdout)] == ["p1", "p2"]


# -- progress and streaming -----------------------------------------------------------------------

def test_progress_only_on_a_terminal(tmp_path):
    f = write_jsonl(tmp_path / "p.jsonl", people(20))
    quiet = batch(f, "--out", tmp_path / "o.jsonl")
    assert "\r" not in quiet.stderr and "\x1b" not in quiet.stderr
    err = io.StringIO()
    stats = run_batch(BatchOptions(source=str(f), out=str(tmp_path / "o.jsonl")), stderr=err, progress=True)
    assert stats.summary() == "20 read, 20 accepted, 0 rejected"
    assert "20 accepted, 0 rejected" in err.getvalue()
    assert "\x1b" not in (tmp_path / "o.jsonl").read_text()                                   # never in the data


def test_seen_ids_find_duplicates_through_growth():
    seen = _SeenIds()
    for i in range(20_000):
        assert seen.add(f"id-{i}", i + 2) is None
    assert seen.add("id-0", 99) == 2 and seen.add("id-19999", 99) == 20_001
    assert seen.add("id-20000", 5) is None


def test_workers_use_the_mapping_and_its_joins_like_one_process(tmp_path):
    rows = people(300)
    with open(tmp_path / "hr.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Emp", "Perf", "Years"])
        for p in rows:
            w.writerow([p["id"][1:], {"low": 1, "medium": 2, "high": 3}[p["performance"]], p["tenure_years"]])
    (tmp_path / "gaps.csv").write_text("emp,skill,sev\n1,communication,2\n2,vision,9\nbroken\n1,conflict,1\n")
    (tmp_path / "m.yaml").write_text(
        'id: "p{Emp}"\nfacts:\n  performance: {column: Perf, map: {1: low, 2: medium, 3: high}}\n'
        "  tenure_years: Years\n  track: {value: individual_contributor}\n"
        'join:\n  - {from: gaps.csv, key: "p{emp}", into: gaps,\n'
        "     fields: {skill: skill, severity: {column: sev, map: {1: low, 2: medium, 3: high}}}}\n")
    args = [tmp_path / "hr.csv", "--mapping", tmp_path / "m.yaml", "--as-of", "2026-06-30"]
    one, two = batch(*args), batch(*args, "--workers", "2")
    assert one.exit_code == two.exit_code == 1 and summary(one) == summary(two) == (300, 299, 1)
    assert one.stdout == two.stdout
    for result in (one, two):
        assert result.stderr.count("gaps.csv row 4: skipped") == 1
        assert "hr.csv row 4 (id 'p2'), field 'gaps[0].severity': '9' is not one of low, medium, high" \
            in result.stderr
