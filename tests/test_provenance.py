"""Every recommendation record names the rule set hash and the pack versions (issue 20): one
library place (Engine.provenance), once per person, team or organization record in `devrecs
recommend --format json` and in batch JSON Lines, and as a `packs` column beside `ruleset_hash`
in the flat outputs (CSV, SQL, Parquet). A table an older devrecs made gets the column."""

from __future__ import annotations

import csv
import json

import sqlalchemy as sa
from click.testing import CliRunner

from devrecs import Engine
from devrecs.batch.runner import packs_text
from devrecs.cli import cli

ENGINE = Engine.default()


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_provenance_is_the_hash_and_the_packs_and_a_new_dict_each_time():
    made = ENGINE.provenance
    assert made == {"ruleset_hash": ENGINE.ruleset_hash, "packs": ENGINE.packs}
    assert set(made["packs"]) >= {"careers", "pipeline"} and all(made["packs"].values())
    made["packs"]["careers"] = "changed"
    assert ENGINE.provenance["packs"]["careers"] != "changed"
    assert packs_text({"b": "2", "a": "1", "c": ""}) == "a=1;b=2;c"


def test_recommend_json_names_them_once_per_record(tmp_path):
    rows = json.loads(run("recommend", "--sample", "--format", "json").stdout)
    assert rows and all(r["ruleset_hash"] == ENGINE.ruleset_hash and r["packs"] == ENGINE.packs for r in rows)
    assert all("packs" not in item for r in rows for item in r["recommendations"])
    org = json.loads(run("recommend", "--sample", "--org", "--format", "json").stdout)
    records = [org["organization"], *org["teams"], *org["people"]]
    assert all(r["packs"] == ENGINE.packs and r["ruleset_hash"] == ENGINE.ruleset_hash for r in records)


def test_batch_rows_name_them_in_every_format(tmp_path):
    jsonl, flat, db = tmp_path / "o.jsonl", tmp_path / "o.csv", f"sqlite:///{tmp_path / 'o.db'}"
    for out in (str(jsonl), str(flat), db):
        done = run("batch", "sample", "--out", out, "--org")
        assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert {line.get("scope", "person") for line in lines} == {"person", "team", "organization"}
    assert all(line["packs"] == ENGINE.packs and line["ruleset_hash"] == ENGINE.ruleset_hash for line in lines)
    text = packs_text(ENGINE.packs)
    with open(flat, newline="") as f:
        assert {row["packs"] for row in csv.DictReader(f)} == {text}
    with sa.create_engine(db).connect() as conn:
        assert set(conn.execute(sa.text("SELECT DISTINCT packs FROM devrecs_recommendations")).scalars()) == {text}


def test_a_table_an_older_devrecs_made_gets_the_packs_column(tmp_path):
    db = f"sqlite:///{tmp_path / 'old.db'}"
    old = sa.create_engine(db)
    with old.begin() as conn:
        conn.execute(sa.text("CREATE TABLE devrecs_recommendations (scope TEXT, person TEXT, rank INTEGER, "
                             "intervention TEXT, subject TEXT, priority INTEGER, rules TEXT, ruleset_hash TEXT, "
                             "run_at DATETIME)"))
        conn.execute(sa.text("INSERT INTO devrecs_recommendations (scope, person) VALUES ('person', 'before')"))
    done = run("batch", "sample", "--out", db)
    assert done.exit_code == 0, done.output
    with old.connect() as conn:
        found = dict(conn.execute(sa.text("SELECT person, packs FROM devrecs_recommendations")).all())
    assert found.pop("before") is None and set(found.values()) == {packs_text(ENGINE.packs)}
