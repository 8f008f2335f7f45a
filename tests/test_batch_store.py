"""devrecs batch --store: recorded outcomes reach cooldowns on the next run, and each run's
proposals are recorded (issue 9)."""

import json

import pytest
from click.testing import CliRunner

from devrecs.cli import cli
from devrecs.oversight.store import Store


@pytest.mark.parametrize("workers", ["1", "2"])
def test_batch_with_a_store_records_the_run_and_sees_outcomes(tmp_path, workers):
    people = tmp_path / "people.jsonl"
    person = {"id": "p1", "track": "individual_contributor", "career_stage": "early", "performance": "high"}
    people.write_text(json.dumps(person) + "\n" + json.dumps(dict(person, id="p2")) + "\n")
    db = f"sqlite:///{tmp_path / 'devrecs.db'}"
    out = tmp_path / "out.jsonl"

    def run():
        result = CliRunner().invoke(cli, ["batch", str(people), "--store", db, "--out", str(out),
                                          "--workers", workers, "--as-of", "2026-06-30"])
        assert result.exit_code == 0, result.output
        return {row["person"]: [r["intervention"] for r in row["recommendations"]]
                for row in map(json.loads, out.read_text().splitlines())}

    first = run()
    assert "mentoring" in first["p1"]
    store = Store(db)
    store.record_outcome("p1", "mentoring", "completed", by="hr-7")
    second = run()
    assert "mentoring" not in second["p1"] and "mentoring" in second["p2"]   # cooldown for p1 only
    assert store.history_for("p1")[0]["outcome"] == "completed"
